"""The DuckDB store: short write transactions with lineage, watermarks, quarantine, read-only queries."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from vocmine.records import AnalysisBatch, Quarantined, content_hash
from vocmine.store import fts, guard, journeys
from vocmine.store.dictionary import ANALYST_VIEWS
from vocmine.store.migrations import upgrade

# Per-doc tables replaced when a document is re-analysed (edited text or a new model version).
_CHILD_TABLES = ("turns", "segments")  # replaced with the document
_PREDICTION_TABLES = (
    "segment_predictions",
    "segment_touchpoints",
    "document_predictions",
    "pain_points",
    "document_causes",
    "segment_affect",
)


def now() -> datetime:
    return datetime.now(UTC)


#: WAL size at which a commit checkpoints while ``Store.writing()`` holds the file (DuckDB's default: 16MB).
HELD_CHECKPOINT_THRESHOLD = "256MB"
#: Commits after which ``Store.writing()`` reopens its connection. DuckDB keeps the table blocks and index
#: pages a connection has touched until it closes, so a held connection's memory grew with the file (~7 MiB
#: per 1,000 documents written); a reopen frees it, and costs a checkpoint (bench/README.md, "Memory").
HELD_RECYCLE_COMMITS = 16
LOOKUP_CHUNK = 2000  # text hashes per look-up query (DuckDB's index scan takes at most 2,048)
_TEXT_HASH = re.compile(r"[\w:.\-]{1,128}", re.ASCII)  # our hashes are 32 hex digits; never a quote


@dataclass
class _Held:
    """A read-write connection held open by ``Store.writing()``.

    While one is held, every connection this process asks for on that file is a cursor of it (DuckDB refuses
    a read-only open of a file that this process has open read-write).
    """

    con: duckdb.DuckDBPyConnection
    depth: int = 1  # nested writing() blocks
    cursors: int = 0  # open cursors: the connection is only reopened when none is
    commits: int = 0  # since it was opened


_held: dict[str, _Held] = {}  # by resolved file path
_held_lock = threading.Lock()


def _state(con: duckdb.DuckDBPyConnection, ignore_run: str | None) -> tuple:
    """What :meth:`Store.snapshot_is_current` compares: row counts, ``meta``, the runs that changed data.

    The alerts log is left out: the alerts step writes it after publishing, and readers never need it."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name NOT IN ('runs', 'alerts_sent') ORDER BY 1"
    ).fetchall()
    counts = [(t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for (t,) in tables]
    runs = con.execute(
        "SELECT run_id, status, n_stored, n_updated, n_quarantined FROM runs "
        "WHERE run_id IS DISTINCT FROM ? AND n_stored + n_updated + n_quarantined > 0 ORDER BY run_id",
        [ignore_run],
    ).fetchall()
    return counts, runs, con.execute("SELECT key, value FROM meta ORDER BY key").fetchall()


_OWNER = re.compile(r"running: pid (?P<pid>\d+) on (?P<host>\S+)")


def _owner() -> str:
    return f"running: pid {os.getpid()} on {socket.gethostname()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


_NO_SPACE = ("no space left on device", "file too large", "disk quota exceeded")


def _write_failed(e: BaseException) -> bool:
    """Whether DuckDB could not write the file or its WAL (full disk, quota, file size limit, I/O error)."""
    msg = str(e).lower()
    return isinstance(e, duckdb.IOException) or (
        isinstance(e, duckdb.Error) and ("could not write" in msg or "failed to commit" in msg)
    )


def _disk_error(e: BaseException, path: Path) -> OSError:
    msg = str(e)
    if any(k in msg.lower() for k in _NO_SPACE):
        return OSError(
            errno.ENOSPC, f"no space left on device for {path} (nothing of this write was kept): {msg}"
        )
    return OSError(errno.EIO, f"could not write {path} (nothing of this write was kept): {msg}")


def _arrow(df: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table (DuckDB scans it several times faster than object columns of a frame).

    A frame Arrow cannot type (mixed Python objects in a column) is registered as it is, as before.
    """
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return df


class Store:
    """One DuckDB file. The writer opens a connection per transaction so readers can get in between runs.

    A series of transactions that should not pay for opening the file and checkpointing it on close every
    time can run inside :meth:`writing`, which holds one connection for its duration.
    """

    def __init__(self, path: str | Path, snapshot: bool = False):
        self.path = Path(path)
        self.snapshot = snapshot  # a reader: read-only opens go to the published snapshot (see reader())

    # -- reads during writes: the published snapshot ---------------------------------------------------
    @property
    def snapshot_path(self) -> Path:
        """The reader's copy next to the database: ``vocmine.duckdb`` → ``vocmine.snapshot.duckdb``."""
        return self.path.with_name(f"{self.path.stem}.snapshot{self.path.suffix}")

    def reader(self) -> Store:
        """A Store for analysts' reads: the last published snapshot, never the file a flow is writing.

        Use it for reads only (``query``, ``search``, ``export``, ``build_summary``); each connection picks
        the newest snapshot when it opens.

        DuckDB lets one process hold a file read-write and refuses a read-only open from another process
        meanwhile, so :meth:`query` on the live file would wait for (and, in a long run, fail on) the
        writer's lock, and see the committed batches of a run that is still going. The snapshot is the state
        at the end of the last successful flow run. A database that has never been published (made by an
        older vocmine, or filled by hand) has no snapshot: the reader then reads the live file itself,
        re-checking for a snapshot at every attempt while a writer holds the lock.
        """
        return Store(self.path, snapshot=True)

    def read_path(self) -> Path:
        """The file a read-only open goes to: the snapshot for a reader once one exists, else the live file."""
        if self.snapshot and self.snapshot_path.exists():
            return self.snapshot_path
        return self.path

    def publish_snapshot(self) -> Path:
        """Publish the committed state for readers: checkpoint, copy to a temp file, atomic rename.

        Called by the flows as their last step, after the last transaction of a successful run. The write
        lock is held while copying, so no other writer can change the file under the copy; readers that hold
        the previous snapshot open keep reading it (the rename leaves their inode alone).
        """
        target = self.snapshot_path
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with self.connect() as con:
                con.execute("CHECKPOINT")  # everything in the main file, nothing left in the WAL
                shutil.copyfile(self.path, tmp)
            with tmp.open("rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def snapshot_is_current(self, ignore_run: str | None = None) -> bool:
        """Whether the published snapshot already holds what the live file holds: the same number of rows in
        every table, the same ``meta`` values and the same runs that changed data (``ignore_run``, the asking
        run, and runs that changed nothing aside). A run that changed nothing then need not copy the file
        again: at a million documents that is gigabytes, and the same report."""
        if not self.snapshot_path.exists():
            return False
        reader = Store(self.path, snapshot=True)
        with self.connect(read_only=True) as live, reader.connect(read_only=True) as snap:
            return _state(live, ignore_run) == _state(snap, ignore_run)

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """Hold one read-write connection to the file for a series of transactions (e.g. a run's batches).

        Every transaction still commits on its own (atomic, durable in the WAL); what is saved is the open,
        and the checkpoint DuckDB does when the last connection closes (most of a small batch's cost). The
        file is checkpointed when the block ends; a process killed inside it leaves the committed
        transactions in the WAL, which the next open replays. Meanwhile this process's other connections to
        the file are cursors of the held one (read-only ones run in a READ ONLY transaction), and other
        processes cannot open the file at all, so hold it only while writing. Nests; thread-safe. Every
        ``HELD_RECYCLE_COMMITS`` commits the connection is closed and reopened, which keeps a long run's
        memory flat.
        """
        key = str(self.path.resolve())
        with _held_lock:
            if key in _held:
                _held[key].depth += 1
                owner = False
            else:
                owner = True
        if not owner:
            try:
                yield self
            finally:
                with _held_lock:
                    _held[key].depth -= 1
            return
        held = _Held(self._open_held())
        with _held_lock:
            _held[key] = held
        try:
            yield self
        finally:
            with _held_lock:
                del _held[key]
            held.con.close()

    def _held_entry(self, read_only: bool) -> _Held | None:
        """The connection :meth:`writing` holds on the file this open would go to, if any."""
        if not _held:
            return None
        target = self.read_path() if read_only else self.path
        with _held_lock:
            return _held.get(str(target.resolve()))

    @contextmanager
    def connect(
        self,
        read_only: bool = False,
        retries: int = 50,
        sandbox: bool = False,
        writable: Path | None = None,
        load_fts: bool = False,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the file (read-only: to the snapshot of a reader, see :meth:`reader`).

        ``sandbox`` (read-only only): it can read this database and nothing else, ``writable`` aside, with
        ``fts`` loaded first if ``load_fts`` (``guard.lock_down``). A cursor of the connection
        :meth:`writing` holds in this process cannot be sandboxed (DuckDB's settings are global to the
        database instance, and the writer needs its own): there only the statement check of :meth:`query`
        applies, which is the flows' own SQL.
        """
        if sandbox and not read_only:
            raise ValueError("only a read-only connection can be sandboxed")
        held = self._held_entry(read_only)
        if held is not None:
            with _held_lock:
                cur = held.con.cursor()
                held.cursors += 1
            try:
                if load_fts:
                    fts.load(cur)
                else:
                    fts.configure(cur)
                if read_only:
                    cur.execute("BEGIN TRANSACTION READ ONLY")
                yield cur
            finally:
                if read_only:
                    with suppress(duckdb.Error):  # the caller ended the transaction itself
                        cur.execute("ROLLBACK")
                cur.close()
                with _held_lock:
                    held.cursors -= 1
            return
        con = self._open(read_only, retries)
        try:
            if sandbox:
                guard.lock_down(con, writable, load_fts)
            yield con
        finally:
            con.close()

    def _open(self, read_only: bool = False, retries: int = 50) -> duckdb.DuckDBPyConnection:
        """A new connection; while another process holds the write lock, wait for it (``retries`` times)."""
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.read_path().exists():
            raise FileNotFoundError(f"no vocmine database at {self.path}; run `vocmine run` first")
        con = None
        for attempt in range(retries):
            target = self.read_path() if read_only else self.path  # a snapshot may appear meanwhile
            try:
                con = duckdb.connect(str(target), read_only=read_only)
                break
            except duckdb.IOException as e:  # another process holds the write lock: wait for its commit
                if "lock" not in str(e).lower() or attempt == retries - 1:
                    raise
                time.sleep(0.1 * (1 + attempt % 10))
        assert con is not None
        fts.configure(con)  # no extension is ever downloaded; fts comes from its wheel
        return con

    def _open_held(self) -> duckdb.DuckDBPyConnection:
        con = self._open()
        con.execute(f"SET checkpoint_threshold = '{HELD_CHECKPOINT_THRESHOLD}'")
        return con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        failed: BaseException | None = None
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException as e:
                with suppress(duckdb.Error):  # a COMMIT that failed has ended the transaction already
                    con.execute("ROLLBACK")
                if not _write_failed(e):
                    raise
                failed = e
        if failed is not None:
            # A commit the disk refused can stay applied in the connection's memory (a retry then reads
            # "Duplicate key"): reopen from what the file and its WAL hold, and say what happened.
            self._reopen_held()
            raise _disk_error(failed, self.path) from failed
        self._recycle_held()

    def _reopen_held(self) -> None:
        held = self._held_entry(read_only=False)
        if held is None:
            return
        with _held_lock, suppress(duckdb.Error):
            held.con.close()
        with _held_lock:
            held.con, held.commits = self._open_held(), 0

    def _recycle_held(self) -> None:
        """Reopen the held connection every ``HELD_RECYCLE_COMMITS`` commits, when no cursor of it is open."""
        held = self._held_entry(read_only=False)
        if held is None:
            return
        with _held_lock:
            held.commits += 1
            if held.commits < HELD_RECYCLE_COMMITS or held.cursors:
                return
            held.con.close()  # checkpoints: the file holds every commit before the new connection opens
            held.con, held.commits = self._open_held(), 0

    # -- schema ---------------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Create or upgrade the schema in one transaction; returns the schema version now in the file.

        Raises ``migrations.SchemaTooNew`` (a ``RuntimeError``) for a file written by a newer vocmine.
        """
        with self.transaction() as con:
            return upgrade(con, self.path)

    # -- runs -----------------------------------------------------------------------------------------
    def start_run(self, flow: str, params: dict, model_version: str | None = None) -> str:
        """A new ``running`` run; its ``message`` names the process (pid on host) until it finishes."""
        run_id = f"{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs (run_id, flow, started_at, status, params, model_version, message) "
                "VALUES (?, ?, ?, 'running', ?, ?, ?)",
                [run_id, flow, now(), json.dumps(params, default=str), model_version, _owner()],
            )
        return run_id

    def repair(self) -> dict[str, int]:
        """Undo what a killed process left behind; the flows call it before they start a run.

        A run still ``running`` whose process is gone (or that names none) becomes ``failed``, with the
        reason; a snapshot temporary whose copying process is gone is removed. (The search index is
        checked by :meth:`search_index_lags`.) Returns how many of each.
        """
        host, abandoned = socket.gethostname(), []
        with self.transaction() as con:  # the write lock: no other process publishes or starts meanwhile
            for run_id, message in con.execute(
                "SELECT run_id, message FROM runs WHERE status = 'running'"
            ).fetchall():
                m = _OWNER.fullmatch(message or "")
                if m and (m.group("host") != host or _alive(int(m.group("pid")))):
                    continue  # still running, or on another machine: cannot tell
                gone = f"(pid {m.group('pid')} on {host}) " if m else ""
                con.execute(
                    "UPDATE runs SET status = 'failed', ended_at = ?, message = ? WHERE run_id = ?",
                    [
                        now(),
                        f"abandoned: its process {gone}ended without finishing the run (killed?)",
                        run_id,
                    ],
                )
                abandoned.append(run_id)
            removed = 0
            for tmp in self.snapshot_path.parent.glob(f".{self.snapshot_path.name}.*.tmp"):
                pid = tmp.name.removesuffix(".tmp").rsplit(".", 1)[-1]
                if not pid.isdigit() or not _alive(int(pid)):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return {"abandoned_runs": len(abandoned), "stale_temporaries": removed}

    def add_counts(self, run_id: str, con: duckdb.DuckDBPyConnection | None = None, **counts: int) -> None:
        sets = ", ".join(f"n_{k} = n_{k} + ?" for k in counts)
        sql = f"UPDATE runs SET {sets} WHERE run_id = ?"
        args = [*counts.values(), run_id]
        if con is not None:
            con.execute(sql, args)
        else:
            with self.transaction() as c:
                c.execute(sql, args)

    def finish_run(self, run_id: str, status: str, message: str | None = None) -> dict:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, ended_at = ?, message = ? WHERE run_id = ?",
                [status, now(), message, run_id],
            )
        return self.run(run_id)

    def run(self, run_id: str) -> dict:
        with self.connect(read_only=True) as con:
            df = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df()
        return df.iloc[0].to_dict()

    # -- sources and watermarks -----------------------------------------------------------------------
    def watermark(self, source: str) -> datetime | None:
        if not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT watermark FROM sources WHERE source = ?", [source]).fetchone()
        return row[0] if row else None

    def set_watermark(
        self, source: str, kind: str, location: str, watermark: datetime | None, run_id: str
    ) -> None:
        with self.transaction() as con:
            con.execute(
                """INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, location = excluded.location,
                     watermark = greatest(coalesce(sources.watermark, excluded.watermark), excluded.watermark),
                     last_run_id = excluded.last_run_id, updated_at = excluded.updated_at""",
                [source, kind, location, watermark, run_id, now()],
            )

    def file_seen(self, source: str, path: str, sha256: str) -> bool:
        """True when this exact file content was already ingested for the source (fast no-op re-runs)."""
        if not self.path.exists():
            return False
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT sha256 FROM source_files WHERE source = ? AND path = ?", [source, path]
            ).fetchone()
        return bool(row and row[0] == sha256)

    def mark_file(
        self, source: str, path: str, sha256: str, size: int, run_id: str, encoding: str | None = None
    ) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO source_files (source, path, sha256, size, run_id, seen_at, encoding) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [source, path, sha256, size, run_id, now(), encoding],
            )

    def known_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """content_hash of the stored documents among ``doc_ids`` (for de-duplication and edit detection)."""
        if not doc_ids or not self.path.exists():
            return {}
        ids = pd.DataFrame({"doc_id": list(doc_ids)})
        with self.connect(read_only=True) as con:
            con.register("ids", ids)
            rows = con.execute(
                "SELECT d.doc_id, d.content_hash FROM documents d JOIN ids USING (doc_id)"
            ).fetchall()
        return dict(rows)

    # -- writes ---------------------------------------------------------------------------------------
    def write_batch(self, batch: AnalysisBatch, run_id: str, model_info: dict) -> dict[str, int]:
        """Store one analysed batch of new or edited documents atomically (old text kept in history)."""
        if not len(batch):
            return {"stored": 0, "updated": 0}
        docs = batch.documents.assign(ingest_run_id=run_id, updated_run_id=run_id)
        with self.transaction() as con:
            con.register("b_ids", _arrow(docs[["doc_id", "content_hash"]]))
            first = con.execute(
                "SELECT d.doc_id, d.ingest_run_id FROM documents d JOIN b_ids b ON b.doc_id = d.doc_id"
            ).df()
            n_updated = len(first)
            if n_updated:
                con.execute(
                    """INSERT INTO document_history
                       SELECT d.doc_id, d.content_hash, d.text, ?, ? FROM documents d
                       JOIN b_ids b USING (doc_id) WHERE d.content_hash <> b.content_hash""",
                    [run_id, now()],
                )
                # an edited document keeps its first ingest run; its analysis under every model is replaced
                docs = docs.drop(columns="ingest_run_id").merge(first, on="doc_id", how="left")
                docs["ingest_run_id"] = docs["ingest_run_id"].fillna(run_id)
                for table in (*_CHILD_TABLES, *_PREDICTION_TABLES, "doc_model", "documents"):
                    con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM b_ids)")
            self._insert(con, "documents", docs)
            self._insert(con, "turns", batch.turns)
            self._write_analysis(con, batch, run_id)
            con.execute("INSERT INTO doc_model SELECT doc_id, ?, ? FROM b_ids", [batch.model_version, run_id])
            con.unregister("b_ids")
            self._register_model(con, batch.model_version, model_info, run_id)
            n_new = len(docs) - n_updated
            self.add_counts(
                run_id,
                con,
                stored=n_new,
                updated=n_updated,
                segments=len(batch.segments),
                pain_points=len(batch.pain_points),
            )
        return {"stored": n_new, "updated": n_updated}

    def write_reanalysis(self, batch: AnalysisBatch, run_id: str, model_info: dict) -> int:
        """Store predictions of stored documents under ``batch.model_version``; other versions are kept.

        The analyst views do not switch to them until :meth:`publish_run` commits.
        """
        if not len(batch):
            return 0
        with self.transaction() as con:
            con.register("b_ids", _arrow(batch.documents[["doc_id"]]))
            con.execute("DELETE FROM segments WHERE doc_id IN (SELECT doc_id FROM b_ids)")
            for table in _PREDICTION_TABLES:
                con.execute(
                    f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM b_ids) AND model_version = ?",
                    [batch.model_version],
                )
            con.unregister("b_ids")
            self._write_analysis(con, batch, run_id)
            self._register_model(con, batch.model_version, model_info, run_id)
            self.add_counts(
                run_id,
                con,
                updated=len(batch),
                segments=len(batch.segments),
                pain_points=len(batch.pain_points),
            )
        return len(batch)

    def publish_run(self, run_id: str, model_version: str) -> int:
        """Point every document re-analysed by ``run_id`` at ``model_version``, in one transaction."""
        with self.transaction() as con:
            n = con.execute(
                """INSERT OR REPLACE INTO doc_model
                   SELECT doc_id, model_version, run_id FROM document_predictions
                   WHERE run_id = ? AND model_version = ?""",
                [run_id, model_version],
            ).fetchone()[0]
            con.execute("INSERT OR REPLACE INTO meta VALUES ('current_model_version', ?)", [model_version])
        return int(n)

    @staticmethod
    def _insert(
        con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame | None, conflict: str = ""
    ) -> None:
        """INSERT the frame's columns into ``table``, scanning it as Arrow (see :func:`_arrow`)."""
        if df is None or not len(df):
            return
        con.register("b_rows", _arrow(df))
        cols = ", ".join(df.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM b_rows {conflict}")
        con.unregister("b_rows")

    def _write_analysis(self, con: duckdb.DuckDBPyConnection, batch: AnalysisBatch, run_id: str) -> None:
        for table in ("segments", *_PREDICTION_TABLES):
            df = getattr(batch, table)
            self._insert(con, table, df.assign(run_id=run_id) if df is not None and len(df) else None)
        out = batch.encoder_outputs
        if out is not None and len(out):
            out = out[["encoder", "text_hash", "embedding"]].assign(run_id=run_id)
            self._insert(con, "encoder_outputs", out, "ON CONFLICT DO NOTHING")

    def lookup_encoder_outputs(self, encoder: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings among ``text_hashes`` for ``encoder`` (see ``Analyzer``'s ``reuse``)."""
        return self.stored_embeddings(text_hashes).get(encoder, {})

    def stored_embeddings(self, text_hashes: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """Encoder → {text hash → embedding} of the stored ones among ``text_hashes``, read by index."""
        if not text_hashes or not self.path.exists():
            return {}
        keys = list(dict.fromkeys(text_hashes))
        bad = next((h for h in keys if not _TEXT_HASH.fullmatch(h)), None)
        if bad is not None:
            raise ValueError(f"not a text hash: {bad!r}")
        out: dict[str, dict[str, np.ndarray]] = {}
        with self.connect(read_only=True) as con:
            # DuckDB scans the text-hash index only for a filter on that one column with a literal IN list of
            # at most index_scan_max_count (2,048) values; a join, a parameter list or the encoder in the same
            # filter read every stored embedding instead (bench/README.md: 490 vs 26 ms at 600,000 rows)
            for i in range(0, len(keys), LOOKUP_CHUNK):
                in_list = ", ".join(f"'{h}'" for h in keys[i : i + LOOKUP_CHUNK])
                rows = con.execute(
                    f"SELECT encoder, text_hash, embedding FROM encoder_outputs WHERE text_hash IN ({in_list})"
                ).fetchall()
                for e, h, blob in rows:
                    out.setdefault(e, {})[h] = np.frombuffer(blob, dtype="<f4")
        return out

    def _register_model(self, con, model_version: str, info: dict, run_id: str) -> None:
        con.execute(
            "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                model_version,
                info.get("name"),
                info.get("encoder"),
                info.get("taxonomy_version"),
                json.dumps(info.get("taxonomy")),
                run_id,
                now(),
            ],
        )

    def current_model(self) -> str | None:
        if not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'current_model_version'").fetchone()
        return row[0] if row else None

    def retention(self, keep_versions: int | None = None, drop_versions: Sequence[str] = ()) -> dict:
        """Delete the predictions of old model versions; returns what was (and was not) removed.

        A version is removed when it is not current for any document (``doc_model``) and, with
        ``keep_versions=N``, not among the N most recently registered ones (``model_versions.created_at``), or,
        with ``drop_versions``, when it is named there. Current versions are never touched. Rows go from
        segment_predictions, segment_touchpoints, document_predictions, pain_points, document_causes and
        segment_affect in one transaction;
        the ``model_versions`` row stays (lineage of old runs). Result: ``{"removed": {version: {table: rows}},
        "kept_current": [...], "kept_recent": [...]}``.
        """
        if keep_versions is None and not drop_versions:
            raise ValueError("give keep_versions or drop_versions")
        if keep_versions is not None and keep_versions < 0:
            raise ValueError("keep_versions must be 0 or more")
        with self.transaction() as con:
            current = {r[0] for r in con.execute("SELECT DISTINCT model_version FROM doc_model").fetchall()}
            known = [
                r[0]
                for r in con.execute(
                    "SELECT model_version FROM (SELECT model_version FROM model_versions UNION "
                    f"{' UNION '.join(f'SELECT model_version FROM {t}' for t in _PREDICTION_TABLES)}) v "
                    "LEFT JOIN model_versions USING (model_version) "
                    "ORDER BY created_at DESC NULLS LAST, model_version"
                ).fetchall()
            ]
            recent = set(known[:keep_versions]) if keep_versions is not None else set()
            candidates = [v for v in known if v in set(drop_versions)] if drop_versions else known
            removed: dict[str, dict[str, int]] = {}
            for version in candidates:
                if version in current or version in recent:
                    continue
                deleted = {
                    table: con.execute(f"DELETE FROM {table} WHERE model_version = ?", [version]).fetchone()[
                        0
                    ]
                    for table in _PREDICTION_TABLES
                }
                if any(deleted.values()):  # a version already cleaned out earlier is not reported again
                    removed[version] = deleted
            running = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
        result = {
            "removed": removed,
            "kept_current": sorted(v for v in candidates if v in current),
            "kept_recent": sorted(v for v in candidates if v in recent and v not in current),
            "unknown": sorted(set(drop_versions) - set(known)),
        }
        # Readers see it at once unless a flow is running (its run publishes when it ends; publishing now
        # would show them its half-written batches).
        if removed and not running:
            self.publish_snapshot()
        return result

    def quarantine(
        self,
        rows: Sequence[Quarantined],
        run_id: str,
        path: str | None = None,
        pii: Sequence[str] | None = None,
    ) -> int:
        """Record rejected input; the same payload at the same place is kept once however often it is re-read.

        The payload and the reason (which may quote a value) are stored PII-masked like document texts, with
        the PII kinds ``pii`` (default: all); the row's id is a hash of the raw record, so it stays stable.
        Returns the number of newly quarantined records; a known one only gets ``last_seen_run_id`` updated.
        """
        if not rows:
            return 0
        from vocmine.text import mask_pii_many  # loads the NER on first use: not for readers of the store

        # Masked a little past the stored length, so a match cut by the limit is still found whole.
        shown = mask_pii_many([r.payload[:10200] for r in rows] + [r.reason for r in rows], pii)
        df = pd.DataFrame(
            {
                "quarantine_id": [content_hash(r.source, r.location, r.payload, r.reason) for r in rows],
                "run_id": run_id,
                "source": [r.source for r in rows],
                "location": [r.location for r in rows],
                "payload": [m[:10000] for m, _ in shown[: len(rows)]],
                "reason": [m for m, _ in shown[len(rows) :]],
                "quarantined_at": now(),
                "path": path,
                "last_seen_run_id": run_id,
            }
        ).drop_duplicates("quarantine_id")
        with self.transaction() as con:
            con.register("q", df)
            n = con.execute(
                "SELECT count(*) FROM q WHERE quarantine_id NOT IN (SELECT quarantine_id FROM quarantine)"
            ).fetchone()[0]
            cols = ", ".join(df.columns)
            con.execute(
                f"INSERT INTO quarantine ({cols}) SELECT {cols} FROM q ON CONFLICT (quarantine_id) "
                "DO UPDATE SET last_seen_run_id = excluded.last_seen_run_id, resolved_run_id = NULL"
            )
            self.add_counts(run_id, con, quarantined=int(n))
        return int(n)

    def open_quarantine_files(self, sources: Sequence[str] | None = None) -> list[str]:
        """Files that still have unresolved quarantined records (optionally of some sources only)."""
        if not self.path.exists():
            return []
        df = self.query(
            "SELECT DISTINCT path FROM quarantine WHERE resolved_run_id IS NULL AND path IS NOT NULL "
            "AND (? IS NULL OR list_contains(?, source)) ORDER BY path",
            [list(sources) if sources else None] * 2,
        )
        return df["path"].tolist()

    def forget_files(self, paths: Sequence[str]) -> None:
        """Drop file fingerprints so the next run reads those files again (after a config fix)."""
        with self.transaction() as con:
            con.execute("DELETE FROM source_files WHERE list_contains(?, path)", [list(paths)])

    def resolve_quarantine(self, run_id: str, paths: Sequence[str]) -> int:
        """Close the open records of ``paths`` that the re-read in ``run_id`` no longer rejected."""
        with self.transaction() as con:
            return con.execute(
                "UPDATE quarantine SET resolved_run_id = ? WHERE resolved_run_id IS NULL "
                "AND list_contains(?, path) AND last_seen_run_id <> ?",
                [run_id, list(paths), run_id],
            ).fetchone()[0]

    # -- reads ----------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence | dict | None = None) -> pd.DataFrame:
        """Run one read statement (optionally after ``SET VARIABLE`` lines) on a sandboxed read-only connection.

        The connection reads this database and nothing else (no files, no ``ATTACH``, settings locked), and
        anything but a read is refused before it runs (``guard.RefusedSQL``, a ``duckdb.Error``); see
        ``vocmine/store/guard.py``. Parameters are bound to the last statement, never pasted.
        """
        checked = guard.check(sql)
        with self.connect(read_only=True, sandbox=True, load_fts=checked.uses_fts) as con:
            *variables, last = checked.statements
            for st in variables:
                con.execute(st)
            return con.execute(last, params or []).df()

    # -- search and export ----------------------------------------------------------------------------
    def refresh_search_index(self) -> dict[str, int]:
        """Rebuild the full-text indexes from the current documents; returns the rows indexed per table.

        One transaction: searches keep seeing the previous index until it commits.
        """
        with self.transaction() as con:
            counts = fts.refresh(con)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('search_indexed_at', ?)", [now().isoformat()])
        return counts

    def refresh_journeys(self, run_id: str) -> int:
        """Rebuild the ``journeys`` table from the current documents and predictions; returns its rows.

        One transaction: readers keep seeing the previous journeys until it commits.
        """
        with self.transaction() as con:
            return journeys.rebuild(con, run_id)

    def journeys_lag(self) -> bool:
        """Whether the journeys table misses documents with a customer id or holds gone ones."""
        with self.connect(read_only=True) as con:
            return journeys.lags(con)

    def search_index_lags(self) -> bool:
        """Whether the search tables hold other texts than the documents (e.g. a run killed before its
        refresh): compared by count and an order-free checksum of (doc_id, text), no copy of either."""
        with self.connect(read_only=True) as con:
            docs = con.execute(
                "SELECT count(*), bit_xor(hash(doc_id, text)) FROM documents WHERE length(trim(text)) > 0"
            ).fetchone()
            indexed = con.execute(
                "SELECT count(*), bit_xor(hash(doc_id, text)) FROM "
                "(SELECT doc_id, text FROM search_ru UNION ALL SELECT doc_id, text FROM search_en)"
            ).fetchone()
        return docs != indexed

    def search_indexed_at(self) -> str | None:
        """When the full-text indexes were last rebuilt (ISO time), None if never."""
        rows = self.query("SELECT value FROM meta WHERE key = 'search_indexed_at'")
        return rows["value"].iloc[0] if len(rows) else None

    def search(self, query: str, lang: str | None = None, limit: int = 20) -> pd.DataFrame:
        """Full-text search over the masked document text (stemmed: "доставки" finds "Доставка").

        Columns: doc_id, score (BM25, higher is better), created_at, source, text. ``lang`` keeps documents
        of that language (``ru`` uses the Russian index, anything else the English one). The index is as of
        the last :meth:`refresh_search_index`.
        """
        if not query.strip():
            raise ValueError("empty search query")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        with self.connect(read_only=True, sandbox=True, load_fts=True) as con:
            return fts.search(con, query, lang, limit)

    def export(
        self,
        view: str,
        out_dir: str | Path,
        partition_by: Sequence[str] = ("week",),
        overwrite: bool = False,
    ) -> int:
        """Write an analyst view to Parquet under ``out_dir`` (Hive-partitioned: ``week=2026-10-05/…``).

        Without ``partition_by`` it writes ``out_dir/data_0.parquet``. ``overwrite`` replaces a previous
        export; a non-empty folder holding anything but Parquet files is never touched. Returns the rows.
        """
        if view not in ANALYST_VIEWS:
            raise ValueError(f"unknown view {view!r}; one of: {', '.join(ANALYST_VIEWS)}")
        out = Path(out_dir)
        if out.exists() and any(out.iterdir()):
            files = [p for p in out.rglob("*") if p.is_file()]
            if not overwrite:
                raise FileExistsError(f"{out} is not empty; pass overwrite=True (--overwrite) to replace it")
            if any(p.suffix != ".parquet" for p in files):
                raise FileExistsError(f"{out} holds files other than Parquet; refusing to replace it")
            shutil.rmtree(out)
        # The sandbox lets this connection write into ``out`` only, whatever the view or columns hold.
        with self.connect(read_only=True, sandbox=True, writable=out) as con:
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?",
                    [view],
                ).fetchall()
            ]
            unknown = [c for c in partition_by if c not in columns]
            if unknown:
                raise ValueError(f"{view} has no column {', '.join(unknown)}; columns: {', '.join(columns)}")
            out.mkdir(parents=True, exist_ok=True)
            target, options = out, "FORMAT parquet"
            if partition_by:
                options += ", PARTITION_BY (" + ", ".join(f'"{c}"' for c in partition_by) + ")"
            else:
                target = out / "data_0.parquet"
            # COPY cannot bind its target; the view and columns are checked above, the path is quoted.
            path = str(target).replace("'", "''")
            row = con.execute(f"COPY (SELECT * FROM {view}) TO '{path}' ({options})").fetchone()
        return int(row[0])
