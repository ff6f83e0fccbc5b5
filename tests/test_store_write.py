"""The store's write path: Arrow inserts, ``Store.writing()`` (one held connection), same rows either way."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from vocmine.records import AnalysisBatch
from vocmine.store import db
from vocmine.store.db import Store, _arrow

T0 = datetime(2026, 10, 5, 12, tzinfo=UTC)
MV = "m1"
INFO = {"name": "n", "encoder": "e", "taxonomy_version": "t", "taxonomy": {}}
TABLES = ("documents", "turns", "segments", "segment_predictions", "segment_touchpoints")
TABLES += ("document_predictions", "pain_points", "encoder_outputs", "doc_model", "document_history")


def batch(ids: list[str], text: str = "text", emb_keys: list[str] | None = None) -> AnalysisBatch:
    """Every table of a batch, with the dtypes the pipeline produces (nullable Int8, lists, bytes, tz)."""
    n = len(ids)
    docs = pd.DataFrame(
        {
            "doc_id": [f"r:{i}" for i in ids],
            "source": "r",
            "kind": "review",
            "external_id": ids,
            "created_at": pd.to_datetime([T0] * n, utc=True),
            "lang": "en",
            "lang_confidence": 0.9,
            "text": [f"{text} {i}" for i in ids],
            "n_chars": 5,
            "rating": pd.array([None if k % 2 else 4 for k in range(n)], dtype="Int8"),
            "nps": pd.array([None] * n, dtype="Int8"),
            "csat": pd.array([None] * n, dtype="Int8"),
            "ces": pd.array([None] * n, dtype="Int8"),
            "channel": [None] * n,
            "product": "app",
            "extra": '{"a": 1}',
            "pii_masked": 0,
            "content_hash": [f"{text}-{i}" for i in ids],
            "location": "f:1",
        }
    )
    doc_ids = docs["doc_id"].tolist()
    turns = pd.DataFrame({"doc_id": doc_ids, "turn_idx": 0, "role": "customer", "ts": pd.NaT, "text": "t"})
    turns["ts"] = pd.to_datetime(turns["ts"], utc=True)
    segs = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "seg_idx": 0,
            "start_char": 0,
            "end_char": 4,
            "text": text,
            "lang": "en",
            "lemmas": [["a", "b"]] * n,
        }
    )
    probs = {"sentiment": "negative", "score": -0.5, "p_negative": 0.7, "p_neutral": 0.2, "p_positive": 0.1}
    seg_p = pd.DataFrame({"doc_id": doc_ids, "seg_idx": 0, "model_version": MV, **probs})
    doc_p = pd.DataFrame({"doc_id": doc_ids, "model_version": MV, **probs})
    tp = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "seg_idx": 0,
            "model_version": MV,
            "touchpoint": "delivery",
            "stage": "fulfil",
            "score": 0.8,
            "similarity": 0.5,
            "keyword": None,
        }
    )
    pp = tp[["doc_id", "seg_idx", "model_version", "touchpoint", "stage"]].assign(
        severity=0.6, evidence=text, start_char=0, end_char=4
    )
    keys = emb_keys if emb_keys is not None else [f"h{i}" for i in ids]
    emb = pd.DataFrame(
        {
            "encoder": "e",
            "text_hash": keys,
            "embedding": [np.full(4, k, "<f4").tobytes() for k in range(len(keys))],
        }
    )
    return AnalysisBatch(docs, turns, segs, seg_p, tp, doc_p, pp, MV, emb)


def snapshot(store: Store) -> dict[str, pd.DataFrame]:
    """Every written table, without the columns that differ between runs (run ids, clock)."""
    out = {}
    for t in TABLES:
        df = store.query(f"SELECT * FROM {t} ORDER BY ALL")
        out[t] = df.drop(columns=[c for c in df.columns if "run_id" in c or c.endswith("_at")])
    return out


def write_all(store: Store, held: bool) -> str:
    store.migrate()
    run = store.start_run("t", {}, MV)
    with store.writing() if held else contextlib.nullcontext():
        assert store.write_batch(batch(["1", "2", "3"]), run, INFO) == {"stored": 3, "updated": 0}
        # an encoder output stored by an earlier batch is skipped (ON CONFLICT DO NOTHING)
        b = batch(["4", "5"], emb_keys=["h1", "h4"])
        assert store.write_batch(b, run, INFO) == {"stored": 2, "updated": 0}
        assert set(store.known_hashes(["r:1", "r:4", "r:9"])) == {"r:1", "r:4"}
        assert set(store.lookup_encoder_outputs("e", ["h1", "h4", "zz"])) == {"h1", "h4"}
        assert store.lookup_encoder_outputs("other encoder", ["h1", "h4"]) == {}
        # edits: history, replaced analysis, first ingest run kept
        assert store.write_batch(batch(["1", "6"], text="edited"), run, INFO) == {"stored": 1, "updated": 1}
    return run


@pytest.mark.parametrize("recycle", [1000, 2], ids=["held", "reopened every 2 commits"])
def test_held_connection_writes_the_same_rows_as_a_connection_per_call(tmp_path, monkeypatch, recycle):
    monkeypatch.setattr(db, "HELD_RECYCLE_COMMITS", recycle)
    a, b = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    run_a, run_b = write_all(a, held=False), write_all(b, held=True)
    sa, sb = snapshot(a), snapshot(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(sa[t], sb[t], check_dtype=True, obj=t)
    assert len(sa["documents"]) == 6 and len(sa["document_history"]) == 1
    assert len(sa["encoder_outputs"]) == 5  # h1..h4, h6: the repeated h1 is stored once
    row = b.query("SELECT ingest_run_id, updated_run_id, rating, text FROM documents WHERE doc_id = 'r:1'")
    assert row.iloc[0].tolist() == [run_b, run_b, 4, "edited 1"]
    counts = b.run(run_b)
    assert (counts["n_stored"], counts["n_updated"], counts["n_segments"]) == (6, 1, 7)
    assert a.run(run_a)["n_stored"] == 6
    lemmas = b.query("SELECT lemmas FROM segments LIMIT 1")["lemmas"][0]
    assert list(lemmas) == ["a", "b"]


def test_writing_checkpoints_at_the_end_and_frees_the_file(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("t", {}, MV)
    with store.writing():
        store.write_batch(batch(["1"]), run, INFO)
        with store.writing():  # nests
            store.write_batch(batch(["2"]), run, INFO)
        store.write_batch(batch(["3"]), run, INFO)
        # another Store on the same file, read-only, in this process: served by the held connection
        assert len(Store(tmp_path / "v.duckdb").reader().query("SELECT * FROM documents")) == 3
    wal = tmp_path / "v.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0
    # released: an ordinary read-only open in this process works again
    con = duckdb.connect(str(store.path), read_only=True)
    assert con.execute("SELECT count(*) FROM doc_model").fetchone()[0] == 3
    con.close()


def test_writing_reopens_its_connection_every_few_commits_but_never_under_an_open_cursor(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(db, "HELD_RECYCLE_COMMITS", 2)
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("t", {}, MV)
    with store.writing():
        held = db._held[str(store.path.resolve())]
        first = held.con
        store.write_batch(batch(["1"]), run, INFO)
        with store.connect(read_only=True) as cur:
            store.write_batch(batch(["2"]), run, INFO)  # due, but a cursor of the connection is open
            assert held.con is first and held.commits == 2
            assert cur.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        store.write_batch(batch(["3"]), run, INFO)
        assert held.con is not first and held.commits == 0
        assert store.query("SELECT count(*) AS n FROM documents")["n"][0] == 3
    assert store.run(run)["n_stored"] == 3


def test_reads_inside_writing_stay_read_only(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    with store.writing():
        with pytest.raises(duckdb.Error, match="read-only"):
            store.query("DELETE FROM documents")
        assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 0


def test_a_failed_batch_inside_writing_rolls_back_alone(tmp_path):
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    run = store.start_run("t", {}, MV)
    with store.writing():
        store.write_batch(batch(["1"]), run, INFO)
        bad = batch(["2"])
        bad.turns = pd.concat([bad.turns, bad.turns])  # duplicate primary key
        with pytest.raises(duckdb.ConstraintException):
            store.write_batch(bad, run, INFO)
        store.write_batch(batch(["3"]), run, INFO)
    assert store.query("SELECT doc_id FROM documents ORDER BY 1")["doc_id"].tolist() == ["r:1", "r:3"]
    assert store.run(run)["n_stored"] == 2


def test_arrow_falls_back_to_the_frame_for_mixed_columns():
    df = pd.DataFrame({"a": [1, "x"]})
    assert _arrow(df) is df
    assert _arrow(pd.DataFrame({"a": ["x", None]})).num_rows == 2


def test_embedding_lookup_in_chunks_by_the_text_hash_index(tmp_path, monkeypatch):
    store = Store(tmp_path / "a.duckdb")
    store.migrate()
    run = store.start_run("t", {}, MV)
    store.write_batch(batch(["1", "2", "3"]), run, INFO)
    stored = store.query("SELECT text_hash, embedding FROM encoder_outputs WHERE encoder = 'e'")
    assert len(stored) >= 3
    monkeypatch.setattr(db, "LOOKUP_CHUNK", 2)  # several IN lists, one connection
    keys = [*stored["text_hash"], "missing", stored["text_hash"][0]]
    found = store.lookup_encoder_outputs("e", keys)
    assert set(found) == set(stored["text_hash"])
    for h, blob in zip(stored["text_hash"], stored["embedding"], strict=True):
        np.testing.assert_array_equal(found[h], np.frombuffer(blob, dtype="<f4"))
    indexes = store.query("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'encoder_outputs'")
    assert indexes["index_name"].tolist() == ["encoder_outputs_text_hash"]
    with pytest.raises(ValueError, match="not a text hash"):
        store.lookup_encoder_outputs("e", ["h1', 'h2"])  # keys go into the SQL text: no quotes


FULL_DISK = """
import contextlib, os, resource, signal, sys
from tests.test_store_write import INFO, batch
from vocmine.store.db import Store

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails (EFBIG), as on a full disk
store = Store(sys.argv[1])
store.migrate()
run = store.start_run("t", {}, "m1")
with store.writing() if sys.argv[2] == "held" else contextlib.nullcontext():
    store.write_batch(batch([str(i) for i in range(50)]), run, INFO)
    wal = sys.argv[1] + ".wal"
    room = os.path.getsize(wal) if os.path.exists(wal) else 0
    resource.setrlimit(resource.RLIMIT_FSIZE, (room + 200_000, resource.RLIM_INFINITY))
    big = batch([str(i) for i in range(50, 3050)], text="x" * 400)
    for attempt in range(2):  # as the flow's task retries do
        try:
            store.write_batch(big, run, INFO)
        except OSError as e:
            print(f"attempt {attempt}: {e}", flush=True)
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)  # space freed
    print("after:", store.write_batch(big, run, INFO), flush=True)
print("documents:", store.query("SELECT count(*) AS n FROM documents")["n"][0])
"""


@pytest.mark.parametrize("connection", ["per-call", "held"])
def test_full_disk_says_no_space_and_a_retry_after_freeing_it_works(tmp_path, connection):
    """A commit the disk refuses was reported as a ConstraintException (Duplicate key) on the retry."""
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path / "v.duckdb"), connection],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["attempt 0", "attempt 1"], out.stdout
    for line in lines[:2]:
        assert "[Errno 28] no space left on device" in line and "Duplicate key" not in line, line
    assert lines[2:] == ["after: {'stored': 3000, 'updated': 0}", "documents: 3050"], out.stdout
