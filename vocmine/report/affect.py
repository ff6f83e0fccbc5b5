"""The report's effort-and-emotion section: per touchpoint this week, the share of hard-effort clauses and of
angry complaints, with a verbatim or two.

The SQL reads the analyst view ``v_segment_affect`` and the report's session variables, so ``docs/report.md``
documents it (with the "angry complaints about delivery this week" recipe) and an analyst can rerun it in
``vocmine query``. The pain-point priority does not use effort or anger (README, "Effort and emotion").
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from markupsafe import Markup, escape

from vocmine.report.queries import F, Period
from vocmine.taxonomy import Taxonomy

_WEEK = "week = getvariable('week_start')"
_ANGRY = "sentiment = 'negative' AND list_contains(emotions, 'anger')"
# one row per (clause, touchpoint it mentions) of the reported week
_MENTIONS = f"(SELECT *, unnest(touchpoints) AS tp FROM v_segment_affect WHERE {_WEEK} AND {F})"

TOTALS = f"""-- Effort and emotion, the reported week: clauses scored, those with hard and easy effort, angry complaints
-- (negative clauses with anger among their emotions).
SELECT count(*) AS clauses,
       count(*) FILTER (WHERE effort = 'hard') AS hard,
       count(*) FILTER (WHERE effort = 'easy') AS easy,
       count(*) FILTER (WHERE {_ANGRY}) AS angry
FROM v_segment_affect
WHERE {_WEEK}
  AND {F};"""

BY_TOUCHPOINT = f"""-- Effort and emotion per touchpoint, the reported week: of the clauses that mention the touchpoint, those
-- with hard effort and the angry complaints; touchpoints with either, most first.
--   share_hard   hard / mentions
--   share_angry  angry / mentions
SELECT tp AS touchpoint, count(*) AS mentions,
       count(*) FILTER (WHERE effort = 'hard') AS hard,
       round(count(*) FILTER (WHERE effort = 'hard') / count(*), 3) AS share_hard,
       count(*) FILTER (WHERE {_ANGRY}) AS angry,
       round(count(*) FILTER (WHERE {_ANGRY}) / count(*), 3) AS share_angry
FROM {_MENTIONS}
GROUP BY tp
HAVING count(*) FILTER (WHERE effort = 'hard' OR {_ANGRY}) > 0
ORDER BY count(*) FILTER (WHERE effort = 'hard' OR {_ANGRY}) DESC, mentions DESC, touchpoint;"""

VERBATIMS = f"""-- Effort and emotion verbatims: per touchpoint, the reported week's two hard-effort clauses or angry complaints
-- with the highest effort score or p(anger), one per document (the text is PII-masked).
WITH c AS (
    SELECT tp AS touchpoint, doc_id, seg_idx, text, source, lang, created_at, effort, effort_score, p_anger,
           greatest(coalesce(effort_score, 0), coalesce(p_anger, 0)) AS strength
    FROM {_MENTIONS}
    WHERE effort = 'hard' OR {_ANGRY}
), one AS (
    SELECT *, row_number() OVER (PARTITION BY touchpoint, doc_id ORDER BY strength DESC, seg_idx) AS k FROM c
)
SELECT touchpoint, doc_id, text, source, lang, created_at, effort, effort_score, p_anger
FROM (
    SELECT *, row_number() OVER (PARTITION BY touchpoint ORDER BY strength DESC, doc_id, seg_idx) AS r
    FROM one WHERE k = 1
)
WHERE r <= 2
ORDER BY touchpoint, r;"""

ANGRY_DELIVERY = """-- Recipe: angry complaints about delivery this week (change the touchpoint id, the emotion or the week).
SELECT created_at, source, lang, text, effort, emotions, round(p_anger, 2) AS p_anger
FROM v_segment_affect
WHERE week = getvariable('week_start')
  AND list_contains(touchpoints, 'delivery')
  AND sentiment = 'negative' AND list_contains(emotions, 'anger')
ORDER BY p_anger DESC;"""

QUERIES: dict[str, str] = {
    "affect_totals": TOTALS,
    "affect_by_touchpoint": BY_TOUCHPOINT,
    "affect_verbatims": VERBATIMS,
}
RECIPES: dict[str, str] = {"angry_delivery_this_week": ANGRY_DELIVERY}

RULES = """- **Effort and emotion** (`v_segment_affect`): every clause has an effort score in [-1, 1] (hard from 0.2,
  easy from -0.2, else neutral) and the emotions over their threshold (joy, sadness, surprise, fear, anger).
  Per touchpoint, the reported week: the share of its mentions with *hard effort* and of *angry complaints*
  (negative clauses with anger). The `angry_delivery_this_week` recipe lists the clauses themselves.
