"""The explorable HTML page's embedded data: the sums behind every figure per week and facet cell.

The page adds up the cells a filter selects and takes the same ratios and rules as the report's queries
(docs/report.md, "The explorable page's data"); this module runs the ``EXPLORE_QUERIES`` and packs their
results as compact column-wise JSON with dictionary-coded facets, within ``MAX_BYTES``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import duckdb
import pandas as pd

from vocmine.report import queries as q
from vocmine.report.i18n import t as label
from vocmine.report.model import verbatim
from vocmine.taxonomy import Taxonomy

#: Bound on the embedded JSON: the sums are kept whole (the numbers must stay exact); verbatims of the oldest
#: weeks are dropped first, then, only if the sums alone are larger, the oldest weeks themselves.
MAX_BYTES = 5_000_000
VERBATIMS_PER_CELL = 3  # per week x touchpoint x source x language
FACETS = ("source", "channel", "product", "lang")
_COUNTS = {
    "explore_documents": (
        "documents",
        "with_text",
        "negative",
        "nps_answers",
        "promoters",
        "detractors",
        "csat_answers",
        "csat_sum",
        "ces_answers",
        "ces_sum",
    ),
    "explore_touchpoints": (
        "complaints",
        "documents",
        "primary",
        "mentions",
        "negative",
        "neutral",
        "positive",
        "resp_answers",
        "resp_promoters",
        "resp_detractors",
        "resp_csat_answers",
        "resp_csat_sum",
        "resp_ces_answers",
        "resp_ces_sum",
    ),
    "explore_silent": (
        "detractors",
        "silent_detractors",
        "low_csat",
        "silent_low_csat",
        "low_ces",
        "silent_low_ces",
        "silent_unhappy",
    ),
}


@dataclass(frozen=True)
class ExploreData:
    """What the page embeds: ``payload`` (JSON-ready) and how it was bounded."""

    payload: dict
    size: int  # bytes of the JSON
    weeks_dropped: int = 0  # oldest weeks left out entirely to keep the bound
    verbatims_from: str | None = None  # the first week with verbatims when older ones were dropped

    def json(self) -> str:
        return dumps(self.payload)


def dumps(payload: dict) -> str:
    """Compact JSON that is safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` in customer text)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _codes(values: pd.Series, names: list[str | None]) -> list[int]:
    """Each value's index in ``names`` (-1 for NULL: a filter on that facet never selects it, as in SQL)."""
    index = {n: i for i, n in enumerate(names)}
    return [-1 if v is None or pd.isna(v) else index[v] for v in values]


def collect(
    con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, lang: str, max_bytes: int = MAX_BYTES
) -> ExploreData:
    """Run the explore queries on a connection whose filter variables are set (``queries.set_variables``)."""
    con.execute("SET VARIABLE verbatims_per_cell = ?", [VERBATIMS_PER_CELL])
    frames = {name: con.execute(sql).df() for name, sql in q.EXPLORE_QUERIES.items()}
    docs = frames["explore_documents"]
    if docs.empty:
        return ExploreData({}, 0)
    first, last = (pd.Timestamp(docs["week"].min()).date(), pd.Timestamp(docs["week"].max()).date())
    weeks = [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]

    dims: dict[str, list] = {}
    for f in FACETS:
        seen = pd.concat([fr[f] for fr in frames.values() if f in fr]).dropna().unique()
        dims[f] = sorted(str(v) for v in seen)
    stage_order = [s.id for s in taxonomy.stages]
    tps = frames["explore_touchpoints"][["touchpoint", "stage"]].drop_duplicates("touchpoint")
    stages = sorted(set(tps["stage"]), key=lambda s: (stage_order.index(s) if s in stage_order else 99, s))
    tps = tps.assign(order=[stages.index(s) for s in tps["stage"]]).sort_values(["order", "touchpoint"])
    tp_ids = list(tps["touchpoint"])
    stage_names = {s.id: (s.name.get(lang) or s.name.get("en") or s.id) for s in taxonomy.stages}

    def table(frame: pd.DataFrame, name: str) -> dict:
        out = {"week": [weeks.index(pd.Timestamp(w).date()) for w in frame["week"]]}
        for f in FACETS:
            if f in frame:
                out[f] = _codes(frame[f], dims[f])
        if "touchpoint" in frame:
            out["tp"] = [tp_ids.index(t) for t in frame["touchpoint"]]
        if "feel" in frame:
            out["feel"] = [int(v) for v in frame["feel"]]
        for c in _COUNTS[name]:
            out[c] = [int(v) for v in frame[c]]
        return out

    verb = frames["explore_verbatims"]
    # the touchpoint cells summed over feel, and apart only those with a feeling (the feelings filter's): a
    # cell per mask for every cell would triple them. (Grouping also joins the rows of one cell that the
    # query's FULL JOINs keep apart where a facet is NULL.)
    tp_frame = frames["explore_touchpoints"]
    keys, counts = ["week", *FACETS, "touchpoint", "stage"], list(_COUNTS["explore_touchpoints"])
    whole = tp_frame.groupby(keys, dropna=False, sort=False)[counts].sum().reset_index()
    felt = tp_frame[tp_frame["feel"] != 0]
    felt = felt.groupby([*keys, "feel"], dropna=False, sort=False)[counts].sum().reset_index()
    feelings = list(q.FEELINGS) if len(felt) else []
    quotes = [verbatim(r) for r in verb.itertuples()]
    payload = {
        "weeks": [f"{w:%Y-%m-%d}" for w in weeks],
        "dims": dims,
        "touchpoints": {
            "id": tp_ids,
            "name": [taxonomy.label(t, lang) for t in tp_ids],
            "stage": [stages.index(s) for s in tps["stage"]],
        },
        "stages": {"id": stages, "name": [stage_names.get(s, s) for s in stages]},
        # the feelings filter's values (bit i of a cell's ``feel``); none when no clause has a feeling
        "feelings": {"id": feelings, "name": [label(f"feel_{f}", lang) for f in feelings]},
        "docs": table(docs, "explore_documents"),
        "tps": table(whole, "explore_touchpoints"),
        "tps_feel": table(felt, "explore_touchpoints"),
        "silent": table(frames["explore_silent"], "explore_silent"),
        "verbatims": {
            "week": [weeks.index(pd.Timestamp(w).date()) for w in verb["week"]],
            "tp": [tp_ids.index(t) if t in tp_ids else -1 for t in verb["touchpoint"]],
            **{f: _codes(verb[f], dims[f]) for f in FACETS},
            "severity": [round(float(s), 4) for s in verb["severity"]],
            "feel": [int(v) for v in verb["feel"]],
            "top": [bool(v) for v in verb["top"]],
            "doc": list(verb["doc_id"]),
            "seg": [int(s) for s in verb["seg_idx"]],
            "before": [v.before for v in quotes],
            "evidence": [v.evidence for v in quotes],
            "after": [v.after for v in quotes],
            "day": [f"{v.day:%Y-%m-%d}" for v in quotes],
        },
        "verbatims_from": None,
        "weeks_dropped": 0,
    }
    return bound(payload, max_bytes)


def _size(payload: dict) -> int:
    return len(dumps(payload).encode("utf-8"))


def _keep_rows(table: dict, keep: list[bool]) -> dict:
    return {k: [v for v, ok in zip(col, keep, strict=True) if ok] for k, col in table.items()}


def bound(payload: dict, max_bytes: int) -> ExploreData:
    """Fit ``payload`` into ``max_bytes``: drop the oldest weeks' verbatims, then the oldest weeks."""
    payload.setdefault("verbatims_from", None)
    size = _size(payload)
    verb = payload["verbatims"]
    weeks = payload["weeks"]
    if size > max_bytes and verb["week"]:
        # bytes per week of verbatims, newest first: keep whole weeks while they fit
        per_week = pd.Series([_size({"v": [verb[k][i] for k in verb]}) for i in range(len(verb["week"]))])
        by_week = per_week.groupby(pd.Series(verb["week"])).sum().sort_index(ascending=False)
        budget = max_bytes - (size - int(per_week.sum()))
        kept = by_week.cumsum() <= budget
        first_kept = min((w for w, ok in kept.items() if ok), default=len(weeks))
        payload["verbatims"] = _keep_rows(verb, [w >= first_kept for w in verb["week"]])
        payload["verbatims_from"] = weeks[first_kept] if first_kept < len(weeks) else weeks[-1]
        size = _size(payload)
    dropped = 0
    while size > max_bytes and len(payload["weeks"]) > 1:
        # the sums alone are too large: leave out the oldest weeks (never part of a week)
        cut = max(1, len(payload["weeks"]) // 10)
        for name in ("docs", "tps", "tps_feel", "silent", "verbatims"):
            t = payload[name]
            t = _keep_rows(t, [w >= cut for w in t["week"]])
            t["week"] = [w - cut for w in t["week"]]
            payload[name] = t
        payload["weeks"] = payload["weeks"][cut:]
        dropped += cut
        size = _size(payload)
    payload["weeks_dropped"] = dropped
    if size > max_bytes:
        raise ValueError(
            f"the report's data is {size} bytes even for one week, over its bound of {max_bytes}"
        )
    return ExploreData(payload, size, dropped, payload["verbatims_from"])
