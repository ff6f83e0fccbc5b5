"""Effort and emotion per clause, read off the segment embeddings a run already computes (no encoder call).

``EffortScorer``: prototype phrases (``affect/effort.yaml``: hard, easy, none) scored in the encoder space like
the zero-shot touchpoints (mean top-k cosine per class), a softmax over the three with a temperature fitted on
the phrases alone (leave-one-out); effort score = p(hard) - p(easy) in [-1, 1]. ``EmotionHead``: one-vs-rest
logistic regression over the segment features (CEDR, ``vocmine train-emotion``), a threshold per emotion.

The affect heads have their own lineage key (``AffectHeads.version``), stored in ``segment_affect`` beside the
``VocModel.version`` of the row: adding or retraining them does not change the sentiment and touchpoint lineage.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from vocmine.nlp.encoder import Encoder, encoder_fingerprint
from vocmine.nlp.heads import fit_temperature, rowwise, softmax

AFFECT = "affect"  # subfolder of a model folder
EFFORT_FILE = "effort.yaml"
EMOTION_HEAD = "emotion"  # subfolder of affect/: head.safetensors + head.json (model card figures inside)
EFFORT_LABELS = ("easy", "none", "hard")  # the prototype classes, in the order of EffortScorer.proba
EFFORT_LEVELS = ("easy", "neutral", "hard")  # the stored label: no effort statement (none) is neutral
EMOTIONS = ("joy", "sadness", "surprise", "fear", "anger")
EFFORT_CUT = 0.2  # |score| from which a clause is labelled hard (or easy); below it, neutral


def _top_k_mean(sims: np.ndarray, k: int) -> np.ndarray:
    kk = min(k, sims.shape[1])
    return np.partition(sims, -kk, axis=1)[:, -kk:].mean(axis=1)


@dataclass
class EffortScorer:
    """Effort of a clause from its cosine to the prototype phrases of each class (see the module docstring)."""

    phrases: dict[str, list[str]]  # class (EFFORT_LABELS) -> its phrases, every language together
    prototypes: np.ndarray  # [n_phrases, dim], L2-normalised, rows in class order
    owner: np.ndarray  # [n_phrases] class index of each row
    top_k: int = 3
    temperature: float = 1.0

    @classmethod
    def from_yaml(cls, path: Path, encoder: Encoder) -> EffortScorer:
        from vocmine.nlp.touchpoints import embed_prototypes

        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        phrases = {c: [p for lang in (spec.get(c) or {}).values() for p in lang] for c in EFFORT_LABELS}
        missing = [c for c in EFFORT_LABELS if not phrases[c]]
        if missing:
            raise ValueError(f"{path}: no prototype phrases for {', '.join(missing)}")
        texts = [p for c in EFFORT_LABELS for p in phrases[c]]
        owner = np.repeat(np.arange(len(EFFORT_LABELS)), [len(phrases[c]) for c in EFFORT_LABELS])
        scorer = cls(phrases, embed_prototypes(encoder, texts), owner, int(spec.get("top_k", 3)))
        scorer.temperature = scorer._fit_temperature()
        return scorer

    def similarities(self, emb: np.ndarray, exclude_self: bool = False) -> np.ndarray:
        """[n, 3]: mean top-k cosine to each class's phrases (``exclude_self``: ``emb`` are the prototypes
        themselves, each left out of its own class)."""
        sims = rowwise(emb, self.prototypes.T)
        if exclude_self:  # the lowest cosine there is: never in a top-k of a class with more phrases than k
            np.fill_diagonal(sims, -1.0)
        out = np.zeros((len(emb), len(EFFORT_LABELS)), np.float32)
        for j in range(len(EFFORT_LABELS)):
            out[:, j] = _top_k_mean(sims[:, self.owner == j], self.top_k)
        return out

    def _fit_temperature(self) -> float:
        """Softmax temperature of the similarities from the phrases alone: leave-one-out over them."""
        return fit_temperature(self.similarities(self.prototypes, exclude_self=True), self.owner)

    def proba(self, emb: np.ndarray) -> np.ndarray:
        """[n, 3] probabilities of easy / none / hard."""
        return softmax(self.similarities(emb) / self.temperature)

    def score(self, emb: np.ndarray) -> np.ndarray:
        """Effort in [-1, 1]: p(hard) - p(easy); positive = hard."""
        p = self.proba(emb)
        return (p[:, 2] - p[:, 0]).astype(np.float32)

    @staticmethod
    def label(score: np.ndarray) -> list[str]:
        return ["hard" if s >= EFFORT_CUT else "easy" if s <= -EFFORT_CUT else "neutral" for s in score]

    def fingerprint(self) -> str:
        spec = {"phrases": self.phrases, "top_k": self.top_k, "cut": EFFORT_CUT}
        return json.dumps(spec, sort_keys=True, ensure_ascii=False)


@dataclass
class EmotionHead:
    """One-vs-rest logistic regression per emotion over the segment features, a threshold per emotion."""

    weight: np.ndarray  # [dim, n_emotions]
    bias: np.ndarray  # [n_emotions]
    thresholds: np.ndarray  # [n_emotions]
    emotions: list[str] = field(default_factory=lambda: list(EMOTIONS))
    report: dict = field(default_factory=dict)  # training figures, written beside the weights

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(rowwise(x, self.weight) + self.bias)))

    def labels(self, p: np.ndarray) -> list[list[str]]:
        over = p >= self.thresholds
        return [[e for e, on in zip(self.emotions, row, strict=True) if on] for row in over]

    def tensors(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight, "bias": self.bias, "thresholds": self.thresholds}

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: np.ascontiguousarray(v, np.float32) for k, v in self.tensors().items()},
            str(path / "head.safetensors"),
        )
        meta = {"kind": "emotion", "emotions": self.emotions, "report": self.report}
        (path / "head.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_pretrained(cls, path: Path) -> EmotionHead:
        from safetensors.numpy import load_file

        t = load_file(str(path / "head.safetensors"))
        meta = json.loads((path / "head.json").read_text())
        return cls(t["weight"], t["bias"], t["thresholds"], list(meta["emotions"]), meta.get("report", {}))


AFFECT_COLUMNS = [
    "doc_id",
    "seg_idx",
    "model_version",
    "affect_version",
    "effort_score",
    "effort",
    *(f"p_{e}" for e in EMOTIONS),
    "emotions",
]


@dataclass
class AffectHeads:
    """The effort scorer and the emotion head of a model folder (``affect/``), either may be absent."""

    encoder_name: str
    effort: EffortScorer | None = None
    emotion: EmotionHead | None = None

    @classmethod
    def from_pretrained(cls, path: Path, encoder: Encoder) -> AffectHeads | None:
        """The heads in ``path`` (a model's ``affect/`` folder); None when it holds neither."""
        effort = (
            EffortScorer.from_yaml(path / EFFORT_FILE, encoder) if (path / EFFORT_FILE).exists() else None
        )
        head = path / EMOTION_HEAD
        emotion = EmotionHead.from_pretrained(head) if (head / "head.json").exists() else None
        if emotion is not None and emotion.weight.shape[0] != encoder.width:
            warnings.warn(
                f"emotion head ignored: it reads features of width {emotion.weight.shape[0]}, this model's encoder "
                f"gives {encoder.width} (other extra_layers); re-run `vocmine train-emotion` for this model.",
                stacklevel=2,
            )
            emotion = None
        trained_on = emotion.report.get("encoder_fingerprint") if emotion is not None else None
        if trained_on and trained_on != encoder_fingerprint(encoder.name):
            warnings.warn(
                f"emotion head ignored: it was trained on the features of encoder weights {trained_on}, this model "
                f"encodes with {encoder_fingerprint(encoder.name)} (another adapter or base encoder); re-run "
                "`vocmine train-emotion` for this model.",
                stacklevel=2,
            )
            emotion = None
        if effort is None and emotion is None:
            return None
        return cls(encoder.name, effort, emotion)

    @cached_property
    def version(self) -> str:
        """Lineage key of every affect row: effort prototypes and settings + emotion head weights + encoder."""
        h = hashlib.sha256(encoder_fingerprint(self.encoder_name).encode())
        h.update((self.effort.fingerprint() if self.effort else "-").encode())
        if self.emotion is not None:
            h.update(json.dumps(self.emotion.emotions).encode())
            for t in self.emotion.tensors().values():
                h.update(np.ascontiguousarray(t, np.float32).tobytes())
        return f"affect@{h.hexdigest()[:8]}"

    def frame(
        self, keys: pd.DataFrame, emb: np.ndarray, features: np.ndarray, model_version: str
    ) -> pd.DataFrame:
        """One ``segment_affect`` row per row of ``keys`` (doc_id, seg_idx): ``emb`` the segments' embeddings
        (the last layer, what the prototypes are compared with), ``features`` what the emotion head reads."""
        n = len(keys)
        df = keys[["doc_id", "seg_idx"]].reset_index(drop=True).copy()
        df["model_version"] = model_version
        df["affect_version"] = self.version
        if self.effort is not None and n:
            score = self.effort.score(emb)
            df["effort_score"] = score.round(4)
            df["effort"] = self.effort.label(score)
        else:
            df["effort_score"], df["effort"] = np.nan, None
        p = self.emotion.proba(features) if self.emotion is not None and n else None
        for e in EMOTIONS:
            df[f"p_{e}"] = p[:, self.emotion.emotions.index(e)].round(4) if p is not None else np.nan
        df["emotions"] = self.emotion.labels(p) if p is not None else [[] for _ in range(n)]
        return df[AFFECT_COLUMNS]