"""

TOP_N = 8  # touchpoints shown

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Effort and emotion",
        "summary": (
            "{clauses} clauses this week: {hard} with hard effort ({share_hard}), {easy} easy, "
            "{angry} angry complaints ({share_angry})."
        ),
        "none": (
            "No effort or emotion scores for this week: the model has no affect heads, or the feedback was "
            "stored before them (`vocmine reprocess` adds them)."
        ),
        "note": (
            "Per touchpoint: the share of its mentions where the customer describes hard effort, and of angry "
            "complaints; two verbatims each."
        ),
        "nothing": "No hard-effort clauses or angry complaints this week.",
        "touchpoint": "Touchpoint",
        "mentions": "Mentions",
        "hard": "Hard effort",
        "angry": "Angry complaints",
        "verbatims": "Verbatims",
    },
    "ru": {
        "title": "Усилия и эмоции",
        "summary": (
            "{clauses} фрагментов за неделю: {hard} с большими усилиями ({share_hard}), {easy} — с лёгкими, "
            "{angry} гневных жалоб ({share_angry})."
        ),
        "none": (
            "За неделю нет оценок усилий и эмоций: у модели нет этих голов или отзывы сохранены до них "
            "(`vocmine reprocess` их добавит)."
        ),
        "note": (
            "По точкам контакта: доля упоминаний, где клиент описывает большие усилия, и доля гневных жалоб; "
            "по две цитаты."
        ),
        "nothing": "За неделю нет фрагментов с большими усилиями и гневных жалоб.",
        "touchpoint": "Точка контакта",
        "mentions": "Упоминания",
        "hard": "Большие усилия",
        "angry": "Гневные жалобы",
        "verbatims": "Цитаты",
    },
}


@dataclass(frozen=True)
class AffectRow:
    touchpoint: str
    name: str
    mentions: int
    hard: int
    share_hard: float
    angry: int
    share_angry: float
    verbatims: list[str]


@dataclass(frozen=True)
class Affect:
    """The effort-and-emotion section of one report (the reported week, the report's filters)."""

    clauses: int
    hard: int
    easy: int
    angry: int
    rows: list[AffectRow]


def build_affect(con: duckdb.DuckDBPyConnection, period: Period, taxonomy: Taxonomy, lang: str) -> Affect:
    """Run the section's queries on ``con``, whose session variables the report has set to ``period``."""
    head = con.execute(TOTALS).fetchone()
    verb = con.execute(VERBATIMS).df()
    quotes = {tp: g["text"].tolist() for tp, g in verb.groupby("touchpoint", sort=False)}
    rows = [
        AffectRow(
            r.touchpoint,
            taxonomy.label(r.touchpoint, lang),
            int(r.mentions),
            int(r.hard),
            float(r.share_hard),
            int(r.angry),
            float(r.share_angry),
            quotes.get(r.touchpoint, []),
        )
        for r in con.execute(BY_TOUCHPOINT).df().head(TOP_N).itertuples()
    ]
    return Affect(*(int(v or 0) for v in head), rows=rows)


def _summary(a: Affect, lang: str) -> str:
    t = LABELS.get(lang, LABELS["en"])
    if not a.clauses:
        return t["none"]
    return t["summary"].format(
        clauses=a.clauses,
        hard=a.hard,
        easy=a.easy,
        angry=a.angry,
        share_hard=f"{a.hard / a.clauses:.0%}",
        share_angry=f"{a.angry / a.clauses:.0%}",
    )


def _table(a: Affect, lang: str) -> tuple[list[str], list[list[str]]]:
    t = LABELS.get(lang, LABELS["en"])
    header = [t["touchpoint"], t["mentions"], t["hard"], t["angry"], t["verbatims"]]
    rows = [
        [
            r.name,
            str(r.mentions),
            f"{r.hard} ({r.share_hard:.0%})",
            f"{r.angry} ({r.share_angry:.0%})",
            " / ".join(f"«{v}»" for v in r.verbatims),
        ]
        for r in a.rows
    ]
    return header, rows


def _markdown(a: Affect, lang: str) -> str:
    t = LABELS.get(lang, LABELS["en"])
    if not a.clauses:
        return ""
    header, rows = _table(a, lang)
    if not rows:
        return t["nothing"]
    lines = [_summary(a, lang), "", "| " + " | ".join(header) + " |", "|---|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html(a: Affect, lang: str) -> Markup:
    t = LABELS.get(lang, LABELS["en"])
    if not a.clauses:
        return Markup("")
    header, rows = _table(a, lang)
    parts = [f"<p>{escape(_summary(a, lang))}</p>"]
    if not rows:
        parts.append(f"<p>{escape(t['nothing'])}</p>")
    else:
        head = "".join(f"<th>{escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return Markup("".join(parts))


def section(a: Affect | None, lang: str):
    """The section as one of the report's extra sections (``model.Section``), None without one."""
    from vocmine.report.model import Section

    if a is None:
        return None
    t = LABELS.get(lang, LABELS["en"])
    note = t["note"] if a.clauses else t["none"]
    return Section("affect", t["title"], note, str(_html(a, lang)), _markdown(a, lang))
