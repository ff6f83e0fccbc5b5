"""A writer killed with SIGKILL mid-run leaves the database with whole committed batches only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from vocmine.store.db import Store

WRITER = textwrap.dedent(
    """
    import contextlib
    import sys
    from datetime import UTC, datetime

    import pandas as pd

    from vocmine.records import AnalysisBatch
    from vocmine.store.db import Store

    store = Store(sys.argv[1])
    store.migrate()
    run = store.start_run("kill-test", {}, "m1")
    empty = pd.DataFrame()
    # "held": the batches go through one held connection (Store.writing), as in a flow run
    with store.writing() if sys.argv[2] == "held" else contextlib.nullcontext():
        for b in range(10_000):
            ids = [f"r:{b}-{i}" for i in range(200)]
            docs = pd.DataFrame({
                "doc_id": ids, "source": "r", "kind": "review", "external_id": [i[2:] for i in ids],
                "created_at": datetime(2026, 10, 1, tzinfo=UTC), "text": "x" * 500, "content_hash": "h",
            })
            store.write_batch(AnalysisBatch(docs, empty, empty, empty, empty, empty, empty, "m1"), run, {})
            print(b, flush=True)
    """
)


@pytest.mark.parametrize("connection", ["per-batch", "held"])
def test_sigkill_mid_write_keeps_whole_batches(tmp_path, connection):
    """Held: the committed batches are in the WAL only (no checkpoint yet); the next open replays them."""
    db = tmp_path / "v.duckdb"
    cmd = [sys.executable, "-c", WRITER, str(db), connection]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    committed = -1
    deadline = time.time() + 120
    while committed < 5 and time.time() < deadline:  # let several batches commit, then kill mid-stream
        committed = int(proc.stdout.readline())
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert committed >= 5
    store = Store(db)
    counts = store.query(
        "SELECT (SELECT count(*) FROM documents) AS docs, (SELECT count(*) FROM doc_model) AS current, "
        "(SELECT n_stored FROM runs) AS counted"
    ).iloc[0]
    assert counts["docs"] % 200 == 0 and counts["docs"] >= 200 * (committed + 1)
    assert counts["docs"] == counts["current"] == counts["counted"]
    # the file still opens for writing and takes the next run
    assert store.migrate() >= 1


def _killed(code: str, *args: str) -> None:
    """Run ``code`` in a fresh interpreter that SIGKILLs itself where the code says ``die()``."""
    prelude = "import os, signal, sys\ndef die():\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *args], timeout=120)
    assert proc.returncode == -signal.SIGKILL


def test_a_kill_during_the_snapshot_copy_leaves_a_temporary_the_next_run_removes(tmp_path):
    db = tmp_path / "v.duckdb"
    store = Store(db)
    store.migrate()
    published = store.publish_snapshot().read_bytes()
    _killed(
        """
        import shutil
        from vocmine.store.db import Store

        def copy_half(src, dst):
            with open(src, "rb") as f, open(dst, "wb") as out:
                out.write(f.read(os.path.getsize(src) // 2))
            die()

        shutil.copyfile = copy_half
        store = Store(sys.argv[1])
        store.start_run("killed", {})
        store.publish_snapshot()
        """,
        str(db),
    )
    (tmp,) = tmp_path.glob(".v.snapshot.duckdb.*.tmp")
    assert store.snapshot_path.read_bytes() == published  # readers kept the last published snapshot
    assert store.repair() == {"abandoned_runs": 1, "stale_temporaries": 1}
    assert not tmp.exists()


def test_a_killed_run_is_marked_failed_by_the_next_one_but_a_live_one_is_left_alone(tmp_path):
    db = tmp_path / "v.duckdb"
    store = Store(db)
    store.migrate()
    _killed(
        "from vocmine.store.db import Store\nStore(sys.argv[1]).start_run('nightly', {})\ndie()\n", str(db)
    )
    live = store.start_run("nightly", {})  # this process: still running
    before = store.query("SELECT run_id, status, message FROM runs WHERE run_id <> ?", [live])
    assert before["status"].tolist() == ["running"] and "running: pid" in before["message"][0]
    assert store.repair()["abandoned_runs"] == 1
    runs = store.query("SELECT run_id, status, message, ended_at FROM runs ORDER BY run_id = ?", [live])
    assert runs["status"].tolist() == ["failed", "running"]
    assert runs["message"][0].startswith("abandoned: its process (pid ") and runs["ended_at"].notna()[0]
    assert store.repair()["abandoned_runs"] == 0  # repeated: nothing more
