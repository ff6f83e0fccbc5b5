"""Analysts read while a flow writes: another process queries in a loop during a real nightly run.

DuckDB refuses a read-only open from a second process while the writer holds the file, so readers go to the
snapshot each successful run publishes (``Store.reader()``): no failed query, and every answer is a committed
run state (nothing before the first publish, the empty database, or the finished run), never a partial batch.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from vocmine import settings
from vocmine.store.db import Store

pytestmark = pytest.mark.slow

READER = r"""
import json, sys, time
from pathlib import Path
from vocmine.store.db import Store

db, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with out.open("w") as f:
    while not stop.exists():
        try:
            df = Store(db).reader().query(
                "SELECT (SELECT count(*) FROM documents) AS docs, (SELECT count(*) FROM doc_model) AS current, "
                "(SELECT count(*) FROM runs WHERE status = 'running') AS running"
            )
            row = {k: int(v) for k, v in df.iloc[0].items()}
        except FileNotFoundError:
            row = {"absent": True}
        except Exception as e:  # any other error is a failed read
            row = {"error": f"{type(e).__name__}: {e}"}
        f.write(json.dumps(row) + "\n")
        f.flush()
        time.sleep(0.02)
"""


def _slice(workdir: Path, n: int = 150) -> Path:
    rows = list(csv.DictReader((settings.SAMPLES_DIR / "reviews.csv").open(encoding="utf-8")))[:n]
    with (workdir / "reviews.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    spec = (
        "sources:\n  - name: reviews\n    kind: review\n    location: reviews.csv\n"
        "    fields: {id: review_id, timestamp: created_at, text: text, rating: rating, channel: channel}\n"
    )
    (workdir / "sources.yaml").write_text(spec, encoding="utf-8")
    return workdir / "sources.yaml"


def test_a_live_file_refuses_a_second_process_reader(tmp_path):
    """The DuckDB behaviour the snapshot works around (duckdb 1.4: a conflicting lock, not a stale read)."""
    db = tmp_path / "live.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
        probe = subprocess.run(
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db)!r}, read_only=True)"],
            capture_output=True,
            text=True,
        )
    finally:
        con.close()
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()


def test_reader_process_sees_only_committed_runs_during_a_nightly_run(prefect_harness, tmp_path):
    from vocmine.flows.nightly import nightly

    sources = _slice(tmp_path)
    db, stop, out = tmp_path / "v.duckdb", tmp_path / "stop", tmp_path / "reads.jsonl"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(out)])
    try:
        time.sleep(1.0)  # the reader is looping (on an absent database) before the flow starts
        result = nightly(sources=str(sources), db=str(db), batch_size=16, chunk_size=40)
        time.sleep(1.0)  # and goes on after the publish
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0

    final = Store(db).query("SELECT count(*) AS n FROM documents")["n"][0]
    assert result["n_stored"] == final > 100
    reads = [json.loads(line) for line in out.read_text().splitlines()]
    errors = [r["error"] for r in reads if "error" in r]
    assert errors == []
    answers = [r for r in reads if "absent" not in r]
    assert len(answers) >= 10, "the reader must have read during the run"
    # every answer is a committed run boundary: the empty database, or the finished run
    assert {r["docs"] for r in answers} <= {0, final}
    assert all(r["running"] == 0 for r in answers), "a snapshot never shows a run in progress"
    assert all(r["current"] == r["docs"] for r in answers)
    assert answers[-1]["docs"] == final
    # the reads really overlapped the run: the empty state was seen before the final one
    assert any(r["docs"] == 0 for r in answers)
    assert Store(db).reader().read_path() == Store(db).snapshot_path


def test_failed_run_leaves_the_snapshot_at_the_last_good_run(tmp_path):
    """A snapshot is only published by a successful run; the reader keeps the previous one."""
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    assert store.reader().read_path() == store.path  # never published: the live file is read
    store.publish_snapshot()
    run = store.start_run("nightly", {})
    store.finish_run(run, "failed", "boom")
    assert len(store.reader().query("SELECT * FROM runs")) == 0
    assert len(store.query("SELECT * FROM runs")) == 1
    assert not list(tmp_path.glob(".*tmp")), "no temp file is left behind"
