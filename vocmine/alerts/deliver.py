"""Plan the week's alerts against the log (``alerts_sent``), send what is due, record every try.

A recipient hears of a touchpoint at most once a week: a message recorded as sent is never sent again, however
often the nightly reruns. A failed send is recorded as failed, not sent, and tried again by the next runs (with
the figures of that run while it is still about the reported week, else as recorded), up to ``max_attempts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import duckdb

from vocmine.alerts.channels import sender
from vocmine.alerts.config import AlertsConfig
from vocmine.alerts.message import Message, render
from vocmine.alerts.rules import check_touchpoints, evaluate, figures
from vocmine.report.model import build_report
from vocmine.store.db import Store, now
from vocmine.taxonomy import Taxonomy

MAX_ERROR = 500  # characters of a failure kept in the log


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient about one touchpoint and week, and what the log says of it so far."""

    week: date
    touchpoint: str
    recipient: str
    rules: tuple[str, ...]
    message: Message
    status: str = "new"  # new | sent (already: skipped) | failed (before: tried again)
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = None

    @property
    def key(self) -> tuple[date, str, str]:
        return self.week, self.touchpoint, self.recipient


@dataclass(frozen=True)
class Plan:
    week: date
    deliveries: list[Delivery]  # this week's alerts, each with its log status
    retries: list[Delivery] = field(
        default_factory=list
    )  # failed before, for a week or rule no longer firing

    def due(self, max_attempts: int) -> list[Delivery]:
        return [
            d for d in [*self.deliveries, *self.retries] if d.status != "sent" and d.attempts < max_attempts
        ]


def _log(store: Store) -> dict[tuple[date, str, str], dict]:
    """The alerts log of the live database; empty when it has none yet (a file older than schema v7)."""
    if not store.path.exists():
        return {}
    with store.connect(read_only=True) as con:
        try:
            rows = con.execute(
                "SELECT week, touchpoint, recipient, rules, status, attempts, subject, body, error, sent_at "
                "FROM alerts_sent"
            ).fetchall()
        except duckdb.CatalogException:
            return {}
    cols = (
        "week",
        "touchpoint",
        "recipient",
        "rules",
        "status",
        "attempts",
        "subject",
        "body",
        "error",
        "sent_at",
    )
    return {(r[0], r[1], r[2]): dict(zip(cols, r, strict=True)) for r in rows}


def plan(
    store: Store,
    taxonomy: Taxonomy,
    config: AlertsConfig,
    week: date | None = None,
    report_url: str | None = None,
    lang: str | None = None,
) -> Plan:
    """What the rules find in the reported week (default: the report's, the latest), checked against the log."""
    check_touchpoints(config, taxonomy.touchpoint_ids)
    lang = lang or config.lang
    url = config.report_url or report_url
    reader = store.reader()
    report = build_report(reader, taxonomy, week=week, lang=lang)
    log = _log(store)
    deliveries = []
    for alert in evaluate(report, figures(reader, report), config):
        for recipient in alert.recipients:
            found = alert.findings_for(recipient)
            d = Delivery(
                week=alert.week,
                touchpoint=alert.touchpoint,
                recipient=recipient,
                rules=tuple(f.rule for f in found),
                message=render(alert, found, url, lang),
            )
            seen = log.get(d.key)
            if seen:
                d = replace(
                    d,
                    status=seen["status"],
                    attempts=seen["attempts"],
                    error=seen["error"],
                    sent_at=seen["sent_at"],
                )
            deliveries.append(d)
    current = {d.key for d in deliveries}
    retries = [
        Delivery(
            week=k[0],
            touchpoint=k[1],
            recipient=k[2],
            rules=tuple(row["rules"]),
            message=Message(row["subject"], row["body"]),
            status="failed",
            attempts=row["attempts"],
            error=row["error"],
        )
        for k, row in sorted(log.items())
        if row["status"] == "failed" and k not in current and k[2].partition(":")[0] in config.channels
    ]
    return Plan(report.period.week_start, deliveries, retries)


def _record(store: Store, d: Delivery, error: str | None, run_id: str | None) -> None:
    at = now()
    with store.transaction() as con:
        con.execute(
            """INSERT INTO alerts_sent AS a VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (week, touchpoint, recipient) DO UPDATE SET
                   rules = excluded.rules, status = excluded.status, attempts = a.attempts + 1,
                   subject = excluded.subject, body = excluded.body, error = excluded.error,
                   last_tried_at = excluded.last_tried_at, sent_at = excluded.sent_at, run_id = excluded.run_id""",
            [
                d.week,
                d.touchpoint,
                d.recipient,
                list(d.rules),
                "failed" if error else "sent",
                d.message.subject,
                d.message.body,
                error,
                at,
                at,
                None if error else at,
                run_id,
            ],
        )


def send_one(store: Store, config: AlertsConfig, d: Delivery, run_id: str | None = None) -> str | None:
    """Send one delivery and log it; returns the error (first line, no secrets) or None when it went out."""
    try:
        sender(config, d.recipient)(d.message)
        error = None
    except Exception as e:  # any failure of the channel: recorded, retried next run, never marked sent
        error = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"[:MAX_ERROR]
    _record(store, d, error, run_id)
    return error
