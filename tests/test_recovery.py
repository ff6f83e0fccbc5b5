"""A run that dies half-way leaves whole committed batches; the next run completes without duplicates."""

from __future__ import annotations

import pytest

from vocmine import settings
from vocmine.store.db import Store

pytestmark = pytest.mark.slow


@pytest.fixture()
def small_source(tmp_path):
    lines = (settings.SAMPLES_DIR / "reviews.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "reviews.csv").write_text("\n".join(lines[:41]) + "\n", encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - name: reviews\n    kind: review\n    location: reviews.csv\n"
        "    fields: {id: review_id, timestamp: created_at}\n"
    )
    return tmp_path


def test_crash_mid_run_then_resume(prefect_harness, small_source, monkeypatch):
    import vocmine.flows.nightly as nightly_mod

    db = small_source / "v.duckdb"
    calls = {"n": 0}
    real_write = Store.write_batch

    def failing_write(self, batch, run_id, info):
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError("No space left on device")
        return real_write(self, batch, run_id, info)

    monkeypatch.setattr(Store, "write_batch", failing_write)
    monkeypatch.setattr(
        nightly_mod, "analyse_and_store", nightly_mod.analyse_and_store.with_options(retries=0)
    )
    with pytest.raises(OSError, match="No space left"):
        nightly_mod.nightly(sources=str(small_source / "sources.yaml"), db=str(db), batch_size=10)
    store = Store(db)
    assert store.query("SELECT status FROM runs")["status"].tolist() == ["failed"]
    assert store.query("SELECT count(*) AS n FROM documents")["n"][0] == 10  # the one committed batch
    assert store.query("SELECT count(*) AS n FROM source_files")["n"][0] == 0

    monkeypatch.setattr(Store, "write_batch", real_write)
    res = nightly_mod.nightly(sources=str(small_source / "sources.yaml"), db=str(db), batch_size=10)
    total = store.query("SELECT count(*) AS n, count(DISTINCT doc_id) AS d FROM documents").iloc[0]
    assert total["n"] == total["d"] == 10 + res["n_stored"]
    assert res["n_duplicates"] == 10
    segs = store.query("SELECT count(*) AS n, count(DISTINCT (doc_id, seg_idx)) AS d FROM segments").iloc[0]
    assert segs["n"] == segs["d"]


def test_quarantine_retry_after_config_fix(prefect_harness, tmp_path):
    from vocmine.flows.nightly import nightly
    from vocmine.flows.quarantine import retry_quarantine

    (tmp_path / "r.csv").write_text(
        "review_id,created_at,stars,comment\n"
        "1,2026-10-01T10:00:00+03:00,1,Курьер опоздал на два дня\n"
        "2,2026-10-02T10:00:00+03:00,5,Great prices\n"
        "3,2026-10-02T10:00:00+03:00,7,rating out of range stays quarantined\n",
        encoding="utf-8",
    )
    cfg = tmp_path / "sources.yaml"
    wrong = "sources:\n  - {name: r, kind: review, location: r.csv, fields: {id: review_id, timestamp: created_at}}\n"
    cfg.write_text(wrong)
    db = str(tmp_path / "v.duckdb")
    first = nightly(sources=str(cfg), db=db)
    assert first["n_stored"] == 0 and first["n_quarantined"] == 3
    cfg.write_text(
        wrong.replace("timestamp: created_at}", "timestamp: created_at, rating: stars, text: comment}")
    )
    assert nightly(sources=str(cfg), db=db)["n_read"] == 0  # unchanged file: skipped until retried
    res = retry_quarantine(sources=str(cfg), db=db)
    # all three old rows are resolved; row 3 comes back as a new row with its real problem
    assert (res["files"], res["n_stored"], res["resolved"], res["n_quarantined"]) == (1, 2, 3, 1)
    q = Store(db).query("SELECT reason, resolved_run_id FROM quarantine ORDER BY reason")
    still_open = q[q["resolved_run_id"].isna()]["reason"].tolist()
    assert len(still_open) == 1 and "outside 1..5" in still_open[0]


