"""Peak memory of one very long review through the real pipeline (ingest → analyse → store), ``max_chars`` raised.

    python bench/long_text.py --mb 1 10          # one child process per size; figures in bench/README.md

Each size runs in a fresh process: a CSV holding one review of that many characters (the sample reviews run
together, a paragraph every 20) and two ordinary ones is ingested with ``max_chars`` above its length, analysed
in the flow's batches and stored, and the full-text index is rebuilt. A watchdog ends a child whose RSS passes ``--rss-limit-mb`` (a shared machine
must not be driven into the OOM killer), and the figures say so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import threading
import time

from vocmine import settings

OUT = settings.PROJECT_DIR / "var" / "bench"


def long_review(n_chars: int) -> str:
    texts = [r["text"] for r in csv.DictReader((settings.SAMPLES_DIR / "reviews.csv").open(encoding="utf-8"))]
    texts = [t for t in texts if t.strip()]
    parts, size, i = [], 0, 0
    while size < n_chars:
        sep = "\n\n" if i % 20 == 19 else " "
        parts.append(texts[i % len(texts)] + sep)
        size += len(parts[-1])
        i += 1
    return "".join(parts)[:n_chars]


def _rss() -> int:
    """Resident bytes of this process now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _watchdog(limit_mb: int, peak: list[int]) -> None:
    while True:
        rss = _rss()
        peak[0] = max(peak[0], rss)
        if rss > limit_mb * 2**20:
            print(json.dumps({"killed": True, "rss_mib": rss // 2**20}), flush=True)
            os._exit(3)
        time.sleep(0.05)


def one(mb: float, limit_mb: int) -> dict:
    """Ingest, analyse and store one ``mb``-million-character review; figures as a dict."""
    peak = [0]
    threading.Thread(target=_watchdog, args=(limit_mb, peak), daemon=True).start()
    from vocmine import jobs
    from vocmine.ingest.config import SourceConfig
    from vocmine.nlp.model import load_model
    from vocmine.store.db import Store

    n = int(mb * 1_000_000)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"long-{mb:g}m.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["review_id", "created_at", "rating", "text"])
        w.writerow(["long", "2026-10-01T10:00:00+03:00", 2, long_review(n)])
        w.writerow(["a", "2026-10-01T11:00:00+03:00", 5, "Всё пришло вовремя, спасибо!"])
        w.writerow(["b", "2026-10-01T12:00:00+03:00", 1, "Courier was late and rude."])
    db = OUT / f"long-{mb:g}m.duckdb"
    db.unlink(missing_ok=True)
    store = Store(db)
    store.migrate()
    model = load_model()
    run_id = store.start_run("bench", {}, model.version)
    src = SourceConfig(
        name="r",
        kind="review",
        location=str(path),
        fields={"id": "review_id", "timestamp": "created_at"},
        max_chars=n + 1,
    )
    rss_model = _rss()
    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    with store.writing():
        for item in jobs.iter_intake(store, src):
            if isinstance(item, jobs.Chunk):
                for docs in jobs.batches(item.documents, 256):
                    done = jobs.analyse_and_store(store, model, list(docs), run_id)
                    for k, v in done.timer.as_dict().items():
                        stages[k] = stages.get(k, 0.0) + (v["seconds"] if isinstance(v, dict) else v)
    t1 = time.perf_counter()
    store.refresh_search_index()  # the flow's next step: the full-text index covers the whole text
    stages["search index"] = time.perf_counter() - t1
    wall = time.perf_counter() - t0
    seg = store.query(
        "SELECT count(*) AS n, max(end_char) AS last FROM segments WHERE doc_id IN "
        "(SELECT doc_id FROM documents WHERE external_id = 'long')"
    )
    stored = store.query("SELECT n_chars FROM documents WHERE external_id = 'long'")
    return {
        "chars": n,
        "stored_chars": int(stored["n_chars"][0]),
        "segments": int(seg["n"][0]),
        "analysed_up_to_char": int(seg["last"][0]),
        "seconds": round(wall, 1),
        "stage_seconds": {k: round(v, 1) for k, v in stages.items()},
        "rss_after_model_mib": rss_model // 2**20,
        "peak_rss_mib": max(peak[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) // 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0], help="millions of characters")
    ap.add_argument("--rss-limit-mb", type=int, default=8000)
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.rss_limit_mb)), flush=True)
        return
    results = []
    for mb in args.mb:
        cmd = [sys.executable, __file__, "--one", str(mb), "--rss-limit-mb", str(args.rss_limit_mb)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
        res = json.loads(lines[-1]) if lines else {"error": proc.stderr[-2000:]}
        res["mb"] = mb
        print(json.dumps(res), flush=True)
        results.append(res)
    (OUT / "long_text.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
