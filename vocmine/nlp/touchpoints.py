"""Segment-level, multi-label touchpoint classification: from the taxonomy alone, or with a trained head.

Zero-shot, two signals: similarity of the segment to the taxonomy's example phrases and description in the
encoder space (mean of the k best example cosines per touchpoint), and keyword lemmas found in the segment. The
similarity is mapped to a 0..1 confidence with a logistic curve whose centre is calibrated from the taxonomy's own
examples (or set as a parameter), so a CX team can swap in a taxonomy with no code change. Similarity alone
names one touchpoint, the nearest; a further one needs its own keyword in the segment. With labeled examples,
``vocmine train-touchpoints`` fits a ``TouchpointHead`` over the same signals plus the embedding, with
thresholds per touchpoint.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder
from vocmine.nlp.heads import rowwise
from vocmine.nlp.matcher import Matcher, max_by_owner, metric_centroids, metric_sims, pair_features
from vocmine.taxonomy import Taxonomy
from vocmine.text import lemma

_EN_SUFFIXES = ("ing", "ed", "es", "s")


def match_form(word: str) -> str:
    """The form keywords and segment lemmas are compared in: ё→е, crude English suffix stripping.

    Russian words arrive as pymorphy3 lemmas already; English has no offline lemmatizer, so plural and
    past/progressive endings are cut to let "couriers"/"delivered" meet the keywords "courier"/"deliver".
    """
    w = word.lower().replace("ё", "е")
    if w.isascii():
        for suf in _EN_SUFFIXES:
            if w.endswith(suf) and len(w) - len(suf) >= 4:
                return w[: -len(suf)]
    return w


def keyword_forms(keyword: str, lang: str) -> tuple[str, ...]:
    return tuple(match_form(lemma(w, lang)) for w in keyword.split())


@dataclass
class TouchpointParams:
    top_k: int = 3  # example cosines averaged per touchpoint
    # Cosine at which similarity alone gives confidence 0.5. None: calibrated from the taxonomy itself, as
    # ``center_offset`` above how close each example comes to its nearest *other* touchpoint (its confusion
    # level): a taxonomy of near neighbours (restaurant aspects) needs a higher bar than a spread-out one.
    center: float | None = None
    # makes the default retail taxonomy's centre 0.860, the hand-tuned value, on the base encoder
    center_offset: float = -0.0276
    slope: float = 45.0
    keyword_bonus: float = 0.25
    threshold: float = 0.5
    max_labels: int = 2
    # A label without a keyword must be within this cosine of the best touchpoint's. 0: similarity alone names
    # only the nearest touchpoint; the calibrated margin used until 2026-12-01 (0.03 for the default taxonomy)
    # gave 845 labels that were not the first on the 1,516 sample clauses, most of them wrong, and none helped
    # MAMS (bench/README.md, "Zero-shot touchpoints: a second label needs its keyword").
    relative_margin: float = 0.0


@dataclass
class TouchpointHit:
    touchpoint: str
    score: float
    similarity: float
    keyword: str | None = None


def embed_prototypes(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Embeddings of prototype phrases (touchpoint examples, effort phrases), cached on disk by their text and the
    encoder's weights (``.cache/prototypes``): a model loads without re-encoding an unchanged taxonomy."""
    key = hashlib.sha256(("\x1e".join(texts) + encoder.fingerprint).encode()).hexdigest()
    path = settings.CACHE_DIR / "prototypes" / f"{key[:20]}.npy"
    if path.exists():
        return np.load(path)
    emb = encoder.encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


def keyword_matrix(kws: list[list[str | None]], n_touchpoints: int) -> np.ndarray:
    """[n, T] 0/1 from ``keyword_hits``' rows."""
    return np.array([[k is not None for k in row] for row in kws], dtype=np.float32).reshape(
        -1, n_touchpoints
    )


def confidence(sims: np.ndarray, center: float, p: TouchpointParams) -> np.ndarray:
    """The zero-shot confidence: a logistic of the similarity around the taxonomy's calibrated centre."""
    return 1.0 / (1.0 + np.exp(np.clip(-p.slope * (sims - center), -50.0, 50.0)))


def keyword_scores(sims: np.ndarray, center: float, kw: np.ndarray, p: TouchpointParams) -> np.ndarray:
    """[n, T]: the zero-shot score (confidence + keyword bonus, at most 1) of the pairs whose keyword the clause
    holds (``kw`` [n, T] 0/1), 0 for the others."""
    conf = confidence(sims, center, p)
    return np.where(kw > 0, np.minimum(1.0, conf + p.keyword_bonus), 0.0)


