"""The report's SQL: one source for the numbers in the report and for ``docs/report.md``.

Every query reads the analyst views (plus ``encoder_outputs`` for the new themes) and takes its period and
filters from DuckDB session variables (``SET VARIABLE``), so an analyst can paste the same text into
``vocmine query`` or the DuckDB shell. Regenerate the document after any change here::

    python -m vocmine.report.queries > docs/report.md

(a test fails while the committed file is stale).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb


@dataclass(frozen=True)
class Filters:
    """Optional filters; each is a list of accepted values (empty: no filter)."""

    sources: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def describe(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class Rules:
    """Thresholds of the emerging rule and of the new-theme candidates (documented in docs/report.md)."""

    min_volume: int = 10  # an emerging issue has at least this many complaints in the week
    z_threshold: float = 3.0  # ... and this many (over-dispersed Poisson) sd above its own history
    theme_max_score: float = 0.6  # a negative segment "fits no touchpoint well" below this best confidence
    theme_min_negative: float = 0.7  # ... and enters a theme only this surely negative (calibrated p)
    top_n: int = 8
    top_themes: int = 12  # new themes shown in full; the others are counted
    repeat_days: int = 7  # a repeat contact: the same customer and touchpoint again within this many days
    lookback_days: int = 30  # a detractor's journey breaks at a complaint at most this many days before


@dataclass(frozen=True)
class Period:
    """The reported week (its Monday) and the ``weeks`` weeks before it that it is compared with."""

    week_start: date
    weeks: int = 8
    filters: Filters = field(default_factory=Filters)
    rules: Rules = field(default_factory=Rules)

    @property
    def hist_start(self) -> date:
        return self.week_start - timedelta(weeks=self.weeks)

    @property
    def all_weeks(self) -> list[date]:
        return [self.hist_start + timedelta(weeks=k) for k in range(self.weeks + 1)]

    def variables(self) -> dict[str, object]:
        f = self.filters
        return {
            "week_start": self.week_start,
            "hist_start": self.hist_start,
            "weeks": self.weeks,
            "sources": list(f.sources) or None,
            "channels": list(f.channels) or None,
            "products": list(f.products) or None,
            "languages": list(f.languages) or None,
            "min_volume": self.rules.min_volume,
            "z_threshold": self.rules.z_threshold,
            "theme_max_score": self.rules.theme_max_score,
            "repeat_days": self.rules.repeat_days,
            "lookback_days": self.rules.lookback_days,
            "theme_min_negative": self.rules.theme_min_negative,
        }

    def set_statements(self) -> str:
        """The ``SET VARIABLE`` lines that reproduce this report's numbers in any DuckDB session."""
        return "\n".join(
            f"SET VARIABLE {k} = {_literal(v)}{'::VARCHAR[]' if k in _LISTS else ''};"
            for k, v in self.variables().items()
        )


def _literal(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, date):
        return f"DATE '{v:%Y-%m-%d}'"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


_LISTS = ("sources", "channels", "products", "languages")


def set_variables(con: duckdb.DuckDBPyConnection, period: Period) -> None:
    for k, v in period.variables().items():
        cast = "::VARCHAR[]" if k in _LISTS else ""  # a NULL filter must still be typed as a list
        con.execute(f"SET VARIABLE {k} = ?{cast}", [v])


# The filters, for a view with source, channel, product and lang columns (text-less survey answers have no
# language, so the silent-customer query leaves the language filter out).
def _filters(alias: str = "", lang: bool = True) -> str:
    cols = [("sources", "source"), ("channels", "channel"), ("products", "product")]
    cols += [("languages", "lang")] if lang else []
    return "\n      AND ".join(
        f"(getvariable('{v}') IS NULL OR list_contains(getvariable('{v}'), {alias}{c}))" for v, c in cols
    )


_F = _filters(lang=False)
F = _filters()

DATA_WEEKS = f"""-- The first and the latest week with feedback: the default reported week is the latest one begun by
-- today (a record dated in the future cannot make the report a week to come; the latest at all only when
-- every week is ahead), and the weeks before it that the report compares with never start before the first.
-- (Before this query week_start is today, or the day asked for.)
SELECT min(week) AS first_week,
       coalesce(max(week) FILTER (WHERE week <= getvariable('week_start')), max(week)) AS last_week
FROM v_documents
WHERE {F};"""

