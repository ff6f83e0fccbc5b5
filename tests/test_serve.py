"""`vocmine serve` for real: a Prefect server on a free port, the deployments served, a run the scheduler made."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from vocmine import settings
from vocmine.serve import Overrides, to_deployments
from vocmine.store.db import Store

N_REVIEWS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiny_sources(d: Path) -> Path:
    lines = (settings.SAMPLES_DIR / "reviews.csv").read_text(encoding="utf-8").splitlines()[: N_REVIEWS + 1]
    (d / "reviews.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "sources.yaml").write_text(
        "sources:\n  - name: reviews\n    kind: review\n    location: reviews.csv\n"
        "    fields: {id: review_id, timestamp: created_at, text: text, rating: rating, channel: channel,"
        " product: product}\n",
        encoding="utf-8",
    )
    return d / "sources.yaml"


def _nightly_runs(api: str) -> list[dict]:
    r = httpx.post(
        f"{api}/flow_runs/filter", json={"deployments": {"name": {"any_": ["nightly"]}}}, timeout=30
    )
    r.raise_for_status()
    return r.json()


def test_deployments_come_from_prefect_yaml_with_overrides(tmp_path):
    deps = {
        d.name: d
        for d in to_deployments(
            Overrides(sources=tmp_path / "s.yaml", db=tmp_path / "v.duckdb", cron="0 3 * * *")
        )
    }
    assert set(deps) == {"nightly", "reprocess", "report"}
    nightly = deps["nightly"]
    assert nightly.parameters["sources"] == str(tmp_path / "s.yaml")
    assert all(d.parameters["db"] == str(tmp_path / "v.duckdb") for d in deps.values())
    assert deps["reprocess"].parameters["sources"] is None  # source names there, not the sources file
    (sched,) = nightly.schedules
    assert sched.schedule.cron == "0 3 * * *" and sched.schedule.timezone == "Europe/Moscow"
    assert nightly.concurrency_limit == 1 and not deps["report"].schedules
    # relative paths of prefect.yaml are the project folder's, whatever folder serve runs in
    assert deps["report"].parameters["db"] == str(tmp_path / "v.duckdb")
    assert Path(to_deployments(Overrides())[0].parameters["model"]).is_absolute()


@pytest.mark.slow
def test_serve_runs_the_nightly_when_the_scheduler_says(tmp_path):
    """The scheduler service creates the run (auto-scheduled, Scheduled first), the served flow completes it."""
    sources, db, port = _tiny_sources(tmp_path), tmp_path / "v.duckdb", _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "3",  # an interval schedule: not 100 runs ahead
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "vocmine.cli", "serve", "--sources", str(sources), "--db", str(db)]
    cmd += ["--interval", "20", "--port", str(port)]
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    done = None
    try:
        deadline = time.monotonic() + 300
        while done is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(3)
            try:
                runs = _nightly_runs(api)
            except httpx.HTTPError:
                continue  # the server is still starting
            done = next((r for r in runs if r["state_type"] == "COMPLETED"), None)
        assert done, f"no completed nightly run; serve said:\n{(tmp_path / 'serve.log').read_text()[-4000:]}"
        assert done["auto_scheduled"], "created by the scheduler service, not by hand"
        states = httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": done["id"]}, timeout=30).json()
        kinds = [s["type"] for s in sorted(states, key=lambda s: s["timestamp"])]
        assert kinds[0] == "SCHEDULED" and kinds[-1] == "COMPLETED", kinds
        art = httpx.post(
            f"{api}/artifacts/filter",
            json={"artifacts": {"key": {"any_": ["pain-point-summary"]}}},
            timeout=30,
        ).json()
        assert art and "Pain-point report" in art[0]["data"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # serve pauses its schedules, then the server is stopped
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever serve left behind (its server, a flow run)
        log.close()
    assert proc.returncode is not None
    run = Store(db).query("SELECT n_read, n_stored, status FROM runs ORDER BY started_at LIMIT 1").iloc[0]
    assert (run.n_read, run.n_stored, run.status) == (N_REVIEWS, N_REVIEWS, "completed")
    assert (tmp_path / "reports" / "summary.md").exists()
