"""Small classification heads on top of frozen encoder embeddings, stored as safetensors + JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def rowwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` in float32 whose rows do not depend on the other rows of ``a``.

    A float32 BLAS product changes in its last bits with the number of rows and threads (OpenBLAS's Haswell
    kernels: up to 1e-7 between a batch of 300 and one of 7), and scores stored rounded to four decimals then
    differ between a run and the same texts batched otherwise (a Dask worker, a smaller batch). Computed in float64
    and rounded to float32, the rows came out bit-identical in every arrangement measured.
    """
    return (np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class SoftmaxHead:
    """Multinomial logistic regression with a temperature fitted for calibrated probabilities."""

    weight: np.ndarray  # [n_labels, dim]
    bias: np.ndarray  # [n_labels]
    labels: list[str]
    temperature: float = 1.0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return (rowwise(x, self.weight.T) + self.bias) / self.temperature

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.logits(x))

    def tensors(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight, "bias": self.bias}

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "weight": np.ascontiguousarray(self.weight, np.float32),
                "bias": np.ascontiguousarray(self.bias, np.float32),
            },
            str(path / "head.safetensors"),
        )
        (path / "head.json").write_text(
            json.dumps({"labels": self.labels, "temperature": self.temperature}, indent=2)
        )

    @classmethod
    def from_pretrained(cls, path: Path) -> SoftmaxHead:
        from safetensors.numpy import load_file

        t = load_file(str(path / "head.safetensors"))
        meta = json.loads((path / "head.json").read_text())
        return cls(t["weight"], t["bias"], list(meta["labels"]), float(meta.get("temperature", 1.0)))


@dataclass
class MLPHead:
    """One hidden ReLU layer, then softmax with a fitted temperature (sklearn ``MLPClassifier`` weights)."""

    w1: np.ndarray  # [dim, hidden]
    b1: np.ndarray  # [hidden]
    w2: np.ndarray  # [hidden, n_labels]
    b2: np.ndarray  # [n_labels]
    labels: list[str]
    temperature: float = 1.0

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = np.maximum(rowwise(x, self.w1) + self.b1, 0.0)
        return (rowwise(h, self.w2) + self.b2) / self.temperature

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.logits(x))

    def tensors(self) -> dict[str, np.ndarray]:
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: np.ascontiguousarray(v, np.float32) for k, v in self.tensors().items()},
            str(path / "head.safetensors"),
        )
        meta = {"kind": "mlp", "labels": self.labels, "temperature": self.temperature}
        (path / "head.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def from_pretrained(cls, path: Path) -> MLPHead:
        from safetensors.numpy import load_file

        t = load_file(str(path / "head.safetensors"))
        meta = json.loads((path / "head.json").read_text())
        return cls(
            t["w1"], t["b1"], t["w2"], t["b2"], list(meta["labels"]), float(meta.get("temperature", 1.0))
        )


Head = SoftmaxHead | MLPHead


def load_head(path: Path) -> Head:
    """The head saved in ``path``, of the kind its ``head.json`` names (logistic regression when unnamed)."""
    kind = json.loads((path / "head.json").read_text()).get("kind", "softmax")
    return MLPHead.from_pretrained(path) if kind == "mlp" else SoftmaxHead.from_pretrained(path)


def clause_stats(seg_p: np.ndarray, owner: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """What a document head reads of its clauses' sentiment: per class, the highest clause probability and the
    length-weighted mean (``[n, 2 × classes]``; rows of documents without clauses are zero).

    The maximum is what a mean of embeddings loses: one clearly negative clause among neutral ones.
    """
    k = seg_p.shape[1] if seg_p.ndim == 2 else 0
    top = np.zeros((n, k), np.float32)
    total = np.zeros((n, k), np.float32)
    if len(owner):
        np.maximum.at(top, owner, seg_p)
        np.add.at(total, owner, seg_p * weights[:, None])
    mass = np.bincount(owner, weights=weights, minlength=n)[:, None] if len(owner) else np.zeros((n, 1))
    mean = np.divide(total, mass, out=np.zeros_like(total), where=mass > 0)
    return np.concatenate([top, mean], axis=1).astype(np.float32)


@dataclass
class DocumentHead(SoftmaxHead):
    """A document's sentiment learned from its clauses: logistic regression over the pooled clause embedding and
    the clause head's ``clause_stats`` (trained on document labels; ``vocmine train``)."""

    def proba(self, doc_emb: np.ndarray, stats: np.ndarray) -> np.ndarray:
        return self.predict_proba(np.concatenate([doc_emb, stats], axis=1))

    def save_pretrained(self, path: Path) -> None:
        super().save_pretrained(path)
        meta = json.loads((path / "head.json").read_text())
        (path / "head.json").write_text(json.dumps({"kind": "document", **meta}, indent=2))

    @classmethod
    def from_pretrained(cls, path: Path) -> DocumentHead:
        h = SoftmaxHead.from_pretrained(path)
        return cls(h.weight, h.bias, h.labels, h.temperature)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising held-out negative log-likelihood (Guo et al., 2017), by grid search."""
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(10.0), 200)):
        p = softmax(logits / t)
        nll = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


@dataclass
class SentimentHeads:
    """The clause head and, when trained, the document head: what turns encoder outputs into sentiment."""

    clause: Head
    document: DocumentHead | None = None

    @property
    def labels(self) -> list[str]:
        return self.clause.labels

    def sentiment_proba(self, emb: np.ndarray) -> np.ndarray:
        return self.clause.predict_proba(emb)

    def document_proba(
        self, doc_emb: np.ndarray, seg_p: np.ndarray, owner: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """Document probabilities (head label order) from the pooled embeddings ``doc_emb`` and the clause
        probabilities ``seg_p`` of the clauses ``owner`` assigns to them (``weights``: their lengths); without a
        document head, the clause head on the pooled embedding."""
        if self.document is None:
            return self.sentiment_proba(doc_emb)
        return self.document.proba(doc_emb, clause_stats(seg_p, owner, weights, len(doc_emb)))
