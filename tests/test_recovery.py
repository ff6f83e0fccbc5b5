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
