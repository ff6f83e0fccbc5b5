"""Disk cache of encoder outputs for training/evaluation corpora, keyed by encoder and text content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder


def cache_path(encoder: Encoder, kind: str, tag: str, texts: Sequence[str], ext: str) -> Path:
    """``.cache/<kind>/<encoder>/<tag>-<hash of the texts>.<ext>``: keyed by the encoder's weights, its
    quantisation and the exact texts, so a changed corpus or encoder never reads stale outputs."""
    h = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]
    d = settings.CACHE_DIR / kind / encoder.fingerprint  # a quantised encoder: its own folder
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{tag}-{h}.{ext}"


def cached_encode(
    encoder: Encoder, texts: Sequence[str], tag: str, progress: bool = True, features: bool = False
) -> np.ndarray:
    """Embeddings of ``texts`` (``features``: ``Encoder.encode``'s features), read from ``.cache/emb/…`` (see
    :func:`cache_path`) when computed before."""
    if features and encoder.extra_layers:
        tag = f"{tag}-h{'-'.join(map(str, encoder.extra_layers))}"
    path = cache_path(encoder, "emb", tag, texts, "npy")
    if path.exists():
        return np.load(path)
    emb = encoder.encode(list(texts), progress=progress, features=features)
    np.save(path, emb)
    return emb
