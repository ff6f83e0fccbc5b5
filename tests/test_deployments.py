"""prefect.yaml declares deployments whose entrypoints and parameters match the real flows."""

import importlib
import inspect
from pathlib import Path

import yaml
from prefect.client.schemas.schedules import CronSchedule

from vocmine import settings

SPEC = yaml.safe_load((settings.PROJECT_DIR / "prefect.yaml").read_text())


def _flow(entrypoint: str):
    path, name = entrypoint.split(":")
    module = importlib.import_module(Path(path).with_suffix("").as_posix().replace("/", "."))
    return getattr(module, name)


def test_nightly_reprocess_and_report_deployments_exist():
    assert {d["name"] for d in SPEC["deployments"]} == {"nightly", "reprocess", "report"}


def test_parameters_match_flow_signatures():
    for d in SPEC["deployments"]:
        flow = _flow(d["entrypoint"])
        params = set(inspect.signature(flow.fn).parameters)
        assert set(d["parameters"]) <= params, (d["name"], set(d["parameters"]) - params)


def test_nightly_schedule_is_a_night_cron_with_timezone():
    (nightly,) = [d for d in SPEC["deployments"] if d["name"] == "nightly"]
    (sched,) = nightly["schedules"]
    cron = CronSchedule(cron=sched["cron"], timezone=sched["timezone"])
    assert cron.timezone == "Europe/Moscow"
    hour = int(sched["cron"].split()[1])
    assert 0 <= hour <= 5


def test_reprocess_takes_date_range_sources_and_force():
    (rep,) = [d for d in SPEC["deployments"] if d["name"] == "reprocess"]
    assert {"date_from", "date_to", "sources", "force"} <= set(rep["parameters"])
