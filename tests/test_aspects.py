"""Polarity toward a touchpoint: the shipped head on the canonical example, save/load, training on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vocmine.nlp.aspects import POLARITIES, AspectPolarity
from vocmine.nlp.touchpoints import TouchpointClassifier
from vocmine.taxonomy import Taxonomy
from vocmine.train.aspects import (
    MAMS_TAXONOMY,
    SEMEVAL_RU_TAXONOMY,
    AspectTrainConfig,
    aspect_set,
    fit_aspects,
    predict_set,
)

CANONICAL = "быстрая доставка, но приложение вылетает при оплате"


def test_shipped_head_splits_the_canonical_example(model):
    assert model.aspects is not None, "models/vocmine-default/aspects/ is missing"
    got = {
        p.touchpoint: p
        for p in model.aspects.predict(CANONICAL, ["delivery", "website_app"], model.touchpoints)
    }
    assert got["delivery"].polarity == "positive", got
    assert got["website_app"].polarity == "negative", got
    for p in got.values():
        assert sum(p.proba.values()) == pytest.approx(1.0, abs=1e-3)
        assert p.score == max(p.proba.values())


def test_shipped_head_batches_pairs_and_loads_from_the_model_folder(model):
    from vocmine.nlp.aspects import touchpoint_query

    assert model.aspects.report["val_macro_f1"] >= 0.65  # chosen on MAMS-ACSA val when it was trained
    assert model.aspects.predict(CANONICAL, [], model.touchpoints) == []
    # the query contrasts a touchpoint with the rest of its taxonomy: the queries of a taxonomy sum to zero
    queries = np.stack([touchpoint_query(model.touchpoints, t) for t in model.touchpoints.ids])
    np.testing.assert_allclose(queries.sum(0), 0.0, atol=1e-4)


@pytest.fixture(scope="module")
def tiny(model):
    rows = [
        ("The pasta was delicious but the waiter was rude.", "food", "positive"),
        ("The pasta was delicious but the waiter was rude.", "staff", "negative"),
        ("Great cocktails, terrible music.", "menu", "positive"),
        ("Great cocktails, terrible music.", "ambience", "negative"),
        ("Prices are fair and the room is cozy.", "price", "positive"),
        ("Prices are fair and the room is cozy.", "ambience", "positive"),
        ("We waited an hour, the steak was cold.", "service", "negative"),
        ("We waited an hour, the steak was cold.", "food", "negative"),
        ("We sat by the window and ordered soup.", "place", "neutral"),
        ("We sat by the window and ordered soup.", "food", "neutral"),
        ("The manager was lovely, the bill was outrageous.", "staff", "positive"),
        ("The manager was lovely, the bill was outrageous.", "price", "negative"),
    ]
    frame = pd.DataFrame(rows, columns=["text", "aspect", "label"])
    clf = TouchpointClassifier(Taxonomy.load(MAMS_TAXONOMY), model.encoder)
    return clf, aspect_set(model.encoder, frame)


def test_training_on_tiny_data_fits_it(tiny):
    clf, data = tiny
    head = fit_aspects(clf, data, data, AspectTrainConfig(epochs=40, batch=4, lr=3e-3), log=lambda *_: None)
    assert 1 <= head.report["epoch"] <= 40
    p = predict_set(head, clf, data)
    assert p.shape == (len(data.frame), len(POLARITIES))
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    acc = np.mean([POLARITIES[i] for i in p.argmax(1)] == data.frame["label"].to_numpy())
    assert acc >= 0.75, acc  # the same rows were the validation set: the best epoch fits them
    assert head.report["val_macro_f1"] >= 0.6


def test_save_load_round_trip(tiny, tmp_path):
    clf, data = tiny
    head = fit_aspects(clf, data, data, AspectTrainConfig(epochs=2, batch=4), log=lambda *_: None)
    head.save_pretrained(tmp_path / "aspects")
    again = AspectPolarity.from_pretrained(tmp_path / "aspects", clf.encoder)
    np.testing.assert_allclose(predict_set(head, clf, data), predict_set(again, clf, data), atol=1e-6)
    assert again.report == head.report


def test_an_adapted_model_reads_aspects_from_the_base_encoder():
    from vocmine import settings
    from vocmine.nlp.model import VocModel

    fresh = VocModel.from_pretrained(settings.DEFAULT_MODEL_DIR)
    assert fresh.config.adapter, "the shipped model has an encoder adapter"
    assert callable(fresh.aspects._encoder)  # a loader: a pipeline run, which never asks, loads nothing more
    got = {
        p.touchpoint: p.polarity for p in fresh.aspects.predict(CANONICAL, ["delivery"], fresh.touchpoints)
    }
    assert got == {"delivery": "positive"}
    assert fresh.aspects.encoder is fresh.config.load_encoder()  # the base, shared with any unadapted model
    assert fresh.aspects.encoder.fingerprint != fresh.encoder.fingerprint


def test_semeval_ru_categories_with_one_polarity_become_rows(tmp_path):
    import json

    from vocmine.train.corpora import semeval_ru_aspects

    rows = [
        ("Вкусно, но официант грубил.", ["FOOD#QUALITY:positive", "SERVICE#GENERAL:negative"]),
        ("Еда то ли хорошая, то ли нет.", ["FOOD#QUALITY:positive", "FOOD#QUALITY:negative"]),
        ("Супы хороши, салаты тоже.", ["FOOD#QUALITY:positive", "FOOD#QUALITY:positive"]),
        ("Мы пришли в восемь.", []),
    ]
    folder = tmp_path / "semeval2016_absa_ru_restaurants"
    folder.mkdir()
    pd.DataFrame(
        {
            "text": [t for t, _ in rows],
            "label": "x",
            "aspects": [json.dumps(a) for _, a in rows],
            "sentence_id": "s",
        }
    ).to_csv(folder / "dev_sentences.csv", index=False)
    df = semeval_ru_aspects(tmp_path, "dev")
    assert df[["text", "aspect", "label"]].values.tolist() == [
        ["Вкусно, но официант грубил.", "food_quality", "positive"],
        ["Вкусно, но официант грубил.", "service_general", "negative"],
        ["Супы хороши, салаты тоже.", "food_quality", "positive"],
    ]
    assert set(df["aspect"]) <= set(Taxonomy.load(SEMEVAL_RU_TAXONOMY).touchpoint_ids)