HEADLINE = f"""-- Headline figures: the reported week ('current') and the weeks before it ('previous').
-- share_negative: documents whose document-level sentiment is negative, of the documents with text;
-- NPS: % promoters (9-10) minus % detractors (0-6); CSAT (1-5) and CES (1-7, 7 = very easy): means.
SELECT CASE WHEN week = getvariable('week_start') THEN 'current' ELSE 'previous' END AS period,
       count(*) AS documents,
       round(count(*) / max(CASE WHEN week = getvariable('week_start') THEN 1 ELSE getvariable('weeks') END),
             1) AS documents_per_week,
       count(sentiment) AS documents_with_text,
       round(count(*) FILTER (WHERE sentiment = 'negative') / nullif(count(sentiment), 0), 4) AS share_negative,
       count(nps) AS nps_answers,
       round(100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
             / nullif(count(nps), 0), 1) AS nps,
       count(csat) AS csat_answers,
       round(avg(csat), 2) AS csat,
       count(ces) AS ces_answers,
       round(avg(ces), 2) AS ces
FROM v_documents
WHERE week BETWEEN getvariable('hist_start') AND getvariable('week_start')
  AND {F}
GROUP BY ALL
ORDER BY period;"""

PAIN_POINTS = f"""-- Pain points: one row per touchpoint with complaints in the window, ranked by priority.
--   complaints     pain points (negative segments linked to the touchpoint) in the reported week
--   primary        complaints filed under it: the week's documents whose primary touchpoint it is
--                  (v_document_causes: one per document with a pain point)
--   baseline_mean  mean weekly complaints in the weeks before
--   negativity     negative mentions / all mentions of the touchpoint in the reported week
--   trend          (complaints + 1) / (baseline_mean + 1): above 1 when it is getting worse
--   nps_impact     NPS of the week's respondents who did not mention the touchpoint minus the week's NPS
--                  ("how much NPS would rise without it")
--   priority       complaints x negativity x trend x (1 + max(nps_impact, 0) / 10)
--   z, emerging    z = (complaints - baseline_mean) / sqrt(max(variance, baseline_mean, 1)) over the weeks
--                  before (an over-dispersed Poisson z-score); emerging when complaints >= min_volume and
--                  z >= z_threshold
WITH weeks AS (
    SELECT unnest(generate_series(getvariable('hist_start'), getvariable('week_start'), INTERVAL 7 DAY))::DATE
           AS week
), complaints AS (
    SELECT touchpoint, stage, week, doc_id
    FROM v_pain_points
    WHERE week BETWEEN getvariable('hist_start') AND getvariable('week_start')
      AND {F}
), weekly AS (
    SELECT t.touchpoint, t.stage, w.week, count(c.doc_id) AS n
    FROM (SELECT DISTINCT touchpoint, stage FROM complaints) t
    CROSS JOIN weeks w
    LEFT JOIN complaints c ON c.touchpoint = t.touchpoint AND c.week = w.week
    GROUP BY ALL
), history AS (
    SELECT touchpoint, stage,
           list(n ORDER BY week) AS weekly,
           sum(n) FILTER (WHERE week = getvariable('week_start'))::BIGINT AS complaints,
           coalesce(avg(n) FILTER (WHERE week < getvariable('week_start')), 0) AS baseline_mean,
           coalesce(var_pop(n) FILTER (WHERE week < getvariable('week_start')), 0) AS baseline_var
    FROM weekly
    GROUP BY ALL
), documents AS (
    SELECT touchpoint, count(DISTINCT doc_id) AS documents
    FROM complaints
    WHERE week = getvariable('week_start')
    GROUP BY ALL
), primaries AS (
    SELECT touchpoint, count(*) AS "primary"
    FROM v_document_causes
    WHERE week = getvariable('week_start')
      AND {F}
    GROUP BY ALL
), mentions AS (
    SELECT touchpoint, count(*) AS mentions, count(*) FILTER (WHERE sentiment = 'negative') AS negative_mentions
    FROM v_segment_touchpoints
    WHERE week = getvariable('week_start')
      AND {F}
    GROUP BY ALL
), respondents AS (
    SELECT doc_id, nps
    FROM v_documents
    WHERE week = getvariable('week_start') AND nps IS NOT NULL
      AND {F}
), mentioned AS (
    SELECT DISTINCT doc_id, touchpoint FROM v_segment_touchpoints WHERE week = getvariable('week_start')
), nps_without AS (
    SELECT t.touchpoint,
           100.0 * (count(*) FILTER (WHERE r.nps >= 9) - count(*) FILTER (WHERE r.nps <= 6))
           / nullif(count(*), 0) AS nps
    FROM (SELECT DISTINCT touchpoint FROM complaints) t
    CROSS JOIN respondents r
    WHERE NOT EXISTS (SELECT 1 FROM mentioned m WHERE m.doc_id = r.doc_id AND m.touchpoint = t.touchpoint)
    GROUP BY ALL
), overall AS (
    SELECT 100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
           / nullif(count(*), 0) AS nps
    FROM respondents
), scored AS (
    SELECT h.*, coalesce(d.documents, 0) AS documents, coalesce(pr."primary", 0) AS "primary",
           coalesce(m.mentions, 0) AS mentions, coalesce(m.negative_mentions, 0) AS negative_mentions,
           coalesce(m.negative_mentions / nullif(m.mentions, 0), 0) AS negativity,
           (h.complaints + 1) / (h.baseline_mean + 1) AS trend,
           (h.complaints - h.baseline_mean) / sqrt(greatest(h.baseline_var, h.baseline_mean, 1)) AS z,
           n.nps - o.nps AS nps_impact
    FROM history h
    LEFT JOIN documents d USING (touchpoint)
    LEFT JOIN primaries pr USING (touchpoint)
    LEFT JOIN mentions m USING (touchpoint)
    LEFT JOIN nps_without n USING (touchpoint)
    CROSS JOIN overall o
)
SELECT touchpoint, stage, complaints, documents, "primary", mentions, negative_mentions,
       round(negativity, 3) AS negativity,
       round(baseline_mean, 2) AS baseline_mean,
       round(trend, 3) AS trend,
       round(nps_impact, 1) AS nps_impact,
       round(complaints * negativity * trend * (1 + greatest(coalesce(nps_impact, 0), 0) / 10), 2) AS priority,
       round(z, 2) AS z,
       complaints >= getvariable('min_volume') AND z >= getvariable('z_threshold') AS emerging,
       weekly
FROM scored
ORDER BY priority DESC, complaints DESC, touchpoint;"""

