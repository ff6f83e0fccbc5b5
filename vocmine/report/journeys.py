"""The report's customer-journey section: where detractors' journeys break, repeat contacts, chat outcomes.

The SQL reads the analyst views (``v_customer_journeys``, ``v_documents``, ``v_segment_touchpoints``) and the
report's session variables (``queries.Period.variables``), so ``docs/report.md`` documents it and an analyst
can rerun it in ``vocmine query``. The section renders itself as Markdown lines and as an HTML fragment, so
the two report renderers need one line each to show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd
from markupsafe import Markup, escape

from vocmine.report.queries import _F, F, Period
from vocmine.taxonomy import Taxonomy

_FIGURE = re.compile(r"^[-+\d.,%() ]+$|^nan$")  # a table cell that is a figure (right-aligned in Markdown)

# The report window: the reported week and the weeks before it (journeys span weeks; one week is too short).
_WINDOW = "week BETWEEN getvariable('hist_start') AND getvariable('week_start')"

CUSTOMERS = f"""-- Customer journeys in the window (the reported week and the weeks before): customers with a customer id
-- and at least one event, those seen in two or more kinds of source (review, chat, survey), and their NPS
-- detractor answers (0-6). Filters apply to the events; the language filter does not (a silent answer has none).
SELECT count(DISTINCT customer_id) AS customers,
       count(DISTINCT customer_id) FILTER (WHERE kinds >= 2) AS cross_channel,
       count(*) FILTER (WHERE nps <= 6) AS detractor_answers
FROM (
    SELECT *, count(DISTINCT kind) OVER (PARTITION BY customer_id) AS kinds
    FROM v_customer_journeys
    WHERE {_WINDOW}
      AND {_F}
);"""

BREAKS = f"""-- Where detractors' journeys break: for each NPS detractor answer (0-6) of the window by a customer with an
-- id, the customer's FIRST earlier event (any source; the answer itself left out) with a pain point, at most
-- lookback_days days before the answer; its first pain point's touchpoint (first_pain) is where the journey
-- broke. Ranked by the detractor answers that broke there.
--   detractors   detractor answers whose journey broke at the touchpoint
--   share        of the window's detractor answers by customers with an id (all_detractors)
--   median_days  median days from the breaking event to the answer
--   via          the kind of source the breaking events mostly were (chat, review, survey)
WITH answers AS (
    SELECT customer_id, step, created_at
    FROM v_customer_journeys
    WHERE nps <= 6
      AND {_WINDOW}
      AND {_F}
), breaks AS (
    SELECT a.customer_id, a.step,
           arg_min(j.first_pain, j.step) AS touchpoint,
           arg_min(j.kind, j.step) AS via,
           epoch(a.created_at - arg_min(j.created_at, j.step)) / 86400.0 AS days
    FROM answers a
    JOIN v_customer_journeys j
      ON j.customer_id = a.customer_id AND j.step < a.step AND j.first_pain IS NOT NULL
     AND j.created_at >= a.created_at - to_days(getvariable('lookback_days'))
    GROUP BY a.customer_id, a.step, a.created_at
), via AS (
    SELECT touchpoint, via, count(*) AS n FROM breaks GROUP BY ALL
)
SELECT b.touchpoint, count(*) AS detractors,
       round(count(*) / (SELECT count(*) FROM answers), 3) AS share,
       round(median(b.days), 1) AS median_days,
       (SELECT first(v.via ORDER BY v.n DESC, v.via) FROM via v WHERE v.touchpoint = b.touchpoint) AS via,
       (SELECT count(*) FROM answers) AS all_detractors
