"""The report's data: typed figures computed only by the documented queries (``queries.py``) over the views.

``build_report`` runs the queries for one period and filters and assembles them; the renderers
(``markdown.py``, ``html.py``) only format what is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vocmine.errors import InputError, UsageError
from vocmine.report import queries as q
from vocmine.report.affect import build_affect
from vocmine.report.affect import section as affect_section
from vocmine.report.journeys import Journeys, build_journeys
from vocmine.report.journeys import section as journey_section
from vocmine.report.queries import Filters, Period, Rules
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

if TYPE_CHECKING:
    from vocmine.report.explore import ExploreData

CONTEXT_CHARS = 140  # of masked text shown either side of an evidence span


class NoData(InputError):
    """Nothing stored to report on (yet, or in the week asked for): a ``ValueError`` with a hint."""


def parse_week(value: str) -> date:
    """A day of the week to report: ``2026-11-02`` (any day of it) or the ISO week ``2026-W45``."""
    v = value.strip()
    try:
        if "-W" in v.upper():
            year, wk = v.upper().split("-W")
            return date.fromisocalendar(int(year), int(wk.split("-")[0]), 1)
        return date.fromisoformat(v)
    except ValueError:
        raise UsageError(
            f"--week {value!r} is not a date",
            "write a day of the week as YYYY-MM-DD or the ISO week as YYYY-Www",
        ) from None


@dataclass(frozen=True)
class Metric:
    """A headline figure this week and in the weeks before (documents: their weekly average)."""

    key: str  # documents | share_negative | nps | csat | ces
    current: float | None
    previous: float | None
    answers: int  # what the current value is computed from (documents, or answers with that score)

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 4)


@dataclass(frozen=True)
class Verbatim:
    """A customer's words: the masked text around the evidence span, split so renderers can highlight it."""

    doc_id: str
    before: str
    evidence: str
    after: str
    source: str
    lang: str
    day: date


@dataclass(frozen=True)
class PainPoint:
    touchpoint: str
    name: str
    stage: str
    stage_name: str
    complaints: int
    documents: int
    mentions: int
    negative_mentions: int
    negativity: float
    baseline_mean: float
    trend: float
    nps_impact: float | None
    priority: float
    z: float
    emerging: bool
    weekly: list[int]  # complaints per week, oldest first, ending with the reported week
    verbatims: list[Verbatim] = field(default_factory=list)
    primary: int = 0  # complaints (documents) whose primary touchpoint it is (v_document_causes)


@dataclass(frozen=True)
class Theme:
    """A cluster of negative segments that fit no touchpoint: a candidate for the taxonomy."""

    words: list[str]  # most distinctive words: the secondary label
    size: int  # segments in the whole window
    complaints: int  # of which in the reported week
    baseline_mean: float
    z: float
    emerging: bool
    weekly: list[int]
    examples: list[Verbatim]
    label: str = ""  # its most representative phrase, in the report's language when it has segments in it
    labels: dict[str, str] = field(default_factory=dict)  # that phrase per language of its segments
    clauses: dict[str, list[str]] = field(
        default_factory=dict
    )  # masked segments nearest its centre, per lang
    id: str | None = None  # stable id from the themes table (tracking.py); None until a run records it
    encoder: str | None = field(default=None, repr=False, compare=False)
    centroid: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.label or self.words_label

    @property
    def words_label(self) -> str:
        return " · ".join(self.words)


@dataclass(frozen=True)
class JourneyCell:
    stage: str
    stage_name: str
    touchpoint: str
    name: str
    mentions: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float


@dataclass(frozen=True)
class SilentRow:
    channel: str
    detractors: int
    silent_detractors: int
    low_csat: int
    silent_low_csat: int
    low_ces: int
    silent_low_ces: int
    silent_unhappy: int


@dataclass(frozen=True)
class Emerging:
    kind: str  # touchpoint | theme
    name: str
    complaints: int
    baseline_mean: float
    z: float


@dataclass(frozen=True)
class Section:
    """An extra report section (journeys, effort and emotion, ...), placed after the journey map.

    ``html`` is a fragment its maker built with every value escaped (it goes in unescaped); ``markdown`` is
    its Markdown for summary.md and the Prefect artifact. ``build_report`` collects them in ``Report.sections``.
    """

    key: str  # the section's HTML id
    title: str
    note: str  # one line under the title: what the figures mean
    html: str
    markdown: str