VERBATIMS = f"""-- Three verbatims per touchpoint: the reported week's most severe complaints, one per document and
-- one per wording, with the whole (PII-masked) text and the evidence span's offsets.
SELECT touchpoint, doc_id, seg_idx, evidence, start_char, end_char, document_text, severity, source, lang,
       created_at
FROM (
    SELECT *, row_number() OVER (PARTITION BY touchpoint ORDER BY severity DESC, doc_id, seg_idx) AS r
    FROM (
        SELECT *,
               row_number() OVER (PARTITION BY touchpoint, doc_id ORDER BY severity DESC, seg_idx) AS per_doc,
               row_number() OVER (PARTITION BY touchpoint, lower(evidence) ORDER BY severity DESC, doc_id)
                   AS per_wording
        FROM v_pain_points
        WHERE week = getvariable('week_start')
          AND {F}
    )
    WHERE per_doc = 1 AND per_wording = 1
)
WHERE r <= 3
ORDER BY touchpoint, r;"""

JOURNEY = f"""-- Customer-journey map: every mention of a touchpoint in the reported week, by stage and sentiment.
-- net_sentiment = (positive - negative) / mentions, from -1 (all negative) to +1 (all positive).
SELECT stage, touchpoint, count(*) AS mentions,
       count(*) FILTER (WHERE sentiment = 'negative') AS negative,
       count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
       count(*) FILTER (WHERE sentiment = 'positive') AS positive,
       round((count(*) FILTER (WHERE sentiment = 'positive') - count(*) FILTER (WHERE sentiment = 'negative'))
             / count(*), 3) AS net_sentiment
FROM v_segment_touchpoints
WHERE week = getvariable('week_start')
  AND {F}
GROUP BY ALL
ORDER BY stage, touchpoint;"""