FROM breaks b
GROUP BY b.touchpoint
ORDER BY detractors DESC, b.touchpoint;"""

REPEATS = f"""-- Repeat contacts ("the problem was not solved"): an event of the window with a pain point about a touchpoint,
-- followed by another event of the same customer (any source) that mentions the touchpoint again within
-- repeat_days days.
--   customers    customers who came back about the touchpoint
--   repeats      complaints followed by such a contact
--   complained   customers with a complaint about the touchpoint in the window
--   share        customers / complained
--   median_days  median days from the complaint to the first repeat contact
WITH complaints AS (
    SELECT customer_id, step, created_at, unnest(pain_touchpoints) AS touchpoint
    FROM v_customer_journeys
    WHERE {_WINDOW}
      AND {F}
), followed AS (
    SELECT c.customer_id, c.step, c.touchpoint, min(epoch(j.created_at - c.created_at)) / 86400.0 AS days
    FROM complaints c
    JOIN v_customer_journeys j
      ON j.customer_id = c.customer_id AND j.step > c.step AND list_contains(j.touchpoints, c.touchpoint)
     AND j.created_at <= c.created_at + to_days(getvariable('repeat_days'))
    GROUP BY ALL
)
SELECT c.touchpoint, count(DISTINCT f.customer_id) AS customers, count(f.step) AS repeats,
       count(DISTINCT c.customer_id) AS complained,
       round(count(DISTINCT f.customer_id) / count(DISTINCT c.customer_id), 3) AS share,
       round(median(f.days), 1) AS median_days
FROM complaints c
LEFT JOIN followed f USING (customer_id, step, touchpoint)
GROUP BY c.touchpoint
HAVING count(f.step) > 0
ORDER BY customers DESC, repeats DESC, c.touchpoint;"""

OUTCOMES = f"""-- Chat outcome by touchpoint: the window's chats with an outcome (every chat, with a customer id or not), per
-- touchpoint their customer turns mention; ranked by the chats that did not end resolved.
--   not_resolved  unresolved + escalated
--   share_*       of the chats that mention the touchpoint
WITH chats AS (
    SELECT doc_id, outcome
    FROM v_documents
    WHERE kind = 'chat' AND outcome IS NOT NULL
      AND {_WINDOW}
      AND {F}
), mentioned AS (
    SELECT DISTINCT doc_id, touchpoint FROM v_segment_touchpoints WHERE kind = 'chat' AND {_WINDOW}
)
SELECT m.touchpoint, count(*) AS chats,
       count(*) FILTER (WHERE c.outcome = 'resolved') AS resolved,
       count(*) FILTER (WHERE c.outcome = 'unresolved') AS unresolved,
       count(*) FILTER (WHERE c.outcome = 'escalated') AS escalated,
       count(*) FILTER (WHERE c.outcome IN ('unresolved', 'escalated')) AS not_resolved,
       round(count(*) FILTER (WHERE c.outcome = 'unresolved') / count(*), 3) AS share_unresolved,
       round(count(*) FILTER (WHERE c.outcome = 'escalated') / count(*), 3) AS share_escalated
FROM chats c
JOIN mentioned m USING (doc_id)
GROUP BY m.touchpoint
ORDER BY not_resolved DESC, chats DESC, m.touchpoint;"""

QUERIES: dict[str, str] = {
    "journey_customers": CUSTOMERS,
    "journey_breaks": BREAKS,
    "repeat_contacts": REPEATS,
    "chat_outcomes": OUTCOMES,
}

RULES = """- **Customer journeys** (`v_customer_journeys`): per customer id, the feedback events across sources in time
  order. Over the report window (the reported week and the weeks before): *where detractors' journeys break*
  is, for each NPS 0-6 answer, the touchpoint of the first pain point of the customer's first earlier event
  with one, at most `lookback_days` (default 30) days before the answer; a *repeat contact* is a
  complaint about a touchpoint followed by another event of the same customer mentioning it within
  `repeat_days` (default 7, `vocmine report --repeat-days N`) days; *chat outcome* counts the chats per
  touchpoint they mention by their outcome (resolved, unresolved, escalated).
