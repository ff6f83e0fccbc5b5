"""Source config and readers: valid records become Documents, bad ones are quarantined with a reason."""

import json
from pathlib import Path

import pytest

from vocmine import settings
from vocmine.ingest.config import SourceConfig, SourceError, load_sources
from vocmine.ingest.readers import read_source
from vocmine.records import Document, Quarantined


def _reviews(tmp_path: Path, body: str, encoding: str = "utf-8") -> SourceConfig:
    p = tmp_path / "r.csv"
    p.write_bytes(("review_id,created_at,rating,text\n" + body).encode(encoding))
    return SourceConfig(
        name="r", kind="review", location=str(p), fields={"id": "review_id", "timestamp": "created_at"}
    )


def test_sample_sources_config_loads():
    srcs = load_sources(settings.SAMPLES_DIR / "sources.yaml")
    assert [s.kind for s in srcs] == ["review", "chat", "survey"]
    assert all(Path(s.location).exists() for s in srcs)


def test_bad_rows_are_quarantined_with_reasons(tmp_path):
    src = _reviews(
        tmp_path,
        "1,2026-10-01T10:00:00+03:00,5,Отлично\n"
        "2,2026-10-01T10:00:00+03:00,7,rating out of range\n"
        "3,,4,no timestamp\n"
        "4,2026-10-01T10:00:00,,\n"
        "5,yesterday,3,bad date\n"
        '6,2026-10-01T11:00:00Z,2,"unclosed, extra",field\n',
    )
    recs = list(read_source(src))
    docs = [r for r in recs if isinstance(r, Document)]
    quarantined = {r.location.split(":")[1]: r.reason for r in recs if isinstance(r, Quarantined)}
    assert [d.external_id for d in docs] == ["1"]
    assert docs[0].rating == 5 and docs[0].created_at.utcoffset().total_seconds() == 3 * 3600
    assert "outside 1..5" in quarantined["3"]
    assert "missing timestamp" in quarantined["4"]
    assert "no text and no score" in quarantined["5"]
    assert "unparseable timestamp" in quarantined["6"]
    assert "expected 4 fields" in quarantined["7"]


def test_windows_1251_is_detected(tmp_path):
    src = _reviews(
        tmp_path,
        '1,2026-10-01T10:00:00+03:00,1,"Курьер опоздал на два дня, очень недоволен доставкой"\n',
        encoding="cp1251",
    )
    (doc,) = list(read_source(src))
    assert doc.text.startswith("Курьер опоздал")


def test_missing_id_column_is_a_clear_error(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("foo,bar\n1,2\n")
    src = SourceConfig(name="r", kind="review", location=str(p))
    with pytest.raises(SourceError, match="missing column"):
        list(read_source(src))


def test_chat_turns_roles_and_customer_text(tmp_path):
    p = tmp_path / "c.jsonl"
    conv = {
        "conversation_id": "c1",
        "started_at": "2026-10-01T10:00:00+03:00",
        "turns": [
            {"role": "bot", "ts": "2026-10-01T10:00:00+03:00", "text": "Здравствуйте! Чем помочь?"},
            {"role": "Клиент", "ts": "2026-10-01T10:00:30+03:00", "text": "Заказ не пришёл"},
            {"role": "operator", "ts": "2026-10-01T10:01:00+03:00", "text": "Приносим извинения"},
            {"role": "customer", "ts": "2026-10-01T10:02:00+03:00", "text": "Жду уже неделю"},
        ],
    }
    p.write_text(json.dumps(conv, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    src = SourceConfig(
        name="c", kind="chat", location=str(p), fields={"id": "conversation_id", "timestamp": "started_at"}
    )
    doc, bad = list(read_source(src))
    assert [t.role for t in doc.turns] == ["bot", "customer", "agent", "customer"]
    assert doc.text == "Заказ не пришёл\nЖду уже неделю"
    assert isinstance(bad, Quarantined) and "invalid JSON" in bad.reason


def test_unknown_config_field_is_rejected(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("sources:\n  - {name: a, kind: review, location: x.csv, fields: {texxt: body}}\n")
    with pytest.raises(SourceError, match="unknown canonical field"):
        load_sources(p)