#: the silent customers' counts, shared by the report's query and the explorable page's per-cell one
_SILENT_COUNTS = """count(*) FILTER (WHERE nps <= 6) AS detractors,
       count(*) FILTER (WHERE nps <= 6 AND silent) AS silent_detractors,
       count(*) FILTER (WHERE csat <= 2) AS low_csat,
       count(*) FILTER (WHERE csat <= 2 AND silent) AS silent_low_csat,
       count(*) FILTER (WHERE ces <= 3) AS low_ces,
       count(*) FILTER (WHERE ces <= 3 AND silent) AS silent_low_ces,
       count(*) FILTER (WHERE silent AND (nps <= 6 OR csat <= 2 OR ces <= 3)) AS silent_unhappy"""

SILENT = f"""-- Silent customers: unhappy survey answers of the reported week without a comment, by channel (the source
-- name where the source maps no channel). Unhappy: NPS detractor (0-6), CSAT 1-2, or CES 1-3 (1 = very
-- difficult). The language filter does not apply: a text-less answer has no language.
SELECT coalesce(channel, source) AS channel,
       {_SILENT_COUNTS}
FROM v_survey_scores
WHERE week = getvariable('week_start')
  AND {_F}
GROUP BY ALL
HAVING count(*) FILTER (WHERE nps <= 6 OR csat <= 2 OR ces <= 3) > 0
ORDER BY silent_unhappy DESC, channel;"""

THEME_CANDIDATES = f"""-- New-theme candidates: negative segments of the window that fit no touchpoint well (no touchpoint, or
-- best touchpoint confidence below theme_max_score), are surely negative (calibrated p(negative) at least
-- theme_min_negative, so praise the model half-misread stays out) and have at least three words, with the
-- hash their stored embedding is kept under (encoder_outputs.text_hash: the first 32 hex digits of
-- sha256(chr(31) || text)). The report then reads those embeddings by that hash, of the encoder that embedded
-- most of them (one, unless the base encoder changed): SELECT encoder, text_hash, embedding FROM
-- encoder_outputs WHERE text_hash IN (...), which DuckDB answers from the text_hash index instead of reading
-- every stored embedding. It clusters the vectors, names each cluster by the segment nearest its centre and
-- its c-TF-IDF words, and gives it the id of the stored theme (table themes) it matches (Python:
-- vocmine/report/themes.py, tracking.py).
WITH negative AS (
    SELECT doc_id, seg_idx, any_value(evidence) AS text, any_value(week) AS week, any_value(lang) AS lang,
           any_value(start_char) AS start_char, any_value(end_char) AS end_char,
           any_value(document_text) AS document_text, any_value(source) AS source,
           any_value(created_at) AS created_at, any_value(sentiment_score) AS p_negative
    FROM v_verbatims
    WHERE week BETWEEN getvariable('hist_start') AND getvariable('week_start')
      AND {F}
    GROUP BY doc_id, seg_idx
), best AS (
    SELECT doc_id, seg_idx, max(touchpoint_score) AS best_score
    FROM v_segment_touchpoints
    WHERE week BETWEEN getvariable('hist_start') AND getvariable('week_start')
    GROUP BY ALL
)
SELECT n.doc_id, n.seg_idx, n.text, n.week, n.lang, n.source, n.created_at, n.start_char, n.end_char,
       n.document_text, n.p_negative, b.best_score, left(sha256(chr(31) || n.text), 32) AS text_hash
FROM negative n
LEFT JOIN best b USING (doc_id, seg_idx)
WHERE coalesce(b.best_score, 0) < getvariable('theme_max_score')
  AND n.p_negative >= getvariable('theme_min_negative')
  AND len(regexp_extract_all(n.text, '\\p{{L}}{{2,}}')) >= 3
ORDER BY n.doc_id, n.seg_idx;"""

# The explorable report's data: the same figures as above, cut by week and by every facet the page filters
# on, so that the page can add up any filter combination exactly (counts and sums only; the ratios are taken
# in the browser after adding, in the same order of operations as the queries above).
FACETS = "source, channel, product, lang"

