"""Disk cache of encoder outputs for training/evaluation corpora, keyed by encoder and text content."""

from __future__ import annotations

import hashlib
import json
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


def _text_stage_version() -> str:
    """A hash of the text stage's code and word lists: a changed segmenter never reads stale clauses."""
    import vocmine.pipeline
    import vocmine.text

    h = hashlib.sha256()
    for f in sorted(Path(vocmine.text.__file__).parent.iterdir()) + [Path(vocmine.pipeline.__file__)]:
        if f.suffix in (".py", ".txt"):
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def cached_clauses(
    encoder: Encoder,
    texts: Sequence[str],
    tag: str,
    features: bool = True,
    known: np.ndarray | None = None,
):
    """``pipeline.document_clauses`` of ``texts`` with the text stage's output cached (``.cache/clauses/…``) and
    the clauses' encoder outputs cached by :func:`cached_encode`. ``known``: the encoder outputs of ``texts``
    themselves (a one-clause text's clause is the text: not encoded twice)."""
    from vocmine.nlp.encoder import pool_segments
    from vocmine.pipeline import Clauses, document_clauses

    h = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]
    d = settings.CACHE_DIR / "clauses"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{tag}-{h}-{_text_stage_version()}.npz"

    seen = dict(zip(texts, known, strict=True)) if known is not None else {}

    def encode(t):
        todo = list(dict.fromkeys(x for x in t if x not in seen))
        fresh = (
            cached_encode(encoder, todo, f"{tag}-clauses", progress=len(todo) > 2000, features=features)
            if todo
            else []
        )
        got = {**seen, **dict(zip(todo, fresh, strict=True))}
        width = encoder.width if features else encoder.dim
        return np.stack([got[x] for x in t]) if t else np.zeros((0, width), np.float32)

    if path.exists():
        z = np.load(path)
        seg_texts = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        seg_emb = encode(seg_texts)
        doc_emb = pool_segments(seg_emb, z["weights"], z["owner"], len(texts), encoder.dim)
        return Clauses(doc_emb, seg_emb, z["owner"], z["weights"], seg_texts)
    c = document_clauses(list(texts), encode, block=encoder.dim)
    path.with_suffix(".json").write_text(json.dumps(c.texts, ensure_ascii=False), encoding="utf-8")
    np.savez(path, owner=c.owner, weights=c.weights)
    return c