@dataclass(frozen=True)
class Report:
    period: Period
    lang: str  # language of the labels: en | ru
    generated_at: datetime
    headline: list[Metric]
    pain_points: list[PainPoint]  # every touchpoint with complaints in the window, by priority
    themes: list[Theme]  # emerging first, then by complaints this week
    journey: list[JourneyCell]
    silent: list[SilentRow]
    sections: list[Section] = field(default_factory=list)  # extra sections, in order (see Section)
    explore: ExploreData | None = None  # the explorable page's data (vocmine/report/explore.py)
    weeks_back: int = 8  # weeks compared with, as asked (period.weeks: as many as the data has)
    journeys: Journeys | None = None  # the customer-journey section (vocmine/report/journeys.py)

    @property
    def top(self) -> list[PainPoint]:
        return self.pain_points[: self.period.rules.top_n]

    @property
    def top_themes(self) -> list[Theme]:
        return self.themes[: self.period.rules.top_themes]

    @property
    def more_themes(self) -> tuple[int, int]:
        """(themes, remarks) past ``top_themes``: the report counts them instead of showing each."""
        rest = self.themes[self.period.rules.top_themes :]
        return len(rest), sum(t.size for t in rest)

    @property
    def emerging(self) -> list[Emerging]:
        items = [
            Emerging("touchpoint", p.name, p.complaints, p.baseline_mean, p.z)
            for p in self.pain_points
            if p.emerging
        ]
        items += [
            Emerging("theme", t.name, t.complaints, t.baseline_mean, t.z) for t in self.themes if t.emerging
        ]
        return sorted(items, key=lambda e: -e.z)

    def metric(self, key: str) -> Metric:
        return next(m for m in self.headline if m.key == key)


def z_score(weekly: list[int]) -> tuple[float, float]:
    """(history mean, z) of the last week against the ones before: the PAIN_POINTS query's rule, in Python."""
    s = pd.Series(weekly[:-1], dtype=float)
    mean = float(s.mean()) if len(s) else 0.0
    var = float(s.var(ddof=0)) if len(s) else 0.0
    return mean, (weekly[-1] - mean) / max(var, mean, 1.0) ** 0.5


def verbatim(row) -> Verbatim:
    """Cut the masked document text around [start_char, end_char) (chats can be long)."""
    text, s, e = row.document_text, int(row.start_char), int(row.end_char)
    a, b = max(0, s - CONTEXT_CHARS), min(len(text), e + CONTEXT_CHARS)
    return Verbatim(
        doc_id=row.doc_id,
        before=("…" if a else "") + text[a:s],
        evidence=text[s:e],
        after=text[e:b] + ("…" if b < len(text) else ""),
        source=row.source,
        lang=row.lang,
        day=pd.Timestamp(row.created_at).date(),
    )


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _check_week(con, monday: date) -> None:
    """A week asked for that has no documents: an error naming the weeks that have, not a report of dashes."""
    rows = con.execute(f"SELECT DISTINCT week FROM v_documents WHERE {q.F}").fetchall()
    have = [pd.Timestamp(w).date() for (w,) in rows]
    if monday in have:
        return
    have.sort()
    shown = ", ".join(f"{w:%Y-%m-%d}" for w in have[-12:])
    raise NoData(
        f"no documents in the week of {monday:%Y-%m-%d} for these filters",
        f"weeks with data: {'…, ' if len(have) > 12 else ''}{shown}; give --week one of them",
    )