EXPLORE_DOCUMENTS = f"""-- Explore, documents: the headline figures' sums per week and facet cell. share_negative = negative /
-- with_text; NPS = 100 x (promoters - detractors) / nps_answers; CSAT, CES = sum / answers.
SELECT week, {FACETS}, count(*) AS documents, count(sentiment) AS with_text,
       count(*) FILTER (WHERE sentiment = 'negative') AS negative,
       count(nps) AS nps_answers, count(*) FILTER (WHERE nps >= 9) AS promoters,
       count(*) FILTER (WHERE nps <= 6) AS detractors,
       count(csat) AS csat_answers, coalesce(sum(csat), 0) AS csat_sum,
       count(ces) AS ces_answers, coalesce(sum(ces), 0) AS ces_sum
FROM v_documents
WHERE week IS NOT NULL AND {F}
GROUP BY ALL
ORDER BY ALL;"""

#: The explorable page's emotion-and-effort filter: each clause's feelings as a bit mask (bit i = FEELINGS[i]),
#: so that the page adds up exactly the cells whose mask meets the feelings picked (a clause can have several).
#: The feelings of complaints only: joy and surprise (in v_segment_affect too) are no filter values, since with
#: them the page's touchpoint cells tripled at 100k documents (bench/README.md, "The explorable HTML report").
_HAS_FEELING = {  # each feeling's test on a segment_affect row
    "anger": "list_contains(emotions, 'anger')",
    "sadness": "list_contains(emotions, 'sadness')",
    "fear": "list_contains(emotions, 'fear')",
    "hard_effort": "coalesce(effort = 'hard', false)",
}
FEELINGS = tuple(_HAS_FEELING)
_FEEL_MASK = " + ".join(f"{1 << i} * {_HAS_FEELING[f]}::INTEGER" for i, f in enumerate(FEELINGS))
_FEEL = f"""feel AS (
    SELECT doc_id, seg_idx, model_version, {_FEEL_MASK} AS feel
    FROM segment_affect
)"""


def _with_feel(view: str) -> str:
    """``view``'s rows of dated documents within the filters, with their clause's feelings (0: none, or none scored)."""
    return f"""SELECT v.*, coalesce(f.feel, 0) AS feel
    FROM {view} v
    LEFT JOIN feel f USING (doc_id, seg_idx, model_version)
    WHERE week IS NOT NULL AND {F}"""


EXPLORE_TOUCHPOINTS = f"""-- Explore, touchpoints: per week, facet cell, touchpoint and feelings, the pain_points and journey sums.
--   feel           bit mask of the clause's feelings (anger 1, sadness 2, fear 4, hard effort 8; from
--                  segment_affect); on the document counts the bit_or over the document's clauses that count
--                  it. The page's feelings filter adds up the cells whose mask has a bit picked; without it,
--                  the cells summed over feel.
--   complaints     pain points (v_pain_points rows); documents: the documents they are in
--   primary        documents whose primary touchpoint it is (v_document_causes rows; the cause clause's feelings)
--   mentions, negative, neutral, positive: segment-touchpoint links by sentiment
--   resp_*         the week's survey answers of documents that mention the touchpoint: NPS answers,
--                  promoters, detractors, CSAT and CES answers and sums (nps_impact = NPS of the other
--                  respondents minus the week's NPS, from these and explore_documents; the drill-down shows
--                  the touchpoint's own NPS, CSAT and CES)
WITH {_FEEL}, pain AS (
    {_with_feel("v_pain_points")}
), mention AS (
    {_with_feel("v_segment_touchpoints")}
), pains AS (
    SELECT week, {FACETS}, touchpoint, stage, feel, count(*) AS complaints
    FROM pain
    GROUP BY ALL
), pain_docs AS (
    SELECT week, {FACETS}, touchpoint, stage, feel, count(*) AS documents
    FROM (SELECT week, {FACETS}, touchpoint, stage, doc_id, bit_or(feel) AS feel FROM pain GROUP BY ALL)
    GROUP BY ALL
), primaries AS (
    SELECT week, {FACETS}, touchpoint, stage, feel, count(*) AS "primary"
    FROM ({_with_feel("v_document_causes")})
    GROUP BY ALL
), links AS (
    SELECT week, {FACETS}, touchpoint, stage, feel, count(*) AS mentions,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive
    FROM mention
    GROUP BY ALL
), respondents AS (
    SELECT m.week, d.source, d.channel, d.product, d.lang, m.touchpoint, m.stage, m.feel,
           count(d.nps) AS resp_answers, count(*) FILTER (WHERE d.nps >= 9) AS resp_promoters,
           count(*) FILTER (WHERE d.nps <= 6) AS resp_detractors,
           count(d.csat) AS resp_csat_answers, coalesce(sum(d.csat), 0) AS resp_csat_sum,
           count(d.ces) AS resp_ces_answers, coalesce(sum(d.ces), 0) AS resp_ces_sum
    FROM (SELECT doc_id, week, touchpoint, stage, bit_or(feel) AS feel FROM mention GROUP BY ALL) m
    JOIN v_documents d ON d.doc_id = m.doc_id AND d.week = m.week
    WHERE d.nps IS NOT NULL OR d.csat IS NOT NULL OR d.ces IS NOT NULL
    GROUP BY ALL
)
SELECT week, {FACETS}, touchpoint, stage, feel,
       coalesce(complaints, 0) AS complaints, coalesce(documents, 0) AS documents,
       coalesce("primary", 0) AS "primary", coalesce(mentions, 0) AS mentions, coalesce(negative, 0) AS negative,
       coalesce(neutral, 0) AS neutral, coalesce(positive, 0) AS positive,
       coalesce(resp_answers, 0) AS resp_answers, coalesce(resp_promoters, 0) AS resp_promoters,
       coalesce(resp_detractors, 0) AS resp_detractors,
       coalesce(resp_csat_answers, 0) AS resp_csat_answers, coalesce(resp_csat_sum, 0) AS resp_csat_sum,
       coalesce(resp_ces_answers, 0) AS resp_ces_answers, coalesce(resp_ces_sum, 0) AS resp_ces_sum
FROM pains
FULL JOIN pain_docs USING (week, {FACETS}, touchpoint, stage, feel)
FULL JOIN primaries USING (week, {FACETS}, touchpoint, stage, feel)
FULL JOIN links USING (week, {FACETS}, touchpoint, stage, feel)
FULL JOIN respondents USING (week, {FACETS}, touchpoint, stage, feel)
ORDER BY ALL;"""

