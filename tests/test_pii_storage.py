"""Issue #29: what vocmine stores beside the text (unmapped source columns, quarantined records) is PII-masked
like the text, or dropped by the source's ``extra`` / ``quarantine_payload`` settings."""

import json
from pathlib import Path

import pytest

from vocmine.ingest.config import SourceConfig
from vocmine.ingest.readers import read_source
from vocmine.pipeline import UNMASKED_EXTRA, prepare_documents
from vocmine.records import Document, Quarantined
from vocmine.store.db import Store
from vocmine.text import mask_fields_many
from vocmine.text.segment import shared_segmenter

HEADER = "review_id,created_at,rating,text,author_email,phone,city,customer_id\n"
ROWS = (
    "1,2026-10-01T10:00:00Z,2,Курьер опоздал,ivan.petrov@mail.ru,+7 916 123-45-67,Charlotte,ivan.petrov@mail.ru\n"
    "2,2026-10-01T10:00:00Z,9,rating out of range,olga(at)mail.ru,8 (903) 123-45-67,Москва,c2\n"
)


def _source(tmp_path: Path, **settings: str) -> SourceConfig:
    p = tmp_path / "r.csv"
    p.write_text(HEADER + ROWS, encoding="utf-8")
    fields = {"id": "review_id", "timestamp": "created_at"}
    return SourceConfig(name="r", kind="review", location=str(p), fields=fields, **settings)


def test_mask_fields_masks_every_value_but_the_kept_keys() -> None:
    records = [
        {"author_email": "ivan@mail.ru", "phone": 79161234567, "note": {"by": ["Mr Smith", 3]}, "vip": True},
        {"customer_id": "ivan@mail.ru", "city": "Stuck in Charlotte", "n": 12},
    ]
    got = mask_fields_many(records, keep=("customer_id",))
    assert got == [
        {"author_email": "[EMAIL]", "phone": "[PHONE]", "note": {"by": ["Mr [PERSON]", 3]}, "vip": True},
        {"customer_id": "ivan@mail.ru", "city": "Stuck in Charlotte", "n": 12},
    ]
    assert mask_fields_many(records[:1], kinds=["email"])[0]["phone"] == 79161234567  # only the chosen kinds


def test_unmapped_columns_are_stored_masked(tmp_path: Path) -> None:
    docs = [r for r in read_source(_source(tmp_path)) if isinstance(r, Document)]
    assert docs[0].extra["author_email"] == "ivan.petrov@mail.ru"  # the reader keeps the raw values...
    stored = prepare_documents(docs, shared_segmenter()).documents
    extra = json.loads(stored["extra"][0])  # ...what is stored is masked
    assert extra == {
        "author_email": "[EMAIL]",
        "phone": "[PHONE]",
        "city": "Charlotte",
    }
    # the customer id is a canonical identifier with a column of its own: kept as-is, to stay joinable
    assert stored["customer_id"][0] == "ivan.petrov@mail.ru" and "customer_id" not in UNMASKED_EXTRA


def test_extra_drop_keeps_only_canonical_fields(tmp_path: Path) -> None:
    docs = [r for r in read_source(_source(tmp_path, extra="drop")) if isinstance(r, Document)]
    assert docs[0].extra == {} and docs[0].customer_id == "ivan.petrov@mail.ru"


def test_quarantined_payload_is_stored_masked(tmp_path: Path) -> None:
    bad = [r for r in read_source(_source(tmp_path)) if isinstance(r, Quarantined)]
    assert len(bad) == 1 and "olga(at)mail.ru" in bad[0].payload
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("test", {}, None)
    assert store.quarantine(bad, run) == 1
    assert store.quarantine(bad, run) == 0  # the id hashes the raw record: the same row is not new
    row = store.query("SELECT payload, reason FROM quarantine").iloc[0]
    assert "[EMAIL]" in row["payload"] and "[PHONE]" in row["payload"]
    assert "mail.ru" not in row["payload"] and "903" not in row["payload"]
    raw = [Quarantined("r", "r.csv:9", "x", "unparseable timestamp 'call +7 916 123-45-67'")]
    store.quarantine(raw, run, pii=["phone"])
    assert store.query("SELECT reason FROM quarantine WHERE location = 'r.csv:9'")["reason"][0] == (
        "unparseable timestamp 'call [PHONE]'"
    )


def test_quarantine_payload_drop(tmp_path: Path) -> None:
    bad = [r for r in read_source(_source(tmp_path, quarantine_payload="drop")) if isinstance(r, Quarantined)]
    assert [(q.payload, q.reason) for q in bad] == [("", "rating '9' outside 1..5")]


@pytest.mark.parametrize("setting", [{"extra": "keep"}, {"quarantine_payload": "plain"}])
def test_unknown_setting_is_refused(tmp_path: Path, setting: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        _source(tmp_path, **setting)
