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


def link_pain_points(
    segment_predictions: pd.DataFrame,
    segment_touchpoints: pd.DataFrame,
    segments: pd.DataFrame,
    taxonomy: Taxonomy,
    params: LinkParams | None = None,
) -> pd.DataFrame:
    """One row per (negative segment, touchpoint it mentions): severity = p(negative) × touchpoint confidence.

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
    df = df.rename(columns={"text": "evidence"})
    known = {t.id for t in taxonomy.touchpoints}
    df = df[df["touchpoint"].isin(known)]
    return df[PAIN_COLUMNS].reset_index(drop=True)
