"""Train and evaluate the polarity-toward-a-touchpoint head on MAMS-ACSA (Apache-2.0, so the head can ship).

Aspects are asked about through the MAMS evaluation taxonomy (``models/eval-taxonomies/mams.yaml``), exactly as
a touchpoint of any taxonomy is at run time (``touchpoint_query``). In training the aspect's centroid is the
mean of a random subset of its example embeddings, so the head follows the relevance it is given instead of
memorising eight fixed vectors.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vocmine import settings
from vocmine.nlp.aspects import (
    POLARITIES,
    AspectConfig,
    AspectPolarity,
    build_module,
    pad_states,
    token_states,
    touchpoint_query,
)
from vocmine.nlp.encoder import Encoder
from vocmine.nlp.touchpoints import TouchpointClassifier
from vocmine.taxonomy import Taxonomy
from vocmine.train.corpora import mams, semeval_ru_aspects
from vocmine.train.embcache import cache_path

if TYPE_CHECKING:
    from vocmine.evaluate import Figure
    from vocmine.nlp.model import VocModel

MAMS_TAXONOMY = settings.MODELS_DIR / "eval-taxonomies" / "mams.yaml"
SEMEVAL_RU_TAXONOMY = settings.MODELS_DIR / "eval-taxonomies" / "semeval2016_ru_restaurants.yaml"


@dataclass
class AspectTrainConfig:
    seed: int = 13
    epochs: int = 16
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    label_smoothing: float = 0.05
    width: int = 128
    layers: int = 2
    heads: int = 4


def cached_token_states(encoder: Encoder, texts: list[str], tag: str) -> list[np.ndarray]:
    """Token states of ``texts`` (float16 on disk under ``.cache/tokens/``), computed once per encoder."""
    path = cache_path(encoder, "tokens", tag, texts, "npz")
    if path.exists():
        z = np.load(path)
        flat, offsets = z["flat"].astype(np.float32), z["offsets"]
        return [flat[offsets[i] : offsets[i + 1]] for i in range(len(texts))]
    states = token_states(encoder, texts)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in states])])
    np.savez(path, flat=np.concatenate(states).astype(np.float16), offsets=offsets)
    return states


@dataclass
class AspectSet:
    """(sentence, aspect, polarity) rows with the token states of each distinct sentence."""

    frame: pd.DataFrame  # text, aspect, label, sent (index into states)
    states: list[np.ndarray]


def aspect_set(encoder: Encoder, frame: pd.DataFrame, tag: str | None = None) -> AspectSet:
    """Rows with ``text``, ``aspect``, ``label``; token states cached on disk under ``tag`` when given."""
    df = frame[frame["label"].isin(POLARITIES)].reset_index(drop=True)
    texts = list(dict.fromkeys(df["text"]))
    index = {t: i for i, t in enumerate(texts)}
    df["sent"] = df["text"].map(index)
    states = cached_token_states(encoder, texts, tag) if tag else token_states(encoder, texts)
    return AspectSet(df, states)


def load_split(encoder: Encoder, root: Path, split: str) -> AspectSet:
    return aspect_set(encoder, mams(root, split), f"mams-{split}")


def _queries(clf: TouchpointClassifier, aspects: pd.Series, rng: np.random.Generator | None) -> np.ndarray:
    """``touchpoint_query`` per row; with ``rng``, the aspect's centroid is the mean of a random non-empty
    subset of its prototypes, so the head does not learn to expect one exact vector per aspect."""
    out = np.zeros((len(aspects), clf.prototypes.shape[1]), np.float32)
    mean = np.mean([clf.centroid(t) for t in clf.ids], axis=0)
    for i, a in enumerate(aspects):
        if rng is None:
            out[i] = touchpoint_query(clf, a)
            continue
        protos = clf.prototypes[clf.owner == clf.ids.index(a)]
        pick = protos[rng.random(len(protos)) < rng.uniform(0.2, 1.0)]
        v = (pick if len(pick) else protos).mean(axis=0)
        out[i] = v / np.linalg.norm(v) - mean
    return out


def predict_set(head: AspectPolarity, clf: TouchpointClassifier, data: AspectSet) -> np.ndarray:
    states = [data.states[i] for i in data.frame["sent"]]
    return head.proba(states, _queries(clf, data.frame["aspect"], None))


def macro_f1(y: list[str] | pd.Series, pred: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(y), pred, average="macro", labels=list(POLARITIES)))


def train_aspects(
    encoder: Encoder, root: Path | None = None, cfg: AspectTrainConfig | None = None, log=print
) -> AspectPolarity:
    """The shipped head: fit on MAMS-ACSA train, keep the epoch with the best MAMS-ACSA val macro-F1."""
    root = root or settings.SHARED_DATA_DIR
    clf = TouchpointClassifier(Taxonomy.load(MAMS_TAXONOMY), encoder)
    head = fit_aspects(clf, load_split(encoder, root, "train"), load_split(encoder, root, "val"), cfg, log)
    head.report["data"] = "MAMS-ACSA train (Apache-2.0); epoch chosen on MAMS-ACSA val"
    return head


def fit_aspects(
    clf: TouchpointClassifier,
    train: AspectSet,
    val: AspectSet,
    cfg: AspectTrainConfig | None = None,
    log=print,
) -> AspectPolarity:
    """Fit a head on ``train`` (aspects = ``clf``'s touchpoint ids); keep the epoch with the best ``val`` macro-F1."""
    import torch

    cfg = cfg or AspectTrainConfig()
    encoder = clf.encoder
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    acfg = AspectConfig(dim=encoder.dim, width=cfg.width, layers=cfg.layers, heads=cfg.heads)
    module = build_module(acfg)
    opt = torch.optim.AdamW(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    y_all = torch.tensor(train.frame["label"].map({p: i for i, p in enumerate(POLARITIES)}).to_numpy())
    counts = np.maximum(np.bincount(y_all.numpy(), minlength=len(POLARITIES)), 1)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(len(y_all) / (len(POLARITIES) * counts), dtype=torch.float32),
        label_smoothing=cfg.label_smoothing,
    )
    steps = cfg.epochs * int(np.ceil(len(y_all) / cfg.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    head = AspectPolarity(module, acfg, encoder)
    best: tuple[float, int, dict] | None = None
    for epoch in range(cfg.epochs):
        module.train()
        t0, order = time.time(), rng.permutation(len(y_all))
        for s in range(0, len(order), cfg.batch):
            idx = order[s : s + cfg.batch]
            rows = train.frame.iloc[idx]
            x, m = pad_states([train.states[i] for i in rows["sent"]])
            q = _queries(clf, rows["aspect"], rng)
            loss = loss_fn(module(torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(q)), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        module.eval()
        p = predict_set(head, clf, val)
        f1 = macro_f1(val.frame["label"], [POLARITIES[i] for i in p.argmax(1)])
        log(f"epoch {epoch + 1}: val macro-F1 {f1:.4f} ({time.time() - t0:.0f} s)")
        if best is None or f1 > best[0]:
            best = (f1, epoch + 1, {k: v.clone() for k, v in module.state_dict().items()})
    module.load_state_dict(best[2])
    head.report = {
        "train_config": asdict(cfg),
        "epoch": best[1],
        "val_macro_f1": round(best[0], 4),
        "train_rows": len(train.frame),
    }
    return head.__class__(module.eval(), acfg, encoder, head.report)


def figures(model: VocModel, root: Path) -> list[Figure]:
    """Macro-F1 of the model's polarity-toward-a-touchpoint head (trained here when absent) on MAMS-ACSA test and,
    in Russian (never trained on), SemEval-2016 ru restaurants dev: token states from the head's encoder,
    queries from the model's, as at run time."""
    from vocmine.evaluate import Figure

    head = model.aspects
    note = "the model folder's aspects/ head (MAMS-ACSA train, epoch chosen on val)"
    if head is None:
        head = train_aspects(model.config.load_encoder(), root, log=lambda *_: None)
        note = "head trained on MAMS-ACSA train for this run (none shipped)"
    # (dataset, taxonomy of its aspects, rows, target, what the note adds)
    sets = [
        (
            "MAMS-ACSA test (polarity toward an aspect category)",
            MAMS_TAXONOMY,
            load_split(head.encoder, root, "test"),
            0.70,
            "",
        ),
        (
            "SemEval-2016 ru restaurants dev (polarity toward a category)",
            SEMEVAL_RU_TAXONOMY,
            aspect_set(head.encoder, semeval_ru_aspects(root, "dev"), "semeval-ru-dev"),
            None,
            "; no Russian in its training: read across languages",
        ),
    ]
    out = []
    for name, taxonomy, test, target, more in sets:
        clf = TouchpointClassifier(Taxonomy.load(taxonomy), model.encoder)
        pred = [POLARITIES[i] for i in predict_set(head, clf, test).argmax(1)]
        f1 = round(macro_f1(test.frame["label"], pred), 4)
        out.append(
            Figure("aspects", name, "macro-F1", f1, target, None, "trained", len(test.frame), note + more)
        )
    return out


def retrain_shipped(out: Path = settings.DEFAULT_MODEL_DIR, root: Path | None = None, log=print) -> dict:
    """Retrain the model folder's aspect head on its base encoder; returns the head's report."""
    from vocmine.nlp.model import ASPECT_HEAD, VocModel

    root = root or settings.SHARED_DATA_DIR
    model = VocModel.from_pretrained(out)
    model.aspects = train_aspects(model.config.load_encoder(), root, log=log)  # the base: AspectPolarity
    for f in figures(model, root):
        model.aspects.report.setdefault("figures", {})[f.dataset] = f.value
        log(f"{f.dataset}: {f.metric} {f.value:.4f} (target {f.target})")
    model.aspects.save_pretrained(out / ASPECT_HEAD)
    return model.aspects.report


def main(argv: list[str] | None = None) -> None:
    """``python -m vocmine.train.aspects [--out MODEL_DIR] [--data DIR]``: retrain the shipped head."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--out", type=Path, default=settings.DEFAULT_MODEL_DIR)
    ap.add_argument("--data", type=Path, default=settings.SHARED_DATA_DIR)
    args = ap.parse_args(argv)
    retrain_shipped(args.out, args.data)
    print(f"head written to {args.out}")


if __name__ == "__main__":
    main()