def gated_names(
    metric: np.ndarray, keyword: np.ndarray, gate: np.ndarray, order: np.ndarray, p: TouchpointParams
) -> list[list[int]]:
    """Per clause that passed the matcher's gate: its nearest touchpoint in the metric space (``metric`` [n, T]),
    plus those whose ``keyword_scores`` reach the threshold, the best ``order`` (the matcher's pair
    probabilities) first, at most ``max_labels``; none for a clause the gate stopped."""
    best = metric.argmax(axis=1)
    out = []
    for i in range(len(metric)):
        named = {int(best[i])} | {int(j) for j in np.flatnonzero(keyword[i] >= p.threshold)}
        out.append(sorted(named, key=lambda j: -order[i, j])[: p.max_labels] if gate[i] else [])
    return out


@dataclass
class TouchpointClassifier:
    taxonomy: Taxonomy
    encoder: Encoder
    params: TouchpointParams = field(default_factory=TouchpointParams)
    head: TouchpointHead | None = None  # trained head (``vocmine train-touchpoints``); None: zero-shot
    # taxonomy-conditioned matcher (``vocmine train-matcher``): used where there is no trained head
    matcher: Matcher | None = None

    def __post_init__(self) -> None:
        self.ids = [t.id for t in self.taxonomy.touchpoints]
        texts, owner, kind = [], [], []
        for i, tp in enumerate(self.taxonomy.touchpoints):
            for lang_examples in tp.examples.values():
                for ex in lang_examples:
                    texts.append(ex)
                    owner.append(i)
                    kind.append(0)
            for desc in tp.description.values():
                texts.append(desc)
                owner.append(i)
                kind.append(1)
        self.owner = np.asarray(owner)
        self.is_example = np.asarray(kind) == 0
        self.prototypes = embed_prototypes(self.encoder, texts)
        self._names = self._embed_names()
        self.center = self._calibrate()
        self.keywords: list[list[tuple[str, tuple[str, ...]]]] = [
            [(kw, keyword_forms(kw, lang)) for lang, kws in tp.keywords.items() for kw in kws]
            for tp in self.taxonomy.touchpoints
        ]
        # form → (touchpoint, keyword's place in its list, " a b " for a phrase starting with that form): a
        # segment then looks up its own few forms instead of scanning every keyword of every touchpoint
        self._by_form: dict[str, list[tuple[int, int, str | None]]] = {}
        for j, kws in enumerate(self.keywords):
            for i, (_, parts) in enumerate(kws):
                if parts:
                    phrase = f" {' '.join(parts)} " if len(parts) > 1 else None
                    self._by_form.setdefault(parts[0], []).append((j, i, phrase))
        self.attach(self.head)

    def _calibrate(self) -> float:
        """Similarity centre from the taxonomy alone (leave-one-out over its own prototypes).

        Per prototype, ``other`` = the highest top-k cosine to another touchpoint's prototypes; centre =
        mean(other) + offset: a taxonomy of near neighbours (restaurant aspects) needs a higher bar.
        """
        p = self.params
        if p.center is not None:
            return p.center
        if len(self.ids) < 2:  # nothing to be confused with: the default taxonomy's hand-tuned value
            return 0.86
        sims = self.prototypes @ self.prototypes.T
        other = np.full(len(self.prototypes), -1.0, dtype=np.float32)
        for j in range(len(self.ids)):
            mine = self.owner == j
            s = sims[~mine][:, mine]
            kk = min(p.top_k, s.shape[1])
            other[~mine] = np.maximum(other[~mine], np.partition(s, -kk, axis=1)[:, -kk:].mean(axis=1))
        return float(other.mean()) + p.center_offset

    def centroid(self, touchpoint_id: str) -> np.ndarray:
        """The touchpoint in the encoder space: L2-normalised mean of its example and description embeddings."""
        v = self.prototypes[self.owner == self.ids.index(touchpoint_id)].mean(axis=0)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def _embed_names(self) -> tuple[np.ndarray, np.ndarray]:
        """The touchpoints' names (every language) embedded, and their owners: the matcher reads them. Embedded
        with the other prototypes, so a classifier built for a taxonomy makes all its encoder calls up front."""
        texts, owner = [], []
        for i, tp in enumerate(self.taxonomy.touchpoints):
            for name in tp.name.values():
                texts.append(name)
                owner.append(i)
        return embed_prototypes(self.encoder, texts), np.asarray(owner)

    @cached_property
    def centroids(self) -> np.ndarray:
        """[n_touchpoints, dim]: every ``centroid`` in taxonomy order."""
        return np.stack([self.centroid(t) for t in self.ids])

    def pair_features(self, emb: np.ndarray, kws: list[list[str | None]]) -> np.ndarray:
        """The matcher's input [n, n_touchpoints, F] (``matcher.pair_features``): prototypes only, no encoder call
        beyond the taxonomy's own names (embedded once and cached)."""
        t = len(self.ids)
        sims = rowwise(emb, self.prototypes.T)
        names, name_owner = self._names
        kw = keyword_matrix(kws, t)
        return pair_features(
            self.similarities(emb),
            sims[:, self.is_example],
            self.owner[self.is_example],
            rowwise(emb, self.centroids.T),
            max_by_owner(sims[:, ~self.is_example], self.owner[~self.is_example], t),
            max_by_owner(rowwise(emb, names.T), name_owner, t),
            kw,
            self.center,
            self.metric_similarities(emb),
        )

    def metric_similarities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_touchpoints]: the clauses' cosines to the touchpoints in the matcher's metric space (the
        centroid cosines where there is no matcher or it has no metric)."""
        metric = None if self.matcher is None else self.matcher.metric
        if metric is None:
            return rowwise(emb, self.centroids.T)
        key = id(metric)  # the matcher may be swapped (tests, `attach`): its centroids follow it
        if getattr(self, "_metric_key", None) != key:
            self._metric_centroids = metric_centroids(self.prototypes, self.owner, len(self.ids), metric)
            self._metric_key = key
        return metric_sims(emb, self._metric_centroids, metric)

    def similarities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_touchpoints]: mean of the top-k example cosines per touchpoint."""
        sims = rowwise(emb, self.prototypes.T)
        out = np.zeros((emb.shape[0], len(self.ids)), dtype=np.float32)
        k = self.params.top_k
        for j in range(len(self.ids)):
            s = sims[:, self.owner == j]
            kk = min(k, s.shape[1])
            out[:, j] = np.sort(np.partition(s, -kk, axis=1)[:, -kk:], axis=1).mean(axis=1)
        return out

    def keyword_hits(self, lemmas: list[list[str]]) -> list[list[str | None]]:
        """Per segment, per touchpoint: the first keyword (in the taxonomy's order) found in the segment's
        lemmas, else None. A one-word keyword is found when it is one of the segment's forms, a phrase when its
        forms follow each other in the segment."""
        out = []
        for seg in lemmas:
            seg_forms = [match_form(w) for w in seg]
            form_text = " " + " ".join(seg_forms) + " "
            first: dict[int, int] = {}
            for f in set(seg_forms):
                for j, i, phrase in self._by_form.get(f, ()):
                    if i < first.get(j, i + 1) and (phrase is None or phrase in form_text):
                        first[j] = i
            row: list[str | None] = [None] * len(self.ids)
            for j, i in first.items():
                row[j] = self.keywords[j][i][0]
            out.append(row)
        return out

    def features(self, sims: np.ndarray, kws: list[list[str | None]], emb: np.ndarray) -> np.ndarray:
        """Input of a trained head: embedding ⊕ zero-shot similarity logits ⊕ keyword indicators (⊕ the matcher's
        logits, where there is a matcher: a few labels then only have to correct it)."""
        kw = keyword_matrix(kws, len(self.ids))
        parts = [emb, self.params.slope * (sims - self.center), kw]
        if self.matcher is not None:
            p = np.clip(
                self.matcher.scores(self.pair_features(emb, kws), emb, self.centroids), 1e-6, 1 - 1e-6
            )
            parts.append(np.log(p / (1 - p)))
        return np.hstack(parts).astype(np.float32)

    def attach(self, head: TouchpointHead | None) -> bool:
        """Use a trained head when it was trained for this taxonomy (and read the matcher's logits if, and only
        if, this classifier has a matcher); otherwise warn and stay with the matcher or zero-shot."""
        if head is not None and head.with_matcher != (self.matcher is not None):
            warnings.warn(
                "trained touchpoint head ignored: it was trained "
                + (
                    "on the matcher's scores, and this model has no matcher"
                    if head.with_matcher
                    else "without a matcher"
                )
                + ". Re-run `vocmine train-touchpoints` with this model.",
                stacklevel=2,
            )
            head = None
        if head is not None and head.taxonomy_fingerprint != self.taxonomy.fingerprint:
            warnings.warn(
                f"trained touchpoint head ignored: it was trained for taxonomy {head.taxonomy_fingerprint} "
                f"({', '.join(head.touchpoints)}), not {self.taxonomy.fingerprint}; zero-shot classification "
                "is used. Re-run `vocmine train-touchpoints` for this taxonomy.",
                stacklevel=2,
            )
            head = None
        self.head = head
        return head is not None

    def predict(self, emb: np.ndarray, lemmas: list[list[str]]) -> list[list[TouchpointHit]]:
        p = self.params
        sims = self.similarities(emb)
        kws = self.keyword_hits(lemmas)
        if self.head is None and self.matcher is not None:
            scores = self.matcher.scores(self.pair_features(emb, kws), emb, self.centroids)
            if self.matcher.gate_only:
                # the matcher says whether a clause names any touchpoint, the metric's nearest names which
                gate = scores.max(axis=1) >= self.matcher.threshold
                kw = keyword_matrix(kws, len(self.ids))
                rows = gated_names(
                    self.metric_similarities(emb), keyword_scores(sims, self.center, kw, p), gate, scores, p
                )
                # a hit's score stays the zero-shot one, so the primary cause is the touchpoint the clause
                # names most plainly ("the app crashes at payment": the app), as before the metric
                zs = np.minimum(1.0, confidence(sims, self.center, p) + p.keyword_bonus * kw)
                return [
                    sorted(
                        (
                            TouchpointHit(
                                self.ids[j], round(float(zs[i, j]), 4), float(sims[i, j]), kws[i][j]
                            )
                            for j in row
                        ),
                        key=lambda h: -h.score,
                    )
                    for i, row in enumerate(rows)
                ]
            rows = self.matcher.labels(scores)
            return [
                [
                    TouchpointHit(self.ids[j], round(float(scores[i, j]), 4), float(sims[i, j]), kws[i][j])
                    for j in row
                ]
                for i, row in enumerate(rows)
            ]
        if self.head is not None:
            scores = self.head.scores(self.features(sims, kws, emb))
            return [
                sorted(
                    (
                        TouchpointHit(
                            self.ids[j], round(float(scores[i, j]), 4), float(sims[i, j]), kws[i][j]
                        )
                        for j in np.flatnonzero(scores[i] >= self.head.thresholds)
                    ),
                    key=lambda h: -h.score,
                )[: self.head.max_labels]
                for i in range(emb.shape[0])
            ]
        conf = confidence(sims, self.center, p)
        results: list[list[TouchpointHit]] = []
        for i in range(emb.shape[0]):
            hits = []
            best_sim = float(sims[i].max())
            for j in np.argsort(-sims[i]):
                kw = kws[i][j]
                score = min(1.0, float(conf[i, j]) + (p.keyword_bonus if kw else 0.0))
                near_best = sims[i, j] >= best_sim - p.relative_margin
                if score >= p.threshold and (near_best or kw):
                    hits.append(TouchpointHit(self.ids[j], round(score, 4), float(sims[i, j]), kw))
            hits.sort(key=lambda h: -h.score)
            results.append(hits[: p.max_labels])
        return results


