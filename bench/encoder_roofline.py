"""How close `vocmine classify`'s encoder runs to this CPU's matrix-multiply peak, and two ideas measured.

On ``--n`` sample documents (``bench/classify_speed.py``'s mix), encoded as ``classify_frame`` encodes them:

* the distinct clause texts, their tokens (the ``query: `` prefix and the special tokens included) and the
  padded tokens (``encoder.WIDTH_STEP``), hence the encoder's FLOPs (the linear layers' 2 × 12 × (4d² + 2d·ff)
  per token, attention's 4 × w × d per token and layer);
* the encoder's texts/s and TFLOP/s at several ``batch_tokens``, against a plain ``torch.nn.Linear`` of the
  encoder's feed-forward shape (2,048 rows) in fp32 and bf16 on the same threads: what this CPU delivers;
* the text stage of the next batch in a thread while the encoder works on this one (``Analyzer.prepare`` /
  ``finish``), against one after the other.

    .venv/bin/python bench/encoder_roofline.py --n 3000 --out /tmp/roofline.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def gemm_tflops(dtype, d: int, ff: int, rows: int = 2048, n: int = 50) -> float:
    import torch

    lin = torch.nn.Linear(d, ff).to(dtype)
    x = torch.randn(rows, d, dtype=dtype)
    with torch.inference_mode():
        for _ in range(5):
            lin(x)
        t = time.perf_counter()
        for _ in range(n):
            lin(x)
        el = time.perf_counter() - t
    return 2 * rows * d * ff * n / el / 1e12


def encoder_flops(widths, cfg) -> float:
    d, ff, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    per_token = 2 * layers * (4 * d * d + 2 * d * ff)
    return sum(w * per_token + layers * 4 * w * w * d for w in widths)


def main() -> None:
    import numpy as np
    import pandas as pd
    import torch
    from classify_speed import sample_documents
    from transformers import AutoConfig

    from vocmine.classify import classify_frame
    from vocmine.nlp.model import VocModel
    from vocmine.pipeline import Analyzer
    from vocmine.records import Document

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--model", default=str(ROOT / "models" / "vocmine-default"))
    ap.add_argument("--batch-tokens", default="512,1024,2048,4096,8192")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    docs = sample_documents(args.n)
    df = docs if isinstance(docs, pd.DataFrame) else pd.DataFrame({"text": list(docs)})
    model = VocModel.from_pretrained(args.model)
    enc = model.encoder
    seen: list[str] = []
    encode = type(enc).encode

    def recording(self, texts, *a, **k):
        seen.extend(texts)
        return encode(self, texts, *a, **k)

    type(enc).encode = recording
    classify_frame(df, model)  # also the warm-up
    type(enc).encode = encode
    texts = list(dict.fromkeys(seen))
    lengths = np.array([len(i) for i in enc.tokenizer([enc.prefix + t for t in texts])["input_ids"]])
    widths = np.ceil(lengths / enc.width_step) * enc.width_step
    cfg = AutoConfig.from_pretrained(enc.name) if Path(enc.name).exists() else None
    cfg = cfg or AutoConfig.for_model("bert", hidden_size=enc.dim, intermediate_size=4 * enc.dim)
    flops = encoder_flops(widths, cfg)
    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "runtime": enc.describe(),
        "threads": torch.get_num_threads(),
        "documents": len(df),
        "texts_encoded": len(seen),
        "distinct_texts": len(texts),
        "tokens": int(lengths.sum()),
        "padded_tokens": int(widths.sum()),
        "encoder_tflop": round(flops / 1e12, 3),
        "gemm_tflops": {
            "fp32": round(gemm_tflops(torch.float32, cfg.hidden_size, cfg.intermediate_size), 3),
            "bf16": round(gemm_tflops(torch.bfloat16, cfg.hidden_size, cfg.intermediate_size), 3),
        },
        "batch_tokens": {},
    }
    for bt in [int(x) for x in args.batch_tokens.split(",")]:
        runs = []
        for _ in range(2):
            t = time.perf_counter()
            enc.encode(texts, batch_tokens=bt)
            runs.append(time.perf_counter() - t)
        s = min(runs)
        out["batch_tokens"][bt] = {
            "seconds": round(s, 2),
            "texts_s": round(len(texts) / s, 1),
            "tflops": round(flops / s / 1e12, 3),
        }
        print(bt, out["batch_tokens"][bt], flush=True)

    analyzer = Analyzer(model)
    now = datetime.now(UTC)
    chunks = [
        [Document("adhoc", "review", str(i), now, t) for i, t in enumerate(df["text"][j : j + 256], j)]
        for j in range(0, len(df), 256)
    ]

    def serial() -> None:
        for c in chunks:
            analyzer.finish(analyzer.prepare(c))

    def overlapped() -> None:
        with ThreadPoolExecutor(1) as pool:
            nxt = pool.submit(analyzer.prepare, chunks[0])
            for k in range(len(chunks)):
                prepared = nxt.result()
                if k + 1 < len(chunks):
                    nxt = pool.submit(analyzer.prepare, chunks[k + 1])
                analyzer.finish(prepared)

    out["text_stage_in_a_thread"] = {}
    for rnd in range(2):
        for f in (serial, overlapped):
            t, c = time.perf_counter(), time.process_time()
            f()
            row = {"wall_s": round(time.perf_counter() - t, 2), "cpu_s": round(time.process_time() - c, 1)}
            out["text_stage_in_a_thread"][f"{f.__name__} {rnd + 1}"] = row
            print(f.__name__, row, flush=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k not in ("batch_tokens", "text_stage_in_a_thread")}))


if __name__ == "__main__":
    main()
