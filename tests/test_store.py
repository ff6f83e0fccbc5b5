"""DuckDB store: schema, lineage, idempotent writes, edits with history, read-only queries."""

from datetime import UTC, datetime

import duckdb
import pytest

from vocmine.jobs import model_info
from vocmine.pipeline import Analyzer
from vocmine.records import Document, Quarantined
from vocmine.store.db import Store

T0 = datetime(2026, 10, 5, 12, tzinfo=UTC)


def _docs():
    return [
        Document(
            "reviews", "review", "1", T0, "Быстрая доставка, но приложение вылетает при оплате.", rating=2
        ),
        Document("reviews", "review", "2", T0, "Great prices and friendly staff.", rating=5),
        Document("surveys", "survey", "s1", T0, "", nps=3),
    ]


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "v.duckdb")
    s.migrate()
    return s


def test_write_batch_has_lineage_and_pain_points(store, model):
    run = store.start_run("test", {}, model.version)
    batch = Analyzer(model).analyse(_docs())
    assert store.write_batch(batch, run, model_info(model)) == {"stored": 3, "updated": 0}
    store.publish_run(run, model.version)
    segs = store.query("SELECT * FROM v_segments WHERE doc_id = 'reviews:1' ORDER BY seg_idx")
    assert len(segs) == 2 and set(segs["model_version"]) == {model.version}
    pp = store.query("SELECT * FROM v_pain_points")
    assert "website_app" in set(pp["touchpoint"])
    doc = store.query("SELECT text FROM documents WHERE doc_id = 'reviews:1'")["text"][0]
    for r in pp.itertuples():
        assert doc[r.start_char : r.end_char] == r.evidence
    assert store.query("SELECT count(*) n FROM documents WHERE ingest_run_id = ?", [run])["n"][0] == 3
    silent = store.query("SELECT silent, nps_group FROM v_survey_scores")
    assert silent["silent"].tolist() == [True] and silent["nps_group"].tolist() == ["detractor"]


def test_edit_replaces_analysis_and_keeps_history(store, model):
    an = Analyzer(model)
    r1 = store.start_run("test", {}, model.version)
    store.write_batch(an.analyse(_docs()[:1]), r1, model_info(model))
    edited = Document("reviews", "review", "1", T0, "Всё отлично, спасибо!", rating=5)
    r2 = store.start_run("test", {}, model.version)
    assert store.write_batch(an.analyse([edited]), r2, model_info(model)) == {"stored": 0, "updated": 1}
    row = store.query("SELECT text, ingest_run_id, updated_run_id FROM documents").iloc[0]
    assert (
        row["text"] == "Всё отлично, спасибо!" and row["ingest_run_id"] == r1 and row["updated_run_id"] == r2
    )
    hist = store.query("SELECT text FROM document_history")
    assert hist["text"].tolist() == ["Быстрая доставка, но приложение вылетает при оплате."]
    assert store.query("SELECT count(*) n FROM segments")["n"][0] == 1


def test_quarantine_is_idempotent(store):
    run = store.start_run("test", {}, None)
    rows = [Quarantined("reviews", "r.csv:3", "3,,4,x", "missing timestamp")]
    assert store.quarantine(rows, run) == 1
    assert store.quarantine(rows, run) == 0  # seen again: not new
    assert store.run(run)["n_quarantined"] == 1


def test_snapshot_is_current_until_the_live_file_holds_more(store, model):
    assert not store.snapshot_is_current(), "no snapshot yet"
    store.publish_snapshot()
    assert store.snapshot_is_current()
    idle = store.start_run("nightly", {}, model.version)
    store.finish_run(idle, "completed")
    assert store.snapshot_is_current(idle), "a run that changed nothing leaves the snapshot current"
    failed = store.start_run("nightly", {}, model.version)
    store.write_batch(Analyzer(model).analyse(_docs()[:1]), failed, model_info(model))
    store.add_counts(failed, stored=1)
    store.finish_run(failed, "failed")
    later = store.start_run("nightly", {}, model.version)
    assert not store.snapshot_is_current(later), "a failed run's committed batch is not in the snapshot yet"
    store.publish_snapshot()
    assert store.snapshot_is_current(later)
    store.quarantine([Quarantined("reviews", "r.csv:3", "x", "bad rating")], later)
    assert not store.snapshot_is_current(later), "the asking run's own quarantine rows count too"