@dataclass
class TouchpointHead:
    """Trained multi-label head over ``TouchpointClassifier.features``: standardise, one ReLU layer, a sigmoid
    per touchpoint, and a threshold per touchpoint calibrated on held-out scores (``fit_head``: the layer holds
    a cross-fitted ensemble's hidden units side by side).

    It is bound to the taxonomy it was trained for by the fingerprint: its outputs are that taxonomy's
    touchpoints in order.
    """

    mean: np.ndarray  # [n_features]
    scale: np.ndarray  # [n_features]
    w1: np.ndarray  # [n_features, hidden]
    b1: np.ndarray  # [hidden]
    w2: np.ndarray  # [hidden, n_touchpoints]
    b2: np.ndarray  # [n_touchpoints]
    thresholds: np.ndarray  # [n_touchpoints]
    touchpoints: list[str]
    taxonomy_fingerprint: str
    max_labels: int = 3
    report: dict = field(default_factory=dict)  # training figures, kept beside the weights
    with_matcher: bool = False  # its input ends with the matcher's logits (TouchpointClassifier.features)

    def scores(self, features: np.ndarray) -> np.ndarray:
        h = np.maximum(rowwise((features - self.mean) / self.scale, self.w1) + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-(rowwise(h, self.w2) + self.b2)))

    def tensors(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean,
            "scale": self.scale,
            "w1": self.w1,
            "b1": self.b1,
            "w2": self.w2,
            "b2": self.b2,
            "thresholds": self.thresholds,
        }

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: np.ascontiguousarray(v, np.float32) for k, v in self.tensors().items()},
            str(path / "head.safetensors"),
        )
        meta = {
            "touchpoints": self.touchpoints,
            "taxonomy_fingerprint": self.taxonomy_fingerprint,
            "max_labels": self.max_labels,
            "with_matcher": self.with_matcher,
            "report": self.report,
        }
        (path / "head.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def from_pretrained(cls, path: Path) -> TouchpointHead:
        from safetensors.numpy import load_file

        t = load_file(str(path / "head.safetensors"))
        meta = json.loads((path / "head.json").read_text())
        return cls(
            **{k: t[k] for k in ("mean", "scale", "w1", "b1", "w2", "b2", "thresholds")},
            touchpoints=list(meta["touchpoints"]),
            taxonomy_fingerprint=meta["taxonomy_fingerprint"],
            max_labels=int(meta.get("max_labels", 3)),
            report=meta.get("report", {}),
            with_matcher=bool(meta.get("with_matcher", False)),
        )
