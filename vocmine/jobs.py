"""The steps the flows are made of, as plain functions (the flows only add Prefect's retries and logging)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from vocmine.ingest.config import SourceConfig, SourceError
from vocmine.ingest.readers import raw_records, source_files, to_records
from vocmine.nlp.model import VocModel
from vocmine.pipeline import Analyzer
from vocmine.records import AnalysisBatch, Document, Quarantined, Turn
from vocmine.store.db import Store
from vocmine.timing import StageTimer


@dataclass
class Chunk:
    """A bounded slice of one source file: its new or edited documents, quarantined records and counts.

    ``earlier``: versions of a document that a later record of the same id in this chunk replaces, oldest
    first, one list per generation; they are stored before ``documents`` so the store keeps them in
    ``document_history``, exactly as for an edit between runs.
    """

    source: str
    path: str
    quarantined: list[Quarantined] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    n_read: int = 0
    n_duplicates: int = 0
    unreadable: bool = False  # the location is missing or the file as a whole could not be read
    earlier: list[list[Document]] = field(default_factory=list)

    @property
    def generations(self) -> list[list[Document]]:
        """What to store, in order: the replaced versions, then the current ones."""
        return [g for g in (*self.earlier, self.documents) if g]

    @property
    def n_documents(self) -> int:
        return sum(len(g) for g in self.generations)

    @property
    def max_created_at(self) -> datetime | None:
        return max((d.created_at for g in self.generations for d in g), default=None)


@dataclass(frozen=True)
class FileRead:
    """Marks that every chunk of a file was handed out; the flow records it once they are stored."""

    source: str
    path: str
    sha256: str
    size: int
    encoding: str | None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def iter_intake(
    store: Store, src: SourceConfig, force: bool = False, chunk_size: int = 5000
) -> Iterator[Chunk | FileRead]:
    """Stream a source's changed files in chunks of at most ``chunk_size`` records (bounded memory).

    Unchanged files (same content hash as when last ingested) are skipped unless ``force``. Within a chunk
    the later of two records with the same id wins; across chunks and runs, a record whose content hash is
    already stored counts as a duplicate, and one with a new hash is an edit.
    """
    try:
        paths = source_files(src)
    except SourceError as e:  # a missing location must not stop the other sources
        yield Chunk(
            src.name, src.location, [Quarantined(src.name, src.location, "", str(e))], unreadable=True
        )
        return
    for path in paths:
        sha = sha256_file(path)
        if not force and store.file_seen(src.name, str(path), sha):
            continue
        encoding, records, failure = None, iter(()), None
        try:
            encoding, raw = raw_records(src, path)
            records = to_records(src, raw)
        except Exception as e:  # noqa: BLE001 - one file must not stop the run (see _read)
            failure = e
        block: list[Document | Quarantined] = []
        while failure is None:
            rec, failure = _read(records)
            if rec is None:  # the end of the file, or a failure: the records before it are kept
                break
            block.append(rec)
            if len(block) == chunk_size:
                yield _chunk(store, src, path, block)
                block = []
        if block:
            yield _chunk(store, src, path, block)
        if failure is not None:
            # The file as a whole is unreadable (or became so part-way: the records before it are kept).
            # It is quarantined once and marked read; `vocmine quarantine retry` re-reads it after a fix.
            reason = f"file could not be read: {failure}"
            yield Chunk(
                src.name, str(path), [Quarantined(src.name, path.name, "", reason)], n_read=1, unreadable=True
            )
        yield FileRead(src.name, str(path), sha, path.stat().st_size, encoding)


def _read(
    records: Iterator[Document | Quarantined],
) -> tuple[Document | Quarantined | None, Exception | None]:
    """The next record (None at the end) or what reading the file raised.

    Any exception a reader raises is the file's (a record's own problems are quarantine rows already), so
    it becomes the file's quarantine row and the run goes on; errors of the store stay outside this.
    """
    try:
        return next(records, None), None
    except RecursionError:
        return None, SourceError("nested too deep to read")
    except Exception as e:  # noqa: BLE001
        return None, e if isinstance(e, SourceError) else SourceError(f"{type(e).__name__}: {e}")


def _chunk(store: Store, src: SourceConfig, path: Path, block: list[Document | Quarantined]) -> Chunk:
    """Sort a block into quarantine, duplicates (content already stored or read) and documents to store.

    Ids are compared stripped (the readers strip them). A later record with an id already seen in the
    block and a different content is an edit: the earlier version goes to ``Chunk.earlier`` (history).
    """
    chunk = Chunk(src.name, str(path), n_read=len(block))
    versions: dict[str, list[Document]] = {}
    for rec in block:
        if isinstance(rec, Quarantined):
            chunk.quarantined.append(rec)
            continue
        seen = versions.setdefault(rec.doc_id, [])
        if seen and seen[-1].hash == rec.hash:
            chunk.n_duplicates += 1
        else:
            seen.append(rec)
    known = store.known_hashes(list(versions))
    for doc_id, docs in versions.items():
        if known.get(doc_id) == docs[0].hash:  # the stored version: the store moves it to history itself
            docs = docs[1:]
            if not docs:
                chunk.n_duplicates += 1
                continue
        chunk.documents.append(docs[-1])
        for g, doc in enumerate(docs[:-1]):
            if len(chunk.earlier) <= g:
                chunk.earlier.append([])
            chunk.earlier[g].append(doc)
    return chunk


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


@dataclass
class Stored:
    """What storing one analysed batch did, and the seconds its stages took."""

    stored: int
    updated: int
    timer: StageTimer


def store_batch(
    store: Store, model: VocModel, batch: AnalysisBatch, run_id: str, timer: StageTimer | None = None
) -> Stored:
    """Write one analysed batch in one transaction (the single writer: the flow process)."""
    timer = timer or StageTimer()
    with timer.stage("store", len(batch)):
        counts = store.write_batch(batch, run_id, model_info(model))
    return Stored(counts["stored"], counts["updated"], timer)


def analyse_and_store(
    store: Store, model: VocModel, docs: Sequence[Document], run_id: str, pii: Sequence[str] | None = None
) -> Stored:
    analyzer = Analyzer(model, pii_kinds=pii, reuse=store.lookup_encoder_outputs)
    return store_batch(store, model, analyzer.analyse(docs), run_id, analyzer.timer)


def _num(v) -> int | None:
    return None if pd.isna(v) else int(v)


def stored_documents(
    store: Store,
    date_from: str | None = None,
    date_to: str | None = None,
    sources: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    touchpoints: Sequence[str] | None = None,
    model_versions: Sequence[str] | None = None,
) -> list[Document]:
    """Rebuild Documents from the store for re-analysis (the stored text is already normalised and masked).

    Filters combine with AND. ``touchpoints``: documents whose *current* predictions (doc_model) put any
    segment in one of them; ``model_versions``: documents whose current predictions are under one of them.
    """
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
    if touchpoints:
        where.append(
            "d.doc_id IN (SELECT t.doc_id FROM segment_touchpoints t JOIN doc_model m "
            "ON m.doc_id = t.doc_id AND m.model_version = t.model_version WHERE list_contains(?, t.touchpoint))"
        )
        args.append(list(touchpoints))
    if model_versions:
        where.append("d.doc_id IN (SELECT doc_id FROM doc_model WHERE list_contains(?, model_version))")
        args.append(list(model_versions))
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
                customer_id=r.customer_id if isinstance(r.customer_id, str) else None,
            )
        )
    return out
