"""The taxonomy-conditioned touchpoint matcher: scores (clause, touchpoint) pairs from how the clause sits among
the taxonomy's own texts, so one model serves any taxonomy.

A touchpoint is represented by what a CX team writes for it — name, description, example phrases, keywords — in
the frozen encoder space. Each pair gets features that say nothing about *which* taxonomy or touchpoint it is
(cosines to the touchpoint's examples, centroid, description and name; its keyword; and where those stand among
the taxonomy's other touchpoints: margin to the best, rank, softmax share), and a small MLP trained on pairs from
many public label sets turns them into the probability that the touchpoint is named in the clause
(``vocmine train-matcher``). One global threshold makes "no touchpoint" an answer.

The same training also learns a linear metric (``Matcher.metric``, a [d, d] map near the identity): under it a
clause sits nearest the prototypes of the touchpoint it names, across all the label sets at once. Its cosines are
three more features, and, where the matcher ships as a gate, the nearest touchpoint under it is the one named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vocmine.nlp.heads import rowwise

#: names of the pair features, in ``pair_features`` order (saved beside the weights: a model trained on other
#: features is refused)
FEATURES = (
    "sim_topk", "example_top1", "centroid", "description", "name", "keyword",
    "sim_minus_center", "sim_minus_best", "sim_margin_other", "log_rank", "softmax_sim", "z_sim",
    "centroid_minus_best", "softmax_centroid", "example_top1_minus_best", "name_minus_best",
    "description_minus_best", "log_touchpoints", "other_keywords",
    "metric_centroid", "metric_minus_best", "softmax_metric",
)  # fmt: skip

_TEMPERATURE = 0.02  # cosine differences of a few hundredths separate touchpoints in this encoder space
#: the temperature of the metric's training softmax (vocmine.train.matcher.fit_metric), and of its feature
METRIC_TEMPERATURE = 0.05


def _softmax(x: np.ndarray, temperature: float = _TEMPERATURE) -> np.ndarray:
    z = (x - x.max(axis=1, keepdims=True)) / temperature
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def max_by_owner(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """[rows, n]: the highest of ``sims``' columns owned by each of ``n`` touchpoints (-1 where it owns none)."""
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for j in range(n):
        cols = owner == j
        if cols.any():
            out[:, j] = sims[:, cols].max(axis=1)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def metric_centroids(
    prototypes: np.ndarray, owner: np.ndarray, n: int, metric: np.ndarray | None
) -> np.ndarray:
    """[n, d']: each touchpoint's prototypes mapped by ``metric`` [d, d'] (None: as they are), unit-normalised,
    averaged and normalised again: the touchpoint in the metric space."""
    p = _unit(prototypes if metric is None else rowwise(prototypes, metric))
    out = np.zeros((n, p.shape[1]), dtype=np.float32)
    np.add.at(out, owner, p)
    return _unit(out).astype(np.float32)


def metric_sims(emb: np.ndarray, centroids: np.ndarray, metric: np.ndarray | None) -> np.ndarray:
    """[n, T]: cosines of the clauses to ``metric_centroids`` in the metric space."""
    return rowwise(_unit(emb if metric is None else rowwise(emb, metric)), centroids.T)


def pair_features(
    sim_topk: np.ndarray,
    example_sims: np.ndarray,
    example_owner: np.ndarray,
    centroid_sims: np.ndarray,
    description_sims: np.ndarray,
    name_sims: np.ndarray,
    keywords: np.ndarray,
    center: float,
    metric: np.ndarray | None = None,
) -> np.ndarray:
    """[n, n_touchpoints, len(FEATURES)] from the clause↔taxonomy cosines (no label is read).

    ``sim_topk`` [n, T]: the zero-shot similarity (mean of the top-k example/description cosines);
    ``example_sims`` [n, E] with ``example_owner`` [E]; ``centroid_sims``, ``description_sims`` (best over
    languages; -1 where none), ``name_sims`` [n, T]; ``keywords`` [n, T] 0/1; ``center``: the taxonomy's
    calibrated similarity centre (TouchpointClassifier._calibrate); ``metric`` [n, T]: ``metric_sims`` (None:
    the centroid cosines stand in, as for the identity metric).
    """
    n, t = sim_topk.shape
    ex1 = max_by_owner(example_sims, example_owner, t)
    ex1 = np.where(ex1 < -0.5, sim_topk, ex1)  # a touchpoint without examples: its description stands in
    desc = np.where(description_sims < -0.5, sim_topk, description_sims)
    kw = keywords.astype(np.float32)
    best = sim_topk.max(axis=1, keepdims=True)
    if t > 1:
        top2 = np.sort(sim_topk, axis=1)[:, -2:]
        # margin over the best *other* touchpoint: positive only for the row's best
        other = np.where(sim_topk >= best, top2[:, :1], best)
    else:
        other = sim_topk - 1.0
    rank = np.argsort(np.argsort(-sim_topk, axis=1), axis=1).astype(np.float32)
    z = (sim_topk - sim_topk.mean(axis=1, keepdims=True)) / (sim_topk.std(axis=1, keepdims=True) + 1e-3)
    feats = [
        sim_topk,
        ex1,
        centroid_sims,
        desc,
        name_sims,
        kw,
        sim_topk - center,
        sim_topk - best,
        sim_topk - other,
        np.log1p(rank),
        _softmax(sim_topk),
        z,
        centroid_sims - centroid_sims.max(axis=1, keepdims=True),
        _softmax(centroid_sims),
        ex1 - ex1.max(axis=1, keepdims=True),
        name_sims - name_sims.max(axis=1, keepdims=True),
        desc - desc.max(axis=1, keepdims=True),
        np.full((n, t), np.log(t), dtype=np.float32),
        kw.sum(axis=1, keepdims=True) - kw,
    ]
    return np.concatenate(
        [np.stack(feats, axis=2), metric_features(centroid_sims if metric is None else metric)], axis=2
    ).astype(np.float32)


