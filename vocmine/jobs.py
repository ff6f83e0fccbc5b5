"""The steps the flows are made of, as plain functions (the flows only add Prefect's retries and logging)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from vocmine.ingest.config import SourceConfig
from vocmine.ingest.readers import read_file, source_files
from vocmine.nlp.model import VocModel
from vocmine.pipeline import Analyzer
from vocmine.records import Document, Quarantined, Turn
from vocmine.store.db import Store


@dataclass
class Intake:
    """What one source offers this run: new or edited documents, quarantined records, and the counts."""

    source: str
    kind: str
    location: str
    documents: list[Document] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # (path, sha256, size) read this run
    n_read: int = 0
    n_duplicates: int = 0
    n_files_skipped: int = 0

    @property
    def max_created_at(self) -> datetime | None:
        return max((d.created_at for d in self.documents), default=None)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def collect_new(store: Store, src: SourceConfig, force: bool = False) -> Intake:
    """Read the source's files that changed since they were last ingested; keep only new or edited records."""
    intake = Intake(src.name, src.kind, src.location)
    latest: dict[str, Document] = {}
    for path in source_files(src):
        sha = sha256_file(path)
        if not force and store.file_seen(src.name, str(path), sha):
            intake.n_files_skipped += 1
            continue
        intake.files.append((str(path), sha, path.stat().st_size))
        for rec in read_file(src, path):
            intake.n_read += 1
            if isinstance(rec, Quarantined):
                intake.quarantined.append(rec)
            else:
                if rec.doc_id in latest:
                    intake.n_duplicates += 1  # the same id again in this read: the later record wins
                latest[rec.doc_id] = rec
    known = store.known_hashes(list(latest))
    for doc_id, doc in latest.items():
        if known.get(doc_id) == doc.hash:
            intake.n_duplicates += 1
        else:
            intake.documents.append(doc)
    intake.documents.sort(key=lambda d: d.created_at)
    return intake


def batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def model_info(model: VocModel) -> dict:
    return {
        "name": model.config.name,
        "encoder": model.config.encoder,
        "taxonomy_version": model.taxonomy.fingerprint,
        "taxonomy": {"name": model.taxonomy.name, "version": model.taxonomy.version},
    }


def analyse_and_store(store: Store, model: VocModel, docs: Sequence[Document], run_id: str) -> dict[str, int]:
    batch = Analyzer(model).analyse(docs)
    return store.write_batch(batch, run_id, model_info(model))


def _num(v) -> int | None:
    return None if pd.isna(v) else int(v)


def stored_documents(
    store: Store,
    date_from: str | None = None,
    date_to: str | None = None,
    sources: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
) -> list[Document]:
    """Rebuild Documents from the store for re-analysis (the stored text is already normalised and masked)."""
    where, args = ["TRUE"], []
    if date_from:
        where.append("d.created_at >= CAST(? AS TIMESTAMPTZ)")
        args.append(date_from)
    if date_to:
        where.append("d.created_at < CAST(? AS TIMESTAMPTZ)")
        args.append(date_to)
    if sources:
        where.append("list_contains(?, d.source)")
        args.append(list(sources))
    if languages:
        where.append("list_contains(?, d.lang)")
        args.append(list(languages))
    docs = store.query(f"SELECT * FROM documents d WHERE {' AND '.join(where)} ORDER BY created_at", args)
    turns = store.query(
        f"SELECT t.* FROM turns t JOIN documents d USING (doc_id) WHERE {' AND '.join(where)} "
        "ORDER BY t.doc_id, t.turn_idx",
        args,
    )
    by_doc: dict[str, list[Turn]] = {}
    for r in turns.itertuples():
        by_doc.setdefault(r.doc_id, []).append(Turn(r.role, r.text, None if pd.isna(r.ts) else r.ts))
    out = []
    for r in docs.itertuples():
        out.append(
            Document(
                source=r.source,
                kind=r.kind,
                external_id=r.external_id,
                created_at=r.created_at,
                text=r.text,
                rating=_num(r.rating),
                nps=_num(r.nps),
                csat=_num(r.csat),
                ces=_num(r.ces),
                channel=r.channel,
                product=r.product,
                turns=by_doc.get(r.doc_id, []),
                extra=json.loads(r.extra) if r.extra else {},
                location=r.location or "",
            )
        )
    return out
