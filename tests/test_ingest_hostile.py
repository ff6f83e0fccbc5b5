"""Hostile inputs: every kind of bad file gives documents and quarantine rows with reasons, never a crash."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.build import build
from vocmine.ingest.config import SourceConfig
from vocmine.ingest.formats import detect_encoding
from vocmine.jobs import Chunk, FileRead, iter_intake
from vocmine.records import Document, Quarantined
from vocmine.store.db import Store

FIELDS = {"id": "review_id", "timestamp": "created_at"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, build(folder)


def _intake(
    store: Store, path: Path, chunk_size: int = 5000, earlier: list[Document] | None = None, **config
) -> tuple[list[Document], list[Quarantined], int, list[FileRead]]:
    """Documents, quarantined, duplicates, FileReads; the replaced versions go to ``earlier`` if given."""
    src = SourceConfig(
        name="r", kind="review", location=str(path), fields=FIELDS, max_chars=1_000_000, **config
    )
    docs, bad, dups, done = [], [], 0, []
    for item in iter_intake(store, src, chunk_size=chunk_size):
        if isinstance(item, Chunk):
            docs += item.documents
            bad += item.quarantined
            dups += item.n_duplicates
            if earlier is not None:
                earlier += [d for g in item.earlier for d in g]
        else:
            done.append(item)
    return docs, bad, dups, done


def test_every_hostile_file(hostile, tmp_path):
    folder, expectations = hostile
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    for name, expect in expectations.items():
        earlier: list[Document] = []
        docs, bad, dups, done = _intake(store, folder / name, earlier=earlier, **expect.get("config", {}))
        assert len({d.doc_id for d in docs}) == expect["docs"], (name, [q.reason for q in bad])
        assert len(earlier) == expect.get("earlier", 0), name
        for loc in expect.get("locations", []):
            assert loc in [q.location for q in bad], (name, [q.location for q in bad])
        reasons = " | ".join(q.reason for q in bad)
        for fragment in expect.get("quarantined", []):
            assert fragment in reasons, (name, reasons)
        if not expect.get("quarantined"):
            assert not bad, (name, reasons)
        assert dups == expect.get("duplicates", 0), name
        assert len(done) == 1, name
        if "encoding" in expect:
            assert done[0].encoding == expect["encoding"], name
            assert docs[0].text.startswith("Курьер опоздал"), name


def test_duplicates_across_chunks_are_caught_once_stored(hostile, tmp_path, model):
    from vocmine.jobs import model_info
    from vocmine.pipeline import Analyzer

    folder, _ = hostile
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("test", {}, model.version)
    src = SourceConfig(name="r", kind="review", location=str(folder / "duplicates.csv"), fields=FIELDS)
    stored = dups = 0
    for item in iter_intake(store, src, chunk_size=3):  # 7 rows: the repeats land in later chunks
        if isinstance(item, Chunk):
            stored += store.write_batch(Analyzer(model).analyse(item.documents), run, model_info(model))[
                "stored"
            ]
            dups += item.n_duplicates
    assert (stored, dups) == (5, 2)
    assert store.query("SELECT count(*) AS n FROM documents")["n"][0] == 5


def test_cyrillic_single_byte_encodings_are_told_apart(hostile):
    folder, _ = hostile
    assert detect_encoding(folder / "cp1251.csv") == "cp1251"
    assert detect_encoding(folder / "koi8r.csv") == "koi8_r"


def test_missing_location_is_quarantined_not_fatal(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    docs, bad, _, _ = _intake(store, tmp_path / "nope.csv")
    assert not docs and "does not exist" in bad[0].reason


def test_parquet_xlsx_json_and_tsv(tmp_path):
    df = pd.DataFrame(
        {
            "review_id": ["a", "b"],
            "created_at": ["2026-10-01T10:00:00+03:00"] * 2,
            "rating": [1, 5],
            "text": ["Курьер опоздал", "Всё супер"],
        }
    )
    df.to_parquet(tmp_path / "r.parquet")
    df.to_excel(tmp_path / "r.xlsx", index=False)
    df.to_csv(tmp_path / "r.tsv", sep="\t", index=False)
    (tmp_path / "r.json").write_text(json.dumps({"records": df.to_dict("records")}, ensure_ascii=False))
    store = Store(tmp_path / "v.duckdb")
    for name in ("r.parquet", "r.xlsx", "r.tsv", "r.json"):
        docs, bad, _, _ = _intake(store, tmp_path / name)
        assert [d.text for d in docs] == ["Курьер опоздал", "Всё супер"], (name, bad)
        assert [d.rating for d in docs] == [1, 5]


def test_plain_text_transcript(tmp_path):
    p = tmp_path / "chat-2026-10-14.txt"
    p.write_text(
        "Conversation: C-77\n"
        "[12:01] Бот: Здравствуйте! Чем помочь?\n"
        "[12:02] Клиент: Заказ не пришёл,\n"
        "а обещали вчера.\n"
        "[12:03] Оператор: Приносим извинения, проверяю.\n"
        "[12:05] Клиент: Жду.\n",
        encoding="utf-8",
    )
    src = SourceConfig(name="c", kind="chat", location=str(p))
    store = Store(tmp_path / "v.duckdb")
    (chunk, done) = list(iter_intake(store, src))
    (doc,) = chunk.documents
    assert doc.external_id == "C-77"
    assert [t.role for t in doc.turns] == ["bot", "customer", "agent", "customer"]
    assert doc.text == "Заказ не пришёл,\nа обещали вчера.\nЖду."
    assert doc.turns[1].ts == datetime.fromisoformat("2026-10-14T12:02:00+00:00")


# -- property: whatever the bytes, ingestion never crashes and never loses or duplicates a valid record -----
valid_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda t: t.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(valid_text, min_size=1, max_size=12),
    junk=st.lists(st.binary(min_size=1, max_size=30), max_size=4),
    repeat=st.integers(0, 3),
)
def test_property_valid_records_survive_junk(tmp_path_factory, texts, junk, repeat):
    import csv
    import io

    folder = tmp_path_factory.mktemp("prop")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["review_id", "created_at", "rating", "text"])
    for i, t in enumerate(texts):
        w.writerow([f"id{i}", "2026-10-01T10:00:00+00:00", 3, t])
    for i in range(repeat):  # exact duplicates of earlier rows
        w.writerow([f"id{i % len(texts)}", "2026-10-01T10:00:00+00:00", 3, texts[i % len(texts)]])
    data = buf.getvalue().encode("utf-8")
    for j in junk:  # junk lines appended after the valid rows
        data += b"\n" + j.replace(b"\n", b" ").replace(b"\r", b" ")
    (folder / "r.csv").write_bytes(data + b"\n")
    store = Store(folder / "v.duckdb")
    docs, bad, dups, _ = _intake(store, folder / "r.csv")
    got = {d.external_id: d.text for d in docs}
    want = {f"id{i}": t.strip() for i, t in enumerate(texts)}
    for k, v in want.items():  # junk may contain a valid-looking row, so check ⊇ for ids we wrote
        assert got.get(k) == v.replace("\r\n", "\n").replace("\r", "\n") or got.get(k) == v, (
            k,
            got.get(k),
            v,
        )
    assert len(docs) == len(got)  # no id stored twice


def test_fsspec_url_locations(tmp_path, monkeypatch):
    import fsspec

    from vocmine import settings as s

    monkeypatch.setattr(s, "CACHE_DIR", tmp_path / "cache")
    mem = fsspec.filesystem("memory")
    mem.pipe(
        "/exports/2026-10/r1.csv",
        b"review_id,created_at,rating,text\n1,2026-10-01T10:00:00Z,2,Slow courier\n",
    )
    mem.pipe("/exports/2026-10/r2.csv", b"review_id,created_at,rating,text\n2,2026-10-02T10:00:00Z,5,Great\n")
    store = Store(tmp_path / "v.duckdb")
    src = SourceConfig(name="r", kind="review", location="memory://exports/2026-10/*.csv", fields=FIELDS)
    items = list(iter_intake(store, src))
    texts = sorted(d.text for i in items if isinstance(i, Chunk) for d in i.documents)
    assert texts == ["Great", "Slow courier"]
    bad = SourceConfig(name="r", kind="review", location="memory://nowhere/*.csv", fields=FIELDS)
    (chunk,) = list(iter_intake(store, bad))
    assert "nothing at" in chunk.quarantined[0].reason


def test_single_quoted_semicolon_csv_and_apostrophes(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    (tmp_path / "q.csv").write_text(
        "review_id;created_at;rating;text\n"
        "1;2026-10-01T10:00:00Z;2;'Slow courier; rude too'\n"
        "2;2026-10-02T10:00:00Z;5;'Great, fast'\n"
    )
    docs, bad, _, _ = _intake(store, tmp_path / "q.csv")
    assert [d.text for d in docs] == ["Slow courier; rude too", "Great, fast"], bad
    (tmp_path / "a.csv").write_text(
        "review_id,created_at,rating,text\n"
        "1,2026-10-01T10:00:00Z,2,I don't like it's packaging\n"
        '2,2026-10-02T10:00:00Z,5,"Great, didn\'t expect it"\n'
    )
    docs, bad, _, _ = _intake(store, tmp_path / "a.csv")
    assert [d.text for d in docs] == ["I don't like it's packaging", "Great, didn't expect it"], bad
    # a lone apostrophe and an apostrophe on a later line are no single-quoted field (hypothesis found it)
    (tmp_path / "l.csv").write_bytes(
        b"review_id,created_at,rating,text\r\n1,2026-10-01T10:00:00Z,3,'\r\n\n'\n"
    )
    docs, bad, _, _ = _intake(store, tmp_path / "l.csv")
    assert [d.text for d in docs] == ["'"] and [q.location for q in bad] == ["l.csv:4"], (docs, bad)


def test_grown_file_and_overlapping_export_add_only_what_is_new(tmp_path, model):
    from vocmine.jobs import model_info
    from vocmine.pipeline import Analyzer

    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("test", {}, model.version)
    rows = [f"{i},2026-10-0{i}T10:00:00Z,{i},Review number {i}\n" for i in range(1, 6)]

    def ingest(name: str, body: list[str]) -> tuple[int, int]:
        (tmp_path / name).write_text("review_id,created_at,rating,text\n" + "".join(body))
        src = SourceConfig(name="r", kind="review", location=str(tmp_path / "*.csv"), fields=FIELDS)
        stored = dups = 0
        for item in iter_intake(store, src):
            if isinstance(item, Chunk):
                stored += store.write_batch(Analyzer(model).analyse(item.documents), run, model_info(model))[
                    "stored"
                ]
                dups += item.n_duplicates
            else:
                store.mark_file(item.source, item.path, item.sha256, item.size, run)
        return stored, dups

    assert ingest("a.csv", rows[:3]) == (3, 0)
    assert ingest("a.csv", rows[:4]) == (1, 3)  # the file grew by one row
    assert ingest("b.csv", rows[2:]) == (1, 2)  # another export overlapping the first
    assert store.query("SELECT count(*) AS n FROM documents")["n"][0] == 5


# -- property: whatever bytes a file of any format holds, intake yields rows and reasons, never an exception -----
_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "xlsx", "transcript")
_PREFIXES = (b"", b"PK\x03\x04", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b"review_id,created_at,text\n", b"[{")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(_FORMATS), prefix=st.sampled_from(_PREFIXES), body=st.binary(max_size=400))
def test_property_any_bytes_in_any_format_are_quarantined_not_raised(tmp_path_factory, fmt, prefix, body):
    folder = tmp_path_factory.mktemp("anybytes")
    path = folder / f"f.{fmt if fmt != 'transcript' else 'txt'}"
    path.write_bytes(prefix + body)
    kind = "chat" if fmt == "transcript" else "review"
    src = SourceConfig(name="r", kind=kind, location=str(path), fields=FIELDS)
    items = list(iter_intake(Store(folder / "v.duckdb"), src))
    assert sum(isinstance(i, FileRead) for i in items) == 1
    for chunk in (i for i in items if isinstance(i, Chunk)):
        assert all(q.reason for q in chunk.quarantined)


def _transcript(tmp_path, body: str, **config) -> tuple[list[Document], list[Quarantined]]:
    p = tmp_path / "chat-2026-10-14.txt"
    p.write_text(body, encoding="utf-8")
    items = list(
        iter_intake(
            Store(tmp_path / "v.duckdb"), SourceConfig(name="c", kind="chat", location=str(p), **config)
        )
    )
    return [d for i in items if isinstance(i, Chunk) for d in i.documents], [
        q for i in items if isinstance(i, Chunk) for q in i.quarantined
    ]


def test_transcript_agent_labels_are_not_customer_text(tmp_path):
    docs, bad = _transcript(
        tmp_path,
        "[12:01] Клиент: Заказ не пришёл.\n"
        "[12:02] Менеджер: Уточню у склада.\n"
        "[12:03] Специалист: Заказ задержан, приносим извинения.\n"
        "[12:04] Support agent: Anything else?\n"
        "[12:05] Чат-бот: Оцените диалог.\n"
        "[12:06] Клиент: Итог: жду третий день.\n"
        "Итог: никто не помог.\n",  # a continuation shaped like a label: no [time], so it is the customer's
    )
    assert not bad, bad
    (doc,) = docs
    assert [t.role for t in doc.turns] == ["customer", "agent", "agent", "agent", "bot", "customer"]
    assert doc.text == "Заказ не пришёл.\nИтог: жду третий день.\nИтог: никто не помог."


def test_unknown_speaker_is_refused_until_mapped_in_the_source(tmp_path):
    body = "[12:01] Клиент: Где заказ?\n[12:02] Куратор: Проверяю.\n[12:03] Клиент: Спасибо.\n"
    docs, bad = _transcript(tmp_path, body)
    assert not docs and "unknown speaker 'Куратор'" in bad[0].reason and bad[0].location.endswith(":2")
    docs, bad = _transcript(tmp_path, body, roles={"Куратор": "agent"})
    assert not bad and docs[0].text == "Где заказ?\nСпасибо."
    # untimed transcripts: every "Label: text" line is a speaker line
    docs, bad = _transcript(tmp_path, "Клиент: Где заказ?\nКуратор: Проверяю.\n")
    assert not docs and "unknown speaker" in bad[0].reason


def test_json_chat_roles_from_the_source(tmp_path):
    p = tmp_path / "c.jsonl"
    turns = [{"role": "Куратор", "text": "Здравствуйте"}, {"role": "Клиент", "text": "Где заказ?"}]
    p.write_text(json.dumps({"id": "1", "timestamp": "2026-10-01T10:00:00Z", "turns": turns}) + "\n")
    store = Store(tmp_path / "v.duckdb")
    (chunk, _) = iter_intake(store, SourceConfig(name="c", kind="chat", location=str(p)))
    assert "unknown turn role 'Куратор'" in chunk.quarantined[0].reason
    src = SourceConfig(name="c", kind="chat", location=str(p), roles={"куратор": "agent"})
    (chunk, _) = iter_intake(store, src)
    assert [t.role for t in chunk.documents[0].turns] == ["agent", "customer"]


def test_future_tolerance_is_configurable(tmp_path):
    from datetime import UTC, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=20)).isoformat()
    (tmp_path / "f.csv").write_text(f"review_id,created_at,rating,text\n1,{soon},2,tomorrow's export\n")
    store = Store(tmp_path / "v.duckdb")
    docs, bad, _, _ = _intake(store, tmp_path / "f.csv")  # default max_future: 2 days
    assert len(docs) == 1 and not bad
    docs, bad, _, _ = _intake(store, tmp_path / "f.csv", max_future="6h")
    assert not docs and "timestamp in the future" in bad[0].reason
    for value, hours in (("2d", 48), ("36h", 36), ("90m", 1.5), ("P1D", 24), (3600, 1)):
        cfg = SourceConfig(name="r", kind="review", location="x.csv", max_future=value)
        assert cfg.max_future == timedelta(hours=hours), value


def test_parquet_binary_text_is_decoded(hostile, tmp_path):
    folder, _ = hostile
    docs, bad, _, _ = _intake(Store(tmp_path / "v.duckdb"), folder / "binary_text.parquet")
    assert [d.text for d in docs] == [
        "Курьер опоздал на два дня, поддержка не отвечает",
        "Всё пришло",
    ]
    assert bad[0].location == "binary_text.parquet:row2" and "b'\\\\xd0" not in docs[0].text


def test_an_unforeseen_error_is_the_records_or_the_files_and_the_next_file_is_read(tmp_path, monkeypatch):
    from vocmine.ingest import formats, readers

    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(
            "review_id,created_at,rating,text\n"
            + "".join(f"{i},2026-10-01T10:00:00Z,3,{name} row {i}\n" for i in range(1, 6))
        )
    real = readers.to_document

    def to_document(src, row, location):
        if row["review_id"] == "2":
            raise MemoryError("one record too big")
        return real(src, row, location)

    monkeypatch.setattr(readers, "to_document", to_document)
    real_csv = formats.read_csv

    def read_csv(path, *args):
        for n, rec in enumerate(real_csv(path, *args)):
            if path.name == "a.csv" and n == 3:
                raise RecursionError("maximum recursion depth exceeded")
            yield rec

    monkeypatch.setattr(formats, "read_csv", read_csv)
    store = Store(tmp_path / "v.duckdb")
    src = SourceConfig(name="r", kind="review", location=str(tmp_path / "*.csv"), fields=FIELDS)
    items = list(iter_intake(store, src, chunk_size=2))
    docs = [d.text for i in items if isinstance(i, Chunk) for d in i.documents]
    bad = [(q.location, q.reason) for i in items if isinstance(i, Chunk) for q in i.quarantined]
    # a.csv: rows 1 and 3 kept (row 2's error is its own), then the file failed at its 4th record
    assert docs == ["a.csv row 1", "a.csv row 3", "b.csv row 1", "b.csv row 3", "b.csv row 4", "b.csv row 5"]
    assert bad[0][0] == "a.csv:3" and "MemoryError('one record too big')" in bad[0][1]
    assert bad[1] == ("a.csv", "file could not be read: nested too deep to read")
    assert bad[2][0] == "b.csv:3"
    assert [i.path.rsplit("/", 1)[-1] for i in items if isinstance(i, FileRead)] == ["a.csv", "b.csv"]


def test_the_same_id_twice_in_a_file_keeps_the_earlier_text_in_history(hostile, tmp_path, model):
    from vocmine.jobs import model_info
    from vocmine.pipeline import Analyzer

    folder, _ = hostile
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("test", {}, model.version)
    src = SourceConfig(name="r", kind="review", location=str(folder / "edited_in_file.csv"), fields=FIELDS)
    counts = {"stored": 0, "updated": 0}
    for item in iter_intake(store, src):
        if isinstance(item, Chunk):
            assert item.n_duplicates == 0
            for generation in item.generations:  # as the nightly flow stores them
                got = store.write_batch(Analyzer(model).analyse(generation), run, model_info(model))
                counts = {k: counts[k] + got[k] for k in counts}
    assert counts == {"stored": 1, "updated": 1}  # an edit, not a duplicate
    assert store.query("SELECT doc_id, text FROM documents").values.tolist() == [["r:42", "second text"]]
    assert store.query("SELECT doc_id, text FROM document_history").values.tolist() == [
        ["r:42", "first text"]
    ]