EXPLORE_SILENT = f"""-- Explore, silent customers: the silent query's counts per week and cell (no language: a text-less
-- answer has none); the page shows them by coalesce(channel, source).
SELECT week, source, channel, product,
       {_SILENT_COUNTS}
FROM v_survey_scores
WHERE week IS NOT NULL AND {_F}
GROUP BY ALL
HAVING count(*) FILTER (WHERE nps <= 6 OR csat <= 2 OR ces <= 3) > 0
ORDER BY ALL;"""

EXPLORE_VERBATIMS = f"""-- Explore, verbatims: per week, touchpoint, source and language the most severe complaints, one per
-- document and per wording, at most getvariable('verbatims_per_cell') (top = true; the page pages through
-- them), and as many again for each feeling (bit of feel, as in explore_touchpoints) among the clauses that
-- have it (top = false unless also among the first), which the page shows under its feelings filter.
WITH {_FEEL}, pain AS (
    {_with_feel("v_pain_points")}
), tagged AS (
    SELECT *, 0 AS bit FROM pain
    UNION ALL
    SELECT pain.*, b.bit
    FROM pain, (SELECT unnest([{", ".join(str(1 << i) for i in range(len(FEELINGS)))}]) AS bit) b
    WHERE (pain.feel & b.bit) <> 0
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY week, touchpoint, source, lang, bit
                                 ORDER BY severity DESC, doc_id, seg_idx) AS r
    FROM (
        SELECT *,
               row_number() OVER (PARTITION BY week, touchpoint, bit, doc_id ORDER BY severity DESC, seg_idx)
                   AS per_doc,
               row_number() OVER (PARTITION BY week, touchpoint, bit, lower(evidence)
                                  ORDER BY severity DESC, doc_id) AS per_wording
        FROM tagged
    )
    WHERE per_doc = 1 AND per_wording = 1
)
SELECT week, touchpoint, doc_id, seg_idx, any_value(evidence) AS evidence, any_value(start_char) AS start_char,
       any_value(end_char) AS end_char, any_value(document_text) AS document_text, any_value(severity) AS severity,
       any_value(source) AS source, any_value(channel) AS channel, any_value(product) AS product,
       any_value(lang) AS lang, any_value(created_at) AS created_at, any_value(feel) AS feel,
       bool_or(bit = 0) AS top
FROM ranked
WHERE r <= getvariable('verbatims_per_cell')
GROUP BY week, touchpoint, doc_id, seg_idx
ORDER BY week DESC, touchpoint, severity DESC, doc_id, seg_idx;"""

