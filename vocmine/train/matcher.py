"""Training and leave-one-set-out evaluation of the touchpoint matcher (``vocmine.nlp.matcher``).

Every label set of ``vocmine.train.labelsets.SOURCES`` comes with its own hand-written taxonomy, so each gives
(clause, touchpoint) pairs with a 0/1 answer. A candidate design is trained on the pairs of all sets but one and
scored on the one left out (SemEval en and ru, one label set in two languages, are left out together; texts a
left-out set shares with a training set are dropped from training). The abstention threshold is chosen on the
training sets' out-of-fold scores (folds by set), never on the left-out one. ``figures`` is the
``touchpoints-transfer`` suite; ``train_matcher`` fits the shipped matcher on all sets (``vocmine train-matcher``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocmine import settings
from vocmine.nlp.matcher import (
    FEATURES,
    METRIC_FEATURES,
    METRIC_TEMPERATURE,
    Matcher,
    metric_centroids,
    metric_features,
    metric_sims,
)
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointParams, gated_names, keyword_scores
from vocmine.taxonomy import Taxonomy
from vocmine.train.labelsets import SOURCES, LabeledSet, LabelSource, load_split
from vocmine.train.touchpoints import EVAL_TAXONOMIES, micro_f1, multi_hot, text_lemmas

if TYPE_CHECKING:
    from vocmine.evaluate import Figure
    from vocmine.nlp.model import VocModel


@dataclass
class PairSet:
    """One split of one label set as matcher input: pair features, gold pairs and the zero-shot answer."""

    source: LabelSource
    data: LabeledSet
    ids: list[str]
    x: np.ndarray  # [n, T, F]
    y: np.ndarray  # [n, T] 0/1
    zero_shot: list[list[str]]
    emb: np.ndarray  # [n, d] the texts' embeddings
    centroids: np.ndarray  # [T, d] the touchpoints' (TouchpointClassifier.centroid)
    prototypes: np.ndarray  # [E, d] the taxonomy's example and description embeddings
    owner: np.ndarray  # [E] their touchpoints

    def use_metric(self, metric: np.ndarray | None) -> None:
        """Recompute the "metric_*" features under ``metric`` (None: the identity)."""
        c = metric_centroids(self.prototypes, self.owner, len(self.ids), metric)
        self.x[:, :, METRIC_FEATURES] = metric_features(metric_sims(self.emb, c, metric))

    def inputs(self, rows: np.ndarray | None = None, product: bool = False) -> np.ndarray:
        """[pairs, F (+ d)] for the flat pair indices ``rows`` (all pairs by default); ``product``: with the
        clause ⊙ centroid elementwise product after the pair features."""
        n, t, f = self.x.shape
        rows = np.arange(n * t) if rows is None else rows
        x = self.x.reshape(-1, f)[rows]
        if not product:
            return x
        return np.hstack([x, self.emb[rows // t] * self.centroids[rows % t]])


def pair_set(model: VocModel, source: LabelSource, split: str, root: Path) -> PairSet:
    from vocmine.train.embcache import cached_encode

    ds = load_split(source, split, root)
    clf = TouchpointClassifier(Taxonomy.load(EVAL_TAXONOMIES / f"{source.taxonomy}.yaml"), model.encoder)
    emb = cached_encode(model.encoder, ds.texts, "touchpoints", progress=False)
    kws = clf.keyword_hits([text_lemmas(t, ds.lang) for t in ds.texts])
    zs = [[h.touchpoint for h in hs] for hs in clf.predict(emb, [text_lemmas(t, ds.lang) for t in ds.texts])]
    x = clf.pair_features(emb, kws)
    y = multi_hot(ds.labels, clf.ids)
    return PairSet(source, ds, clf.ids, x, y, zs, emb, clf.centroids, clf.prototypes, clf.owner)


@dataclass
class MatcherConfig:
    design: str = "logreg"  # logreg | mlp | gbm (bench/README.md, "Touchpoint matcher")
    product: bool = (
        False  # also the clause ⊙ centroid elementwise product (a learned weighting of the cosine)
    )
    hidden: tuple[int, ...] = (32,)
    alpha: float = 1e-3
    pairs_per_set: int = 8000  # every positive pair kept, negatives sampled: each set weighs about the same
    max_labels: int = 3
    inner_folds: int = 2  # folds (by set) whose out-of-fold scores choose the threshold
    seed: int = 13
    # the linear metric (fit_metric): a [d, d] map I + A, A's squared norm weighed by metric_l2
    metric: bool = True
    metric_l2: float = 0.1
    metric_steps: int = 200
    metric_lr: float = 2e-3


def _pairs(sets: list[PairSet], cfg: MatcherConfig, exclude: set[str]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(cfg.seed)
    xs, ys = [], []
    for s in sets:
        t = s.y.shape[1]
        keep = np.repeat([x not in exclude for x in s.data.texts], t)
        y = s.y.reshape(-1)
        pos, neg = np.flatnonzero(keep & (y == 1)), np.flatnonzero(keep & (y == 0))
        n_neg = max(0, min(len(neg), cfg.pairs_per_set - len(pos)))
        idx = np.concatenate([pos, rng.choice(neg, n_neg, replace=False)])
        xs.append(s.inputs(idx, cfg.product))
        ys.append(y[idx])
    return np.vstack(xs), np.concatenate(ys)


def fit_metric(sets: list[PairSet], cfg: MatcherConfig, exclude: set[str]) -> np.ndarray:
    """[d, d]: the linear map under which each text of ``sets`` (less ``exclude``) sits nearest its gold
    touchpoints among its taxonomy's, as cosines to ``metric_centroids``: a softmax over each taxonomy's
    touchpoints (temperature ``METRIC_TEMPERATURE``), every set weighing the same, the map kept near the
    identity (``metric_l2``). Trained on the frozen embeddings (seconds): contrastive tuning without an
    encoder pass."""
    import torch

    torch.manual_seed(cfg.seed)
    unit = torch.nn.functional.normalize
    data = []
    for s in sets:
        rows = [i for i, t in enumerate(s.data.texts) if t not in exclude and s.y[i].any()]
        if rows:
            y = torch.tensor(s.y[rows], dtype=torch.float32)
            data.append((torch.tensor(s.emb[rows]), y, torch.tensor(s.prototypes), torch.tensor(s.owner)))
    d = sets[0].emb.shape[1]
    eye = torch.eye(d)
    a = torch.zeros(d, d, requires_grad=True)
    opt = torch.optim.Adam([a], lr=cfg.metric_lr)
    for _ in range(cfg.metric_steps):
        w = eye + a
        loss = cfg.metric_l2 * (a**2).sum()
        for e, y, protos, owner in data:
            c = unit(torch.zeros(y.shape[1], d).index_add_(0, owner, unit(protos @ w, dim=1)), dim=1)
            logp = torch.log_softmax(unit(e @ w, dim=1) @ c.T / METRIC_TEMPERATURE, dim=1)
            loss = loss - (logp * y).sum() / y.sum() / len(data)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (eye + a).detach().numpy().astype(np.float32)


def _cross_fit_metric(sets: list[PairSet], cfg: MatcherConfig, exclude: set[str]) -> np.ndarray | None:
    """The metric fitted on ``sets``, returned; each of ``sets`` gets its "metric_*" features from a metric
    that did not train on it (two folds by group), so the matcher learns how far the metric transfers, not how
    well it fits its own training texts. None (identity features) when ``cfg.metric`` is off."""
    if not cfg.metric:
        for s in sets:
            s.use_metric(None)
        return None
    groups = list(dict.fromkeys(s.source.left_out_with for s in sets))
    for k in range(2):
        fold = set(groups[k::2])
        metric = fit_metric([s for s in sets if s.source.left_out_with not in fold], cfg, exclude)
        for s in sets:
            if s.source.left_out_with in fold:
                s.use_metric(metric)
    return fit_metric(sets, cfg, exclude)


def _fit(x: np.ndarray, y: np.ndarray, cfg: MatcherConfig):
    """A fitted classifier with ``predict_proba`` over standardised pair features."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if cfg.design == "logreg":
        from sklearn.linear_model import LogisticRegression

        est = LogisticRegression(C=1.0, max_iter=500)
    elif cfg.design == "gbm":
        from sklearn.ensemble import HistGradientBoostingClassifier

        est = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=cfg.seed)
    else:
        from sklearn.neural_network import MLPClassifier

        est = MLPClassifier(
            cfg.hidden, alpha=cfg.alpha, max_iter=40, early_stopping=True, random_state=cfg.seed
        )
    return make_pipeline(StandardScaler(), est).fit(x, y)


