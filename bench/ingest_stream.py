"""Ingest a large CSV with bounded memory: peak RSS and records/second of the ingest stage alone.

    python bench/ingest_stream.py --gb 1.0          # writes var/bench/big.csv (git-ignored) and reads it

The file is made of the sample reviews repeated with fresh ids. Only the ingest stage runs (reading, decoding,
validation, de-duplication against the store); analysis is measured by the end-to-end benchmark.
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from pathlib import Path

from vocmine import settings
from vocmine.ingest.config import SourceConfig
from vocmine.jobs import Chunk, iter_intake
from vocmine.store.db import Store


def write_big_csv(path: Path, gigabytes: float) -> int:
    rows = list(csv.DictReader((settings.SAMPLES_DIR / "reviews.csv").open(encoding="utf-8")))
    target, n = int(gigabytes * 1024**3), 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        while f.tell() < target:
            for r in rows:
                n += 1
                w.writerow({**r, "review_id": f"B{n:09d}"})
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--chunk-size", type=int, default=5000)
    args = ap.parse_args()
    out = settings.PROJECT_DIR / "var" / "bench"
    big = out / "big.csv"
    if not big.exists() or big.stat().st_size < args.gb * 1024**3 * 0.99:
        t = time.perf_counter()
        n = write_big_csv(big, args.gb)
        print(
            f"wrote {big} ({big.stat().st_size / 1024**3:.2f} GiB, {n:,} rows) in {time.perf_counter() - t:.0f} s"
        )
    db = out / "ingest.duckdb"
    db.unlink(missing_ok=True)
    store = Store(db)
    store.migrate()
    src = SourceConfig(
        name="big", kind="review", location=str(big), fields={"id": "review_id", "timestamp": "created_at"}
    )
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    n_read = n_docs = n_bad = 0
    for item in iter_intake(store, src, chunk_size=args.chunk_size):
        if isinstance(item, Chunk):
            n_read += item.n_read
            n_docs += len(item.documents)
            n_bad += len(item.quarantined)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"read {n_read:,} records ({n_docs:,} valid, {n_bad:,} quarantined) in {dt:.0f} s "
        f"= {n_read / dt:,.0f} records/s; peak RSS {peak:.0f} MiB (before reading: {base:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
