"""One primary touchpoint per complaint: the rule (``link.document_causes``) and its table after a migration."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from vocmine import settings
from vocmine.link import CauseParams, document_causes
from vocmine.store.db import Store
from vocmine.store.schema import SCHEMA_VERSION
from vocmine.taxonomy import Taxonomy

MV = "m@1"
STAGES = {"delivery": "receive", "payment": "buy", "website_app": "buy", "pricing": "consider"}


def _frames(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """rows: (doc_id, seg_idx, sentiment, p_negative, [(touchpoint, score), ...]) → predictions, touchpoints."""
    preds = pd.DataFrame(
        [(d, s, MV, sent, p) for d, s, sent, p, _ in rows],
        columns=["doc_id", "seg_idx", "model_version", "sentiment", "p_negative"],
    )
    touch = pd.DataFrame(
        [(d, s, MV, t, STAGES.get(t, "x"), sc) for d, s, _, _, hits in rows for t, sc in hits],
        columns=["doc_id", "seg_idx", "model_version", "touchpoint", "stage", "score"],
    )
    return preds, touch


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(settings.DEFAULT_TAXONOMY)


def _causes(rows, taxonomy, params=None) -> dict[str, tuple]:
    out = document_causes(*_frames(rows), taxonomy, params=params)
    return {r.doc_id: (r.touchpoint, r.seg_idx, r.score, r.share) for r in out.itertuples()}


def test_the_touchpoint_complained_about_most_wins_over_the_first(taxonomy):
    rows = [
        ("d1", 0, "negative", 0.9, [("delivery", 0.8)]),  # 0.72 x 1.5 = 1.08
        ("d1", 1, "negative", 0.9, [("payment", 0.7)]),  # 0.63
        ("d1", 2, "negative", 0.9, [("payment", 0.8)]),  # 0.72: payment 1.35
    ]
    got = _causes(rows, taxonomy)
    assert got["d1"][:2] == ("payment", 2)  # evidence: its most severe clause
    assert got["d1"][2] == pytest.approx(1.35, abs=1e-4)
    assert got["d1"][3] == pytest.approx(1.35 / (1.35 + 1.08), abs=1e-4)
    # without the lead bonus as well; with a large one the first complaint decides
    assert _causes(rows, taxonomy, CauseParams(lead_bonus=0.0))["d1"][0] == "payment"
    assert _causes(rows, taxonomy, CauseParams(lead_bonus=10.0))["d1"][0] == "delivery"
    # "max": the single most severe clause, the lead one with its bonus
    assert _causes(rows, taxonomy, CauseParams(aggregate="max"))["d1"][0] == "delivery"


def test_the_lead_bonus_settles_a_close_call_for_the_first_complaint(taxonomy):
    rows = [
        ("d1", 0, "positive", 0.1, [("pricing", 0.9)]),  # praise: no vote, and not the "first" complaint
        ("d1", 1, "negative", 0.8, [("delivery", 0.7)]),  # first negative clause: 0.56 x 1.5 = 0.84
        ("d1", 2, "negative", 0.8, [("website_app", 0.9)]),  # 0.72
    ]
    assert _causes(rows, taxonomy)["d1"][:2] == ("delivery", 1)
    assert _causes(rows, taxonomy, CauseParams(lead_bonus=0.0))["d1"][:2] == ("website_app", 2)


def test_one_cause_per_complaint_and_none_without_a_pain_point(taxonomy):
    rows = [
        ("d1", 0, "negative", 0.9, [("payment", 0.9), ("website_app", 0.85)]),  # second label: no vote
        ("d1", 1, "negative", 0.9, [("website_app", 0.6)]),
        ("d2", 0, "negative", 0.9, []),  # negative, no touchpoint: no pain point, no cause
        ("d3", 0, "positive", 0.05, [("delivery", 0.9)]),  # praise only
        ("d4", 0, "negative", 0.7, [("no_such_touchpoint", 0.99), ("pricing", 0.6)]),
    ]
    got = _causes(rows, taxonomy)
    assert set(got) == {"d1", "d4"}
    assert got["d1"][0] == "payment" and got["d4"][0] == "pricing"  # unknown ids are not causes
    every = _causes(rows, taxonomy, CauseParams(all_labels=True, lead_bonus=0.0))
    assert every["d1"][0] == "website_app"  # 0.765 + 0.54 once the second label votes too


def test_ties_go_to_the_touchpoint_complained_about_first(taxonomy):
    rows = [
        ("d1", 0, "negative", 0.8, [("pricing", 0.5)]),
        ("d1", 1, "negative", 0.8, [("delivery", 0.5)]),
    ]
    assert _causes(rows, taxonomy, CauseParams(lead_bonus=0.0))["d1"][0] == "pricing"
    with pytest.raises(ValueError, match="aggregate"):
        CauseParams(aggregate="mean")


def test_migration_fills_document_causes_and_keeps_every_row(tmp_path, taxonomy):
    """A v9 file (no document_causes) upgraded: the table is filled from the stored predictions with the same
    rule as a run's, and nothing else changes."""
    rows = [
        ("reviews:1", 0, "negative", 0.9, [("delivery", 0.8)]),
        ("reviews:1", 1, "negative", 0.9, [("payment", 0.7)]),
        ("reviews:1", 2, "negative", 0.9, [("payment", 0.8)]),
        ("reviews:2", 0, "positive", 0.1, [("pricing", 0.9)]),
        ("reviews:2", 1, "negative", 0.8, [("delivery", 0.7)]),
        ("reviews:2", 2, "negative", 0.8, [("website_app", 0.9), ("payment", 0.6)]),
        ("reviews:3", 0, "neutral", 0.2, [("pricing", 0.9)]),
    ]
    path = tmp_path / "v.duckdb"
    store = Store(path)
    store.migrate()
    preds, touch = _frames(rows)
    with store.transaction() as con:
        for doc_id in sorted({r[0] for r in rows}):
            con.execute(
                "INSERT INTO documents (doc_id, source, kind, external_id, created_at, lang, text, content_hash, "
                "ingest_run_id, updated_run_id) VALUES (?, 'reviews', 'review', ?, '2026-10-05 12:00:00+00', "
                "'en', 'a, b, c', ?, 'r1', 'r1')",
                [doc_id, doc_id.split(":")[1], doc_id],
            )
            con.execute("INSERT INTO doc_model VALUES (?, ?, 'r1')", [doc_id, MV])
        for d, s, sent, p, _ in rows:
            con.execute("INSERT INTO segments VALUES (?, ?, ?, ?, 'x', 'en', NULL, 'r1')", [d, s, s, s + 1])
            con.execute(
                "INSERT INTO segment_predictions VALUES (?, ?, ?, ?, 0.9, ?, 0.05, 0.05, 'r1')",
                [d, s, MV, sent, p],
            )
        for r in touch.itertuples():
            con.execute(
                "INSERT INTO segment_touchpoints VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 'r1')",
                [r.doc_id, r.seg_idx, MV, r.touchpoint, r.stage, r.score],
            )
        # as a v9 file has it: no table, version 9
        con.execute("DROP VIEW v_document_causes")
        con.execute("DROP TABLE document_causes")
        con.execute("DROP VIEW v_segment_affect")  # v11's
        con.execute("DROP TABLE segment_affect")
        con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    counts = (
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM segments), "
        "(SELECT count(*) FROM segment_predictions), (SELECT count(*) FROM segment_touchpoints)"
    )
    with duckdb.connect(str(path), read_only=True) as con:
        before = con.execute(counts).fetchall()

    reopened = Store(path)
    assert reopened.migrate() == SCHEMA_VERSION == 11
    assert reopened.query(counts).values.tolist() == [list(before[0])]
    stored = reopened.query("SELECT * FROM v_document_causes ORDER BY doc_id")
    expected = document_causes(preds, touch, taxonomy)
    assert stored["doc_id"].tolist() == expected["doc_id"].tolist() == ["reviews:1", "reviews:2"]
    assert stored["touchpoint"].tolist() == expected["touchpoint"].tolist() == ["payment", "delivery"]
    assert stored["seg_idx"].tolist() == expected["seg_idx"].tolist() == [2, 1]
    assert stored["score"].tolist() == pytest.approx(expected["score"].tolist(), abs=1e-3)
    assert stored["share"].tolist() == pytest.approx(expected["share"].tolist(), abs=1e-3)
    assert stored["evidence"].notna().all() and (stored["week"].astype(str) == "2026-10-05").all()
