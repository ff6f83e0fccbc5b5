"""The nightly flow on a real Dask LocalCluster (2 worker processes) gives the single-process results."""

from __future__ import annotations

import pandas as pd
import pytest

from vocmine import settings
from vocmine.store.db import Store

pytestmark = pytest.mark.slow

# Lineage columns that differ between two runs by design; everything else must match.
RUN_COLUMNS = {"run_id", "ingest_run_id", "updated_run_id", "seen_at", "created_run_id"}

TABLES = {
    "documents": ["doc_id"],
    "turns": ["doc_id", "turn_idx"],
    "segments": ["doc_id", "seg_idx"],
    "segment_predictions": ["doc_id", "seg_idx", "model_version"],
    "segment_touchpoints": ["doc_id", "seg_idx", "model_version", "touchpoint"],
    "document_predictions": ["doc_id", "model_version"],
    "pain_points": ["doc_id", "seg_idx", "model_version", "touchpoint"],
    "document_causes": ["doc_id", "model_version"],
    "doc_model": ["doc_id"],
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """About 150 records of every kind: the head of each sample file."""
    d = tmp_path_factory.mktemp("dask")
    for name, n in (("reviews.csv", 71), ("surveys.csv", 51), ("chats.jsonl", 30)):
        lines = (settings.SAMPLES_DIR / name).read_text(encoding="utf-8").splitlines()
        (d / name).write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    (d / "sources.yaml").write_text((settings.SAMPLES_DIR / "sources.yaml").read_text(encoding="utf-8"))
    return d / "sources.yaml"


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"VOCMINE_THREADS": "1"},
        ) as c,
        Client(c) as client,
    ):
        yield c, client


def _table(db, table: str, keys: list[str]) -> pd.DataFrame:
    df = Store(db).query(f"SELECT * FROM {table}")
    df = df[[c for c in df.columns if c not in RUN_COLUMNS]]
    return df.sort_values(keys).reset_index(drop=True)


def _assert_same(local: pd.DataFrame, dask: pd.DataFrame, table: str) -> None:
    assert list(local.columns) == list(dask.columns), table
    assert len(local) == len(dask) > 0, table
    for col in local.columns:
        a, b = local[col], dask[col]
        if pd.api.types.is_float_dtype(a):
            # a text's encoder outputs do not depend on its batch or worker (tests/test_batch_invariance.py)
            assert (a - b).abs().max() <= 1e-9, (table, col)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), (table, col)


def test_dask_cluster_matches_single_process(prefect_harness, sources, cluster, tmp_path):
    from vocmine.flows.nightly import nightly

    local_db, dask_db = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    local = nightly(sources=str(sources), db=str(local_db), batch_size=32)
    c, client = cluster
    dask = nightly(sources=str(sources), db=str(dask_db), batch_size=32, task_runner=c.scheduler_address)

    for k in (
        "n_read",
        "n_stored",
        "n_updated",
        "n_duplicates",
        "n_quarantined",
        "n_segments",
        "n_pain_points",
    ):
        assert local[k] == dask[k], k
    assert dask["n_stored"] > 140
    for table, keys in TABLES.items():
        _assert_same(_table(local_db, table, keys), _table(dask_db, table, keys), table)

    # the model work ran on both workers, and each loaded the model exactly once for all its batches
    def loads():
        from vocmine.nlp import model

        info = model._load_model.cache_info()
        return info.misses, info.hits

    per_worker = client.run(loads)  # {worker: (loads, cache hits)}; every task calls load_model once
    assert len(per_worker) == 2
    assert all(misses == 1 and misses + hits >= 2 for misses, hits in per_worker.values()), per_worker
    assert sum(m + h for m, h in per_worker.values()) >= 8, per_worker  # 2 tasks per batch, several batches
    # and every text stage and model stage was counted on the workers, not in this process
    assert dask["stages"]["encoder"]["items"] > 0 and dask["stages"]["text"]["items"] == dask["n_stored"]


def test_runner_choice():
    from vocmine.runners import dask_runner, model_runner

    assert dask_runner("tcp://scheduler:8786").address == "tcp://scheduler:8786"
    kw = dask_runner("dask", 4).cluster_kwargs
    assert kw["n_workers"] == 4 and kw["threads_per_worker"] == 1 and kw["processes"]
    with model_runner("local") as runner:
        assert runner is None  # tasks are called in the flow process
    with pytest.raises(ValueError, match="scheduler address"):
        dask_runner("kubernetes")


def test_stage_timer_adds_up_streams_and_merges():
    from vocmine.timing import StageTimer

    a, b = StageTimer(), StageTimer()
    assert list(a.iterate(range(3), "ingest")) == [0, 1, 2]
    with a.stage("encoder", 10):
        pass
    b.add("encoder", 1.5, 5)
    b.add("store", 0.5, 2)
    merged = a.merge(b).as_dict()
    assert list(merged) == ["ingest", "encoder", "store"]  # pipeline order
    assert merged["encoder"]["items"] == 15 and merged["encoder"]["seconds"] >= 1.5
    assert merged["store"] == {"seconds": 0.5, "items": 2}
