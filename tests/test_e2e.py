"""The nightly flow end to end: real Prefect flow (test harness), real model, real DuckDB, all sample data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from vocmine import settings
from vocmine.store.db import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workdir(sample_run) -> Path:
    """The session's sample data and the DuckDB its nightly run wrote: this module writes on there."""
    return sample_run.dir


@pytest.fixture(scope="module")
def first_run(sample_run, workdir):
    return sample_run.result, Store(workdir / "v.duckdb")


def test_run_is_recorded_with_counts(first_run):
    result, store = first_run
    run = store.query("SELECT * FROM runs WHERE run_id = ?", [result["run_id"]]).iloc[0]
    assert run["status"] == "completed" and run["ended_at"] is not None
    assert run["n_read"] == 2294 and run["n_stored"] == 2291
    assert run["n_duplicates"] == 1 and run["n_quarantined"] == 2
    reasons = store.query("SELECT location, reason FROM quarantine ORDER BY location")
    assert any("rating" in r and "outside 1..5" in r for r in reasons["reason"])
    assert any("no text and no score" in r for r in reasons["reason"])
    lineage = store.query(
        "SELECT count(*) FILTER (WHERE ingest_run_id <> ?) AS foreign_rows FROM documents", [result["run_id"]]
    )
    assert lineage["foreign_rows"][0] == 0


def test_planted_pain_points_come_out_on_top(first_run):
    _, store = first_run
    planted = yaml.safe_load((settings.SAMPLES_DIR / "planted.yaml").read_text())
    expected = {p["touchpoint"] for p in planted["pain_points"]}
    top = store.query("SELECT touchpoint, count(*) AS n FROM v_pain_points GROUP BY 1 ORDER BY 2 DESC")
    assert set(top["touchpoint"].head(len(expected))) == expected, top


def test_each_complaint_is_filed_under_one_primary_touchpoint(first_run):
    """document_causes as the nightly flow writes it: one row per document with a pain point, its evidence one
    of that document's pain points, and the planted causes still the three most filed."""
    _, store = first_run
    causes = store.query("SELECT * FROM v_document_causes")
    pains = store.query("SELECT doc_id, seg_idx, touchpoint FROM v_pain_points")
    assert causes["doc_id"].is_unique and set(causes["doc_id"]) == set(pains["doc_id"])
    linked = set(zip(pains["doc_id"], pains["seg_idx"], pains["touchpoint"], strict=True))
    assert all((r.doc_id, r.seg_idx, r.touchpoint) in linked for r in causes.itertuples())
    assert ((causes["share"] > 0) & (causes["share"] <= 1)).all() and causes["evidence"].notna().all()
    planted = yaml.safe_load((settings.SAMPLES_DIR / "planted.yaml").read_text())
    expected = {p["touchpoint"] for p in planted["pain_points"]}
    assert set(causes["touchpoint"].value_counts().index[: len(expected)]) == expected


def test_delivery_spike_week_is_its_peak(first_run):
    _, store = first_run
    weekly = store.query(
        "SELECT week, pain_points FROM v_pain_points_weekly WHERE touchpoint = 'delivery' ORDER BY pain_points DESC"
    )
    assert str(weekly["week"].iloc[0])[:10] == "2026-10-12"


def test_evidence_spans_point_into_the_stored_text(first_run):
    _, store = first_run
    rows = store.query("SELECT evidence, start_char, end_char, document_text FROM v_pain_points")
    assert len(rows) > 500
    for r in rows.itertuples():
        assert r.document_text[r.start_char : r.end_char] == r.evidence


def test_only_customer_turns_are_analysed(first_run):
    _, store = first_run
    bad = store.query(
        """SELECT count(*) AS n FROM segments s JOIN turns t ON t.doc_id = s.doc_id AND t.role <> 'customer'
           WHERE length(s.text) > 20 AND contains(t.text, s.text)
             AND NOT EXISTS (SELECT 1 FROM turns c WHERE c.doc_id = s.doc_id AND c.role = 'customer'
                             AND contains(c.text, s.text))"""
    )
    assert bad["n"][0] == 0
    roles = store.query("SELECT role, count(*) AS n FROM turns GROUP BY 1")
    assert set(roles["role"]) == {"customer", "agent", "bot"}