#: Run by vocmine/report/explore.py for the explorable HTML page (documented with the others).
EXPLORE_QUERIES: dict[str, str] = {
    "explore_documents": EXPLORE_DOCUMENTS,
    "explore_touchpoints": EXPLORE_TOUCHPOINTS,
    "explore_silent": EXPLORE_SILENT,
    "explore_verbatims": EXPLORE_VERBATIMS,
}

QUERIES: dict[str, str] = {
    "data_weeks": DATA_WEEKS,
    "headline": HEADLINE,
    "pain_points": PAIN_POINTS,
    "verbatims": VERBATIMS,
    "journey": JOURNEY,
    "silent": SILENT,
    "theme_candidates": THEME_CANDIDATES,
}

INTRO = """# The pain-point report: every number's SQL

<!-- Generated by `python -m vocmine.report.queries > docs/report.md` from vocmine/report/queries.py;
     do not edit by hand (a test compares). -->

`vocmine report` (and the `report` flow, run after each nightly run) reads only the analyst views
(`docs/schema.md`) and, for the new themes, the stored embeddings in `encoder_outputs`. Every figure below is the
result of one of these queries, unchanged: the report runs exactly this text.

## Period, filters and thresholds

A report covers one **week** (Monday to Sunday, by `created_at` in UTC; default: the latest week with feedback)
and compares it with the **weeks before** it (default 8; fewer when the feedback starts later). Options:
`--week 2026-10-12` (any day of the week), `--weeks 8`, filters `--source`, `--channel`, `--product`,
`--language` (repeatable; values of the same filter combine with OR, different filters with AND). The queries read them from DuckDB session variables. Set them
first (the report prints its own values at the end, under "Reproduce"); a filter left NULL is off:

```sql
{set_example}
```

Then run any query below in the same session: in the DuckDB shell (`duckdb -readonly
var/vocmine.snapshot.duckdb`), or as one `vocmine query "SET VARIABLE …; SET VARIABLE …; SELECT …"` call (each
call is a new session, so the `SET VARIABLE` lines go in the same call).

## Rules, in words

- **Priority** of a touchpoint = complaints this week × negativity × trend × (1 + max(NPS impact, 0) / 10).
  *Complaints* are pain points (negative segments linked to the touchpoint); *negativity* is the share of the
  week's mentions of the touchpoint that are negative; *trend* = (complaints + 1) / (mean weekly complaints in
  the weeks before + 1), above 1 when it is getting worse; every 10 points of *NPS impact* (below) add 100%.
  Beside the complaints, *Main cause of* counts the week's complaining documents whose primary touchpoint it is
  (`v_document_causes`: one per document, so a document with two touchpoints counts under one).
- **NPS impact** = NPS of the week's respondents who did not mention the touchpoint − the week's NPS: how much
  NPS would rise if this touchpoint's complaints were gone (positive: the touchpoint costs NPS).
- **Emerging**: a touchpoint (or new theme) whose complaints this week are at least `min_volume` (default 10)
  and at least `z_threshold` (default 3) standard deviations above the mean of its own weekly history, with an
  over-dispersed Poisson standard deviation `sqrt(max(variance, mean, 1))` of the weeks before (the variance
  when the history is noisy; the Poisson `sqrt(mean)` when it is flat; at least 1 so that a touchpoint with no
  history is not flagged for two complaints). The rule is deliberately not scaled by the week's total volume:
  a complaint wave brings extra feedback of its own, and scaling would hide it. Emerging items come first; the
  report says it in words, "52 complaints this week against 12.4 a week before — 4.2× the usual" (complaints /
  mean weekly complaints before), and keeps `z` for the query's output.
- **Verbatims**: per touchpoint, the week's three most severe complaints (severity = p(negative) ×
  touchpoint confidence), one per document and per wording; the evidence span is highlighted in the masked text.
- **New themes**: negative segments of the whole window that fit no touchpoint well (no touchpoint, or best
  confidence below `theme_max_score`, default 0.6), that are surely negative (calibrated p(negative) at least
  `theme_min_negative`, default 0.7) and have at least three words, are clustered on their stored
  embeddings (agglomerative, cosine distance, average linkage; clusters of at least 3 segments). A cluster is
  named by its most representative remark: the segment nearest its centre (one of the next two when the
  nearest holds an order number or a PII placeholder), in the report's language when the cluster has segments
  in it, cut to its first clause past 8 words and without a leading "but"/"а ещё"; its three most distinctive
  words come beside the name (c-TF-IDF: a word's frequency in the cluster × log(1 + average words per cluster
  / the word's frequency over all clusters), stop words of spaCy's English and Russian lists left out). Its
  id is that of the stored theme (table `themes`, written by each nightly and reprocessing run) whose centroid
  is within cosine 0.95 of its own, one cluster per theme, the most similar first; a cluster that matches none
  has no id until a run records it. Its weekly counts go through the same emerging rule. The report shows the
  first `top_themes` (default 12) in full, emerging ones first and then by complaints this week, and counts the
  rest. On the sample data (`bench/themes.py`, ground truth of the sample generator): without the
  p(negative) cut 2 praise remarks («Кукла — просто бомба 🔥», p(negative) 0.66 and 0.51) made a theme with one
  complaint; with it none enters a theme, and 10 of the 11 complaints that were in themes still are. Over every
  negative segment of the window (touchpoint or not: 1,385 segments, ~160 clusters) praise in themes falls from
  79 to 40 remarks and from 16 to 8 mostly-praise themes; the rest the model reads as negative at 0.84 or more
  ("but got my parcel in a minute!!"), which no cut on its score can tell. The nearest-centre remark finds its
  own theme again (its embedding nearest that theme's centre) for 91% of the English and 95% of the Russian
  themes there, against 67% and 73% for the most distinctive 2-4 word phrase, which also loses negations
  («Восстановление пароля работает» for «…не работает»).
- **Silent customers**: survey answers with a score and no text that are unhappy (NPS 0-6, CSAT 1-2, CES 1-3).
- **Changes** in the headline: this week minus the weeks before (documents: minus the weekly average).
{journey_rules}"""