def resolve_period(con, week: date | None, weeks: int, filters: Filters, rules: Rules) -> Period:
    """The week containing ``week`` (default: the latest with feedback begun by today) and the ``weeks``
    before it that have feedback; leaves the connection's variables set for DATA_WEEKS only."""
    # the filters first: DATA_WEEKS reads them
    q.set_variables(con, Period(week or date.today(), weeks, filters, rules))
    first, last = con.execute(q.DATA_WEEKS).fetchone()
    if last is None:
        raise NoData("the database holds no documents for these filters yet: nothing to report")
    monday = pd.Timestamp(week or last).date()
    monday = date.fromordinal(monday.toordinal() - monday.weekday())
    if week is not None:
        _check_week(con, monday)
    # never compare with weeks before the feedback starts: empty weeks would fake a rising trend
    history = max(0, min(weeks, (monday - first).days // 7))
    return Period(monday, history, filters, rules)


def build_report(
    store: Store,
    taxonomy: Taxonomy,
    week: date | None = None,
    weeks: int = 8,
    filters: Filters | None = None,
    rules: Rules | None = None,
    lang: str = "en",
) -> Report:
    """The report for the week containing ``week`` (default: the latest with feedback begun by today) vs the
    ``weeks`` before."""
    from vocmine.report import tracking  # (these build on this module's types)
    from vocmine.report.explore import collect
    from vocmine.report.themes import find_themes

    with store.connect(read_only=True) as con:
        period = resolve_period(con, week, weeks, filters or Filters(), rules or Rules())
        q.set_variables(con, period)
        frames = {name: con.execute(sql).df() for name, sql in q.QUERIES.items() if name != "data_weeks"}
        explore = collect(con, taxonomy, lang)
        journeys = build_journeys(con, period, taxonomy, lang)
        affect = build_affect(con, period, taxonomy, lang)
        known = tracking.stored_themes(con)

    head = frames["headline"].set_index("period")
    cur = head.loc["current"] if "current" in head.index else None
    prev = head.loc["previous"] if "previous" in head.index else None
    headline = [
        Metric(
            key,
            _num(cur[col]) if cur is not None else None,
            _num(prev[col]) if prev is not None else None,
            int(cur[n]) if cur is not None else 0,
        )
        for key, col, n in (
            ("documents", "documents_per_week", "documents"),
            ("share_negative", "share_negative", "documents_with_text"),
            ("nps", "nps", "nps_answers"),
            ("csat", "csat", "csat_answers"),
            ("ces", "ces", "ces_answers"),
        )
    ]

    verb = frames["verbatims"]
    quotes = {tp: [verbatim(r) for r in g.itertuples()] for tp, g in verb.groupby("touchpoint", sort=False)}
    pains = [
        PainPoint(
            touchpoint=r.touchpoint,
            name=taxonomy.label(r.touchpoint, lang),
            stage=r.stage,
            stage_name=_stage_name(taxonomy, r.stage, lang),
            complaints=int(r.complaints),
            documents=int(r.documents),
            primary=int(r.primary),
            mentions=int(r.mentions),
            negative_mentions=int(r.negative_mentions),
            negativity=float(r.negativity),
            baseline_mean=float(r.baseline_mean),
            trend=float(r.trend),
            nps_impact=_num(r.nps_impact),
            priority=float(r.priority),
            z=float(r.z),
            emerging=bool(r.emerging),
            weekly=[int(x) for x in r.weekly],
            verbatims=quotes.get(r.touchpoint, []),
        )
        for r in frames["pain_points"].itertuples()
    ]
    journey = [
        JourneyCell(
            stage=r.stage,
            stage_name=_stage_name(taxonomy, r.stage, lang),
            touchpoint=r.touchpoint,
            name=taxonomy.label(r.touchpoint, lang),
            mentions=int(r.mentions),
            negative=int(r.negative),
            neutral=int(r.neutral),
            positive=int(r.positive),
            net_sentiment=float(r.net_sentiment),
        )
        for r in frames["journey"].itertuples()
    ]
    order = {s.id: i for i, s in enumerate(taxonomy.stages)}
    journey.sort(key=lambda c: (order.get(c.stage, len(order)), c.touchpoint))
    silent = [
        SilentRow(**{k: (v if k == "channel" else int(v)) for k, v in r._asdict().items() if k != "Index"})
        for r in frames["silent"].itertuples()
    ]
    return Report(
        period=period,
        lang=lang,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        headline=headline,
        pain_points=pains,
        themes=tracking.identify(
            find_themes(with_embeddings(store, frames["theme_candidates"]), period, lang), known
        ),
        journey=journey,
        silent=silent,
        explore=explore,
        weeks_back=weeks,
        journeys=journeys,
        sections=[
            sec for sec in [journey_section(journeys, lang), affect_section(affect, lang)] if sec is not None
        ],
    )


def with_embeddings(store: Store, candidates: pd.DataFrame) -> pd.DataFrame:
    """The theme candidates that have a stored embedding (``embedding`` column; ``encoder``: its name) of the
    encoder that embedded most of them (ties: the first by name), read by text hash (docs/report.md, ``theme_candidates``)."""
    stored = store.stored_embeddings(candidates["text_hash"].tolist())
    if not stored:
        return candidates.iloc[:0].assign(embedding=[], encoder=[])
    encoder = max(sorted(stored), key=lambda e: len(stored[e]))
    vectors = stored[encoder]
    kept = candidates[candidates["text_hash"].isin(vectors)]
    return kept.assign(embedding=[vectors[h] for h in kept["text_hash"]], encoder=encoder)


def _stage_name(taxonomy: Taxonomy, stage: str, lang: str) -> str:
    for s in taxonomy.stages:
        if s.id == stage:
            return s.name.get(lang) or s.name.get("en") or stage
    return stage