def test_summary_written(first_run, workdir):
    md = (workdir / "reports" / "summary.md").read_text()
    assert "Top pain points" in md and "Pricing" in md


def test_second_run_stores_nothing_new(first_run, workdir):
    from vocmine.flows.nightly import nightly

    _, store = first_run
    before = store.query("SELECT count(*) AS n FROM documents")["n"][0]
    files = (store.snapshot_path, workdir / "reports" / "report.html")
    published = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in files]
    again = nightly(sources=str(workdir / "samples" / "sources.yaml"), db=str(workdir / "v.duckdb"))
    assert again["n_stored"] == 0 and again["n_updated"] == 0 and again["n_read"] == 0
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in files] == published, (
        "nothing new: the snapshot is not copied again and the report stands"
    )
    forced = nightly(
        sources=str(workdir / "samples" / "sources.yaml"), db=str(workdir / "v.duckdb"), force=True
    )
    assert forced["n_stored"] == 0 and forced["n_updated"] == 0 and forced["n_duplicates"] == 2292
    assert store.query("SELECT count(*) AS n FROM documents")["n"][0] == before


def test_edited_record_is_updated_with_history(first_run, workdir):
    from vocmine.flows.nightly import nightly

    _, store = first_run
    path = workdir / "samples" / "reviews.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["text"] = "Курьер опоздал на три дня, а поддержка не отвечает."
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    res = nightly(sources=str(workdir / "samples" / "sources.yaml"), db=str(workdir / "v.duckdb"))
    assert res["n_updated"] == 1 and res["n_stored"] == 0
    doc_id = f"reviews:{rows[0]['review_id']}"
    assert store.query("SELECT count(*) AS n FROM document_history WHERE doc_id = ?", [doc_id])["n"][0] == 1
    tps = store.query("SELECT touchpoint FROM v_pain_points WHERE doc_id = ?", [doc_id])["touchpoint"]
    assert "delivery" in set(tps)


def test_reprocess_with_new_taxonomy_keeps_history(first_run, workdir):
    from vocmine.flows.reprocess import reprocess
    from vocmine.nlp.model import load_model

    _, store = first_run
    tax = yaml.safe_load(settings.DEFAULT_TAXONOMY.read_text())
    tax["version"] = "test-reprocess"
    new_tax = workdir / "taxonomy.yaml"
    new_tax.write_text(yaml.safe_dump(tax, allow_unicode=True))
    old_versions = set(store.query("SELECT DISTINCT model_version FROM doc_model")["model_version"])
    vm = load_model(str(settings.DEFAULT_MODEL_DIR), str(new_tax))  # the instance the flow's tasks will use
    # one copy of the weights per process: the nightly's model (same key however it is spelled) and this one
    assert load_model(settings.DEFAULT_MODEL_DIR) is load_model(str(settings.DEFAULT_MODEL_DIR), None)
    assert vm.encoder is load_model().encoder and vm is not load_model()
    calls_before = vm.encoder.calls
    res = reprocess(
        date_from="2026-11-02", date_to="2026-11-09", db=str(workdir / "v.duckdb"), taxonomy=str(new_tax)
    )
    assert res["published"] > 200
    # a taxonomy change re-labels from the stored encoder outputs: not one text is encoded again
    assert vm.encoder.calls == calls_before
    versions = store.query("SELECT model_version, count(*) AS n FROM doc_model GROUP BY 1")
    assert len(versions) == 2 and old_versions < set(versions["model_version"])
    # the old predictions of the reprocessed week stay queryable under their version
    old = store.query(
        "SELECT count(*) AS n FROM document_predictions WHERE model_version IN (SELECT unnest(?))",
        [list(old_versions)],
    )["n"][0]
    # (silent survey answers, with a score and no text, have no sentiment prediction)
    assert old == store.query("SELECT count(*) AS n FROM documents WHERE text <> ''")["n"][0]
