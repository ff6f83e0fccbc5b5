"""Heads survive save/load exactly, whatever the memory layout of the trained weights."""

import numpy as np

from vocmine.nlp.heads import SoftmaxHead, fit_temperature, softmax


def test_save_load_roundtrip_of_fortran_ordered_weights(tmp_path):
    w = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4))
    head = SoftmaxHead(w, np.array([0.1, 0.2, 0.3]), ["negative", "neutral", "positive"], temperature=1.5)
    head.save_pretrained(tmp_path)
    back = SoftmaxHead.from_pretrained(tmp_path)
    assert np.allclose(back.weight, w) and back.temperature == 1.5
    x = np.random.default_rng(0).normal(size=(5, 4))
    assert np.allclose(back.predict_proba(x), head.predict_proba(x), atol=1e-6)


def test_temperature_recovers_overconfidence():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2000, 3)) * 3
    y = np.array([rng.choice(3, p=p) for p in softmax(logits)])
    assert abs(fit_temperature(logits * 4, y) - 4) < 0.6


def test_mlp_head_roundtrip_and_loader_picks_the_kind(tmp_path):
    from vocmine.nlp.heads import MLPHead, load_head

    rng = np.random.default_rng(2)
    head = MLPHead(
        rng.normal(size=(4, 6)),
        rng.normal(size=6),
        rng.normal(size=(6, 3)),
        rng.normal(size=3),
        ["a", "b", "c"],
        2.0,
    )
    head.save_pretrained(tmp_path / "mlp")
    SoftmaxHead(rng.normal(size=(3, 4)), np.zeros(3), ["a", "b", "c"]).save_pretrained(tmp_path / "lr")
    back = load_head(tmp_path / "mlp")
    assert isinstance(back, MLPHead) and back.temperature == 2.0
    assert isinstance(load_head(tmp_path / "lr"), SoftmaxHead)
    x = rng.normal(size=(5, 4))
    hidden = np.maximum(x @ head.w1 + head.b1, 0)
    expected = softmax((hidden @ head.w2 + head.b2) / 2.0)
    assert np.allclose(back.predict_proba(x), expected, atol=1e-5)
