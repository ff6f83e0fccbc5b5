"""Faster number formats for the encoder: which keep the sentiment dev figures within 0.01 of fp32?

Most variants are ONNX Runtime's per-channel dynamic int8 quantisation of the fp32 graph that ``vocmine setup``
exports, with some MatMuls left in fp32 (``nodes_to_exclude``); ``nbits4`` is its 4-bit weight-only MatMulNBits
with int8 compute, ``torch-bf16`` PyTorch in bf16 (``"runtime": "torch-bf16"``). Every variant embeds the five
dev sets' clauses as a run makes them (text stage, clauses, pooled per document) and is scored with the shipped
sentiment head; its encoding time over the same clauses (one process, the same threads) is its speed.

    .venv/bin/python bench/encoder_precision.py --variants fp32,torch-bf16,all,ffn-out-first6-fp32 --out /tmp/p.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAYERS = 12
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KINDS = {
    "qkv": ("attention/self/query", "attention/self/key", "attention/self/value"),
    "attn-out": ("attention/output/dense",),
    "ffn-in": ("intermediate/dense",),
    "ffn-out": ("output/dense",),
}


def _nodes(kinds: list[str], layers: range) -> list[str]:
    return [f"/model/encoder/layer.{i}/{m}/MatMul" for i in layers for k in kinds for m in KINDS[k]]


# variant → the MatMuls dynamic int8 quantisation leaves in fp32 (None: not dynamic int8, see ``graph``)
VARIANTS: dict[str, list[str] | None] = {
    "fp32": None,
    "torch-bf16": None,
    "nbits4": None,
    "all": [],
    "ffn-out-fp32": _nodes(["ffn-out"], range(LAYERS)),
    "ffn-fp32": _nodes(["ffn-in", "ffn-out"], range(LAYERS)),
    "attn-fp32": _nodes(["qkv", "attn-out"], range(LAYERS)),
    "first-last-fp32": _nodes(list(KINDS), range(1)) + _nodes(list(KINDS), range(LAYERS - 1, LAYERS)),
    "last2-fp32": _nodes(list(KINDS), range(LAYERS - 2, LAYERS)),
    "first2-fp32": _nodes(list(KINDS), range(2)),
    "ffn-out-last4-fp32": _nodes(["ffn-out"], range(LAYERS - 4, LAYERS)),
    # the recipe `"quantize": true` uses (vocmine.nlp.encoder._fp32_matmuls): the lower half's FFN outputs
    "ffn-out-first6-fp32": _nodes(["ffn-out"], range(6)),
    "ffn-out-first3-fp32": _nodes(["ffn-out"], range(3)),
}


def graph(fp32: Path, name: str, out: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = VARIANTS[name]
    if name == "fp32":
        return fp32
    path = out / f"{name}.onnx"
    if path.exists():
        return path
    if name == "nbits4":  # the wheel's own 4-bit grid (blocks of 32: exact), int8 activations per block
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        q = MatMulNBitsQuantizer(str(fp32), bits=4, block_size=32, is_symmetric=True, accuracy_level=4)
        q.process()
        q.model.save_model_to_file(str(path))
    else:
        quantize_dynamic(fp32, path, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default=",".join(VARIANTS), help="the first is the reference for cosines")
    ap.add_argument("--work", type=Path, default=ROOT / ".cache" / "encoder-variants")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=0, help="encode only the first N clauses (speed only)")
    args = ap.parse_args()
    if unknown := set(args.variants.split(",")) - set(VARIANTS):
        ap.error(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")

    import onnxruntime as ort

    from vocmine.nlp.encoder import Encoder, _threads, onnx_export, resolve_encoder
    from vocmine.nlp.model import VocModel
    from vocmine.pipeline import Document, prepare_documents, shared_segmenter
    from vocmine.train import corpora
    from vocmine.train.scoring import dev_score

    model = VocModel.from_pretrained(runtime="onnx")  # its fp32 encoder is the reference
    base = model.encoder
    fp32 = onnx_export(resolve_encoder(model.config.encoder))
    args.work.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    sets, texts, pools = corpora.sentiment_eval_sets(), [], {}
    for name, df in sets.items():
        docs = [Document("eval", "review", str(i), EPOCH, t) for i, t in enumerate(df["text"])]
        p = prepare_documents(docs, shared_segmenter())
        pools[name] = (p, len(texts), len(texts) + len(p.texts))
        texts += p.texts
    print(
        f"{len(texts):,} clauses of {sum(len(d) for d in sets.values()):,} documents, text stage {time.perf_counter() - t0:.0f} s"
    )

    results, ref = [], None
    for name in args.variants.split(","):
        if name == "torch-bf16":
            enc = Encoder.from_pretrained(model.config.encoder, base.prefix, base.max_length, runtime=name)
        else:
            so = ort.SessionOptions()
            so.intra_op_num_threads = _threads()
            so.inter_op_num_threads = 1
            graph_path = str(graph(fp32, name, args.work))
            sess = ort.InferenceSession(graph_path, so, providers=["CPUExecutionProvider"])
            run = lambda i, m, s=sess: s.run(None, {"input_ids": i, "attention_mask": m})[0]  # noqa: E731
            enc = Encoder(run, base.tokenizer, base.name, base.dim, base.prefix, base.max_length, "onnx")
        t = time.perf_counter()
        emb = enc.encode(texts[: args.limit] if args.limit else texts)
        secs = time.perf_counter() - t
        if ref is None:
            ref = emb
        cos = (emb * ref).sum(1)
        keep = VARIANTS[name]
        row = {
            "variant": name,
            "fp32_matmuls": None if keep is None else len(keep),
            "encode_s": round(secs, 1),
            "clauses_per_s": round(len(emb) / secs, 1),
            "cos_mean": round(float(cos.mean()), 5),
            "cos_min": round(float(cos.min()), 4),
        }
        for set_name, (p, a, b) in pools.items() if not args.limit else ():
            doc = p.pool(emb[a:b])[0]
            row[set_name] = dev_score(
                set_name, sets[set_name]["label"], model.sentiment.predict_proba(doc), model.sentiment.labels
            )
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
