"""Customer journeys (#28 part 1): customer ids from any source (optionally hashed), the journeys table and
view, the journey analyses of the report, and the journeys planted in the sample data.

No model: the analyses run over the sample data stored with its ground truth (truth.csv) as the predictions,
or over a few hand-made events, inserted the way ``Store.write_batch`` leaves them.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook

from vocmine import sampledata, settings
from vocmine.ingest.config import SALT_ENV, SourceConfig, SourceError, load_sources
from vocmine.ingest.readers import read_source
from vocmine.records import Document, Quarantined
from vocmine.report import journeys as jr
from vocmine.report.markdown import render_markdown
from vocmine.report.model import build_report
from vocmine.report.queries import Filters, Period, Rules
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

V1_SQL = Path(__file__).with_name("data") / "schema_v1.sql"
MV = "oracle@truth+tax@sample"
SOURCE_OF = {"review": "reviews", "chat": "support_chats", "survey": "surveys"}
SENTIMENT = {"neg": "negative", "neu": "neutral", "pos": "positive"}


# -- customer ids at ingest ------------------------------------------------------------------------------
def _three_sources(tmp_path: Path, **settings_) -> list[SourceConfig]:
    """The same customer (id 1042, written three ways) in a CSV, a JSONL chat and an XLSX survey."""
    (tmp_path / "r.csv").write_text(
        "review_id,client,created_at,text\n1,1042,2026-10-01T10:00:00+00:00,Courier was late\n"
        "2,,2026-10-01T11:00:00+00:00,Guest review\n",
        encoding="utf-8",
    )
    chat = {
        "id": "c1",
        "cust": 1042,
        "ts": "2026-10-02T10:00:00+00:00",
        "outcome": "Unresolved",
        "turns": [{"role": "customer", "text": "Payment failed twice"}, {"role": "agent", "text": "Sorry"}],
    }
    (tmp_path / "c.jsonl").write_text(json.dumps(chat) + "\n", encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.append(["respondent", "customer", "submitted", "nps", "answer"])
    ws.append(["s1", 1042.0, "2026-10-05T10:00:00+00:00", 3, "Never again"])  # a spreadsheet's number
    wb.save(tmp_path / "s.xlsx")
    return [
        SourceConfig(
            name="reviews",
            kind="review",
            location=str(tmp_path / "r.csv"),
            fields={"id": "review_id", "customer_id": "client", "timestamp": "created_at"},
            **settings_,
        ),
        SourceConfig(
            name="chats",
            kind="chat",
            location=str(tmp_path / "c.jsonl"),
            fields={"customer_id": "cust", "timestamp": "ts"},
            **settings_,
        ),
        SourceConfig(
            name="surveys",
            kind="survey",
            location=str(tmp_path / "s.xlsx"),
            fields={
                "id": "respondent",
                "customer_id": "customer",
                "timestamp": "submitted",
                "text": "answer",
            },
            **settings_,
        ),
    ]


def _docs(sources: list[SourceConfig]) -> list[Document]:
    out = [r for s in sources for r in read_source(s)]
    assert all(isinstance(r, Document) for r in out), out
    return out


def test_customer_id_is_mapped_from_every_format_and_kept_out_of_extra(tmp_path):
    docs = _docs(_three_sources(tmp_path))
    assert [d.customer_id for d in docs] == ["1042", None, "1042", "1042"]
    assert all("customer_id" not in d.extra and "client" not in d.extra for d in docs)
    assert docs[2].extra == {"outcome": "Unresolved"}


def test_hashed_customer_ids_join_across_sources_and_never_hold_the_raw_id(tmp_path, monkeypatch):
    monkeypatch.setenv(SALT_ENV, "s3cret-salt")
    docs = _docs(_three_sources(tmp_path, hash_customer_id=True))
    ids = {d.customer_id for d in docs if d.customer_id}
    assert len(ids) == 1 and len(ids.pop()) == 32  # the same customer, one 128-bit hash everywhere
    assert all("1042" not in json.dumps([d.customer_id, d.extra]) for d in docs)
    again = _docs(_three_sources(tmp_path, hash_customer_id=True))
    assert [d.customer_id for d in again] == [d.customer_id for d in docs]  # stable across runs
    other = _docs(_three_sources(tmp_path, hash_customer_id=True, customer_id_salt="another-salt"))
    assert other[0].customer_id != docs[0].customer_id  # the salt is the key


def test_hashing_without_a_salt_is_refused_before_anything_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)
    (tmp_path / "r.csv").write_text("id,timestamp,text\n", encoding="utf-8")
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        "sources:\n  - {name: r, kind: review, location: r.csv, hash_customer_id: true}\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=rf"needs a salt .*\${SALT_ENV}"):
        load_sources(cfg)
    cfg.write_text(
        "sources:\n  - {name: r, kind: review, location: r.csv, customer_id_salt: abcdefgh12}\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="only used with `hash_customer_id: true`"):
        load_sources(cfg)


def test_an_overlong_customer_id_is_quarantined_with_the_reason(tmp_path):
    (tmp_path / "r.csv").write_text(
        f"id,timestamp,text,customer_id\n1,2026-10-01,hi,{'x' * 300}\n", encoding="utf-8"
    )
    [rec] = read_source(SourceConfig(name="r", kind="review", location=str(tmp_path / "r.csv")))
    assert isinstance(rec, Quarantined) and "customer_id has 300 characters" in rec.reason


def test_a_customer_id_change_is_an_edit_and_records_without_one_keep_their_hash():
    base = Document("r", "review", "1", datetime(2026, 10, 1), "text")
    assert base.hash == Document("r", "review", "1", datetime(2026, 10, 1), "text", customer_id=None).hash
    assert base.hash != Document("r", "review", "1", datetime(2026, 10, 1), "text", customer_id="42").hash


# -- schema ----------------------------------------------------------------------------------------------
def test_v6_files_get_the_customer_id_their_extra_held_and_journeys_catch_up(tmp_path):
    old = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(old))
    con.execute(V1_SQL.read_text(encoding="utf-8"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    for i, extra in enumerate(('{"customer_id": "42", "outcome": "resolved"}', '{"customer_id": 7}', None)):
        con.execute(
            "INSERT INTO documents (doc_id, source, kind, external_id, created_at, text, extra, content_hash, "
            "ingest_run_id, updated_run_id) VALUES (?, 'c', 'chat', ?, '2026-10-01', 'x', ?, 'h', 'r', 'r')",
            [f"c:{i}", str(i), extra],
        )
    con.close()
    store = Store(old)
    store.migrate()
    got = store.query("SELECT doc_id, customer_id FROM documents ORDER BY doc_id")
    assert got["customer_id"].fillna("-").tolist() == ["42", "7", "-"]
    indexes = store.query("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'documents'")
    assert "documents_customer_id" in indexes["index_name"].tolist()
    assert store.journeys_lag()  # the new table is empty: the next run rebuilds it even with nothing new
    assert store.refresh_journeys("r2") == 2
    assert not store.journeys_lag()
    rows = store.query(
        "SELECT customer_id, step, coalesce(outcome, '-'), len(touchpoints) FROM v_customer_journeys ORDER BY 1"
    )
    assert rows.values.tolist() == [["42", 1, "resolved", 0], ["7", 1, "-", 0]]


# -- hand-made journeys ----------------------------------------------------------------------------------
T0 = datetime.fromisoformat("2026-10-05T10:00:00+00:00")  # a Monday


def _event(con, doc_id, customer, days, kind="chat", tps=(), nps=None, outcome=None, mv=MV):
    """One document with one segment per (touchpoint, polarity); negative ones are pain points."""
    source = SOURCE_OF[kind]
    extra = json.dumps({"outcome": outcome}) if outcome else None
    con.execute(
        "INSERT INTO documents (doc_id, source, kind, external_id, created_at, text, nps, channel, extra, "
        "content_hash, ingest_run_id, updated_run_id, customer_id) "
        "VALUES (?, ?, ?, ?, ?, 'x', ?, 'web', ?, 'h', 'r1', 'r1', ?)",
        [f"{source}:{doc_id}", source, kind, doc_id, T0 + timedelta(days=days), nps, extra, customer],
    )
    _predict(con, f"{source}:{doc_id}", tps, mv)


def _predict(con, doc_id, tps, mv):
    for i, (tp, pol) in enumerate(tps):
        con.execute(
            "INSERT INTO segments VALUES (?, ?, 0, 1, 'x', 'en', NULL, 'r1') ON CONFLICT DO NOTHING",
            [doc_id, i],
        )
        con.execute(
            "INSERT INTO segment_predictions VALUES (?, ?, ?, ?, 0.9, 0.3, 0.3, 0.4, 'r1')",
            [doc_id, i, mv, SENTIMENT[pol]],
        )
        con.execute(
            "INSERT INTO segment_touchpoints VALUES (?, ?, ?, ?, 's', 0.9, NULL, NULL, 'r1')",
            [doc_id, i, mv, tp],
        )
        if pol == "neg":
            con.execute(
                "INSERT INTO pain_points VALUES (?, ?, ?, ?, 's', ?, 'x', 0, 1, 'r1')",
                [doc_id, i, mv, tp, 0.5 + 0.1 * i],
            )
    pols = {p for _, p in tps}
    doc = "negative" if "neg" in pols else "positive" if "pos" in pols else "neutral"
    con.execute(
        "INSERT INTO document_predictions VALUES (?, ?, ?, 0.9, 0.3, 0.3, 0.4, 'r1')", [doc_id, mv, doc]
    )
    con.execute("INSERT OR REPLACE INTO doc_model VALUES (?, ?, 'r1')", [doc_id, mv])


@pytest.fixture()
def handmade(tmp_path) -> Store:
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    with store.transaction() as con:
        # A: a payment failure in a chat, then a detractor answer three days later -> breaks at payment
        #    (its second segment, about delivery, is more severe: the FIRST negative touchpoint counts)
        _event(con, "a1", "A", 0, tps=[("payment", "neg"), ("delivery", "neg")], outcome="unresolved")
        _event(con, "a2", "A", 3, kind="survey", tps=[("pricing", "neg")], nps=3)
        # B: a delivery complaint 40 days before the detractor answer: past the 30-day look-back
        _event(con, "b1", "B", -40, kind="review", tps=[("delivery", "neg")])
        _event(con, "b2", "B", 0, kind="survey", nps=2)
        # C: delivery in a chat, again in a chat 5 days later (neutral): a repeat contact within 7 days
        _event(con, "c1", "C", 1, tps=[("delivery", "neg")], outcome="escalated")
        _event(con, "c2", "C", 6, tps=[("delivery", "neu")], outcome="resolved")
        # D: a promoter after a complaint: no detractor, no repeat (another touchpoint)
        _event(con, "d1", "D", 2, tps=[("delivery", "neg")], outcome="unresolved")
        _event(con, "d2", "D", 4, kind="survey", tps=[("assortment", "pos")], nps=10)
        # no customer id: in the chat outcomes, never in a journey
        _event(con, "x1", None, 2, tps=[("payment", "neg")], outcome="escalated")
    store.refresh_journeys("r1")
    return store


def _run(store: Store, sql: str, period: Period) -> pd.DataFrame:
    """A journey query exactly as an analyst runs it: SET VARIABLE lines and the query in one `vocmine query`."""
    return store.query(period.set_statements() + "\n" + sql)


def test_the_journeys_table_orders_each_customers_events_across_sources(handmade):
    j = handmade.query("SELECT * FROM v_customer_journeys ORDER BY customer_id, step")
    assert j.groupby("customer_id")["doc_id"].apply(list).to_dict() == {
        "A": ["support_chats:a1", "surveys:a2"],
        "B": ["reviews:b1", "surveys:b2"],
        "C": ["support_chats:c1", "support_chats:c2"],
        "D": ["support_chats:d1", "surveys:d2"],
    }
    a1 = j[j.doc_id == "support_chats:a1"].iloc[0]
    assert list(a1.touchpoints) == ["delivery", "payment"] and list(a1.pain_touchpoints) == [
        "delivery",
        "payment",
    ]
    assert a1.first_pain == "payment" and a1.outcome == "unresolved" and a1.steps == 2
    assert pd.isna(a1.days_since_previous)
    assert j[j.doc_id == "surveys:a2"].iloc[0].days_since_previous == pytest.approx(3.0)
    assert j[j.doc_id == "surveys:b2"].iloc[0].nps_group == "detractor"
    assert "support_chats:x1" not in set(j.doc_id)  # no customer id, no journey


def test_journey_analyses_follow_their_rules(handmade):
    period = Period(T0.date(), weeks=8)
    breaks = _run(handmade, jr.BREAKS, period)
    assert breaks[
        ["touchpoint", "detractors", "share", "median_days", "via", "all_detractors"]
    ].values.tolist() == [
        ["payment", 1, 0.5, 3.0, "chat", 2]  # B's complaint was 40 days before: outside lookback_days
    ]
    longer = Period(T0.date(), weeks=8, rules=Rules(lookback_days=60))
    assert _run(handmade, jr.BREAKS, longer)["touchpoint"].tolist() == ["delivery", "payment"]

    repeats = _run(handmade, jr.REPEATS, period)
    assert repeats[
        ["touchpoint", "customers", "repeats", "complained", "share", "median_days"]
    ].values.tolist() == [
        ["delivery", 1, 1, 4, 0.25, 5.0]  # C came back after 5 days; A, B and D did not
    ]
    assert _run(handmade, jr.REPEATS, Period(T0.date(), 8, rules=Rules(repeat_days=4))).empty

    outcomes = _run(handmade, jr.OUTCOMES, period).set_index("touchpoint")
    assert outcomes.loc[
        "delivery", ["chats", "resolved", "unresolved", "escalated", "not_resolved"]
    ].tolist() == [4, 1, 2, 1, 3]
    payment = outcomes.loc["payment", ["chats", "escalated", "share_escalated"]].tolist()
    assert payment == [2, 1, 0.5]  # x1, without a customer id, counts too
    assert outcomes.index.tolist() == ["delivery", "payment"]

    head = _run(handmade, jr.CUSTOMERS, period).iloc[0].tolist()
    assert head == [4, 3, 2]  # C wrote two chats: one kind of source


def test_a_filter_applies_to_the_anchoring_event(handmade):
    only_reviews = Period(T0.date(), 8, filters=Filters(sources=("reviews",)))
    assert _run(handmade, jr.BREAKS, only_reviews).empty  # the detractor answers are surveys
    assert _run(handmade, jr.OUTCOMES, only_reviews).empty


def test_journeys_follow_the_current_predictions(handmade):
    with handmade.transaction() as con:
        _predict(con, "support_chats:a1", [("notifications", "neg")], "new@model")
    assert (
        handmade.query("SELECT first_pain FROM journeys WHERE doc_id = 'support_chats:a1'")["first_pain"][0]
        == "payment"
    )
    handmade.refresh_journeys("r2")
    row = handmade.query("SELECT * FROM v_customer_journeys WHERE doc_id = 'support_chats:a1'").iloc[0]
    assert row.first_pain == "notifications" and row.model_version == "new@model"


# -- the sample data and its planted journeys -------------------------------------------------------------
@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The sample data (seed 7, scale 1) with its ground truth, and the generator's stats (the key)."""
    d = tmp_path_factory.mktemp("journey_samples")
    stats = sampledata.generate_with_stats(d, truth=True)
    shutil.copy(settings.SAMPLES_DIR / "sources.yaml", d / "sources.yaml")
    return d, stats


