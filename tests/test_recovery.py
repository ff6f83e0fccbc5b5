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
    import flows.nightly as nightly_mod

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