def _proba(est, s: PairSet, product: bool) -> np.ndarray:
    return est.predict_proba(s.inputs(product=product))[:, 1].reshape(s.y.shape)


def _labels(p: np.ndarray, threshold: float, max_labels: int) -> list[list[int]]:
    order = np.argsort(-p, axis=1)[:, :max_labels]
    return [[int(j) for j in row if p[i, j] >= threshold] for i, row in enumerate(order)]


def _named(s: PairSet, pred: list[list[int]]) -> list[list[str]]:
    return [[s.ids[j] for j in row] for row in pred]


_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def _threshold(sets: list[PairSet], cfg: MatcherConfig, exclude: set[str]) -> float:
    """The threshold with the best mean micro-F1 over the training sets, each scored by a model that did not
    train on it (``inner_folds`` folds of sets)."""
    folds = [sets[i :: cfg.inner_folds] for i in range(min(cfg.inner_folds, len(sets)))]
    per_set: list[list[float]] = []
    for k, held in enumerate(folds):
        rest = [s for j, f in enumerate(folds) if j != k for s in f]
        est = _fit(*_pairs(rest, cfg, exclude), cfg)
        for s in held:
            p = _proba(est, s, cfg.product)
            per_set.append([micro_f1(s.data.labels, _named(s, _labels(p, t, cfg.max_labels))) for t in _GRID])
    return float(_GRID[int(np.argmax(np.mean(per_set, axis=0)))])