def test_one_hostile_record_or_file_does_not_stop_the_run_or_the_next_ones(prefect_harness, tmp_path):
    import json

    from vocmine.flows.nightly import nightly

    good = {"review_id": "1", "created_at": "2026-10-01T10:00:00Z", "rating": 2, "text": "Courier was late"}
    (tmp_path / "deep.jsonl").write_text(
        json.dumps(good)
        + "\n"
        + '{"review_id": "2", "x": '
        + "[" * 50_000
        + "]" * 50_000
        + "}\n"
        + '{"review_id": "3", "created_at": "2026-10-01T10:00:00Z", "text": "\\ud83d"}\n'
    )
    (tmp_path / "deep.json").write_text('{"records": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "r.csv").write_text(
        "review_id,created_at,rating,text\n1,2026-10-02T10:00:00Z,5,Great prices\n"
        "2,2100-12-31T10:00:00Z,1,From the future\n"
    )
    fields = "fields: {id: review_id, timestamp: created_at}"
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        "sources:\n"
        f"  - {{name: deep, kind: review, location: deep.jsonl, {fields}}}\n"
        f"  - {{name: deepfile, kind: review, location: deep.json, {fields}}}\n"
        f"  - {{name: r, kind: review, location: r.csv, {fields}}}\n"
    )
    db = tmp_path / "v.duckdb"
    first = nightly(sources=str(cfg), db=str(db))
    assert (first["n_stored"], first["n_quarantined"]) == (2, 4)
    store = Store(db).reader()  # the published snapshot
    assert store.query("SELECT doc_id FROM documents ORDER BY 1")["doc_id"].tolist() == ["deep:1", "r:1"]
    reasons = store.query("SELECT location, reason FROM quarantine ORDER BY location")
    assert reasons["location"].tolist() == ["deep.json", "deep.jsonl:2", "deep.jsonl:3", "r.csv:3"]
    for fragment, reason in zip(
        ("nested too deep", "nested deeper", "lone surrogate", "timestamp in the future"),
        reasons["reason"],
        strict=True,
    ):
        assert fragment in reason
    again = nightly(sources=str(cfg), db=str(db))  # and the next night runs too
    assert again["n_read"] == 0 and Store(db).run(again["run_id"])["status"] == "completed"


def test_a_kill_between_completing_a_run_and_refreshing_the_index_is_caught_up(
    prefect_harness, small_source, monkeypatch
):
    import vocmine.flows.nightly as nightly_mod

    db, cfg = small_source / "v.duckdb", str(small_source / "sources.yaml")
    nightly_mod.nightly(sources=cfg, db=str(db))
    lines = (settings.SAMPLES_DIR / "reviews.csv").read_text(encoding="utf-8").splitlines()
    (small_source / "reviews.csv").write_text("\n".join(lines[:61]) + "\n", encoding="utf-8")

    class Killed(Exception):
        pass

    def killed(self):
        raise Killed("the process died here")

    monkeypatch.setattr(Store, "refresh_search_index", killed)  # after the run is marked completed
    with pytest.raises(Killed):
        nightly_mod.nightly(sources=cfg, db=str(db))
    store = Store(db)
    assert store.query("SELECT status FROM runs ORDER BY run_id")["status"].tolist() == ["completed"] * 2
    assert store.search_index_lags()
    monkeypatch.undo()
    res = nightly_mod.nightly(sources=cfg, db=str(db))  # nothing new to read, but the index is behind
    assert res["n_read"] == 0 and not store.search_index_lags()
    n = store.query(
        "SELECT (SELECT count(*) FROM documents WHERE length(trim(text)) > 0) AS docs, "
        "(SELECT count(*) FROM search_ru) + (SELECT count(*) FROM search_en) AS indexed"
    ).iloc[0]
    assert n["docs"] == n["indexed"] and n["docs"] > 40
    snap = store.reader().query(
        "SELECT (SELECT count(*) FROM search_ru) + (SELECT count(*) FROM search_en) AS n"
    )
    assert snap["n"][0] == n["indexed"]  # the published snapshot has the caught-up index too
