"""Heads survive save/load exactly, whatever the memory layout of the trained weights."""

import json

import numpy as np

from vocmine.nlp.heads import MLPHead, SoftmaxHead, clause_stats, fit_temperature, softmax


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


def test_clause_stats_keep_the_strongest_clause_a_mean_would_dilute():
    from vocmine.nlp.heads import clause_stats

    # doc 0: a clearly negative clause among two neutral ones; doc 1: one clause; doc 2: none
    seg_p = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], np.float32)
    owner, weights = np.array([0, 0, 0, 1]), np.array([10.0, 30.0, 60.0, 5.0], np.float32)
    s = clause_stats(seg_p, owner, weights, 3)
    assert s.shape == (3, 6)
    np.testing.assert_allclose(s[0, :3], [0.9, 0.8, 0.1])  # per class the highest clause
    np.testing.assert_allclose(
        s[0, 3:], [0.1 * 0.9 + 0.9 * 0.1, 0.1 * 0.05 + 0.9 * 0.8, 0.1 * 0.05 + 0.9 * 0.1], rtol=1e-5
    )
    np.testing.assert_allclose(s[1], [0.2, 0.2, 0.6, 0.2, 0.2, 0.6])
    assert not s[2].any()


def test_document_head_round_trips_and_the_model_uses_it(tmp_path):
    from vocmine.nlp.heads import DocumentHead, SentimentHeads, load_head

    rng = np.random.default_rng(0)
    labels = ["negative", "neutral", "positive"]
    doc = DocumentHead(rng.normal(size=(3, 10)).astype(np.float32), np.zeros(3, np.float32), labels, 0.9)
    doc.save_pretrained(tmp_path / "document")
    back = DocumentHead.from_pretrained(tmp_path / "document")
    assert isinstance(back, DocumentHead) and back.temperature == 0.9
    np.testing.assert_array_equal(back.weight, doc.weight)
    assert json.loads((tmp_path / "document" / "head.json").read_text())["kind"] == "document"
    assert not isinstance(load_head(tmp_path / "document"), MLPHead)
    clause = SoftmaxHead(rng.normal(size=(3, 4)).astype(np.float32), np.zeros(3, np.float32), labels)
    emb, owner, w = rng.normal(size=(3, 4)).astype(np.float32), np.array([0, 0, 1]), np.ones(3, np.float32)
    doc_emb = np.stack([emb[:2].mean(0), emb[2]])
    seg_p = clause.predict_proba(emb)
    without = SentimentHeads(clause).document_proba(doc_emb, seg_p, owner, w)
    np.testing.assert_allclose(
        without, clause.predict_proba(doc_emb)
    )  # no document head: the pooled embedding
    x = np.concatenate([doc_emb, clause_stats(seg_p, owner, w, 2)], axis=1)
    np.testing.assert_allclose(
        SentimentHeads(clause, doc).document_proba(doc_emb, seg_p, owner, w), doc.predict_proba(x)
    )


def test_the_shipped_model_reads_documents_through_its_document_head(model):
    assert model.document is not None and model.document.weight.shape[1] == model.encoder.width + 6
