"""Shared fixtures: the real default model (loaded once per session) and a Prefect test harness."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def model():
    from vocmine.nlp.model import load_model

    return load_model()


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@dataclass(frozen=True)
class SampleRun:
    """The nightly flow run once over all the sample data, shared by the slow tests."""

    dir: Path  # samples/ and v.duckdb the flow wrote: test_e2e goes on writing there (edits, reprocessing)
    db: Path  # a copy of v.duckdb taken right after the run: read it, never write it
    reports: Path  # a copy of the run's reports/ (report.html, summary.md)
    result: dict  # what the flow returned


@pytest.fixture(scope="session")
def sample_run(prefect_harness, tmp_path_factory) -> SampleRun:
    """The real nightly flow over the full sample (about 100 s, once per session, not once per test module)."""
    from vocmine import settings
    from vocmine.flows.nightly import nightly

    d = tmp_path_factory.mktemp("sample_run")
    shutil.copytree(settings.SAMPLES_DIR, d / "samples")
    result = nightly(sources=str(d / "samples" / "sources.yaml"), db=str(d / "v.duckdb"))
    frozen = d / "frozen"
    frozen.mkdir()
    shutil.copy2(d / "v.duckdb", frozen / "v.duckdb")  # the flow has closed it: the file is consistent
    shutil.copytree(d / "reports", frozen / "reports")
    return SampleRun(dir=d, db=frozen / "v.duckdb", reports=frozen / "reports", result=result)