@dataclass
class SetScore:
    """What a design gives on one label set."""

    micro_f1: float
    precision: float
    recall: float
    top1: float | None  # accuracy of the best-scored touchpoint (one-label sets)
    none_given_none: float | None  # of the texts with no gold touchpoint, the share given none
    n: int


def score(gold: list[list[str]], pred: list[list[str]], top: list[str | None] | None) -> SetScore:
    tp = sum(len(set(g) & set(p)) for g, p in zip(gold, pred, strict=True))
    n_pred, n_gold = sum(map(len, pred)), sum(map(len, gold))
    empty = [not p for g, p in zip(gold, pred, strict=True) if not g]
    top1 = None if top is None else float(np.mean([t in g for t, g in zip(top, gold, strict=True)]))
    return SetScore(
        round(micro_f1(gold, pred), 4),
        round(tp / n_pred, 4) if n_pred else 0.0,
        round(tp / n_gold, 4) if n_gold else 0.0,
        None if top1 is None else round(top1, 4),
        round(float(np.mean(empty)), 4) if empty else None,
        len(gold),
    )


def _score_design(s: PairSet, p: np.ndarray, threshold: float, max_labels: int) -> SetScore:
    top = [s.ids[int(j)] for j in p.argmax(1)] if s.source.top1 else None
    return score(s.data.labels, _named(s, _labels(p, threshold, max_labels)), top)


def _score_zero_shot(s: PairSet) -> SetScore:
    top = [p[0] if p else None for p in s.zero_shot] if s.source.top1 else None
    return score(s.data.labels, s.zero_shot, top)


@dataclass
class LosoResult:
    design: str
    threshold: dict[str, float] = field(default_factory=dict)  # left-out group -> threshold chosen without it
    scores: dict[str, SetScore] = field(default_factory=dict)  # source key -> score on its test split
    # the shipped mode: the matcher decides *whether* a text names a touchpoint, zero-shot names *which*
    gated: dict[str, SetScore] = field(default_factory=dict)


def left_out_groups(train: list[PairSet], test: list[PairSet], cfg: MatcherConfig):
    """Per left-out group: (group, its test sets, the other groups' training sets, the texts to drop from
    training), the test sets' "metric_*" features from the metric fitted without them, the training sets'
    cross-fitted (``_cross_fit_metric``)."""
    for group in dict.fromkeys(s.source.left_out_with for s in test):
        held = [s for s in test if s.source.left_out_with == group]
        rest = [s for s in train if s.source.left_out_with != group]
        exclude = {t for s in held for t in s.data.texts}
        metric = _cross_fit_metric(rest, cfg, exclude)
        for s in held:
            s.use_metric(metric)
        yield group, held, rest, exclude


def leave_one_set_out(train: list[PairSet], test: list[PairSet], cfg: MatcherConfig) -> LosoResult:
    """Train on all groups but one, score the one left out, for every group."""
    out = LosoResult(cfg.design)
    for group, held, rest, exclude in left_out_groups(train, test, cfg):
        threshold = _threshold(rest, cfg, exclude)
        est = _fit(*_pairs(rest, cfg, exclude), cfg)
        out.threshold[group] = threshold
        for s in held:
            p = _proba(est, s, cfg.product)
            out.scores[s.source.key] = _score_design(s, p, threshold, cfg.max_labels)
            out.gated[s.source.key] = _score_gated(s, p, threshold)
    return out


