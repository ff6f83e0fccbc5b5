"""The alerts step: what the rules find in the reported week goes to its recipients, once (vocmine/alerts)."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from vocmine import settings
from vocmine.alerts.config import load_alerts
from vocmine.alerts.deliver import Delivery, plan, send_one
from vocmine.report.model import NoData, parse_week
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy


def _taxonomy(taxonomy: str | None, model: str | None) -> Taxonomy:
    from vocmine.flows.report import _taxonomy as report_taxonomy  # the report's: the same labels

    return report_taxonomy(taxonomy, model)


@task(cache_policy=NO_CACHE)
def send(db: str, config: str, delivery: Delivery, run_id: str | None) -> str | None:
    """One message; a failure is logged (and retried by the next run), it does not fail the flow."""
    error = send_one(Store(db), load_alerts(config), delivery, run_id)
    where = f"{delivery.touchpoint} (week of {delivery.week:%Y-%m-%d}) to {delivery.recipient}"
    print(f"alert {where}: " + (f"FAILED, will be tried again: {error}" if error else "sent"))
    return error


@flow(name="alerts", log_prints=True)
def alerts(
    config: str,
    db: str = str(settings.DEFAULT_DB),
    taxonomy: str | None = None,
    model: str | None = None,
    week: str | None = None,
    report_url: str | None = None,
    lang: str | None = None,
    run_id: str | None = None,
) -> dict:
    """Send the alerts of the week containing ``week`` (default: the report's, the latest) that are due.

    ``report_url`` is the link in the messages unless the alerts file sets its own; ``run_id`` the nightly
    run this step belongs to (it goes into the log).
    """
    cfg = load_alerts(config)
    store = Store(db)
    store.migrate()  # the log table of schema v7 (the nightly has migrated already: a no-op then)
    try:
        p = plan(store, _taxonomy(taxonomy, model), cfg, parse_week(week) if week else None, report_url, lang)
    except NoData as e:
        if week:  # a week asked for that holds nothing: say so
            raise
        print(f"alerts: nothing to check: {e}")
        return {"week": None, "found": 0, "sent": 0, "failed": 0, "already_sent": 0, "given_up": 0}
    due = p.due(cfg.max_attempts)
    errors = [send(db, config, d, run_id) for d in due]
    result = {
        "week": f"{p.week:%Y-%m-%d}",
        "found": len(p.deliveries),
        "sent": sum(e is None for e in errors),
        "failed": sum(e is not None for e in errors),
        "already_sent": sum(d.status == "sent" for d in p.deliveries),
        "given_up": sum(
            d.status != "sent" and d.attempts >= cfg.max_attempts for d in p.deliveries + p.retries
        ),
    }
    print(f"alerts: {result}")
    return result


if __name__ == "__main__":
    alerts(config="alerts.yaml")
