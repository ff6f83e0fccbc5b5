"""The nightly flow over N documents that arrive in K pieces, one nightly run per piece, into one database.

    python bench/nightly_pieces.py --docs 1000000 --pieces 10      # data from gen_scale.py --pieces (made if missing)

What a million documents cost on one machine when a single run of them would outlast the machine's session
(about 4 h at 70 documents/s): each piece (``piece-NN/`` of ``gen_scale.py --pieces``, fresh ids, the same mix
as ``nightly_scale.py``'s data) is what the next night's run finds, and the database grows to N documents. Per
piece: the run's stage times (``StageTimer``), wall, peak RSS and its quarters, the database's size before and
after; the ledger (var/bench/nightly-pieces-N.json) is written after each piece, so the benchmark resumes where
it stopped: a finished piece is not run again, and a piece cut short is run again (its committed batches are
then duplicates, counted as such). ``--hours H`` starts no piece after H hours. When all pieces are in, a
no-input re-run is timed and the totals are added: every stage's seconds and items summed over the pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from datetime import UTC, datetime

from nightly_scale import BENCH, RssSampler, peak_mib, per_stage, run_figures, table_rows

from vocmine import settings


def totals(pieces: list[dict]) -> dict:
    """The pieces as one: stage seconds and items summed, documents/s over the summed seconds."""
    docs = sum(p["documents"] for p in pieces)
    wall = sum(p["wall_s"] for p in pieces)
    stages: dict[str, dict] = {}
    for p in pieces:
        for s, v in p["stages"].items():
            t = stages.setdefault(s, {"seconds": 0.0, "items": 0})
            t["seconds"] += v["seconds"]
            t["items"] += v.get("items", 0)
    return {
        "documents": docs,
        "wall_s": round(wall, 1),
        "docs_per_s": round(docs / wall, 2) if wall else None,
        "stages": per_stage({s: {**v, "seconds": round(v["seconds"], 1)} for s, v in stages.items()}, docs),
        "encoder_share_of_wall": round(stages.get("encoder", {}).get("seconds", 0) / wall, 3)
        if wall
        else None,
        "rss_mib_peak_of_batches": max(max(p["rss_mib_peak_per_quarter_of_batches"]) for p in pieces),
        "rss_mib_peak_report_stage": max(p["rss_mib_peak_report_stage"] for p in pieces),
    }


def table(ledger: dict) -> str:
    """The ledger as bench/README.md's tables: one row per piece and the totals, then every stage's rate."""
    keys = ("text", "lookup", "encoder", "heads", "store", "report")
    head = (
        "| piece | commit | documents before | documents | wall | docs/s | encoder share | "
        + " | ".join(f"{k} s" for k in keys)
        + " | peak RSS per quarter of the batches | report stage peak | database after |"
    )
    rows = [head, "|---:|---|" + "---:|" * 5 + "---:|" * len(keys) + "---|---:|---:|"]
    for p in sorted(ledger["pieces"], key=lambda p: p["piece"]):
        secs = " | ".join(f"{p['stages'].get(k, {}).get('seconds', 0):,.1f}" for k in keys)
        quarters = " / ".join(f"{q:,}" for q in p["rss_mib_peak_per_quarter_of_batches"])
        rows.append(
            f"| {p['piece']} | {p.get('commit', '')} | {p['documents_before']:,} | {p['documents']:,} | "
            f"{p['wall_s']:,.1f} s | {p['docs_per_s']} | {p['encoder_share_of_wall']:.1%} | {secs} | "
            f"{quarters} MiB | {p['rss_mib_peak_report_stage']:,} MiB | {p['db_mib_after']:,} MiB |"
        )
    t = ledger.get("totals") or totals(ledger["pieces"])
    secs = " | ".join(f"{t['stages'].get(k, {}).get('seconds', 0):,.1f}" for k in keys)
    rows.append(
        f"| **all** | | | **{t['documents']:,}** | **{t['wall_s']:,.1f} s** | {t['docs_per_s']} | "
        f"{t['encoder_share_of_wall']:.1%} | {secs} | max {t['rss_mib_peak_of_batches']:,} MiB | "
        f"{t['rss_mib_peak_report_stage']:,} MiB | |"
    )
    stages = t["stages"]
    rows += [
        "",
        "| stage | " + " | ".join(stages) + " |",
        "|---|" + "---:|" * len(stages),
        "| docs/s (seconds) | "
        + " | ".join(f"{v['docs_per_s']:,.0f} ({v['seconds']:,.1f} s)" for v in stages.values())
        + " |",
    ]
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--pieces", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--hours", type=float, default=None, help="start no piece after this many hours")
    ap.add_argument("--fresh", action="store_true", help="drop the ledger and the database and start over")
    ap.add_argument(
        "--table", action="store_true", help="print the ledger as bench/README.md's table, run nothing"
    )
    args = ap.parse_args()
    if args.table:
        print(table(json.loads((BENCH / f"nightly-pieces-{args.docs}.json").read_text())))
        return

    t_start = time.perf_counter()
    BENCH.mkdir(parents=True, exist_ok=True)
    data = BENCH / f"scale-{args.docs}"
    db = BENCH / f"nightly-pieces-{args.docs}.duckdb"
    ledger_path = BENCH / f"nightly-pieces-{args.docs}.json"
    if args.fresh:
        ledger_path.unlink(missing_ok=True)
    if not ledger_path.exists():
        for p in db.parent.glob(db.name.replace(".duckdb", ".*duckdb*")):
            p.unlink()
    if not (data / f"piece-{args.pieces - 1:02d}" / "sources.yaml").exists():
        from gen_scale import generate_pieces  # bench/ is on sys.path when run as a script

        print(json.dumps(generate_pieces(args.docs, args.pieces, data)), flush=True)
    ledger = (
        json.loads(ledger_path.read_text())
        if ledger_path.exists()
        else {
            "docs_requested": args.docs,
            "pieces_planned": args.pieces,
            "cpu_count": os.cpu_count(),
            "pieces": [],
        }
    )
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    # pieces may run in several sessions, on different code: each records the commit it ran
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=settings.PROJECT_DIR
    ).stdout.strip()
    sampler = RssSampler(BENCH / f"nightly-pieces-{args.docs}.rss-{stamp}.csv")
    sampler.start()

    from vocmine.flows.nightly import nightly
    from vocmine.nlp.model import load_model

    load_model(str(settings.DEFAULT_MODEL_DIR), None)
    done = {p["piece"] for p in ledger["pieces"]}
    for k in range(args.pieces):
        if k in done:
            continue
        if args.hours is not None and time.perf_counter() - t_start > args.hours * 3600:
            break
        sources = data / f"piece-{k:02d}" / "sources.yaml"
        before = table_rows(db)["documents"] if db.exists() else 0
        size_before = db.stat().st_size if db.exists() else 0
        load = os.getloadavg()
        t1 = time.perf_counter()
        result = nightly(sources=str(sources), db=str(db), batch_size=args.batch_size)
        wall = time.perf_counter() - t1
        ledger["pieces"].append(
            {
                "piece": k,
                "finished_at": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
                "process": stamp,
                "commit": commit,
                "loadavg_1_5_15_start": [round(x, 1) for x in load],
                "documents_before": before,
                "db_mib_before": round(size_before / 2**20),
                "db_mib_after": round(db.stat().st_size / 2**20),
                **run_figures(result, wall, sampler, t1),
                "duplicates": result["n_duplicates"],
                "quarantined": result["n_quarantined"],
                "process_peak_rss_mib": round(peak_mib()),
            }
        )
        ledger_path.write_text(json.dumps(ledger, indent=2))
        print(json.dumps(ledger["pieces"][-1]), flush=True)

    if len({p["piece"] for p in ledger["pieces"]}) == args.pieces:
        t2 = time.perf_counter()
        again = nightly(sources=str(data / f"piece-{args.pieces - 1:02d}" / "sources.yaml"), db=str(db))
        ledger["rerun_no_new_input"] = {"read": again["n_read"], "wall_s": round(time.perf_counter() - t2, 2)}
        ledger["rows"] = table_rows(db)
        ledger["totals"] = totals(ledger["pieces"])
        ledger_path.write_text(json.dumps(ledger, indent=2))
    sampler.stop.set()
    print(json.dumps({k: v for k, v in ledger.items() if k != "pieces"}, indent=2))


if __name__ == "__main__":
    main()