def _score_gated(s: PairSet, p: np.ndarray, threshold: float) -> SetScore:
    """What the shipped gate gives (``TouchpointClassifier.predict``): where the matcher's best pair reaches the
    threshold, the metric's nearest touchpoint and those named by a keyword; top-1: the first of them."""
    params = TouchpointParams()
    x = s.x
    kw = keyword_scores(
        x[:, :, FEATURES.index("sim_minus_center")], 0.0, x[:, :, FEATURES.index("keyword")], params
    )
    metric = x[:, :, FEATURES.index("metric_centroid")]
    pred = _named(s, gated_names(metric, kw, p.max(axis=1) >= threshold, p, params))
    first = _named(s, gated_names(metric, kw, np.ones(len(p), bool), p, params))
    return score(s.data.labels, pred, [f[0] for f in first] if s.source.top1 else None)


def load_pairs(model: VocModel, root: Path) -> tuple[list[PairSet], list[PairSet]]:
    train = [pair_set(model, s, "train", root) for s in SOURCES]
    test = [pair_set(model, s, "test", root) for s in SOURCES]
    return train, test


def to_matcher(est, threshold: float, cfg: MatcherConfig) -> Matcher:
    """The shipped form of a fitted MLP pipeline: its scaler and layers as arrays."""
    scaler, clf = est[0], est[-1]
    if cfg.design == "gbm":
        raise ValueError("a gradient-boosted matcher has no array form to ship; choose mlp or logreg")
    # logistic regression: an MLP with no hidden layer
    weights = clf.coefs_ if hasattr(clf, "coefs_") else [clf.coef_.T]
    biases = clf.intercepts_ if hasattr(clf, "intercepts_") else [clf.intercept_]
    return Matcher(
        scaler.mean_.astype(np.float32),
        scaler.scale_.astype(np.float32),
        [w.astype(np.float32) for w in weights],
        [b.astype(np.float32) for b in biases],
        threshold,
        cfg.max_labels,
        product=cfg.product,
    )


def fit_matcher(sets: list[PairSet], cfg: MatcherConfig, exclude: set[str]) -> Matcher:
    """A matcher trained on ``sets`` less the texts ``exclude``: its metric, its threshold, its weights."""
    metric = _cross_fit_metric(sets, cfg, exclude)
    threshold = _threshold(sets, cfg, exclude)
    matcher = to_matcher(_fit(*_pairs(sets, cfg, exclude), cfg), threshold, cfg)
    matcher.metric = metric
    return matcher


