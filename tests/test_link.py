"""Linking negative segments to the touchpoint that caused them."""

from __future__ import annotations

import pandas as pd

from vocmine import settings
from vocmine.link import LinkParams, link_pain_points
from vocmine.taxonomy import Taxonomy


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    mv = "m@1"
    preds = pd.DataFrame(
        {
            "doc_id": ["d1", "d1", "d2"],
            "seg_idx": [0, 1, 0],
            "model_version": mv,
            "sentiment": ["positive", "negative", "negative"],
            "p_negative": [0.05, 0.9, 0.7],
        }
    )
    touch = pd.DataFrame(
        {
            "doc_id": ["d1", "d1", "d1", "d2", "d2"],
            "seg_idx": [0, 1, 1, 0, 0],
            "touchpoint": ["delivery", "payment", "website_app", "pricing", "no_such_touchpoint"],
            "stage": ["receive", "buy", "buy", "consider", "x"],
            "score": [0.9, 1.0, 0.8, 0.6, 0.99],
        }
    )
    segs = pd.DataFrame(
        {
            "doc_id": ["d1", "d1", "d2"],
            "seg_idx": [0, 1, 0],
            "text": ["Быстрая доставка,", "но приложение вылетает при оплате.", "Too expensive"],
            "start_char": [0, 18, 0],
            "end_char": [17, 52, 13],
        }
    )
    return preds, touch, segs


def test_a_negative_segment_is_linked_to_its_most_confident_touchpoint():
    tax = Taxonomy.load(settings.DEFAULT_TAXONOMY)
    pains = link_pain_points(*_inputs(), tax)
    # the positive segment gives none; a touchpoint outside the taxonomy is never a cause, even the most confident
    assert pains[["doc_id", "seg_idx", "touchpoint"]].values.tolist() == [
        ["d1", 1, "payment"],
        ["d2", 0, "pricing"],
    ]
    assert pains["severity"].tolist() == [0.9, 0.42]
    assert pains["evidence"][0] == "но приложение вылетает при оплате." and pains["start_char"][0] == 18


def test_more_causes_when_asked():
    tax = Taxonomy.load(settings.DEFAULT_TAXONOMY)
    pains = link_pain_points(*_inputs(), tax, LinkParams(max_causes=2))
    assert pains.loc[pains["doc_id"] == "d1", "touchpoint"].tolist() == ["payment", "website_app"]
    assert len(pains) == 3
