"""End-to-end benchmark of the nightly flow: documents/second per stage, wall time, peak memory, and re-runs.

    python bench/nightly_scale.py --docs 10000       # data from bench/gen_scale.py (made if missing)

In one fresh process, against a fresh DuckDB file in var/bench/:
1. the nightly flow over the N-document scaled sample (the real flow, model and database);
2. the nightly flow again with no new input (every file's hash is known: nothing is read);
3. ``reprocess`` of every document under a changed taxonomy (counting the encoder's calls: all embeddings
   are stored, so it must be zero).
Memory: RSS is sampled every 0.5 s; the peak and the RSS at each quarter of run 1 show whether it stays flat.
Stage figures come from the run's ``StageTimer`` (``vocmine.timing``). Writes var/bench/nightly-scale-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time
from pathlib import Path

import yaml

from vocmine import settings

BENCH = settings.PROJECT_DIR / "var" / "bench"
PAGE = os.sysconf("SC_PAGE_SIZE")


class RssSampler(threading.Thread):
    """Samples this process's resident memory (MiB) twice a second; ``live``: also appended to that CSV file
    as it goes (seconds since the process started), so a run cut short still leaves its timeline."""

    def __init__(self, live: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.t0 = time.perf_counter()
        self.stop = threading.Event()
        self.live = live

    def run(self) -> None:
        f = self.live.open("w", buffering=1) if self.live else None
        while not self.stop.wait(0.5):
            sample = (time.perf_counter() - self.t0, rss_mib())
            self.samples.append(sample)
            if f:
                f.write(f"{sample[0]:.1f},{sample[1]:.0f}\n")
        if f:
            f.close()

    def between(self, a: float, b: float) -> list[float]:
        return [r for t, r in self.samples if a <= t < b]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TABLES = (
    "documents",
    "turns",
    "segments",
    "segment_predictions",
    "segment_touchpoints",
    "document_predictions",
    "pain_points",
    "encoder_outputs",
    "doc_model",
)


def table_rows(db: Path) -> dict[str, int]:
    from vocmine.store.db import Store

    tables = TABLES
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in tables)
    return {k: int(v) for k, v in Store(db).query(sql).iloc[0].items()}


def bulk_write_rate(db: Path) -> dict:
    """DuckDB's bulk write rate into vocmine's schema (primary keys included): the run's rows, read back as
    Arrow tables, inserted into a fresh file in one transaction (INSERT … SELECT from the registered tables)."""
    import duckdb

    from vocmine.store.db import Store

    with duckdb.connect(str(db), read_only=True) as con:
        frames = {t: con.execute(f"SELECT * FROM {t}").fetch_arrow_table() for t in TABLES}
    dst = Store(db.with_name(db.stem + "-bulk.duckdb"))
    for p in dst.path.parent.glob(dst.path.name + "*"):
        p.unlink()
    dst.migrate()
    per_table = {}
    with dst.connect() as con:
        t0 = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        for t, tab in frames.items():
            t1 = time.perf_counter()
            con.register("b_rows", tab)
            con.execute(f"INSERT INTO {t} SELECT * FROM b_rows")
            con.unregister("b_rows")
            per_table[t] = round(tab.num_rows / max(time.perf_counter() - t1, 1e-9))
        con.execute("COMMIT")
        seconds = time.perf_counter() - t0
    rows = sum(tab.num_rows for tab in frames.values())
    dst.path.unlink()
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "per_table": per_table,
    }


def unique_segment_ratio(db: Path) -> float:
    """Distinct clause texts / clauses: the share the encoder must embed (it embeds each distinct text once)."""
    from vocmine.store.db import Store

    r = Store(db).query("SELECT count(DISTINCT text) / count(*) AS r FROM segments")
    return round(float(r["r"].iloc[0]), 3)


def changed_taxonomy(out: Path) -> Path:
    """The default taxonomy with one more example phrase (a new fingerprint, so a new model version)."""
    tax = yaml.safe_load(settings.DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    tax["version"] = f"{tax['version']}-bench"
    tp = tax["touchpoints"][0]
    tp.setdefault("examples", {}).setdefault("en", []).append("The courier left the parcel at the wrong door")
    out.write_text(yaml.safe_dump(tax, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def run_figures(result: dict, wall: float, sampler: RssSampler, start: float) -> dict:
    """A nightly run's documents, wall, stage rates, encoder share and memory (``start``: its perf_counter)."""
    n_docs = result["n_stored"] + result["n_updated"]
    return {
        "read": result["n_read"],
        "documents": n_docs,
        "wall_s": round(wall, 1),
        "docs_per_s": round(n_docs / wall, 2),
        "stages": per_stage(result["stages"], max(n_docs, 1)),
        "encoder_share_of_wall": round(result["stages"].get("encoder", {}).get("seconds", 0) / wall, 3),
        **run_memory(result, wall, sampler, start),
    }


def run_memory(result: dict, wall: float, sampler: RssSampler, start: float) -> dict:
    """Peak RSS per quarter of a run's batches, and of its report stage (full-text index, snapshot, report),
    which comes last and is reported on its own: it scales with the database, not with the batch stream."""
    batches_s = wall - result["stages"].get("report", {}).get("seconds", 0)
    rel = start - sampler.t0
    quarters = [
        max(sampler.between(rel + batches_s * q / 4, rel + batches_s * (q + 1) / 4), default=0)
        for q in range(4)
    ]
    return {
        "rss_mib_peak_per_quarter_of_batches": [round(q) for q in quarters],
        "rss_mib_peak_report_stage": round(max(sampler.between(rel + batches_s, rel + wall), default=0)),
    }


