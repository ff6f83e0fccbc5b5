"""Segment-level, multi-label touchpoint classification from the taxonomy alone (zero-shot).

Two signals: similarity of the segment to the taxonomy's example phrases and description in the encoder
space (mean of the k best example cosines per touchpoint), and keyword lemmas found in the segment. The
similarity is mapped to a 0..1 confidence with a logistic curve whose centre and slope are parameters, so a
CX team can tighten or loosen assignment without code changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder, encoder_fingerprint
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
    center: float = 0.86  # cosine at which similarity alone gives confidence 0.5
    slope: float = 45.0
    keyword_bonus: float = 0.25
    threshold: float = 0.5
    max_labels: int = 2
    relative_margin: float = 0.03  # a second label must be within this cosine of the best one


@dataclass
class TouchpointHit:
    touchpoint: str
    score: float
    similarity: float
    keyword: str | None = None


@dataclass
class TouchpointClassifier:
    taxonomy: Taxonomy
    encoder: Encoder
    params: TouchpointParams = field(default_factory=TouchpointParams)

    def __post_init__(self) -> None:
        self.ids = [t.id for t in self.taxonomy.touchpoints]
        texts, owner = [], []
        for i, tp in enumerate(self.taxonomy.touchpoints):
            for lang_examples in tp.examples.values():
                for ex in lang_examples:
                    texts.append(ex)
                    owner.append(i)
            for desc in tp.description.values():
                texts.append(desc)
                owner.append(i)
        self.owner = np.asarray(owner)
        self.prototypes = self._embed_prototypes(texts)
        self.keywords: list[list[tuple[str, tuple[str, ...]]]] = [
            [(kw, keyword_forms(kw, lang)) for lang, kws in tp.keywords.items() for kw in kws]
            for tp in self.taxonomy.touchpoints
        ]

    def _embed_prototypes(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256(
            ("\x1e".join(texts) + encoder_fingerprint(self.encoder.name)).encode()
        ).hexdigest()
        path = settings.CACHE_DIR / "prototypes" / f"{key[:20]}.npy"
        if path.exists():
            return np.load(path)
        emb = self.encoder.encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, emb)
        return emb

    def similarities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_touchpoints]: mean of the top-k example cosines per touchpoint."""
        sims = emb @ self.prototypes.T
        out = np.zeros((emb.shape[0], len(self.ids)), dtype=np.float32)
        k = self.params.top_k
        for j in range(len(self.ids)):
            s = sims[:, self.owner == j]
            kk = min(k, s.shape[1])
            out[:, j] = np.sort(np.partition(s, -kk, axis=1)[:, -kk:], axis=1).mean(axis=1)
        return out

    def _keyword(self, j: int, forms: set[str], form_text: str) -> str | None:
        for kw, parts in self.keywords[j]:
            if (len(parts) == 1 and parts[0] in forms) or (
                len(parts) > 1 and f" {' '.join(parts)} " in form_text
            ):
                return kw
        return None

    def predict(self, emb: np.ndarray, lemmas: list[list[str]]) -> list[list[TouchpointHit]]:
        p = self.params
        sims = self.similarities(emb)
        conf = 1.0 / (1.0 + np.exp(-p.slope * (sims - p.center)))
        results: list[list[TouchpointHit]] = []
        for i in range(emb.shape[0]):
            seg_forms = [match_form(w) for w in lemmas[i]]
            forms, form_text = set(seg_forms), " " + " ".join(seg_forms) + " "
            hits = []
            best_sim = float(sims[i].max())
            for j in np.argsort(-sims[i]):
                kw = self._keyword(int(j), forms, form_text)
                score = min(1.0, float(conf[i, j]) + (p.keyword_bonus if kw else 0.0))
                near_best = sims[i, j] >= best_sim - p.relative_margin
                if score >= p.threshold and (near_best or kw):
                    hits.append(TouchpointHit(self.ids[j], round(score, 4), float(sims[i, j]), kw))
            hits.sort(key=lambda h: -h.score)
            results.append(hits[: p.max_labels])
        return results