def test_the_generator_plants_cross_source_journeys_in_its_key(planted):
    d, stats = planted
    key = sampledata.planted_key(stats, 1.0, 7)
    assert key == (settings.SAMPLES_DIR / "planted.yaml").read_text(encoding="utf-8")  # the committed key
    truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    first = truth[truth.clause == "0"].set_index("doc_id")
    surveys = pd.read_csv(d / "surveys.csv", dtype=str, keep_default_na=False).set_index("respondent_id")
    reviews = pd.read_csv(d / "reviews.csv", dtype=str, keep_default_na=False)
    chats = pd.DataFrame(
        [json.loads(x) for x in (d / "chats.jsonl").read_text(encoding="utf-8").splitlines()]
    )
    ids = pd.concat([reviews.customer_id, surveys.customer_id, chats.customer_id])
    starts = {"payment_failure_then_detractor": [], "delivery_repeat_contact": []}
    for p in stats.journeys:
        a, b = p["events"]
        assert (ids == p["customer_id"]).sum() == 2  # nobody else is this customer
        assert a.startswith("C") and (first.loc[a, "touchpoint"], first.loc[a, "polarity"]) == (
            ("payment", "neg") if p["journey"] == "payment_failure_then_detractor" else ("delivery", "neg")
        )
        ta = pd.Timestamp(chats.set_index("conversation_id").loc[a, "started_at"])
        if p["journey"] == "payment_failure_then_detractor":
            assert int(surveys.loc[b, "nps"]) <= 6
            tb = pd.Timestamp(surveys.loc[b, "submitted_at"])
        else:
            assert b.startswith("C") and first.loc[b, "touchpoint"] == "delivery"
            tb = pd.Timestamp(chats.set_index("conversation_id").loc[b, "started_at"])
        lo, hi = sampledata.PLANTED_JOURNEYS[p["journey"]]["days"]
        assert timedelta(days=lo) <= tb - ta <= timedelta(days=hi)
        starts[p["journey"]].append(ta)
    for name, ts in starts.items():
        assert len(ts) >= 6, name
        assert min(ts).date() < date(2026, 9, 14) and max(ts).date() > date(
            2026, 10, 19
        )  # spread over the period
    assert (reviews.customer_id == "").mean() < 0.25 and (surveys.customer_id != "").all()
    assert ids[ids != ""].value_counts().gt(1).sum() > 100  # plenty of background customers come back


