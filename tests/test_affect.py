"""Effort and emotion per clause: the heads, their storage by the flows, the migration, the report section."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest

from vocmine import jobs
from vocmine.nlp.affect import AFFECT, EMOTIONS, AffectHeads, EmotionHead
from vocmine.pipeline import Analyzer
from vocmine.records import Document
from vocmine.report.markdown import render_markdown
from vocmine.report.model import build_report
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy


def _docs(texts, day=datetime(2026, 11, 3, tzinfo=UTC)):
    return [Document("reviews", "review", str(i), day, t) for i, t in enumerate(texts)]


# -- the heads --------------------------------------------------------------------------------------------
def test_the_affect_heads_leave_the_model_version_alone(model, tmp_path):
    from vocmine.nlp.model import VocModel

    assert model.affect is not None and model.affect.effort is not None and model.affect.emotion is not None
    bare = tmp_path / "bare"
    shutil.copytree(model.path, bare)
    shutil.rmtree(bare / AFFECT)
    without = VocModel.from_pretrained(bare)
    assert without.affect is None
    assert without.version == model.version  # the committed sentiment/touchpoint figures carry over
    assert model.affect.version.startswith("affect@")


def test_an_emotion_head_round_trips_and_its_weights_are_in_the_affect_version(model, tmp_path):
    rng = np.random.default_rng(1)
    dim = model.encoder.width
    head = EmotionHead(
        rng.normal(size=(dim, 5)).astype(np.float32),
        rng.normal(size=5).astype(np.float32),
        np.full(5, 0.4, np.float32),
        list(EMOTIONS),
        {"C": 1.0},
    )
    head.save_pretrained(tmp_path / "emotion")
    back = EmotionHead.from_pretrained(tmp_path / "emotion")
    x = rng.normal(size=(4, dim)).astype(np.float32)
    assert np.allclose(back.proba(x), head.proba(x)) and back.labels(back.proba(x)) == head.labels(
        head.proba(x)
    )
    assert back.emotions == list(EMOTIONS) and back.report == {"C": 1.0}

    shutil.copy(model.path / AFFECT / "effort.yaml", tmp_path / "effort.yaml")
    mine = AffectHeads.from_pretrained(tmp_path, model.encoder)
    assert mine.version != model.affect.version  # other emotion weights, other lineage key
    head.weight[0, 0] += 1.0
    head.save_pretrained(tmp_path / "emotion")
    assert AffectHeads.from_pretrained(tmp_path, model.encoder).version != mine.version


def test_english_and_russian_clauses_get_plausible_effort_and_emotions(model):
    """English is cross-lingual transfer (the head saw Russian only): a sanity check on clear cases."""
    cases = {
        "I am so happy with my new phone, thank you!": "joy",
        "This is outrageous, I am furious with your service!": "anger",
        "I'm scared someone has stolen my card details.": "fear",
        "So sad, the present for my son never arrived.": "sadness",
        "Я в бешенстве от вашей поддержки!": "anger",
        "Очень рада покупке, спасибо!": "joy",
    }
    emb = model.encoder.encode(list(cases), features=True)
    got = model.affect.emotion.labels(model.affect.emotion.proba(emb))
    for (text, want), labels in zip(cases.items(), got, strict=True):
        assert want in labels, (text, labels)

    effort = {
        "had to explain it five times": "hard",
        "пришлось звонить три раза": "hard",
        "took two minutes": "easy",
        "с первого раза всё получилось": "easy",
    }
    scores = model.affect.effort.score(model.encoder.encode(list(effort)))
    assert model.affect.effort.label(scores) == list(effort.values()), scores
    assert np.all((scores >= -1) & (scores <= 1))


# -- storage ----------------------------------------------------------------------------------------------
def test_the_nightly_run_stores_effort_and_emotion_for_every_segment(sample_run, model):
    con = duckdb.connect(str(sample_run.db), read_only=True)
    try:
        n_segments, n_affect, versions = con.execute(
            """SELECT (SELECT count(*) FROM segments),
                      count(*), list(DISTINCT model_version || ' ' || affect_version)
               FROM segment_affect"""
        ).fetchone()
        assert n_affect == n_segments > 0
        assert versions == [f"{model.version} {model.affect.version}"]
        # the sample's CES answers (7 = very easy) carry effort wording drawn from them: hard clauses come
        # with low CES, easy ones with high
        by = dict(
            con.execute(
                """SELECT a.effort, avg(d.ces) FROM v_segment_affect a JOIN documents d USING (doc_id)
                   WHERE d.ces IS NOT NULL GROUP BY ALL"""
            ).fetchall()
        )
        assert by["hard"] < 3.0 < 5.0 < by["easy"], by
        view = con.execute(
            "SELECT count(*), count(touchpoint), count(*) FILTER (WHERE len(emotions) > 0) FROM v_segment_affect"
        ).fetchone()
        assert view[0] == n_segments and 0 < view[1] < view[0] and view[2] > 0
    finally:
        con.close()


def test_a_v10_file_keeps_its_data_and_reprocess_adds_the_affect_rows(model, prefect_harness, tmp_path):
    from vocmine.flows.reprocess import reprocess

    db = tmp_path / "v10.duckdb"
    store = Store(db)
    store.migrate()
    texts = ["Пришлось звонить три раза, курьер так и не приехал!", "The refund took two minutes, lovely."]
    batch = Analyzer(model).analyse(_docs(texts))
    run = store.start_run("nightly", {}, model.version)
    store.write_batch(batch, run, jobs.model_info(model))
    store.publish_run(run, model.version)
    store.finish_run(run, "completed")
    # what a v10 file is: no segment_affect (and no view over it)
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW v_segment_affect")
    con.execute("DROP TABLE segment_affect")
    con.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
    before = con.execute("SELECT count(*) FROM segment_predictions").fetchone()[0]
    con.close()

    assert store.migrate() == 11
    assert store.query("SELECT count(*) AS n FROM segment_predictions")["n"][0] == before
    assert store.query("SELECT count(*) AS n FROM segment_affect")["n"][0] == 0
    assert len(store.query("SELECT * FROM v_documents")) == 2

    # the documents are current under this model version, but lack affect rows: reprocess picks them up,
    # from the stored encoder outputs (no encoder pass)
    out = reprocess(db=str(db))
    assert out["published"] == 2 and out["stages"]["encoder"]["items"] == 0
    got = store.query("SELECT effort, affect_version FROM v_segment_affect ORDER BY doc_id, seg_idx")
    assert len(got) == len(batch.segments) and set(got["affect_version"]) == {model.affect.version}
    assert reprocess(db=str(db))["published"] == 0  # now current: nothing to do


# -- the report -------------------------------------------------------------------------------------------
def test_the_report_has_an_effort_and_emotion_section_in_both_languages(sample_run):
    assert "## Effort and emotion" in (sample_run.reports / "summary.md").read_text(encoding="utf-8")
    html = (sample_run.reports / "report.html").read_text(encoding="utf-8")
    assert '<section id="affect" class="extra"><h2>Effort and emotion</h2>' in html
    store = Store(sample_run.db)
    for lang, title, hard in (
        ("en", "Effort and emotion", "Hard effort"),
        ("ru", "Усилия и эмоции", "Большие усилия"),
    ):
        r = build_report(store, Taxonomy.load(), lang=lang)
        [sec] = [s for s in r.sections if s.key == "affect"]
        assert sec.title == title and hard in sec.markdown and hard in sec.html
        assert "«" in sec.markdown  # verbatims
        md = render_markdown(r)
        assert f"## {title}" in md
    with store.connect(read_only=True) as con:
        from vocmine.report import affect, queries

        queries.set_variables(con, r.period)
        rows = con.execute(affect.ANGRY_DELIVERY).df()  # the documented recipe runs
        assert list(rows.columns)[:3] == ["created_at", "source", "lang"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_week_without_affect_rows_says_why(lang, tmp_path):
    from vocmine.report.affect import Affect, section

    sec = section(Affect(0, 0, 0, 0, []), lang)
    assert "vocmine reprocess" in sec.note and sec.markdown == "" and sec.html == ""


def test_an_emotion_head_of_other_encoder_weights_is_ignored_with_a_warning(model, tmp_path):
    head = model.affect.emotion
    EmotionHead(
        head.weight, head.bias, head.thresholds, head.emotions, {"encoder_fingerprint": "0123abcd"}
    ).save_pretrained(tmp_path / "emotion")
    with pytest.warns(UserWarning, match="emotion head ignored"):
        assert AffectHeads.from_pretrained(tmp_path, model.encoder) is None
    assert model.affect.emotion.report["encoder_fingerprint"]  # the shipped head says what it was trained on
