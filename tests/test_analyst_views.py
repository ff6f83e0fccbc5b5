"""Survey scores and verbatims by touchpoint, retention of old model versions, reprocess selection.

No model needed: rows are inserted with plain SQL into a schema built by ``Store.migrate()``.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from vocmine import jobs
from vocmine.cli import app
from vocmine.store.db import Store

OLD, MID, NEW = "m@old+tax@1", "m@mid+tax@1", "m@new+tax@1"

# doc_id, created_at, nps, csat, ces, segments: [(text, sentiment, touchpoint or None)]
SURVEYS = [
    ("surveys:1", "2026-10-05 10:00:00+00", 2, 1, 6, [("Курьер опоздал.", "negative", "delivery")]),
    ("surveys:2", "2026-10-06 10:00:00+00", 10, 5, 2, [("Доставка быстрая.", "positive", "delivery")]),
    ("surveys:3", "2026-10-07 10:00:00+00", 8, None, None, [("Курьер вежливый.", "neutral", "delivery")]),
    (
        "surveys:4",
        "2026-10-07 11:00:00+00",
        0,
        2,
        7,
        [("Оплата не прошла.", "negative", "payment"), ("Курьер ушёл.", "negative", "delivery")],
    ),
    ("surveys:5", "2026-10-14 10:00:00+00", 9, 4, 3, [("Всё хорошо.", "positive", None)]),
    ("reviews:1", "2026-10-05 12:00:00+00", None, None, None, [("Курьер хамил.", "negative", "delivery")]),
]


def _fill(store: Store) -> None:
    with store.transaction() as con:
        for i, version in enumerate((OLD, MID, NEW)):
            con.execute(
                "INSERT INTO model_versions (model_version, created_at) VALUES (?, TIMESTAMPTZ '2026-01-01' + ?)",
                [version, f"{i} days"],
            )
        for doc_id, ts, nps, csat, ces, segs in SURVEYS:
            source, ext = doc_id.split(":")
            text = " ".join(t for t, _, _ in segs)
            con.execute(
                "INSERT INTO documents (doc_id, source, kind, external_id, created_at, lang, text, nps, csat, ces, "
                "channel, content_hash, ingest_run_id, updated_run_id) "
                "VALUES (?, ?, ?, ?, ?, 'ru', ?, ?, ?, ?, 'app', ?, 'r1', 'r1')",
                [doc_id, source, source.rstrip("s"), ext, ts, text, nps, csat, ces, doc_id],
            )
            # reviews:1 is current under OLD, the surveys under NEW; every document also has MID predictions
            current = OLD if source == "reviews" else NEW
            con.execute("INSERT INTO doc_model VALUES (?, ?, 'r1')", [doc_id, current])
            start = 0
            for idx, (seg, sentiment, tp) in enumerate(segs):
                end = start + len(seg)
                con.execute(
                    "INSERT INTO segments VALUES (?, ?, ?, ?, ?, 'ru', NULL, 'r1')",
                    [doc_id, idx, start, end, seg],
                )
                for version in {current, MID}:
                    con.execute(
                        "INSERT INTO segment_predictions VALUES (?, ?, ?, ?, 0.9, 0.3, 0.3, 0.4, 'r1')",
                        [doc_id, idx, version, sentiment],
                    )
                    if tp:
                        con.execute(
                            "INSERT INTO segment_touchpoints VALUES (?, ?, ?, ?, ?, 0.8, 0.5, NULL, 'r1')",
                            [doc_id, idx, version, tp, tp],
                        )
                    if tp and sentiment == "negative":
                        con.execute(
                            "INSERT INTO pain_points VALUES (?, ?, ?, ?, ?, 0.7, ?, ?, ?, 'r1')",
                            [doc_id, idx, version, tp, tp, seg, start, end],
                        )
                start = end + 1
            pains = [
                (idx, tp) for idx, (_, sentiment, tp) in enumerate(segs) if tp and sentiment == "negative"
            ]
            for version in {current, MID}:
                con.execute(
                    "INSERT INTO document_predictions VALUES (?, ?, 'neutral', 0.5, 0.3, 0.5, 0.2, 'r1')",
                    [doc_id, version],
                )
                if pains:  # the complaint's primary touchpoint: its first pain point's here
                    con.execute(
                        "INSERT INTO document_causes VALUES (?, ?, ?, ?, 0.7, 1.0, ?, 'r1')",
                        [doc_id, version, pains[0][1], pains[0][1], pains[0][0]],
                    )


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "v.duckdb")
    s.migrate()
    _fill(s)
    return s


def test_scores_by_touchpoint_match_plain_sql(store):
    view = store.query("SELECT * FROM v_scores_by_touchpoint ORDER BY touchpoint, week")
    row = view[(view["touchpoint"] == "delivery") & (view["week"].astype(str) == "2026-10-05")].iloc[0]
    # surveys 1-4 mention delivery that week (the review does not count): NPS 2, 10, 8, 0
    assert row["respondents"] == 4 and row["nps_respondents"] == 4
    assert row["nps"] == pytest.approx(100 * (1 - 2) / 4)
    assert row["csat_respondents"] == 3 and row["csat_avg"] == pytest.approx((1 + 5 + 2) / 3)
    assert row["ces_avg"] == pytest.approx((6 + 2 + 7) / 3)
    # the same figure recomputed from the base tables with plain SQL
    plain = store.query(
        """SELECT round(100.0 * (count(*) FILTER (WHERE d.nps >= 9) - count(*) FILTER (WHERE d.nps <= 6))
                        / count(d.nps), 1) AS nps, avg(d.csat) AS csat, avg(d.ces) AS ces
           FROM documents d
           WHERE d.kind = 'survey' AND d.doc_id IN (
               SELECT t.doc_id FROM segment_touchpoints t
               JOIN doc_model m ON m.doc_id = t.doc_id AND m.model_version = t.model_version
               WHERE t.touchpoint = ?)
             AND date_trunc('week', d.created_at) = DATE '2026-10-05'""",
        ["delivery"],
    ).iloc[0]
    assert row["nps"] == plain["nps"] and row["csat_avg"] == pytest.approx(plain["csat"])
    assert row["ces_avg"] == pytest.approx(plain["ces"])
    pay = view[view["touchpoint"] == "payment"].iloc[0]
    assert pay["respondents"] == 1 and pay["nps"] == -100.0
    # an answer mentioning no touchpoint is in no row; every (touchpoint, week) is one row
    assert view["respondents"].sum() == 5
    assert not view.duplicated(["touchpoint", "week"]).any()


def test_verbatims_are_the_current_negative_segments(store):
    v = store.query("SELECT * FROM v_verbatims ORDER BY doc_id, seg_idx")
    plain = store.query(
        """SELECT p.doc_id, p.seg_idx FROM segment_predictions p
           JOIN doc_model m ON m.doc_id = p.doc_id AND m.model_version = p.model_version
           WHERE p.sentiment = 'negative' ORDER BY 1, 2"""
    )
    assert list(zip(v["doc_id"], v["seg_idx"], strict=True)) == list(
        zip(plain["doc_id"], plain["seg_idx"], strict=True)
    )
    assert set(v["model_version"]) == {OLD, NEW}  # the current one per document, never MID
    for r in v.itertuples():
        assert r.document_text[r.start_char : r.end_char] == r.evidence
    assert {"touchpoint", "stage", "created_at", "source", "channel"} <= set(v.columns)
    assert v.set_index(["doc_id", "seg_idx"]).loc[("surveys:4", 0), "touchpoint"] == "payment"


def _versions(store: Store) -> set[str]:
    return set(store.query("SELECT DISTINCT model_version FROM segment_predictions")["model_version"])


def test_retention_keeps_current_and_recent_versions(store):
    res = store.retention(keep_versions=1)
    # NEW is the most recent and current; OLD is the oldest but current for reviews:1; MID goes
    assert set(res["removed"]) == {MID} and res["kept_current"] == sorted([OLD, NEW])
    assert res["removed"][MID] == {
        "segment_predictions": 7,
        "segment_touchpoints": 6,
        "document_predictions": 6,
        "pain_points": 4,
        "document_causes": 3,  # one per complaining document (one has two pain points)
        "segment_affect": 0,  # the hand-made versions here have no affect rows
    }
    assert _versions(store) == {OLD, NEW}
    n = store.query("SELECT count(*) AS n FROM model_versions")["n"][0]
    assert n == 3  # the registry keeps its lineage
    assert store.retention(keep_versions=0)["removed"] == {}  # only current versions are left
    # readers see it: the retention publishes a snapshot when no flow is running
    assert _versions(store.reader()) == {OLD, NEW}


def test_retention_drop_version_never_touches_a_current_one(store):
    before = store.query("SELECT count(*) AS n FROM v_segments")["n"][0]
    res = store.retention(drop_versions=[OLD, "m@nope"])
    assert res["removed"] == {} and res["kept_current"] == [OLD] and res["unknown"] == ["m@nope"]
    res = store.retention(drop_versions=[MID])
    assert set(res["removed"]) == {MID}
    assert store.query("SELECT count(*) AS n FROM v_segments")["n"][0] == before


def test_cli_retention_reports(store):
    runner = CliRunner()
    res = runner.invoke(app, ["retention", "--keep-versions", "1", "--db", str(store.path)])
    assert res.exit_code == 0, res.output
    assert f"removed {MID}" in res.output and "segment_predictions 7" in res.output
    assert f"kept {OLD}: current" in res.output
    res = runner.invoke(app, ["retention", "--db", str(store.path)])
    assert res.exit_code == 2


def test_reprocess_selects_by_touchpoint_and_model_version(store):
    def ids(**kw) -> set[str]:
        return {d.doc_id for d in jobs.stored_documents(store, **kw)}

    assert ids(touchpoints=["payment"]) == {"surveys:4"}
    # current predictions only: every document has a MID delivery mention, but reviews:1's current is OLD
    assert ids(touchpoints=["delivery"]) == {"surveys:1", "surveys:2", "surveys:3", "surveys:4", "reviews:1"}
    assert ids(model_versions=[OLD]) == {"reviews:1"}
    assert ids(model_versions=[MID]) == set()
    assert ids(model_versions=[NEW], touchpoints=["delivery"], sources=["surveys"]) == {
        "surveys:1",
        "surveys:2",
        "surveys:3",
        "surveys:4",
    }


def test_cli_reprocess_passes_touchpoints_and_versions(store, monkeypatch):
    import vocmine.flows.reprocess

    seen = {}

    def fake(**kw):
        seen.update(kw)
        return {"run_id": "r", "n_updated": 0, "published": 0}

    monkeypatch.setattr(vocmine.flows.reprocess, "reprocess", fake)
    args = ["reprocess", "--touchpoint", "delivery", "--touchpoint", "payment", "--model-version", OLD]
    res = CliRunner().invoke(app, [*args, "--db", str(store.path)])
    assert res.exit_code == 0, res.output
    assert seen["touchpoints"] == ["delivery", "payment"] and seen["model_versions"] == [OLD]
