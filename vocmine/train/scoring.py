"""The sentiment figures' definitions, kept free of the NLP stack so a bare GPU machine computes them the same way."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

#: a set's metric by the start of its name; any other set: 3-class macro-F1
METRICS = {"SST-2": "accuracy (binary)", "Complaints": "macro-F1 (complaint = negative)"}


def metric(name: str) -> str:
    """The name of the figure ``dev_score`` computes for the set called ``name``."""
    return next((m for k, m in METRICS.items() if name.startswith(k)), "macro-F1 (3-class)")


def predicted(name: str, proba: np.ndarray, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The labels a set's figure compares with its gold ones, and the probability of each: the argmax label;
    for SST-2 the likelier of negative and positive; for complaints, *complaint* when negative wins."""
    labels = list(labels)
    if name.startswith("Complaints"):
        neg = proba.argmax(1) == labels.index("negative")
        return np.where(neg, "complaint", "not_complaint"), proba.max(1)
    if name.startswith("SST-2"):
        cols = [labels.index("negative"), labels.index("positive")]
        best = proba[:, cols].argmax(1)
        return np.array(["negative", "positive"])[best], proba[:, cols].max(1)
    return np.array(labels)[proba.argmax(1)], proba.max(1)


def dev_score(name: str, gold: Sequence[str], proba: np.ndarray, labels: Sequence[str]) -> float:
    """One dev set's figure: 3-class macro-F1; binary accuracy for SST-2 (neutral ignored); for complaints, binary
    macro-F1 of complaint read as *negative* (neutral and positive as not a complaint)."""
    pred = predicted(name, proba, labels)[0]
    if name.startswith("Complaints"):
        return round(f1_score(gold, pred, average="macro", labels=["complaint", "not_complaint"]), 4)
    if name.startswith("SST-2"):
        return round(accuracy_score(gold, pred), 4)
    return round(f1_score(gold, pred, average="macro", labels=list(labels)), 4)


def class_f1(gold: Sequence[str], proba: np.ndarray, labels: Sequence[str], label: str) -> float:
    """F1 of one class of a 3-class set (e.g. how well neutral texts are told from opinions)."""
    pred = np.asarray(labels)[np.asarray(proba).argmax(axis=1)]
    return round(f1_score(gold, pred, labels=[label], average="macro"), 4)


def mistakes(name: str, texts: Sequence[str], gold: Sequence[str], proba: np.ndarray, labels, n: int) -> list:
    """The ``n`` most confident mistakes per gold class of one set: where the next round of work starts."""
    pred, conf = predicted(name, proba, labels)
    gold = np.asarray(gold)
    rows = []
    for g in dict.fromkeys(gold):
        wrong = np.flatnonzero((gold == g) & (pred != g))
        for i in wrong[np.argsort(-conf[wrong], kind="stable")][:n]:
            rows.append(
                {
                    "set": name,
                    "gold": g,
                    "predicted": pred[i],
                    "confidence": round(float(conf[i]), 4),
                    "text": texts[i],
                }
            )
    return rows


def per_corpus_f1(y: np.ndarray, pred: np.ndarray, corpus: np.ndarray) -> dict[str, float]:
    """Macro-F1 per corpus (over the labels the corpus has) and their mean."""
    out = {}
    for c in dict.fromkeys(corpus):
        m = corpus == c
        out[c] = round(f1_score(y[m], pred[m], average="macro", labels=sorted(set(y[m]))), 4)
    out["mean"] = round(float(np.mean(list(out.values()))), 4)
    return out