def _oracle_store(d: Path, path: Path) -> Store:
    """The sample data stored with its ground truth as the current predictions (one segment per clause)."""
    docs: dict[str, Document] = {}
    for src in load_sources(d / "sources.yaml"):
        for rec in read_source(src):
            if isinstance(rec, Document):
                docs[rec.doc_id] = rec  # the deliberate duplicate row once
    frame = pd.DataFrame(
        {
            "doc_id": list(docs),
            "source": [x.source for x in docs.values()],
            "kind": [x.kind for x in docs.values()],
            "external_id": [x.external_id for x in docs.values()],
            "created_at": pd.to_datetime([x.created_at for x in docs.values()], utc=True),
            "text": [x.text for x in docs.values()],
            "nps": pd.array([x.nps for x in docs.values()], dtype="Int8"),
            "channel": [x.channel for x in docs.values()],
            "extra": [json.dumps(x.extra) for x in docs.values()],
            "content_hash": [x.hash for x in docs.values()],
            "customer_id": [x.customer_id for x in docs.values()],
        }
    ).assign(ingest_run_id="r1", updated_run_id="r1")
    truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    truth["doc_id"] = truth.source.map(SOURCE_OF) + ":" + truth.doc_id
    truth = truth[truth.doc_id.isin(docs) & (truth.text != "")].drop_duplicates(["doc_id", "clause"])
    truth["seg_idx"] = truth.clause.astype(int)
    tax = Taxonomy.load()
    store = Store(path)
    store.migrate()
    with store.transaction() as con:
        con.register("f", frame)
        con.execute("INSERT INTO documents BY NAME SELECT * FROM f")
        con.register(
            "t",
            truth.assign(
                sentiment=truth.polarity.map(SENTIMENT),
                stage=[tax.stage_of(tp).id if tp else "" for tp in truth.touchpoint],
            ),
        )
        con.execute(
            f"""INSERT INTO segments SELECT doc_id, seg_idx, 0, 1, text, lang, NULL, 'r1' FROM t;
            INSERT INTO segment_predictions SELECT doc_id, seg_idx, '{MV}', sentiment, 0.9,
                   (sentiment = 'negative')::INT, (sentiment = 'neutral')::INT, (sentiment = 'positive')::INT, 'r1' FROM t;
            INSERT INTO segment_touchpoints SELECT doc_id, seg_idx, '{MV}', touchpoint, stage, 0.9, NULL, NULL, 'r1'
                   FROM t WHERE touchpoint <> '';
            INSERT INTO pain_points SELECT doc_id, seg_idx, '{MV}', touchpoint, stage, 0.8, text, 0, 1, 'r1'
                   FROM t WHERE touchpoint <> '' AND sentiment = 'negative';
            INSERT INTO document_predictions SELECT doc_id, '{MV}',
                   CASE WHEN bool_or(sentiment = 'negative') THEN 'negative'
                        WHEN bool_or(sentiment = 'positive') THEN 'positive' ELSE 'neutral' END, 0.9, 0, 0, 0, 'r1'
                   FROM t GROUP BY doc_id;
            INSERT INTO doc_model SELECT doc_id, '{MV}', 'r1' FROM documents;
            INSERT INTO meta VALUES ('current_model_version', '{MV}');"""
        )
    store.refresh_journeys("r1")
    return store


