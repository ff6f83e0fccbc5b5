"""Disk cache of encoder outputs for training/evaluation corpora, keyed by encoder and text content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder, encoder_fingerprint


def cached_encode(encoder: Encoder, texts: Sequence[str], tag: str, progress: bool = True) -> np.ndarray:
    """Embeddings of ``texts``, read from ``.cache/emb/<encoder>/<tag>-<hash of the texts>.npy`` when computed before."""
    h = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]
    # a quantised encoder gives other embeddings from the same weights: its own folder
    fp = encoder_fingerprint(encoder.name) + ("-int8" if getattr(encoder, "quantized", False) else "")
    d = settings.CACHE_DIR / "emb" / fp
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{tag}-{h}.npy"
    if path.exists():
        return np.load(path)
    emb = encoder.encode(list(texts), progress=progress)
    np.save(path, emb)
    return emb
