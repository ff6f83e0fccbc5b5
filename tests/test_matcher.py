"""The taxonomy-conditioned touchpoint matcher: pair features, abstention, shipping, leave-one-set-out hygiene.

Synthetic embeddings (a bag of hashed word vectors) where the real encoder is not needed; the shipped matcher on
the real encoder at the end.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from vocmine import settings
from vocmine.nlp.matcher import FEATURES, Matcher, metric_centroids, metric_sims, pair_features
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointParams, gated_names
from vocmine.taxonomy import Taxonomy
from vocmine.train import matcher as training
from vocmine.train.labelsets import LabeledSet, LabelSource


class BagEncoder:
    """Texts as normalised sums of fixed random word vectors: texts sharing words are close."""

    dim = 64
    fingerprint = "bag-of-words-test"

    def __init__(self) -> None:
        self.calls = 0

    def _word(self, w: str) -> np.ndarray:
        seed = int(hashlib.sha256(w.encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).normal(size=self.dim)

    def encode(self, texts, progress=False, features=False) -> np.ndarray:
        self.calls += 1
        out = []
        for t in texts:
            v = sum(self._word(w) for w in t.lower().replace(".", "").split())
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


TAXONOMY = {
    "version": "test-1",
    "name": "tiny",
    "languages": ["en"],
    "stages": [{"id": "s", "name": {"en": "S"}}],
    "touchpoints": [
        {
            "id": tp,
            "stage": "s",
            "name": {"en": tp},
            "description": {"en": f"all about {tp} {w}"},
            "keywords": {"en": [tp]},
            "examples": {"en": [f"the {tp} was {w}", f"my {tp} {w} again", f"{w} {tp} today"]},
        }
        for tp, w in (("courier", "late"), ("payment", "declined"), ("app", "crashed"))
    ],
}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TAXONOMY))
    return TouchpointClassifier(Taxonomy.load(path), BagEncoder())


def _logistic(threshold: float = 0.5) -> Matcher:
    """A hand-set matcher: the zero-shot similarity, centred at 0.5 and sharpened."""
    w = np.zeros((len(FEATURES), 1), np.float32)
    w[FEATURES.index("sim_topk"), 0] = 12.0
    return Matcher(
        np.zeros(len(FEATURES), np.float32), np.ones(len(FEATURES), np.float32), [w], [np.array([-6.0], np.float32)],
        threshold, max_labels=2,
    )  # fmt: skip


def test_pair_features_read_only_the_taxonomy(tiny):
    emb = tiny.encoder.encode(["the courier was late", "weather is nice"])
    x = tiny.pair_features(emb, tiny.keyword_hits([["courier"], ["weather"]]))
    assert x.shape == (2, 3, len(FEATURES))
    f = {name: x[..., i] for i, name in enumerate(FEATURES)}
    np.testing.assert_allclose(f["softmax_sim"].sum(axis=1), 1.0, rtol=1e-5)
    assert f["keyword"][0].tolist() == [1.0, 0.0, 0.0] and f["other_keywords"][0].tolist() == [0.0, 1.0, 1.0]
    # the margin over the best other touchpoint is positive for the row's best only; its rank is 0
    best = f["sim_topk"].argmax(axis=1)
    assert best[0] == 0 and (f["sim_margin_other"][0] > 0).tolist() == [True, False, False]
    assert f["log_rank"][0, 0] == 0.0 and (f["sim_minus_best"] <= 1e-6).all()


def test_pair_features_on_one_touchpoint_taxonomy():
    n = 3
    sims = np.full((n, 1), 0.8, np.float32)
    x = pair_features(sims, sims, np.zeros(1, int), sims, sims, sims, np.zeros((n, 1)), 0.8)
    assert x.shape == (n, 1, len(FEATURES)) and np.isfinite(x).all()


def test_matcher_names_the_fitting_touchpoint_and_abstains_otherwise(tiny):
    tiny.matcher = _logistic()
    texts = ["my payment declined again", "purple elephants dance quietly"]
    hits = tiny.predict(tiny.encoder.encode(texts), [t.split() for t in texts])
    assert [h.touchpoint for h in hits[0]] == ["payment"]
    assert hits[1] == []  # nothing fits: no touchpoint
    # gated (the shipped mode): the zero-shot rule names the touchpoint; ungated, the matcher's best pair does
    tiny.matcher = _logistic()
    tiny.matcher.gate_only = False
    named = tiny.predict(tiny.encoder.encode(texts), [t.split() for t in texts])
    assert [h.touchpoint for h in named[0]] == ["payment"] and named[1] == []
    assert named[0][0].score == pytest.approx(
        float(
            tiny.matcher.scores(
                tiny.pair_features(tiny.encoder.encode(texts[:1]), tiny.keyword_hits([texts[0].split()])),
                None,
                None,
            )[0].max()
        ),
        abs=1e-4,
    )
    # a trained per-taxonomy head, where there is one, wins over the matcher (tested with the real head in
    # test_touchpoint_training); a classifier without a matcher stays zero-shot
    tiny.matcher = None
    assert tiny.predict(tiny.encoder.encode(texts[:1]), [texts[0].split()])[0][0].touchpoint == "payment"


def test_a_new_taxonomy_is_labelled_from_prototypes_only(tiny):
    """All encoder calls of a taxonomy happen when its classifier is built; labelling stored outputs makes none."""
    emb = tiny.encoder.encode(["the app crashed"])
    tiny.matcher = _logistic()
    before = tiny.encoder.calls
    tiny.predict(emb, [["app", "crashed"]])
    assert tiny.encoder.calls == before


def test_matcher_round_trip(tmp_path, tiny):
    m = _logistic(threshold=0.4)
    m.report = {"leave_one_set_out": {"x": 1}}
    m.metric = np.eye(BagEncoder.dim, dtype=np.float32) + 0.1 * np.random.default_rng(1).normal(
        size=(BagEncoder.dim, BagEncoder.dim)
    ).astype(np.float32)
    m.save_pretrained(tmp_path / "matcher")
    back = Matcher.from_pretrained(tmp_path / "matcher")
    emb = tiny.encoder.encode(["late courier"])
    tiny.matcher = m
    x = tiny.pair_features(emb, [[None] * 3])
    tiny.matcher = back
    np.testing.assert_allclose(tiny.pair_features(emb, [[None] * 3]), x, rtol=1e-5)
    np.testing.assert_allclose(back.scores(x), m.scores(x), rtol=1e-6)
    np.testing.assert_array_equal(back.metric, m.metric)
    assert back.threshold == 0.4 and back.report == m.report
    meta = (tmp_path / "matcher" / "matcher.json").read_text().replace('"softmax_sim"', '"something_else"')
    (tmp_path / "matcher" / "matcher.json").write_text(meta)
    with pytest.raises(ValueError, match="other pair features"):
        Matcher.from_pretrained(tmp_path / "matcher")


def test_scores_report_precision_recall_and_abstention():
    gold = [["a"], ["a", "b"], [], []]
    pred = [["a"], ["c"], [], ["b"]]
    s = training.score(gold, pred, top=None)
    assert (s.precision, s.recall) == (round(1 / 3, 4), round(1 / 3, 4))
    assert s.none_given_none == 0.5 and s.top1 is None


def _pairset(key: str, group: str, texts: list[str], rng) -> training.PairSet:
    ds = LabeledSet(key, texts, [["t0"]] * len(texts), "en")
    x = rng.normal(size=(len(texts), 2, len(FEATURES))).astype(np.float32)
    y = np.zeros((len(texts), 2), np.int8)
    y[:, 0] = 1
    x[:, 0, 0] += 5.0  # the gold touchpoint stands out on one feature: learnable across sets
    src = LabelSource(key, "none", lambda r: ds, lambda r: ds, group=group)
    emb = rng.normal(size=(len(texts), 8)).astype(np.float32)
    protos = rng.normal(size=(4, 8)).astype(np.float32)
    return training.PairSet(
        src, ds, ["t0", "t1"], x, y, [["t1"]] * len(texts), emb, np.ones((2, 8), np.float32), protos,
        np.array([0, 0, 1, 1]),
    )  # fmt: skip


def test_leave_one_set_out_never_trains_or_calibrates_on_the_left_out_texts(monkeypatch):
    rng = np.random.default_rng(0)
    shared = "a sentence two corpora share"
    sets = [
        _pairset("a", "g1", [f"a{i}" for i in range(40)] + [shared], rng),
        _pairset(
            "b", "g1", [f"b{i}" for i in range(40)], rng
        ),  # one label set in two languages: left out together
        _pairset("c", "", [f"c{i}" for i in range(40)], rng),
        _pairset("d", "", [f"d{i}" for i in range(40)] + [shared], rng),
    ]
    seen: list[int] = []
    fit = training._fit

    def spy(x, y, cfg):
        seen.append(len(y))
        return fit(x, y, cfg)

    monkeypatch.setattr(training, "_fit", spy)
    cfg = training.MatcherConfig(design="logreg", pairs_per_set=10_000, inner_folds=2)
    r = training.leave_one_set_out(sets, sets, cfg)
    assert set(r.scores) == {"a", "b", "c", "d"} and set(r.threshold) == {"g1", "c", "d"}
    # group g1 out: trained on c and d less the shared sentence (2 pairs per text)
    assert 2 * (40 + 40) in seen
    assert all(s.top1 is None and s.micro_f1 > 0.8 for s in r.scores.values())


def _metric_set(key: str, rng, dim: int = 16, signal: int = 6, n: int = 60) -> training.PairSet:
    """Three touchpoints that differ on the first ``signal`` dimensions; texts and prototypes alike carry louder
    noise on the rest, so raw cosines often pick the wrong touchpoint and a metric that quiets the noise
    transfers to sets it never saw."""
    centers = np.zeros((3, dim), np.float32)
    centers[:, :signal] = rng.normal(size=(3, signal))
    owner = np.repeat(np.arange(3), 4)

    def noisy(rows: np.ndarray) -> np.ndarray:
        out = centers[rows] + 0.3 * rng.normal(size=(len(rows), dim))
        out[:, signal:] += 2.5 * rng.normal(size=(len(rows), dim - signal))
        return out.astype(np.float32)

    gold = rng.integers(0, 3, n)
    y = np.eye(3, dtype=np.int8)[gold]
    ds = LabeledSet(key, [f"{key}{i}" for i in range(n)], [[f"t{g}"] for g in gold], "en")
    src = LabelSource(key, "none", lambda r: ds, lambda r: ds)
    x = np.zeros((n, 3, len(FEATURES)), np.float32)
    return training.PairSet(
        src, ds, ["t0", "t1", "t2"], x, y, [[]] * n, noisy(gold), centers, noisy(owner), owner
    )  # fmt: skip


def test_metric_learned_on_other_sets_finds_the_gold_touchpoint_more_often():
    rng = np.random.default_rng(3)
    train, held = [_metric_set(k, rng) for k in "abcd"], _metric_set("held", rng)
    metric = training.fit_metric(train, training.MatcherConfig(), exclude=set())

    def accuracy(m: np.ndarray | None) -> float:
        c = metric_centroids(held.prototypes, held.owner, 3, m)
        return float((metric_sims(held.emb, c, m).argmax(axis=1) == held.y.argmax(axis=1)).mean())

    assert metric.shape == (16, 16)
    assert accuracy(metric) >= accuracy(None) + 0.1, (accuracy(metric), accuracy(None))
    held.use_metric(metric)  # the features the matcher reads follow the metric
    np.testing.assert_allclose(
        held.x[:, :, FEATURES.index("metric_centroid")],
        metric_sims(held.emb, metric_centroids(held.prototypes, held.owner, 3, metric), metric),
        rtol=1e-5,
    )


def test_gated_names_are_the_metric_nearest_and_keyword_matches():
    params = TouchpointParams(threshold=0.5, max_labels=2)
    metric = np.array([[0.9, 0.1, 0.2], [0.1, 0.2, 0.8], [0.5, 0.1, 0.1]])
    keyword = np.array([[0.0, 0.7, 0.6], [0.0, 0.0, 0.0], [0.9, 0.0, 0.0]])
    order = np.array([[0.4, 0.9, 0.1], [0.2, 0.3, 0.6], [0.5, 0.5, 0.5]])
    names = gated_names(metric, keyword, np.array([True, True, False]), order, params)
    # the nearest (0) and both keyword matches, by the matcher's order, at most two; a gated-off clause: none
    assert names == [[1, 0], [2], []]


# The shipped matcher on the real encoder and the default taxonomy: a few real sentences in both languages.
SHIPPED = [
    ("Курьер опоздал на три дня и даже не позвонил.", "delivery"),
    ("С карты списали деньги два раза за один заказ.", "payment"),
    ("The app crashes every time I open the cart.", "website_app"),
    ("My parcel arrived a week late.", "delivery"),
]
# (zero-shot gave the first two customer_support and account_login)
NOTHING = ["Всем привет.", "Just writing to say hi.", "Мы с мужем смотрели футбол вечером."]


def test_shipped_matcher_on_real_sentences(model):
    from vocmine.train.touchpoints import text_lemmas

    clf = model.touchpoints
    assert clf.matcher is not None and clf.head is None  # the default model routes through the matcher
    texts = [t for t, _ in SHIPPED] + NOTHING
    langs = ["ru", "ru", "en", "en", "ru", "en", "ru"]
    hits = clf.predict(
        model.encoder.encode(texts), [text_lemmas(t, lg) for t, lg in zip(texts, langs, strict=True)]
    )
    for (text, want), got in zip(SHIPPED, hits, strict=False):
        assert got and got[0].touchpoint == want, (text, got)
    for text, got in zip(NOTHING, hits[len(SHIPPED) :], strict=True):
        assert got == [], (text, got)  # nothing in the taxonomy fits: no touchpoint
    assert clf.matcher.report["leave_one_set_out"]  # the model card's figures travel with the weights