#: where ``metric_features`` sit in ``pair_features``' last axis
METRIC_FEATURES = slice(FEATURES.index("metric_centroid"), len(FEATURES))


def metric_features(metric: np.ndarray) -> np.ndarray:
    """[n, T, 3]: the "metric_*" features from ``metric_sims`` [n, T]."""
    m = metric.astype(np.float32)
    return np.stack([m, m - m.max(axis=1, keepdims=True), _softmax(m, METRIC_TEMPERATURE)], axis=2)


@dataclass
class Matcher:
    """An MLP over ``pair_features`` (standardise, ReLU layers, sigmoid), one abstention threshold, and at most
    ``max_labels`` touchpoints per clause."""

    mean: np.ndarray  # [F]
    scale: np.ndarray  # [F]
    weights: list[np.ndarray]  # per layer [in, out]
    biases: list[np.ndarray]
    threshold: float = 0.5
    max_labels: int = 2
    features: tuple[str, ...] = FEATURES
    product: bool = False  # input also holds the clause ⊙ centroid elementwise product (after the features)
    # True: the matcher only decides whether a clause names a touchpoint; the nearest touchpoint in the metric
    # space (plus keyword matches) names which (bench/README.md: the matcher's own choice put payment above the
    # planted pricing pain point)
    gate_only: bool = True
    report: dict = field(default_factory=dict)  # training figures, kept beside the weights
    # [d, d]: the linear map under which clauses sit nearest their touchpoints' prototypes, learned across the
    # label sets (vocmine.train.matcher.fit_metric); it feeds the "metric_*" features and, gated, names which
    # touchpoint. None: the identity.
    metric: np.ndarray | None = None

    def scores(
        self, x: np.ndarray, emb: np.ndarray | None = None, centroids: np.ndarray | None = None
    ) -> np.ndarray:
        """[n, T] pair probabilities from ``pair_features`` [n, T, F] (and, for a ``product`` matcher, the
        clauses' embeddings [n, d] and the touchpoints' centroids [T, d])."""
        n, t, f = x.shape
        h = x.reshape(-1, f)
        if self.product:
            h = np.hstack([h, (emb[:, None, :] * centroids[None, :, :]).reshape(n * t, -1)])
        h = ((h - self.mean) / self.scale).astype(np.float32)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = rowwise(h, w) + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        return (1.0 / (1.0 + np.exp(-h[:, 0]))).reshape(n, t)

    def labels(self, p: np.ndarray) -> list[list[int]]:
        """Per clause, the touchpoints (column indices, best first) at or above the threshold; none: abstain."""
        order = np.argsort(-p, axis=1)[:, : self.max_labels]  # (a gate_only matcher's caller reads p's max)
        return [[int(j) for j in row if p[i, j] >= self.threshold] for i, row in enumerate(order)]

    def tensors(self) -> dict[str, np.ndarray]:
        t = {"mean": self.mean, "scale": self.scale}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            t[f"w{i}"], t[f"b{i}"] = w, b
        if self.metric is not None:
            t["metric"] = self.metric
        return t

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: np.ascontiguousarray(v, np.float32) for k, v in self.tensors().items()},
            str(path / "matcher.safetensors"),
        )
        meta = {
            "layers": len(self.weights),
            "threshold": self.threshold,
            "max_labels": self.max_labels,
            "features": list(self.features),
            "product": self.product,
            "gate_only": self.gate_only,
            "report": self.report,
        }
        (path / "matcher.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_pretrained(cls, path: Path) -> Matcher:
        from safetensors.numpy import load_file

        t = load_file(str(path / "matcher.safetensors"))
        meta = json.loads((path / "matcher.json").read_text())
        if tuple(meta["features"]) != FEATURES:
            raise ValueError(
                f"{path}: matcher trained on other pair features; retrain with `vocmine train-matcher`"
            )
        n = int(meta["layers"])
        return cls(
            t["mean"],
            t["scale"],
            [t[f"w{i}"] for i in range(n)],
            [t[f"b{i}"] for i in range(n)],
            float(meta["threshold"]),
            int(meta["max_labels"]),
            product=bool(meta.get("product", False)),
            gate_only=bool(meta.get("gate_only", True)),
            report=meta.get("report", {}),
            metric=t.get("metric"),
        )
