"""The explorable HTML report at scale: its size, build time and open time in headless Chromium.

    python bench/report_size.py --sample var/vocmine.duckdb --docs 100000     # an analysed sample database

Running the encoder over 100k documents would take the shared machine for an hour, so the benchmark database
is built from an analysed one (the nightly flow over data/samples) by replicating its analysed rows: each copy
gets new document ids and its dates moved back by whole weeks (copy r by r mod 43 weeks: the ten sample weeks
spread over a year), in every table a document's rows live in (documents, predictions, segments, touchpoint
links, pain points, primary causes, effort and emotion). Texts repeat, so the stored embeddings serve the new
themes as they are. The page's size depends on the facet cells and weeks the data holds, not on the documents
per cell (its sums are counts, and verbatims are capped per cell), so the figures here also bound a year of far
more documents a week.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from vocmine.report.html import render_html
from vocmine.report.model import build_report
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

#: The tables holding a document's rows, each with its doc_id column (documents also has external_id).
DOC_TABLES = (
    "documents",
    "doc_model",
    "document_predictions",
    "segments",
    "segment_predictions",
    "segment_touchpoints",
    "pain_points",
    "document_causes",
    "segment_affect",
)
SPREAD_WEEKS = 43  # with the sample's ten weeks: 53 weeks of data


def replicate(sample: Path, out: Path, docs: int) -> int:
    """Copy ``sample`` to ``out`` and add shifted copies of its documents until it holds about ``docs``."""
    shutil.copy2(sample, out)
    con = duckdb.connect(str(out))
    have = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    copies = max(0, round(docs / have) - 1)
    for r in range(1, copies + 1):
        shift = f"INTERVAL {(r % SPREAD_WEEKS) * 7} DAY"
        con.execute("BEGIN")
        for table in DOC_TABLES:
            cols = [c for (c,) in con.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()]
            sel = []
            for c in cols:
                if c == "doc_id":
                    sel.append(f"doc_id || '#{r}'")
                elif c == "external_id":
                    sel.append(f"external_id || '#{r}'")
                elif c == "created_at":
                    sel.append(f"created_at - {shift}")
                else:
                    sel.append(f'"{c}"')
            con.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(sel)} FROM {table} "
                f"WHERE NOT contains(doc_id, '#')"
            )
        con.execute("COMMIT")
    n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    con.close()
    return n


def open_time(html: Path) -> dict:
    """Seconds from navigation to the page's first full draw, and for a filter click, in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        t0 = time.perf_counter()
        driver.get(html.as_uri())  # returns after the load event: the script has run and drawn the page
        assert driver.execute_script("return document.body.dataset.ready") == "1"
        opened = time.perf_counter() - t0
        chip = driver.find_element(By.CSS_SELECTOR, '.chip[data-facet="source"]')
        t0 = time.perf_counter()
        chip.click()
        driver.execute_script("return document.querySelectorAll('#pain-points tbody tr').length")
        click = time.perf_counter() - t0
        feeling = driver.find_elements(By.CSS_SELECTOR, '.chip[data-facet="feeling"]')
        t0 = time.perf_counter()
        if feeling:
            feeling[0].click()  # the emotion filter: the touchpoint cells by their feelings mask
            driver.execute_script("return document.querySelectorAll('#pain-points tbody tr').length")
        feeling_click = time.perf_counter() - t0 if feeling else None
    finally:
        driver.quit()
    return {
        "open_s": round(opened, 2),
        "filter_click_s": round(click, 3),
        "feeling_click_s": None if feeling_click is None else round(feeling_click, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sample", type=Path, required=True, help="an analysed database (the nightly over samples)"
    )
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=None, help="folder for the database and the HTML")
    a = ap.parse_args()
    out = a.out or Path(tempfile.mkdtemp(prefix="report-size-"))
    out.mkdir(parents=True, exist_ok=True)
    db = out / "bench.duckdb"
    t0 = time.perf_counter()
    n = replicate(a.sample, db, a.docs)
    built_db = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = build_report(Store(db), Taxonomy.load())
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(r)
    rendered = time.perf_counter() - t0
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    p = r.explore.payload
    figures = {
        "documents": n,
        "weeks": len(p["weeks"]),
        "db_build_s": round(built_db, 1),
        "report_build_s": round(built, 1),
        "render_s": round(rendered, 2),
        "html_bytes": len(html.encode()),
        "data_bytes": r.explore.size,
        "verbatims": len(p["verbatims"]["doc"]),
        "verbatims_from": r.explore.verbatims_from,
        "weeks_dropped": r.explore.weeks_dropped,
        **open_time(path),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
