"""Rows/second of ``Store.write_batch`` into a fresh database, per batch size and as one bulk transaction.

The rows come from a finished scale run (``bench/nightly_scale.py``): every table one analysed document
writes (documents, turns, segments, segment/document predictions, touchpoints, pain points, encoder outputs,
doc_model) is read back under the run's first model version, given the dtypes ``Analyzer`` produces, and split
into ``AnalysisBatch`` objects of N documents. Each batch size writes into its own fresh file (``migrate`` and
``start_run`` first, untimed); the clock runs inside ``write_batch`` only. rows/s = all rows of all tables
written / those seconds.

    .venv/bin/python bench/store_write.py [--db var/bench/nightly-scale-10000.duckdb] [--sizes 256 1024 4096]
                                          [--repeat 1] [--out var/bench/store-write.json]

``--edits`` also times writing every batch a second time with changed text (the edit path: history rows,
deletes of the old analysis, re-insert). Each run also reports the process's RSS growth while it writes (read
inside the held connection's block, before its final close): ``--recycle-commits N`` sets how often
``Store.writing()`` reopens its connection (``0``: never, as before that existed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vocmine.records import AnalysisBatch  # noqa: E402
from vocmine.store import db as store_db  # noqa: E402
from vocmine.store.db import Store  # noqa: E402

TABLES = (
    "documents",
    "turns",
    "segments",
    "segment_predictions",
    "segment_touchpoints",
    "document_predictions",
    "pain_points",
)
MODEL_INFO = {"name": "bench", "encoder": "bench-encoder", "taxonomy_version": "bench", "taxonomy": {}}


def load_frames(db: Path) -> tuple[dict[str, pd.DataFrame], str]:
    """The tables of the run that first stored the documents, shaped like ``Analyzer.finish``'s frames."""
    src = db.with_name(f"{db.stem}.snapshot{db.suffix}")  # the snapshot: never touch a file a run may hold
    con = duckdb.connect(str(src if src.exists() else db), read_only=True)
    try:
        run_id, mv = con.execute(
            "SELECT run_id, model_version FROM runs WHERE flow <> 'reprocess' AND n_stored > 0 "
            "ORDER BY started_at LIMIT 1"
        ).fetchone()
        if mv is None:
            mv = con.execute(
                "SELECT model_version FROM document_predictions WHERE run_id = ? LIMIT 1", [run_id]
            ).fetchone()[0]
        frames = {}
        drop = {"run_id", "ingest_run_id", "updated_run_id"}
        for table in TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in drop]
            where = "WHERE model_version = ?" if "model_version" in cols else ""
            order = "ORDER BY doc_id" + (", seg_idx" if "seg_idx" in cols else "")
            order += ", turn_idx" if table == "turns" else ""
            frames[table] = con.execute(
                f"SELECT {', '.join(cols)} FROM {table} {where} {order}", [mv] if where else []
            ).df()
        frames["encoder_outputs"] = con.execute(
            "SELECT encoder, text_hash, embedding FROM encoder_outputs ORDER BY text_hash"
        ).df()
    finally:
        con.close()
    # dtypes as the pipeline builds them (pandas objects, nullable Int8 ratings, lists, bytes)
    d = frames["documents"]
    for c in ("rating", "nps", "csat", "ces"):
        d[c] = d[c].astype("Int8")
    d["created_at"] = pd.to_datetime(d["created_at"], utc=True)
    d["lang_confidence"] = d["lang_confidence"].astype("float64")
    d["n_chars"] = d["n_chars"].astype("int64")
    d["pii_masked"] = d["pii_masked"].astype("int64")
    t = frames["turns"]
    t["ts"] = pd.to_datetime(t["ts"], utc=True)
    t["turn_idx"] = t["turn_idx"].astype("int64")
    frames["segments"]["lemmas"] = [list(x) for x in frames["segments"]["lemmas"]]
    for table in TABLES[2:]:
        f = frames[table]
        for c in f.columns:
            if f[c].dtype == np.float32:
                f[c] = f[c].astype("float64")
            elif f[c].dtype == np.int32:
                f[c] = f[c].astype("int64")
    frames["encoder_outputs"]["embedding"] = [bytes(b) for b in frames["encoder_outputs"]["embedding"]]
    return frames, mv