EXPLORE_INTRO = """## The explorable page's data

The HTML report is explorable: a week picker and filters by source, channel, product, language and journey
stage. It does not embed one result per filter combination (5 filters of a few values each multiply to
thousands); it embeds the **sums** behind every figure per week and facet cell (source x channel x product x
language, and touchpoint with its stage), from the queries below, and the page adds the cells a filter selects
and then takes the same ratios, roundings and rules as the queries above. Counts and sums add up exactly, so the
page shows what the queries above return for that filter (tests/test_browser.py checks this against them). The
stage filter narrows the touchpoint figures (pain points, journey map, verbatims); the headline and silent
customers are per document and ignore it. New themes are clustered in Python for the reported week only.

Size bound: at most `vocmine.report.explore.MAX_BYTES` (5 MB) of embedded data; verbatims are capped at
`verbatims_per_cell` (3) per week x touchpoint x source x language, and when the bound is still exceeded the
oldest weeks' verbatims are dropped first (the page says from which week on it has them). The sums are never
cut.
"""


def render_markdown() -> str:
    example = Period(date(2026, 11, 2), filters=Filters(sources=("reviews", "surveys"))).set_statements()
    from vocmine.report import affect, journeys  # (they build on this module)

    rules = journeys.RULES + affect.RULES
    parts = [INTRO.format(set_example=example, journey_rules=rules), "## The queries\n"]
    for name, sql in {**QUERIES, **journeys.QUERIES, **affect.QUERIES}.items():
        parts.append(f"### `{name}`\n\n```sql\n{sql}\n```\n")
    parts.append("## Recipes\n\nQueries the report does not run, for an analyst's own questions.\n")
    for name, sql in affect.RECIPES.items():
        parts.append(f"### `{name}`\n\n```sql\n{sql}\n```\n")
    parts.append(EXPLORE_INTRO)
    for name, sql in EXPLORE_QUERIES.items():
        parts.append(f"### `{name}`\n\n```sql\n{sql}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
