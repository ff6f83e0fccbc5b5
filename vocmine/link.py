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
    neg = segment_predictions[
        (segment_predictions["sentiment"] == "negative")
        & (segment_predictions["p_negative"] >= params.min_negative)
    ]
    if neg.empty or segment_touchpoints.empty:
        return pd.DataFrame(columns=PAIN_COLUMNS)
    df = neg[["doc_id", "seg_idx", "model_version", "p_negative"]].merge(
        segment_touchpoints[["doc_id", "seg_idx", "touchpoint", "stage", "score"]], on=["doc_id", "seg_idx"]
    )
    df = df.merge(segments[["doc_id", "seg_idx", "text", "start_char", "end_char"]], on=["doc_id", "seg_idx"])
    df["severity"] = (df["p_negative"] * df["score"]).round(4)
    df = df[df["touchpoint"].isin({t.id for t in taxonomy.touchpoints})]
    df = df.sort_values(["doc_id", "seg_idx", "score"], ascending=[True, True, False], kind="stable")
    df = df.groupby(["doc_id", "seg_idx"], sort=False).head(params.max_causes)
    return df.rename(columns={"text": "evidence"})[PAIN_COLUMNS].reset_index(drop=True)