@pytest.fixture(scope="module")
def oracle(planted, tmp_path_factory) -> Store:
    return _oracle_store(planted[0], tmp_path_factory.mktemp("oracle") / "v.duckdb")


WHOLE = Period(date(2026, 11, 2), weeks=9)  # every week of the sample


def test_planted_journeys_are_found_through_the_view(planted, oracle):
    _, stats = planted
    view = oracle.query("SELECT * FROM v_customer_journeys ORDER BY customer_id, step")
    assert view.customer_id.nunique() > 1000 and (view.groupby("customer_id").kind.nunique() > 1).sum() > 100
    for p in stats.journeys:
        mine = view[view.customer_id == p["customer_id"]]
        assert mine.doc_id.str.split(":").str[1].tolist() == p["events"]
        first, then = mine.iloc[0], mine.iloc[1]
        if p["journey"] == "payment_failure_then_detractor":
            assert first.first_pain == "payment" and then.nps_group == "detractor"
        else:
            assert first.first_pain == "delivery" and "delivery" in list(then.touchpoints)


def test_planted_journeys_lead_the_journey_analyses(planted, oracle):
    _, stats = planted
    n = {j: sum(p["journey"] == j for p in stats.journeys) for j in sampledata.PLANTED_JOURNEYS}
    breaks = _run(oracle, jr.BREAKS, WHOLE).set_index("touchpoint")
    assert breaks.loc["payment", "detractors"] >= n["payment_failure_then_detractor"]
    assert "payment" in breaks.index[:3]  # the planted failures put payment near the top of the breaks
    # each planted detractor's journey breaks at payment: found one customer at a time
    for p in stats.journeys:
        if p["journey"] == "payment_failure_then_detractor":
            sql = jr.BREAKS.replace(
                "WHERE nps <= 6", f"WHERE nps <= 6 AND customer_id = '{p['customer_id']}'"
            )
            assert _run(oracle, sql, WHOLE)["touchpoint"].tolist() == ["payment"]
    repeats = _run(oracle, jr.REPEATS, WHOLE).set_index("touchpoint")
    assert repeats.loc["delivery", "customers"] >= n["delivery_repeat_contact"]
    assert repeats.index[0] == "delivery"