def make_batches(frames: dict[str, pd.DataFrame], mv: str, size: int) -> list[AnalysisBatch]:
    """Consecutive groups of ``size`` documents; encoder outputs are dealt out evenly across the batches."""
    ids = frames["documents"]["doc_id"].to_numpy()
    groups = [ids[i : i + size] for i in range(0, len(ids), size)]
    codes = {}
    for table in TABLES:
        codes[table] = np.searchsorted(ids, frames[table]["doc_id"].to_numpy())  # ids are sorted
    emb = frames["encoder_outputs"]
    emb_parts = np.array_split(np.arange(len(emb)), len(groups))
    batches = []
    for g, (group, emb_idx) in enumerate(zip(groups, emb_parts, strict=True)):
        lo, hi = g * size, g * size + len(group)
        parts = {}
        for table in TABLES:
            c = codes[table]
            parts[table] = frames[table].iloc[np.flatnonzero((c >= lo) & (c < hi))].reset_index(drop=True)
        batches.append(
            AnalysisBatch(**parts, model_version=mv, encoder_outputs=emb.iloc[emb_idx].reset_index(drop=True))
        )
    return batches


def batch_rows(b: AnalysisBatch) -> int:
    """Rows the batch writes: every frame, plus one doc_model row per document."""
    return sum(len(getattr(b, t)) for t in TABLES) + len(b.encoder_outputs) + len(b.documents)


def edited(b: AnalysisBatch) -> AnalysisBatch:
    docs = b.documents.copy()
    docs["text"] = docs["text"] + " (edited)"
    docs["content_hash"] = docs["content_hash"].str[::-1]
    return AnalysisBatch(**{**b.__dict__, "documents": docs})


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))


def copy_of(b: AnalysisBatch, k: int) -> AnalysisBatch:
    """The batch as new documents: ids, external ids and encoder-output hashes suffixed with ``~k``."""
    if k == 0:
        return b
    frames = {}
    for name, df in b.__dict__.items():
        if isinstance(df, pd.DataFrame):
            df = df.copy()
            for col in ("doc_id", "external_id", "text_hash"):
                if col in df.columns:
                    df[col] = df[col] + f"~{k}"
        frames[name] = df
    return AnalysisBatch(**frames)


