"""Which touchpoints and new themes call for an alert in the reported week: the report's emerging rule and the
teams' thresholds.

The figures a threshold reads come from one query (``FIGURES``) over the analyst views, with the report's
session variables (``queries.set_variables``), so an analyst can check any alert in ``vocmine query``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from vocmine.alerts.config import EMERGING, AlertsConfig
from vocmine.errors import UsageError
from vocmine.report import queries as q
from vocmine.report.markdown import theme_label
from vocmine.report.model import PainPoint, Report, Theme, Verbatim
from vocmine.store.db import Store

THEME_PREFIX = "theme:"  # the alerts log's "touchpoint" of a new theme's alert: theme:T0007

FIGURES = f"""-- Alert figures: per touchpoint, the reported week ('current') and the week before it ('previous').
--   complaints      pain points (negative segments linked to the touchpoint)
--   share_negative  negative mentions / all mentions of the touchpoint
--   nps, csat, ces  of the documents that mention the touchpoint (NPS: % 9-10 minus % 0-6; CSAT, CES: means)
WITH weeks AS (
    SELECT getvariable('week_start') AS week, 'current' AS period
    UNION ALL SELECT (getvariable('week_start') - INTERVAL 7 DAY)::DATE, 'previous'
), mentions AS (
    SELECT t.touchpoint, w.period, t.doc_id, t.sentiment
    FROM v_segment_touchpoints t JOIN weeks w USING (week)
    WHERE {q.F}
), complaints AS (
    SELECT p.touchpoint, w.period, count(*) AS complaints
    FROM v_pain_points p JOIN weeks w USING (week)
    WHERE {q.F}
    GROUP BY ALL
), sentiment AS (
    SELECT touchpoint, period, count(*) AS mentions,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative_mentions
    FROM mentions
    GROUP BY ALL
), scores AS (
    SELECT m.touchpoint, m.period,
           count(d.nps) AS nps_answers,
           round(100.0 * (count(*) FILTER (WHERE d.nps >= 9) - count(*) FILTER (WHERE d.nps <= 6))
                 / nullif(count(d.nps), 0), 1) AS nps,
           count(d.csat) AS csat_answers, round(avg(d.csat), 2) AS csat,
           count(d.ces) AS ces_answers, round(avg(d.ces), 2) AS ces
    FROM (SELECT DISTINCT touchpoint, period, doc_id FROM mentions) m
    JOIN v_documents d USING (doc_id)
    GROUP BY ALL
)
SELECT touchpoint, period, coalesce(c.complaints, 0) AS complaints, s.mentions, s.negative_mentions,
       round(s.negative_mentions / nullif(s.mentions, 0), 4) AS share_negative,
       nps, nps_answers, csat, csat_answers, ces, ces_answers
FROM sentiment s
LEFT JOIN complaints c USING (touchpoint, period)
LEFT JOIN scores USING (touchpoint, period)
ORDER BY touchpoint, period;"""

#: What a metric's figure is computed from: the count a rule's ``min_answers`` applies to.
_BASIS = {
    "complaints": None,
    "share_negative": "mentions",
    "nps": "nps_answers",
    "csat": "csat_answers",
    "ces": "ces_answers",
}


@dataclass(frozen=True)
class Finding:
    """One rule that holds for a touchpoint in the week, with the figures the message puts in words."""

    rule: str  # the threshold rule's name, or "emerging"
    metric: str
    current: float
    previous: float | None  # the week before
    basis: int | None = None  # mentions or answers the current figure is computed from
    comparison: str | None = None
    threshold: float | None = None
    baseline_mean: float | None = None  # emerging: mean weekly complaints of the weeks before
    history_weeks: int | None = None
    z: float | None = None


@dataclass(frozen=True)
class TouchpointAlert:
    """What fired for one touchpoint in the reported week, and who is to hear of each finding."""

    week: date
    touchpoint: str
    name: str  # its label in the message language
    stage_name: str
    findings: list[tuple[Finding, tuple[str, ...]]]
    verbatims: list[Verbatim] = field(default_factory=list)
    theme: str | None = None  # a new theme's alert (its id, "" before a run recorded it), not a touchpoint's

    @property
    def is_theme(self) -> bool:
        return self.theme is not None

    @property
    def recipients(self) -> list[str]:
        seen: dict[str, None] = {}
        for _, recipients in self.findings:
            seen.update(dict.fromkeys(recipients))
        return list(seen)

    def findings_for(self, recipient: str) -> list[Finding]:
        return [f for f, recipients in self.findings if recipient in recipients]


def figures(store: Store, report: Report) -> pd.DataFrame:
    """``FIGURES`` for the report's week and filters, indexed by (touchpoint, period)."""
    with store.connect(read_only=True) as con:
        q.set_variables(con, report.period)
        return con.execute(FIGURES).df().set_index(["touchpoint", "period"])