def test_chat_outcomes_match_the_files(planted, oracle):
    d, _ = planted
    chats = pd.DataFrame(
        [json.loads(x) for x in (d / "chats.jsonl").read_text(encoding="utf-8").splitlines()]
    )
    truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    mentions = truth[(truth.source == "chat") & (truth.touchpoint != "")][
        ["doc_id", "touchpoint"]
    ].drop_duplicates()
    expect = mentions.merge(chats, left_on="doc_id", right_on="conversation_id").groupby("touchpoint").outcome
    got = _run(oracle, jr.OUTCOMES, WHOLE).set_index("touchpoint")
    assert got["chats"].to_dict() == expect.size().to_dict()
    assert got["escalated"].to_dict() == expect.apply(lambda s: int((s == "escalated").sum())).to_dict()


def test_the_report_shows_the_journeys(oracle):
    r = build_report(oracle, Taxonomy.load(), weeks=9)
    assert r.journeys is not None and r.journeys.customers > 1000 and r.journeys.breaks
    assert r.journeys.repeat_days == 7 and r.journeys.breaks[0].name == Taxonomy.load().label(
        r.journeys.breaks[0].touchpoint
    )
    md = render_markdown(r)
    assert "## Customer journeys" in md and "### Where detractors' journeys break" in md
    assert "SET VARIABLE repeat_days = 7;" in md
    html = str(jr.render_html(r.journeys, "ru"))
    assert html.startswith('<section id="journeys">') and "Повторные обращения" in html
    short = build_report(oracle, Taxonomy.load(), weeks=9, rules=Rules(repeat_days=1))
    assert sum(x.customers for x in short.journeys.repeats) < sum(x.customers for x in r.journeys.repeats)