def test_query_is_read_only_and_binds_parameters(store):
    with pytest.raises(duckdb.Error):
        store.query("DELETE FROM documents")
    assert store.query("SELECT ? AS x", ["'; DROP TABLE documents; --"])["x"][0].startswith("'")


def test_migrate_is_idempotent(store):
    assert store.migrate() == store.migrate()


def test_masked_pii_kinds_are_configurable(model):
    doc = Document(
        "r", "review", "9", T0, "Курьер Алексей не приехал, пишите на ivan@mail.ru или +7 916 123-45-67"
    )
    masked_all = Analyzer(model).prepare_text(doc)[0]
    assert "[EMAIL]" in masked_all and "[PHONE]" in masked_all and "[PERSON]" in masked_all
    only_email = Analyzer(model, pii_kinds=["email"]).prepare_text(doc)[0]
    assert "[EMAIL]" in only_email and "+7 916 123-45-67" in only_email and "Алексей" in only_email


def test_unknown_pii_kind_fails_before_reading(tmp_path):
    from vocmine.flows.nightly import nightly

    with pytest.raises(ValueError, match="passprt"):
        nightly.fn(sources="does-not-matter.yaml", db=str(tmp_path / "v.duckdb"), pii=["passprt"])
    assert not (tmp_path / "v.duckdb").exists()


def test_stored_encoder_outputs_are_reused(store, model):
    run = store.start_run("test", {}, model.version)
    an = Analyzer(model, reuse=store.lookup_encoder_outputs)
    first = an.analyse(_docs())
    store.write_batch(first, run, model_info(model))
    assert len(first.encoder_outputs) > 0
    before = model.encoder.calls
    again = an.analyse(_docs())
    assert model.encoder.calls == before and len(again.encoder_outputs) == 0
    assert (
        again.segment_predictions["p_negative"].tolist() == first.segment_predictions["p_negative"].tolist()
    )


def test_a_head_on_two_layers_runs_stores_and_reuses_its_features(store, model, tmp_path):
    """``extra_layers``: the sentiment head reads layer 8 beside the embedding; everything else reads the embedding.

    The two heads below are the default head's last-layer block alone, and with zero weights on layer 8, so every
    label must be the same: a check that segments and documents pool each layer on its own and that the touchpoints
    get the embedding.
    """
    import json
    import shutil

    import numpy as np

    from vocmine.nlp.heads import SoftmaxHead
    from vocmine.nlp.model import CONFIG, VocModel

    def variant(name: str, extra_layers: list[int]) -> VocModel:
        folder = tmp_path / name
        shutil.copytree(model.path, folder)
        shutil.rmtree(
            folder / "document", ignore_errors=True
        )  # it reads the shipped width; this is the clause head's test
        conf = json.loads((folder / CONFIG).read_text())
        (folder / CONFIG).write_text(json.dumps({**conf, "extra_layers": extra_layers}))
        h, dim = model.sentiment, model.encoder.dim
        w = h.weight[:, :dim]
        w = np.hstack([w] + [np.zeros_like(w)] * len(extra_layers))
        SoftmaxHead(w, h.bias, h.labels, h.temperature).save_pretrained(folder / "sentiment")
        return VocModel.from_pretrained(folder)

    plain, layered = variant("plain", []), variant("layered", [8])
    assert plain.encoder.width == 384 and layered.encoder.width == 768
    assert layered.encoder_id == f"{plain.encoder_id}|layers+8"

    want = Analyzer(plain).analyse(_docs())
    an = Analyzer(layered, reuse=store.lookup_encoder_outputs)
    got = an.analyse(_docs())
    for table in ("segment_predictions", "document_predictions"):
        assert np.allclose(getattr(got, table)["p_negative"], getattr(want, table)["p_negative"], atol=1e-4)
    cols = ["doc_id", "seg_idx", "touchpoint"]
    assert got.segment_touchpoints[cols].equals(want.segment_touchpoints[cols])
    assert {len(b) for b in got.encoder_outputs["embedding"]} == {768 * 4}

    run = store.start_run("test", {}, layered.version)
    store.write_batch(got, run, model_info(layered))
    before = layered.encoder.calls
    again = an.analyse(_docs())
    assert layered.encoder.calls == before and len(again.encoder_outputs) == 0
    assert again.segment_predictions["p_negative"].tolist() == got.segment_predictions["p_negative"].tolist()
