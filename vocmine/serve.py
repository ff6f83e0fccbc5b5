"""One machine's scheduler: a Prefect server (started here unless one is configured) serving prefect.yaml's deployments.

``vocmine serve`` is the single-machine route: the deployments of ``prefect.yaml`` (same schedules, parameters
and concurrency limits) are served in-process with Prefect's ``serve``, so no work pool or worker is needed.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from vocmine import settings

PREFECT_YAML = settings.PROJECT_DIR / "prefect.yaml"
#: Parameters that name a file or folder: relative values in prefect.yaml are relative to the project folder.
PATH_PARAMS = {"sources", "db", "model", "taxonomy", "out_dir"}


@dataclass(frozen=True)
class Overrides:
    """What an operator points the deployments at; ``None`` keeps prefect.yaml's value."""

    sources: Path | None = None  # the nightly's sources YAML
    db: Path | None = None
    model: Path | None = None
    taxonomy: Path | None = None
    cron: str | None = None  # the nightly's schedule instead of prefect.yaml's cron
    timezone: str | None = None
    interval: float | None = None  # seconds between nightly runs instead of a cron (trying it out, tests)


def load_flow(entrypoint: str):
    """``flows/nightly.py:nightly`` → the flow object, imported as ``vocmine.flows.nightly`` (the name a wheel
    installs the flows under; works from any folder)."""
    path, name = entrypoint.split(":")
    module = Path(path).with_suffix("").as_posix().replace("/", ".")
    return getattr(
        importlib.import_module(f"vocmine.{module}" if module.startswith("flows.") else module), name
    )


def _param(name: str, value: Any) -> Any:
    if name in PATH_PARAMS and isinstance(value, str) and not Path(value).is_absolute():
        return str(settings.PROJECT_DIR / value)
    return value


def deployment_specs(spec_file: Path = PREFECT_YAML) -> list[dict]:
    return yaml.safe_load(spec_file.read_text(encoding="utf-8"))["deployments"]


def to_deployments(o: Overrides, spec_file: Path = PREFECT_YAML) -> list:
    """prefect.yaml's deployments as RunnerDeployments with the overrides applied (absolute paths)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron, Interval

    out = []
    for d in deployment_specs(spec_file):
        flow = load_flow(d["entrypoint"])
        accepted = inspect.signature(flow.fn).parameters
        nightly = d["name"] == "nightly"
        params = {k: _param(k, v) for k, v in (d.get("parameters") or {}).items()}
        for k in ("db", "model", "taxonomy") + (("sources",) if nightly else ()):
            # (reprocess's `sources` is a list of source names, not the sources file)
            if getattr(o, k) is not None and k in accepted:
                params[k] = str(Path(getattr(o, k)).resolve())
        schedules = [
            Cron(
                o.cron if nightly and o.cron else s["cron"],
                timezone=o.timezone if nightly and o.timezone else s.get("timezone"),
                active=s.get("active", True),
            )
            for s in d.get("schedules") or []
        ]
        if nightly and o.interval:
            schedules = [Interval(o.interval, timezone=o.timezone)]
        out.append(
            flow.to_deployment(
                name=d["name"],
                description=d.get("description"),
                parameters=params,
                schedules=schedules,
                concurrency_limit=d.get("concurrency_limit"),
                entrypoint_type=EntrypointType.MODULE_PATH,  # found by import, whatever the folder
            )
        )
    return out


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def local_server(host: str = "127.0.0.1", port: int = 4200, startup_timeout: float = 180) -> Iterator[str]:
    """A ``prefect server start`` subprocess (its data under PREFECT_HOME); yields its API URL.

    A server already answering on that port is used as it is and left running.
    """
    api = f"http://{host}:{port}/api"
    if healthy(api):
        yield api
        return
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + startup_timeout
        while not healthy(api):
            if proc.poll() is not None:
                raise RuntimeError(f"prefect server exited with code {proc.returncode} before it answered")
            if time.monotonic() > deadline:
                raise TimeoutError(f"prefect server did not answer on {api} within {startup_timeout:.0f} s")
            time.sleep(1)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def configured_api_url() -> str | None:
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def serve(o: Overrides, host: str = "127.0.0.1", port: int = 4200) -> None:
    """Serve the deployments until interrupted, against PREFECT_API_URL or a server started here."""
    url = configured_api_url()
    if url:
        _serve(o, url)
        return
    with local_server(host, port) as url:
        _serve(o, url)


def _serve(o: Overrides, api_url: str) -> None:
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        os.environ["PREFECT_API_URL"] = api_url  # the flow-run subprocesses report to the same server
        print(f"Prefect API: {api_url}  (UI: {api_url.removesuffix('/api')})", flush=True)
        prefect_serve(*to_deployments(o))