def run_size(
    batches: list[AnalysisBatch], workdir: Path, label: str, held: bool, edits: bool, copies: int = 1
) -> dict:
    """Write the batches (``copies`` times, as new documents) into a fresh file; ``held``: inside
    ``Store.writing()`` (its open and final checkpoint are timed too), else one connection per
    ``write_batch`` as the flows call it."""
    path = workdir / f"store-{label}-{'held' if held else 'call'}.duckdb"
    store = Store(path)
    store.migrate()
    run_id = store.start_run("bench", {"label": label})
    rows = copies * sum(batch_rows(b) for b in batches)
    per_call = []
    rss0 = rss_mib()
    rss_copies = []
    t_start = time.perf_counter()
    with store.writing() if held else contextlib.nullcontext():
        for k in range(copies):
            for b in batches:
                b = copy_of(b, k)
                t0 = time.perf_counter()
                store.write_batch(b, run_id, MODEL_INFO)
                per_call.append(time.perf_counter() - t0)
            rss_copies.append(round(rss_mib()))
        rss1 = rss_mib()
    secs = time.perf_counter() - t_start
    out = {
        "batch": label,
        "connection": "held" if held else "per call",
        "batches": len(batches),
        "rows": int(rows),
        "seconds": round(secs, 3),
        "rows_per_s": round(rows / secs),
        "ms_per_batch_median": round(1000 * float(np.median(per_call)), 1),
        "rss_growth_mib": round(rss1 - rss0),
        "rss_mib_after_each_copy": rss_copies,
    }
    if edits:  # every document again with new text: history rows, deletes, re-inserts
        t0 = time.perf_counter()
        with store.writing() if held else contextlib.nullcontext():
            for b in batches:
                store.write_batch(edited(b), run_id, MODEL_INFO)
        e_secs = time.perf_counter() - t0
        out["edit_seconds"] = round(e_secs, 3)
        out["edit_rows_per_s"] = round(rows / e_secs)
    n = store.query("SELECT count(*) AS n FROM documents")["n"].iloc[0]
    assert n == copies * sum(len(b) for b in batches), (n, label)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=str(ROOT / "var/bench/nightly-scale-10000.duckdb"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the best is reported")
    ap.add_argument("--edits", action="store_true", help="also time re-writing every batch as edited")
    ap.add_argument(
        "--connection",
        choices=["both", "per-call", "held"],
        default="both",
        help="per call: a connection per write_batch (the flows today); held: inside Store.writing()",
    )
    ap.add_argument(
        "--recycle-commits",
        type=int,
        default=store_db.HELD_RECYCLE_COMMITS,
        help="Store.writing() reopens its connection every N commits (0: never)",
    )
    ap.add_argument(
        "--copies", type=int, default=1, help="write the documents this many times, as new documents"
    )
    ap.add_argument("--out", default=str(ROOT / "var/bench/store-write.json"))
    ap.add_argument("--workdir", default=None, help="where the scratch databases go (default: a temp dir)")
    args = ap.parse_args()
    if args.edits and args.copies > 1:
        ap.error("--edits re-writes one copy: use it with --copies 1")

    store_db.HELD_RECYCLE_COMMITS = args.recycle_commits or sys.maxsize
    t0 = time.perf_counter()
    frames, mv = load_frames(Path(args.db))
    n_docs = len(frames["documents"])
    print(f"loaded {n_docs} documents from {args.db} in {time.perf_counter() - t0:.1f} s (model {mv})")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="store-write-"))
    work.mkdir(parents=True, exist_ok=True)
    modes = {"both": (False, True), "per-call": (False,), "held": (True,)}[args.connection]
    results = []
    try:
        # the one-transaction bulk case holds every row in memory at once: not for copies
        cases = [(str(s), s) for s in args.sizes] + ([("bulk", n_docs)] if args.copies == 1 else [])
        for label, size in cases:
            batches = make_batches(frames, mv, size)
            for held in modes if label != "bulk" else modes[:1]:
                runs = [
                    run_size(batches, work, f"{label}-{r}", held, args.edits, args.copies)
                    for r in range(args.repeat)
                ]
                best = max(runs, key=lambda r: r["rows_per_s"])
                results.append({**best, "batch": label})
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    rows_total = results[0]["rows"]
    print(
        f"\n{rows_total} rows per pass ({n_docs * args.copies} documents, all tables incl. doc_model and"
        " encoder outputs)"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    head = f"{'batch':>6} {'connection':>10} {'calls':>6} {'seconds':>8} {'rows/s':>9} {'ms/call':>8} {'+RSS MiB':>8}"
    if args.edits:
        head += f" {'edit rows/s':>12}"
    print(head)
    for r in results:
        line = (
            f"{r['batch']:>6} {r['connection']:>10} {r['batches']:>6} {r['seconds']:>8.3f} "
            f"{r['rows_per_s']:>9,} {r['ms_per_batch_median']:>8.1f} {r['rss_growth_mib']:>8}"
        )
        if args.edits:
            line += f" {r['edit_rows_per_s']:>12,}"
        print(line)
    report = {
        "source": str(args.db),
        "documents": n_docs * args.copies,
        "copies": args.copies,
        "rows": rows_total,
        "recycle_commits": args.recycle_commits,
        "results": results,
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "python": platform.python_version(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
