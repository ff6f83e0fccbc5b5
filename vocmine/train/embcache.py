"""Disk cache of encoder outputs for training/evaluation corpora, keyed by encoder and text content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder, encoder_fingerprint


def cached_encode(encoder: Encoder, texts: Sequence[str], tag: str, progress: bool = True) -> np.ndarray:
    h = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]
    d = settings.CACHE_DIR / "emb" / encoder_fingerprint(encoder.name)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{tag}-{h}.npy"
    if path.exists():
        return np.load(path)
    emb = encoder.encode(list(texts), progress=progress)
    np.save(path, emb)
    return emb