def per_stage(stages: dict, n_docs: int) -> dict:
    return {
        s: {**v, "docs_per_s": round(n_docs / v["seconds"], 1) if v["seconds"] else None}
        for s, v in stages.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--data", type=Path, default=None, help="default: var/bench/scale-<docs>")
    ap.add_argument("--task-runner", default="local", help="local | dask | tcp://scheduler:8786")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument(
        "--first-run-only",
        action="store_true",
        help="only run 1 and the no-input re-run: no bulk-copy figure (it reads every table into memory), "
        "no reprocess (for 1M documents, whose run alone takes hours)",
    )
    args = ap.parse_args()

    t_start = time.perf_counter()
    load_start = os.getloadavg()  # the machine is shared: a load above the core count slows every stage
    BENCH.mkdir(parents=True, exist_ok=True)
    sampler = RssSampler(BENCH / f"nightly-scale-{args.docs}.rss-live.csv")
    sampler.start()
    data = args.data or BENCH / f"scale-{args.docs}"
    if not (data / "sources.yaml").exists():
        from gen_scale import generate  # bench/ is on sys.path when run as a script

        print(json.dumps(generate(args.docs, data)), flush=True)
    db = BENCH / f"nightly-scale-{args.docs}.duckdb"
    for p in db.parent.glob(db.name.replace(".duckdb", ".*duckdb*")):
        p.unlink()
    (db.parent / "reports").mkdir(parents=True, exist_ok=True)

    from vocmine.flows.nightly import nightly
    from vocmine.flows.reprocess import reprocess
    from vocmine.nlp.model import load_model

    t0 = time.perf_counter()
    load_model(str(settings.DEFAULT_MODEL_DIR), None)
    startup = {
        "imports_and_data_s": round(t0 - t_start, 1),
        "model_load_s": round(time.perf_counter() - t0, 1),
    }
    params = {
        "sources": str(data / "sources.yaml"),
        "db": str(db),
        "batch_size": args.batch_size,
        "task_runner": args.task_runner,
        "dask_workers": args.workers,
    }

    t1 = time.perf_counter()
    first = nightly(**params)
    wall1 = time.perf_counter() - t1
    rss_run = sampler.between(t1 - sampler.t0, t1 - sampler.t0 + wall1)
    rows = table_rows(db)
    store_s = first["stages"].get("store", {}).get("seconds") or 0
    written = sum(rows.values())

    run1 = {
        **run_figures(first, wall1, sampler, t1),
        "segments": first["n_segments"],
        "pain_points": first["n_pain_points"],
        "unique_segment_ratio": unique_segment_ratio(db),
        "texts_encoded": first["stages"].get("encoder", {}).get("items", 0),
        "rows_written": rows,
        "store_rows_per_s": round(written / store_s) if store_s else None,
        "rss_mib_peak_during_run": round(max(rss_run), 0) if rss_run else None,
    }
    out = BENCH / f"nightly-scale-{args.docs}{'' if args.task_runner == 'local' else '-dask'}.json"
    # written already now, and again at the end: at 1M documents what follows takes long
    out.write_text(json.dumps({"docs_requested": args.docs, "run1": run1}, indent=2))
    write_timeline(out.with_suffix(".rss.csv"), sampler, t1)
    run1["duckdb_bulk_write"] = None if args.first_run_only else bulk_write_rate(db)

    t2 = time.perf_counter()
    again = nightly(**params)
    wall2 = time.perf_counter() - t2

    reprocessed = None
    if not args.first_run_only:
        tax = changed_taxonomy(BENCH / "taxonomy-bench.yaml")
        model = load_model(str(settings.DEFAULT_MODEL_DIR), str(tax))  # the model reprocess will use (cached)
        calls_before = model.encoder.calls  # after the taxonomy's own prototype phrases were embedded
        t3 = time.perf_counter()
        rep = reprocess(
            db=str(db),
            taxonomy=str(tax),
            batch_size=args.batch_size,
            task_runner=args.task_runner,
            dask_workers=args.workers,
        )
        reprocessed = {
            "documents": rep["n_updated"],
            "wall_s": round(time.perf_counter() - t3, 1),
            "encoder_calls": model.encoder.calls - calls_before,
            "encoder_stage_items": rep["stages"].get("encoder", {}).get("items", 0),
            "stages": per_stage(rep["stages"], max(1, rep["n_updated"])),
        }
    sampler.stop.set()

    result = {
        "docs_requested": args.docs,
        "task_runner": args.task_runner,
        "cpu_count": os.cpu_count(),
        "loadavg_1_5_15_start": [round(x, 1) for x in load_start],
        "loadavg_1_5_15_end": [round(x, 1) for x in os.getloadavg()],
        "startup": startup,
        "run1": run1,
        "rerun_no_new_input": {
            "read": again["n_read"],
            "stored": again["n_stored"],
            "wall_s": round(wall2, 2),
        },
        "reprocess_new_taxonomy": reprocessed,
        "peak_rss_mib_process": round(peak_mib(), 0),
        "total_s": round(time.perf_counter() - t_start, 1),
    }
    out.write_text(json.dumps(result, indent=2))
    write_timeline(out.with_suffix(".rss.csv"), sampler, t1)
    print(json.dumps(result, indent=2))


def write_timeline(path: Path, sampler: RssSampler, t1: float) -> None:
    """The whole RSS timeline so far, in seconds since run 1 started."""
    rows = "".join(f"{t - (t1 - sampler.t0):.1f},{r:.0f}\n" for t, r in list(sampler.samples))
    path.write_text("t_s,rss_mib\n" + rows)


if __name__ == "__main__":
    main()
