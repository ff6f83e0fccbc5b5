"""A writer killed with SIGKILL mid-run leaves the database with whole committed batches only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from vocmine.store.db import Store

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    import pandas as pd

    from vocmine.records import AnalysisBatch
    from vocmine.store.db import Store

    store = Store(sys.argv[1])
    store.migrate()
    run = store.start_run("kill-test", {}, "m1")
    empty = pd.DataFrame()
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


def test_sigkill_mid_write_keeps_whole_batches(tmp_path):
    db = tmp_path / "v.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
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