def test_no_customer_ids_says_how_to_map_them(tmp_path, handmade):
    empty = jr.Journeys(0, 0, 0, 30, 7, [], [], [])
    assert "map `customer_id`" in "\n".join(jr.render_markdown(empty, "en"))
    assert jr.render_markdown(None, "en") == [] and str(jr.render_html(None, "en")) == ""
    assert set(jr.LABELS["en"]) == set(jr.LABELS["ru"])  # every label in both report languages


# -- the real nightly run over the sample ------------------------------------------------------------------
@pytest.mark.slow
def test_the_nightly_run_builds_the_planted_journeys(sample_run):
    """The real model over the committed sample: the flow built the journeys and the report shows them."""
    key = yaml.safe_load((settings.SAMPLES_DIR / "planted.yaml").read_text(encoding="utf-8"))
    store = Store(sample_run.db)
    assert not store.journeys_lag()
    view = store.query("SELECT * FROM v_customer_journeys ORDER BY customer_id, step")
    mentioned = {}
    for j in key["journeys"]:
        hits = 0
        for customer, events in j["customers"].items():
            mine = view[view.customer_id == customer]
            assert mine.doc_id.str.split(":").str[1].tolist() == events
            first, then = mine.iloc[0], mine.iloc[1]
            hits += j["first"]["touchpoint"] in list(first.touchpoints)
            if j["then"] == "survey":
                assert then.nps_group == "detractor"
        mentioned[j["id"]] = (hits, len(j["customers"]))
    # the model sees the planted touchpoint in most first events (whether it is also their FIRST pain point
    # depends on the sentiment model: 4 of 7 and 4 of 9 with models/vocmine-default at the time of writing); the
    # shipped matcher gate leaves some clauses with no touchpoint (sample recall 0.56 at precision 0.82,
    # bench/README.md "Touchpoint matcher"): 7 of 7 and 6 of 9 with it
    assert all(hits >= 0.66 * n for hits, n in mentioned.values()), mentioned
    summary = (sample_run.reports / "summary.md").read_text(encoding="utf-8")
    assert "## Customer journeys" in summary and "### Repeat contacts" in summary
