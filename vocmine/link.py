"""Link negative segments to the touchpoint(s) that caused them, with the evidence span."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vocmine.taxonomy import Taxonomy

PAIN_COLUMNS = [
    "doc_id",
    "seg_idx",
    "model_version",
    "touchpoint",
    "stage",
    "severity",
    "evidence",
    "start_char",
    "end_char",
]


@dataclass
class LinkParams:
    min_negative: float = 0.0  # raise to require a confident p(negative) on top of the negative label
    # Touchpoints a negative segment is linked to, the most confident first. One: the cause. A segment's second
    # touchpoint is mostly incidental ("the app crashes when I tap Pay" is the app, as the taxonomy says): on the
    # sample data's truth 28-31% of such pain points were right against 75-76% of the first ones (bench/README.md,
    # "One cause per negative segment"); segment_touchpoints keeps every touchpoint a segment mentions.
    max_causes: int = 1


def link_pain_points(
    segment_predictions: pd.DataFrame,
    segment_touchpoints: pd.DataFrame,
    segments: pd.DataFrame,
    taxonomy: Taxonomy,
    params: LinkParams | None = None,
) -> pd.DataFrame:
    """One row per negative segment and touchpoint that caused it (``max_causes`` of those it mentions, the most
    confident first): severity = p(negative) × touchpoint confidence.

    The evidence is the segment itself, so the span offsets point into the stored (masked) document text.
    """
    params = params or LinkParams()
    sev = severities(segment_predictions, segment_touchpoints, taxonomy, params)
    if sev.empty:
        return pd.DataFrame(columns=PAIN_COLUMNS)
    df = sev[sev["rank"] < params.max_causes].merge(
        segments[["doc_id", "seg_idx", "text", "start_char", "end_char"]], on=["doc_id", "seg_idx"]
    )
    df["severity"] = df["severity"].round(4)
    return df.rename(columns={"text": "evidence"})[PAIN_COLUMNS].reset_index(drop=True)


CAUSE_COLUMNS = ["doc_id", "model_version", "touchpoint", "stage", "score", "share", "seg_idx"]


@dataclass
class CauseParams:
    """How a document's negative clauses vote for its one primary touchpoint (bench/README.md, "Primary
    touchpoint per complaint", measured the alternatives)."""

    # "sum": a touchpoint's severities (p(negative) x touchpoint score) over the document's negative clauses are
    # added up, so the touchpoint complained about most wins; "max": its single most severe clause.
    aggregate: str = "sum"
    # The first negative clause's severities are multiplied by 1 + lead_bonus: customers tend to lead with
    # the complaint they write about. 0.5 was the best or tied-best choice on the documents whose clauses name
    # two or more touchpoints (CFPB 0.59 vs 0.50 for the plain sum, Banking77 0.40 vs 0.38).
    lead_bonus: float = 0.5
    # Whether a clause's second touchpoint (those after its first) votes too.
    all_labels: bool = False

    def __post_init__(self) -> None:
        if self.aggregate not in ("sum", "max"):
            raise ValueError(f"CauseParams.aggregate must be 'sum' or 'max', not {self.aggregate!r}")


def severities(
    segment_predictions: pd.DataFrame,
    segment_touchpoints: pd.DataFrame,
    taxonomy: Taxonomy,
    params: LinkParams | None = None,
) -> pd.DataFrame:
    """Negative clause x touchpoint rows with severity = p(negative) x touchpoint score, in clause order and,
    within a clause, the most confident touchpoint first (``rank`` 0)."""
    params = params or LinkParams()
    cols = ["doc_id", "seg_idx", "model_version", "touchpoint", "stage", "score", "severity", "rank"]
    neg = segment_predictions[
        (segment_predictions["sentiment"] == "negative")
        & (segment_predictions["p_negative"] >= params.min_negative)
    ]
    if neg.empty or segment_touchpoints.empty:
        return pd.DataFrame(columns=cols)
    df = neg[["doc_id", "seg_idx", "model_version", "p_negative"]].merge(
        segment_touchpoints[["doc_id", "seg_idx", "touchpoint", "stage", "score"]], on=["doc_id", "seg_idx"]
    )
    df = df[df["touchpoint"].isin({t.id for t in taxonomy.touchpoints})]
    df["severity"] = df["p_negative"] * df["score"]
    df = df.sort_values(["doc_id", "seg_idx", "score"], ascending=[True, True, False], kind="stable")
    df["rank"] = df.groupby(["doc_id", "seg_idx"], sort=False).cumcount()
    return df[cols].reset_index(drop=True)


def primary_causes(severity: pd.DataFrame, params: CauseParams | None = None) -> pd.DataFrame:
    """One row per document of ``severity`` (see :func:`severities`): its primary touchpoint.

    ``score`` is the touchpoint's aggregate severity, ``share`` its part of the document's total (1.0: every
    negative clause named it alone), ``seg_idx`` its most severe clause (the evidence). Ties go to the
    touchpoint complained about first.
    """
    params = params or CauseParams()
    if severity.empty:
        return pd.DataFrame(columns=CAUSE_COLUMNS)
    df = severity if params.all_labels else severity[severity["rank"] == 0]
    df = df.copy()
    if params.lead_bonus:
        first = df.groupby("doc_id")["seg_idx"].transform("min")
        df.loc[df["seg_idx"] == first, "severity"] *= 1.0 + params.lead_bonus
    keys = ["doc_id", "model_version", "touchpoint", "stage"]
    per = df.sort_values(["doc_id", "severity", "seg_idx"], ascending=[True, False, True], kind="stable")
    agg = per.groupby(keys, sort=False).agg(
        score=("severity", params.aggregate), seg_idx=("seg_idx", "first"), first=("seg_idx", "min")
    )
    agg = agg.reset_index()
    agg["share"] = agg["score"] / agg.groupby("doc_id")["score"].transform("sum")
    agg = agg.sort_values(["doc_id", "score", "first"], ascending=[True, False, True], kind="stable")
    out = agg.groupby("doc_id", sort=False).head(1)
    out = out.assign(score=out["score"].round(4), share=out["share"].round(4))
    return out[CAUSE_COLUMNS].reset_index(drop=True)


def document_causes(
    segment_predictions: pd.DataFrame,
    segment_touchpoints: pd.DataFrame,
    taxonomy: Taxonomy,
    link: LinkParams | None = None,
    params: CauseParams | None = None,
) -> pd.DataFrame:
    """Each document with a pain point (a negative clause linked to a touchpoint) and its primary touchpoint:
    the one cause a CX team would file the complaint under."""
    return primary_causes(severities(segment_predictions, segment_touchpoints, taxonomy, link), params)