"""

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Customer journeys",
        "summary": (
            "{customers} customers with a customer id in the window ({cross} of them in two or more kinds of "
            "source); {detractors} detractor answers (NPS 0-6)."
        ),
        "none": "No feedback with a customer id in the window: map `customer_id` in the sources (README).",
        "breaks": "Where detractors' journeys break",
        "breaks_note": (
            "The touchpoint of the first complaint before an NPS 0-6 answer (up to {days} days before), "
            "ranked."
        ),
        "repeats": "Repeat contacts (the problem was not solved)",
        "repeats_note": "Customers who raised the same touchpoint again within {days} days of a complaint.",
        "outcomes": "Chat outcome by touchpoint",
        "outcomes_note": "Chats of the window per touchpoint they mention, by outcome.",
        "nothing": "None in the window.",
        "touchpoint": "Touchpoint",
        "detractors": "Detractors",
        "share": "Share",
        "median_days": "Median days",
        "via": "Mostly via",
        "customers": "Customers",
        "repeats_col": "Repeats",
        "complained": "Complained",
        "chats": "Chats",
        "unresolved": "Unresolved",
        "escalated": "Escalated",
        "resolved": "Resolved",
    },
    "ru": {
        "title": "Пути клиентов",
        "summary": (
            "{customers} клиентов с идентификатором за период ({cross} из них — в двух и более типах "
            "источников); {detractors} ответов критиков (NPS 0-6)."
        ),
        "none": "За период нет отзывов с идентификатором клиента: укажите `customer_id` в источниках (README).",
        "breaks": "Где ломается путь критиков",
        "breaks_note": "Точка контакта первой жалобы перед оценкой NPS 0-6 (не раньше чем за {days} дн.), по числу.",
        "repeats": "Повторные обращения (проблема не решена)",
        "repeats_note": "Клиенты, вернувшиеся к той же точке контакта в течение {days} дн. после жалобы.",
        "outcomes": "Исход чатов по точкам контакта",
        "outcomes_note": "Чаты периода по упомянутым точкам контакта и исходу.",
        "nothing": "За период нет.",
        "touchpoint": "Точка контакта",
        "detractors": "Критики",
        "share": "Доля",
        "median_days": "Медиана, дн.",
        "via": "Чаще через",
        "customers": "Клиенты",
        "repeats_col": "Повторы",
        "complained": "Жаловались",
        "chats": "Чаты",
        "unresolved": "Не решено",
        "escalated": "Эскалация",
        "resolved": "Решено",
    },
}


@dataclass(frozen=True)
class JourneyBreak:
    touchpoint: str
    name: str
    detractors: int
    share: float
    median_days: float
    via: str


@dataclass(frozen=True)
class RepeatContact:
    touchpoint: str
    name: str
    customers: int
    repeats: int
    complained: int
    share: float
    median_days: float


@dataclass(frozen=True)
class ChatOutcome:
    touchpoint: str
    name: str
    chats: int
    resolved: int
    unresolved: int
    escalated: int
    share_unresolved: float
    share_escalated: float


@dataclass(frozen=True)
class Journeys:
    """The journey section of one report (its window and filters are the report's)."""

    customers: int
    cross_channel: int
    detractor_answers: int
    lookback_days: int
    repeat_days: int
    breaks: list[JourneyBreak]
    repeats: list[RepeatContact]
    outcomes: list[ChatOutcome]


def build_journeys(con: duckdb.DuckDBPyConnection, period: Period, taxonomy: Taxonomy, lang: str) -> Journeys:
    """Run the journey queries on ``con``, whose session variables the report has set to ``period``."""
    frames = {name: con.execute(sql).df() for name, sql in QUERIES.items()}
    head = frames["journey_customers"].iloc[0]

    def name(tp: str) -> str:
        return taxonomy.label(tp, lang)

    return Journeys(
        customers=int(head.customers),
        cross_channel=int(head.cross_channel),
        detractor_answers=int(head.detractor_answers),
        lookback_days=period.rules.lookback_days,
        repeat_days=period.rules.repeat_days,
        breaks=[
            JourneyBreak(
                r.touchpoint, name(r.touchpoint), int(r.detractors), float(r.share), _f(r.median_days), r.via
            )
            for r in frames["journey_breaks"].itertuples()
        ],
        repeats=[
            RepeatContact(
                r.touchpoint,
                name(r.touchpoint),
                int(r.customers),
                int(r.repeats),
                int(r.complained),
                float(r.share),
                _f(r.median_days),
            )
            for r in frames["repeat_contacts"].itertuples()
        ],
        outcomes=[
            ChatOutcome(
                r.touchpoint,
                name(r.touchpoint),
                int(r.chats),
                int(r.resolved),
                int(r.unresolved),
                int(r.escalated),
                float(r.share_unresolved),
                float(r.share_escalated),
            )
            for r in frames["chat_outcomes"].itertuples()
        ],
    )


def _f(v) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


def _tables(j: Journeys, lang: str) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(title, note, header, rows) of each table, shared by the Markdown and the HTML rendering."""
    t = LABELS.get(lang, LABELS["en"])
    return [
        (
            t["breaks"],
            t["breaks_note"].format(days=j.lookback_days),
            [t["touchpoint"], t["detractors"], t["share"], t["median_days"], t["via"]],
            [[b.name, str(b.detractors), f"{b.share:.0%}", f"{b.median_days:.1f}", b.via] for b in j.breaks],
        ),
        (
            t["repeats"],
            t["repeats_note"].format(days=j.repeat_days),
            [
                t["touchpoint"],
                t["customers"],
                t["repeats_col"],
                t["complained"],
                t["share"],
                t["median_days"],
            ],
            [
                [
                    r.name,
                    str(r.customers),
                    str(r.repeats),
                    str(r.complained),
                    f"{r.share:.0%}",
                    f"{r.median_days:.1f}",
                ]
                for r in j.repeats
            ],
        ),
        (
            t["outcomes"],
            t["outcomes_note"],
            [t["touchpoint"], t["chats"], t["resolved"], t["unresolved"], t["escalated"]],
            [
                [
                    o.name,
                    str(o.chats),
                    str(o.resolved),
                    f"{o.unresolved} ({o.share_unresolved:.0%})",
                    f"{o.escalated} ({o.share_escalated:.0%})",
                ]
                for o in j.outcomes
            ],
        ),
    ]


def _summary(j: Journeys, lang: str) -> str:
    t = LABELS.get(lang, LABELS["en"])
    if not j.customers:
        return t["none"]
    return t["summary"].format(customers=j.customers, cross=j.cross_channel, detractors=j.detractor_answers)


def section(j: Journeys | None, lang: str):
    """The journeys as one of the report's extra sections (``model.Section``), None without them."""
    from vocmine.report.model import Section

    if j is None:
        return None
    t = LABELS.get(lang, LABELS["en"])
    return Section(
        "journeys",
        t["title"],
        _summary(j, lang),
        str(_body_html(j, lang)),
        "\n".join(_body_markdown(j, lang)),
    )


def render_markdown(j: Journeys | None, lang: str) -> list[str]:
    """The section as Markdown lines (none without a journey section)."""
    if j is None:
        return []
    t = LABELS.get(lang, LABELS["en"])
    return [f"## {t['title']}", "", _summary(j, lang), "", *_body_markdown(j, lang)]


def _body_markdown(j: Journeys, lang: str) -> list[str]:
    t = LABELS.get(lang, LABELS["en"])
    out: list[str] = []
    if not j.customers and not j.outcomes:
        return out
    for title, note, header, rows in _tables(j, lang):
        out += [f"### {title}", "", note, ""]
        if not rows:
            out += [t["nothing"], ""]
            continue
        out.append("| " + " | ".join(header) + " |")
        # figures right-aligned; names (the touchpoint, "mostly via") left
        numeric = [i > 0 and all(_FIGURE.match(row[i]) for row in rows) for i in range(len(header))]
        out.append("|" + "".join("---:|" if n else "---|" for n in numeric))
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        out.append("")
    return out


def render_html(j: Journeys | None, lang: str) -> Markup:
    """The section as an HTML fragment (escaped; a ``<section id="journeys">``), empty without one."""
    if j is None:
        return Markup("")
    t = LABELS.get(lang, LABELS["en"])
    return Markup(
        f'<section id="journeys"><h2>{escape(t["title"])}</h2><div class="card">'
        f"<p>{escape(_summary(j, lang))}</p>{_body_html(j, lang)}</div></section>"
    )


def _body_html(j: Journeys, lang: str) -> Markup:
    t = LABELS.get(lang, LABELS["en"])
    parts = []
    if j.customers or j.outcomes:
        for title, note, header, rows in _tables(j, lang):
            parts.append(f'<h3>{escape(title)}</h3><p class="note">{escape(note)}</p>')
            if not rows:
                parts.append(f"<p>{escape(t['nothing'])}</p>")
                continue
            head = "".join(f"<th>{escape(h)}</th>" for h in header)
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return Markup("".join(parts))