def check_touchpoints(config: AlertsConfig, known: list[str]) -> None:
    """A rule naming a touchpoint the taxonomy lacks would never fire: say so instead."""
    named = [(r.name, r.touchpoint) for r in config.rules]
    if config.emerging:
        named.append((EMERGING, config.emerging.touchpoint))
    for rule, tp in named:
        if tp != "*" and tp not in known:
            raise UsageError(
                f"alerts rule {rule}: no touchpoint {tp!r} in the taxonomy",
                f"touchpoints: {', '.join(known)}",
            )


def _value(row: pd.Series | None, col: str) -> float | None:
    if row is None or col not in row or pd.isna(row[col]):
        return None
    return float(row[col])


def _row(frame: pd.DataFrame, tp: str, period: str) -> pd.Series | None:
    return frame.loc[(tp, period)] if (tp, period) in frame.index else None


def _emerging(p: PainPoint | Theme, report: Report) -> Finding:
    """The emerging rule's finding for a touchpoint's pain points or a new theme (both carry its figures)."""
    return Finding(
        rule=EMERGING,
        metric="complaints",
        current=float(p.complaints),
        previous=float(p.weekly[-2]) if len(p.weekly) > 1 else None,
        baseline_mean=p.baseline_mean,
        history_weeks=report.period.weeks,
        z=p.z,
    )


def evaluate(report: Report, frame: pd.DataFrame, config: AlertsConfig) -> list[TouchpointAlert]:
    """The touchpoints with at least one rule that holds this week, most urgent (emerging, highest z) first."""
    pains = {p.touchpoint: p for p in report.pain_points}
    names = {c.touchpoint: (c.name, c.stage_name) for c in report.journey}
    names.update({p.touchpoint: (p.name, p.stage_name) for p in report.pain_points})
    touchpoints = sorted(set(pains) | set(frame.index.get_level_values(0)))
    alerts = []
    for tp in touchpoints:
        found: list[tuple[Finding, tuple[str, ...]]] = []
        p = pains.get(tp)
        e = config.emerging
        if e and p is not None and p.emerging and e.touchpoint in ("*", tp):
            found.append((_emerging(p, report), tuple(e.recipients)))
        cur, prev = _row(frame, tp, "current"), _row(frame, tp, "previous")
        for rule in config.rules_for(tp):
            value = _value(cur, rule.metric)
            if rule.metric == "complaints":
                value = float(p.complaints) if p is not None else value
            basis_col = _BASIS[rule.metric]
            basis = int(_value(cur, basis_col) or 0) if basis_col else None
            if value is None or (basis is not None and basis < rule.min_answers) or not rule.holds(value):
                continue
            finding = Finding(
                rule=rule.name,
                metric=rule.metric,
                current=value,
                previous=_value(prev, rule.metric),
                basis=basis,
                comparison=rule.comparison,
                threshold=rule.threshold,
            )
            found.append((finding, tuple(rule.recipients)))
        if found:
            name, stage = names.get(tp, (tp, ""))
            alerts.append(
                TouchpointAlert(
                    week=report.period.week_start,
                    touchpoint=tp,
                    name=name,
                    stage_name=stage,
                    findings=found,
                    verbatims=list(p.verbatims[:3]) if p is not None else [],
                )
            )
    if config.emerging and config.emerging.with_themes:
        alerts += [
            _theme_alert(th, report, tuple(config.emerging.recipients)) for th in report.themes if th.emerging
        ]
    return sorted(alerts, key=lambda a: (-max((f.z or 0) for f, _ in a.findings), a.touchpoint))


def theme_key(th: Theme) -> str:
    """The alerts log's key for a theme: its stable id (tracking.py), or its name before a run has recorded it."""
    return f"{THEME_PREFIX}{th.id or theme_label(th)}"


def _theme_alert(th: Theme, report: Report, recipients: tuple[str, ...]) -> TouchpointAlert:
    """An emerging new theme, as an alert like a touchpoint's: its name, the emerging figures, its examples."""
    return TouchpointAlert(
        week=report.period.week_start,
        touchpoint=theme_key(th),
        name=theme_label(th),
        stage_name="",
        findings=[(_emerging(th, report), recipients)],
        verbatims=list(th.examples[:3]),
        theme=th.id or "",
    )


def week_end(week: date) -> date:
    return week + timedelta(days=6)