def train_matcher(
    model_dir: Path = settings.DEFAULT_MODEL_DIR,
    root: Path | None = None,
    cfg: MatcherConfig | None = None,
    out: Path | None = None,
) -> Matcher:
    """``vocmine train-matcher``: the leave-one-set-out figures of the design, then the matcher trained on every
    set, saved under ``<model>/matcher/`` with the figures in its ``matcher.json``."""
    from vocmine.nlp.model import MATCHER, VocModel

    cfg = cfg or MatcherConfig()
    root = root or settings.SHARED_DATA_DIR
    model = VocModel.from_pretrained(model_dir, matcher=False)
    t0 = time.perf_counter()
    train, test = load_pairs(model, root)
    loso = leave_one_set_out(train, test, cfg)
    exclude = {t for s in test for t in s.data.texts}  # no evaluation text trains the shipped matcher
    matcher = fit_matcher(train, cfg, exclude)
    matcher.report = {
        "config": asdict(cfg),
        "features": list(FEATURES),
        "trained_on": [s.data.name for s in train],
        "leave_one_set_out": {k: asdict(v) for k, v in loso.scores.items()},
        "leave_one_set_out_gated": {k: asdict(v) for k, v in loso.gated.items()},
        "zero_shot": {s.source.key: asdict(_score_zero_shot(s)) for s in test},
        "thresholds_without_each_set": loso.threshold,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    folder = Path(out or model_dir) / MATCHER
    matcher.save_pretrained(folder)
    (folder / "README.md").write_text(model_card(matcher), encoding="utf-8")
    return matcher


def model_card(m: Matcher) -> str:
    """The matcher folder's card, written by the training run from its own report."""
    r = m.report
    design = r["config"]["design"] + (" + clause ⊙ centroid" if r["config"]["product"] else "")
    lines = [
        "# Touchpoint matcher (generated by `vocmine train-matcher`)",
        "",
        f"Scores (clause, touchpoint) pairs of any taxonomy from {len(r['features'])} features of the frozen "
        f"encoder's embeddings (vocmine/nlp/matcher.py); {design}; abstains below {m.threshold} "
        f"(chosen on out-of-fold scores of the training sets); at most {m.max_labels} touchpoints per clause."
        + (
            " Shipped as a gate: it decides whether a clause names any touchpoint; the nearest touchpoint under the"
            " learned metric (and any whose keyword scores reach the zero-shot threshold) names which."
            if m.gate_only
            else ""
        ),
        "",
        "Trained on: " + "; ".join(r["trained_on"]) + " (at most 500 texts each; every evaluation text below "
        "left out). Taxonomies: models/eval-taxonomies/.",
        "",
        "Leave-one-set-out (trained without the set, threshold chosen without it) beside today's zero-shot:",
        "",
        "| set | micro-F1 | precision | recall | top-1 | none on texts with none | zero-shot micro-F1 | zero-shot top-1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    f = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    # shipped gated (the matcher decides whether, the metric which): those figures where the report has them
    for key, s in r.get("leave_one_set_out_gated", r["leave_one_set_out"]).items():
        z = r["zero_shot"][key]
        lines.append(
            f"| {key} | {f(s['micro_f1'])} | {f(s['precision'])} | {f(s['recall'])} | {f(s['top1'])} "
            f"| {f(s['none_given_none'])} | {f(z['micro_f1'])} | {f(z['top1'])} |"
        )
    return "\n".join(lines) + "\n"


def compare(train: list[PairSet], test: list[PairSet], cfg: MatcherConfig) -> dict:
    """Leave-one-set-out scores of one design (bench/README.md's table)."""
    r = leave_one_set_out(train, test, cfg)
    return {k: asdict(v) for k, v in r.scores.items()} | {"thresholds": r.threshold}


#: targets of issue #25 per left-out set: (metric, target)
TARGETS = {
    "semeval_ru": [("micro_f1", 0.70), ("precision", 0.70)],
    "mams": [("micro_f1", 0.70)],
    "bitext": [("top1", 0.90)],
    "banking77": [("top1", 0.60)],
}
_METRIC_NAMES = {
    "micro_f1": "micro-F1",
    "precision": "precision",
    "recall": "recall",
    "top1": "top-1 accuracy",
    "none_given_none": "no touchpoint on texts with none",
}


def figures(model: VocModel, root: Path, cfg: MatcherConfig | None = None) -> list[Figure]:
    """``touchpoints-transfer``: per label set, the matcher trained without it (leave-one-set-out) beside today's
    zero-shot as the baseline."""
    from vocmine.evaluate import Figure

    cfg = cfg or MatcherConfig()
    train, test = load_pairs(model, root)
    loso = leave_one_set_out(train, test, cfg)
    out = []
    for s in test:
        base = _score_zero_shot(s)
        targets = dict(TARGETS.get(s.source.key, []))
        modes = (("left out, gated (shipped)", loso.gated), ("left out, matcher names", loso.scores))
        for setting, scores in modes:
            got = scores[s.source.key]
            for m, name in _METRIC_NAMES.items():
                v = getattr(got, m)
                if v is None:
                    continue
                note = ""
                if m == "micro_f1":
                    note = (
                        f"matcher ({cfg.design}) trained on the other label sets; threshold "
                        f"{loso.threshold[s.source.left_out_with]} chosen on them"
                        + (
                            "; zero-shot names the touchpoints of the texts it passes"
                            if "gated" in setting
                            else ""
                        )
                    )
                out.append(
                    Figure(
                        "touchpoints-transfer",
                        s.data.name,
                        name,
                        v,
                        targets.get(m),
                        getattr(base, m),
                        setting,
                        got.n,
                        note,
                    )
                )
    return out


def main() -> None:  # pragma: no cover - bench entry: python -m vocmine.train.matcher compare
    import sys

    from vocmine.nlp.model import VocModel

    train, test = load_pairs(VocModel.from_pretrained(), settings.SHARED_DATA_DIR)
    print(json.dumps({"zero-shot": {s.source.key: asdict(_score_zero_shot(s)) for s in test}}), flush=True)
    for d in sys.argv[1:] or ["logreg", "gbm", "mlp"]:  # each design prints as soon as it is measured
        design, _, product = d.partition("+")  # "logreg+product": with the clause ⊙ centroid features
        cfg = MatcherConfig(design=design, product=bool(product))
        print(json.dumps({d: compare(train, test, cfg)}), flush=True)


if __name__ == "__main__":
    main()
