"""The pain-point report on the real sample run: every number re-derived with plain SQL, the planted pain points
on top, the planted spike flagged in its week, filters, languages, and the files the flows and the CLI write."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from vocmine import settings
from vocmine.cli import app
from vocmine.report import explore, i18n, queries
from vocmine.report.html import render_html
from vocmine.report.markdown import render_markdown
from vocmine.report.model import NoData, Section, build_report, z_score
from vocmine.report.queries import Filters, Rules
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

LAST_WEEK = date(2026, 11, 2)  # the sample's last week (planted.yaml: last_week_start)
SPIKE_WEEK = date(2026, 10, 12)  # the planted delivery spike
PLANTED = yaml.safe_load((settings.SAMPLES_DIR / "planted.yaml").read_text())


def test_docs_list_exactly_the_queries_the_report_runs():
    assert (settings.PROJECT_DIR / "docs" / "report.md").read_text() == queries.render_markdown(), (
        "docs/report.md is stale: python -m vocmine.report.queries > docs/report.md"
    )


def test_an_empty_database_has_nothing_to_report(tmp_path):
    store = Store(tmp_path / "empty.duckdb")
    store.migrate()
    with pytest.raises(NoData):
        build_report(store, Taxonomy.load())


@pytest.fixture(scope="module")
def sample(sample_run):
    return Store(sample_run.db)


@pytest.fixture(scope="module")
def report(sample):
    return build_report(sample, Taxonomy.load())


@pytest.fixture(scope="module")
def sql(sample_run):
    con = duckdb.connect(str(sample_run.db), read_only=True)
    yield lambda text, params=None: con.execute(text, params or []).df()
    con.close()


def _nps(s: pd.Series) -> float:
    s = s.dropna()
    return 100 * ((s >= 9).sum() - (s <= 6).sum()) / len(s)


def test_default_period_is_the_latest_week_against_the_eight_before(report):
    assert report.period.week_start == LAST_WEEK
    assert report.period.weeks == 8 and report.period.hist_start == date(2026, 9, 7)


def test_a_record_dated_in_the_future_does_not_move_the_default_week(sample_run, tmp_path):
    """The ingest quarantines such records now; one stored earlier (or by hand) must not make the report 2100's."""
    import shutil

    shutil.copy2(sample_run.db, tmp_path / "v.duckdb")
    store = Store(tmp_path / "v.duckdb")
    with store.transaction() as con:
        con.execute(
            "INSERT INTO documents SELECT * REPLACE (doc_id || '-future' AS doc_id, "
            "external_id || '-future' AS external_id, "
            "TIMESTAMPTZ '2100-12-31 10:00:00+00' AS created_at) FROM documents ORDER BY doc_id LIMIT 1"
        )
    assert build_report(store, Taxonomy.load()).period.week_start == LAST_WEEK
    assert build_report(store, Taxonomy.load(), week=date(2100, 12, 31)).period.week_start == date(
        2100, 12, 27
    )


def test_headline_figures_match_plain_sql(report, sql):
    docs = sql(
        "SELECT week, sentiment, nps, csat, ces FROM v_documents WHERE week BETWEEN '2026-09-07' AND ?",
        [LAST_WEEK],
    )
    cur = docs[docs["week"] == pd.Timestamp(LAST_WEEK)]
    prev = docs[docs["week"] < pd.Timestamp(LAST_WEEK)]
    assert report.metric("documents").current == len(cur)
    assert report.metric("documents").previous == pytest.approx(len(prev) / 8, abs=0.05)
    with_text = cur["sentiment"].notna()
    assert report.metric("share_negative").current == pytest.approx(
        (cur["sentiment"] == "negative").sum() / with_text.sum(), abs=5e-5
    )
    assert report.metric("nps").current == pytest.approx(_nps(cur["nps"]), abs=0.05)
    assert report.metric("nps").previous == pytest.approx(_nps(prev["nps"]), abs=0.05)
    assert report.metric("nps").answers == cur["nps"].notna().sum()
    assert report.metric("csat").current == pytest.approx(cur["csat"].mean(), abs=0.005)
    assert report.metric("ces").current == pytest.approx(cur["ces"].mean(), abs=0.005)
    assert report.metric("ces").change == pytest.approx(
        report.metric("ces").current - report.metric("ces").previous, abs=1e-9
    )


def test_top_pain_points_match_plain_sql(report, sql):
    pp = sql(
        "SELECT touchpoint, week, doc_id FROM v_pain_points WHERE week BETWEEN '2026-09-07' AND ?",
        [LAST_WEEK],
    )
    now = pp[pp["week"] == pd.Timestamp(LAST_WEEK)].groupby("touchpoint").size()
    weekly = pp.groupby(["touchpoint", "week"]).size().unstack(fill_value=0)
    weekly = weekly.reindex(columns=pd.date_range("2026-09-07", periods=9, freq="7D"), fill_value=0)
    ment = sql("SELECT doc_id, touchpoint, sentiment FROM v_segment_touchpoints WHERE week = ?", [LAST_WEEK])
    resp = sql("SELECT doc_id, nps FROM v_documents WHERE week = ? AND nps IS NOT NULL", [LAST_WEEK])
    overall = _nps(resp["nps"])
    expected = {}
    for tp in weekly.index:
        hist = weekly.loc[tp].iloc[:-1]
        complaints = int(now.get(tp, 0))
        m = ment[ment["touchpoint"] == tp]
        negativity = (m["sentiment"] == "negative").mean() if len(m) else 0.0
        trend = (complaints + 1) / (hist.mean() + 1)
        without = resp[~resp["doc_id"].isin(set(m["doc_id"]))]
        impact = _nps(without["nps"]) - overall
        expected[tp] = {
            "complaints": complaints,
            "baseline_mean": hist.mean(),
            "negativity": negativity,
            "nps_impact": impact,
            "priority": complaints * negativity * trend * (1 + max(impact, 0) / 10),
        }
    ranked = sorted(expected, key=lambda tp: (-expected[tp]["priority"], -expected[tp]["complaints"], tp))
    assert [p.touchpoint for p in report.top] == ranked[: len(report.top)]
    for p in report.top:
        e = expected[p.touchpoint]
        assert p.complaints == e["complaints"]
        assert p.baseline_mean == pytest.approx(e["baseline_mean"], abs=0.01)
        assert p.negativity == pytest.approx(e["negativity"], abs=1e-3)
        assert p.nps_impact == pytest.approx(e["nps_impact"], abs=0.06)
        assert p.priority == pytest.approx(e["priority"], rel=0.01)
        assert p.weekly == [int(x) for x in weekly.loc[p.touchpoint]]
        # the SQL emerging rule and its Python twin (used for the themes) agree
        assert z_score(p.weekly) == pytest.approx((p.baseline_mean, p.z), abs=0.01)


def test_planted_pain_points_lead_the_last_week(report):
    top2 = {p.touchpoint for p in report.top[:2]}
    assert top2 == set(PLANTED["expected_rankings"]["week_2026-11-02_top2_negative"]), report.top[:4]
    assert "Pricing" in {e.name for e in report.emerging}


def test_planted_delivery_spike_is_flagged_emerging_in_its_week(sample):
    r = build_report(sample, Taxonomy.load(), week=date(2026, 10, 14))  # any day of the week will do
    assert r.period.week_start == SPIKE_WEEK
    assert r.top[0].touchpoint == "delivery" and r.top[0].emerging
    assert r.emerging[0].name == "Delivery"  # the strongest signal of the week, listed first
    md = render_markdown(r)
    assert md.index("Emerging this week") < md.index("Top pain points")
    # the weeks before the spike: delivery is not flagged
    calm = build_report(sample, Taxonomy.load(), week=date(2026, 10, 5))
    assert "delivery" not in {p.touchpoint for p in calm.pain_points if p.emerging}


def test_verbatims_are_masked_evidence_spans_of_the_week(report, sql):
    texts = sql("SELECT doc_id, text, created_at FROM v_documents").set_index("doc_id")
    for p in report.top:
        assert 1 <= len(p.verbatims) <= 3
        assert len({v.doc_id for v in p.verbatims}) == len(p.verbatims)
        for v in p.verbatims:
            text = texts.loc[v.doc_id, "text"]
            assert v.evidence and v.evidence in text
            assert (v.before + v.evidence + v.after).strip("…") in text
            assert date.fromisoformat(str(v.day)) >= LAST_WEEK
            assert not re.search(r"[\w.]+@[\w.]+\.\w+|\+7 ?9\d\d", v.before + v.evidence + v.after)


def test_journey_map_and_silent_customers_match_plain_sql(report, sql):
    mentions = sql(
        "SELECT touchpoint, count(*) AS n FROM v_segment_touchpoints WHERE week = ? GROUP BY 1", [LAST_WEEK]
    )
    assert {c.touchpoint: c.mentions for c in report.journey} == dict(
        zip(mentions["touchpoint"], mentions["n"], strict=True)
    )
    stages = [s.id for s in Taxonomy.load().stages]
    order = [stages.index(c.stage) for c in report.journey]
    assert order == sorted(order)
    silent = sql(
        "SELECT count(*) FILTER (WHERE nps <= 6) AS d, count(*) FILTER (WHERE csat <= 2) AS c FROM documents "
        "WHERE text = '' AND date_trunc('week', created_at)::DATE = ?",
        [LAST_WEEK],
    )
    assert sum(s.silent_detractors for s in report.silent) == silent["d"][0] > 0
    assert sum(s.silent_low_csat for s in report.silent) == silent["c"][0]


def test_new_themes_are_named_clusters_of_unassigned_complaints(report):
    for th in report.themes:
        assert th.size >= 3 and len(th.examples) >= 1 and 1 <= len(th.words) <= 3
        assert sum(th.weekly) == th.size and th.weekly[-1] == th.complaints
        assert all(w == w.lower() and len(w) >= 3 for w in th.words)
    assert report.themes, "the sample has negative remarks that fit no touchpoint"


def test_the_report_shows_the_first_themes_and_counts_the_rest(sample, report):
    r = build_report(sample, Taxonomy.load(), rules=Rules(top_themes=1))
    assert len(r.themes) == len(report.themes) > 1 and r.top_themes == r.themes[:1]
    order = [(not t.emerging, -t.complaints, -t.size) for t in r.themes]
    assert order == sorted(order), "emerging first, then by complaints this week and size"
    n, size = r.more_themes
    assert (n, size) == (len(r.themes) - 1, sum(t.size for t in r.themes[1:])) and size > 0
    md, html = render_markdown(r), render_html(r)
    assert f"**{r.themes[0].name}**" in md and f"**{r.themes[1].name}**" not in md
    assert f"…and {n} smaller themes ({size} remarks in the period)." in md
    assert '"top_themes":1,' in html and f"…and {n} smaller themes" in html


def test_filters_and_russian_labels(sample, sql):
    r = build_report(sample, Taxonomy.load(), filters=Filters(sources=("surveys",)), lang="ru")
    n = sql("SELECT count(*) AS n FROM v_documents WHERE source = 'surveys' AND week = ?", [LAST_WEEK])["n"][
        0
    ]
    assert r.metric("documents").current == n
    assert all(v.source == "surveys" for p in r.pain_points for v in p.verbatims)
    md = render_markdown(r)
    assert "Главные болевые точки" in md and "Молчащие клиенты" in md and "Цены" in md
    assert "SET VARIABLE sources = ['surveys']::VARCHAR[];" in md
    en = build_report(sample, Taxonomy.load(), filters=Filters(languages=("en",), channels=("app", "web")))
    assert {c.touchpoint for c in en.journey} and en.metric("documents").current < n * 10
    assert all(v.lang == "en" for p in en.pain_points for v in p.verbatims)


def test_the_set_statements_reproduce_the_report_in_a_plain_session(report, sample_run):
    """What the report prints under "Reproduce" plus a query from docs/report.md give the report's numbers."""
    con = duckdb.connect(str(sample_run.db), read_only=True)
    for line in report.period.set_statements().splitlines():
        con.execute(line)
    rows = con.execute(queries.PAIN_POINTS).df()
    con.close()
    assert list(rows["touchpoint"][: len(report.top)]) == [p.touchpoint for p in report.top]


def test_html_is_self_contained_light_and_bounded(report):
    html = render_html(report)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no network at view time"
    assert "<script src" not in html and "plotly" not in html.lower()
    assert len(html.encode()) < 600_000, "a few hundred KB for the sample (plotly.js inlined made 4.9 MB)"
    data = json.loads(
        re.search(r'<script type="application/json" id="vocmine-data">(.*?)</script>', html, re.S)[1]
    )
    assert data["weeks"][data["report_week"]] == f"{report.period.week_start:%Y-%m-%d}"
    assert report.explore.size <= explore.MAX_BYTES and data["verbatims_from"] is None
    # verbatims capped per week x touchpoint x source x language, and so for each feeling the filter offers
    cell = ["week", "tp", "source", "lang"]
    v = pd.DataFrame({k: data["verbatims"][k] for k in [*cell, "feel", "top"]})
    assert 0 < v[v.top].value_counts(cell).max() <= explore.VERBATIMS_PER_CELL
    assert data["feelings"]["id"] == list(queries.FEELINGS)
    for bit in range(len(queries.FEELINGS)):
        extra = v[((v.feel & (1 << bit)) > 0) & ~v.top]
        assert extra.empty or extra.value_counts(cell).max() <= explore.VERBATIMS_PER_CELL
    assert (~v.top).sum() > 0, "the feelings filter brings verbatims of its own"
    assert "@media print" in html and "@media (max-width: 600px)" in html


def test_embedded_sums_add_up_to_the_reports_figures(report):
    """The page's data, added up in pandas the way the page does, gives the SQL's figures for the week."""
    d = report.explore.payload
    k = d["weeks"].index(f"{report.period.week_start:%Y-%m-%d}")
    docs, tps = pd.DataFrame(d["docs"]), pd.DataFrame(d["tps"])
    now = docs[docs["week"] == k].sum()
    assert now["documents"] == report.metric("documents").current
    assert (
        round(100 * (now["promoters"] - now["detractors"]) / now["nps_answers"], 1)
        == report.metric("nps").current
    )
    week = tps[tps["week"] == k].groupby("tp").sum()
    ids = d["touchpoints"]["id"]
    for p in report.pain_points:
        row = week.loc[ids.index(p.touchpoint)]
        assert (row["complaints"], row["mentions"], row["negative"], row["primary"]) == (
            p.complaints,
            p.mentions,
            p.negative_mentions,
            p.primary,
        )


@pytest.mark.parametrize("picked", [("anger",), ("hard_effort",), ("anger", "sadness", "hard_effort")])
def test_the_feelings_filter_adds_up_to_what_sql_counts_for_those_clauses(report, sql, picked):
    """The page's emotion/effort filter (e.g. angry complaints about delivery this week): the cells it keeps
    add up, for every touchpoint, to the pain points, mentions and documents whose clauses have a feeling
    picked, counted here straight from segment_affect."""
    d = report.explore.payload
    week = f"{report.period.week_start:%Y-%m-%d}"
    k = d["weeks"].index(week)
    mask = sum(1 << d["feelings"]["id"].index(f) for f in picked)
    tps = pd.DataFrame(d["tps_feel"])
    got = tps[(tps["week"] == k) & ((tps["feel"] & mask) > 0)].groupby("tp").sum()
    emotions = [f for f in picked if f != "hard_effort"]
    has = f"(list_has_any(a.emotions, {emotions}::VARCHAR[]) OR {'hard_effort' in picked} AND a.effort = 'hard')"
    on = "a.doc_id = v.doc_id AND a.seg_idx = v.seg_idx AND a.model_version = v.model_version"
    pains = sql(
        f"""SELECT touchpoint, count(*) AS complaints, count(DISTINCT v.doc_id) AS documents
        FROM v_pain_points v JOIN segment_affect a ON {on}
        WHERE week = ?::DATE AND {has} GROUP BY touchpoint""",
        [week],
    ).set_index("touchpoint")
    links = sql(
        f"""SELECT touchpoint, count(*) AS mentions, count(*) FILTER (WHERE sentiment = 'negative') AS negative,
               count(DISTINCT v.doc_id) FILTER (WHERE d.nps IS NOT NULL) AS resp_answers
        FROM v_segment_touchpoints v JOIN segment_affect a ON {on} JOIN documents d ON d.doc_id = v.doc_id
        WHERE week = ?::DATE AND {has} GROUP BY touchpoint""",
        [week],
    ).set_index("touchpoint")
    ids = d["touchpoints"]["id"]
    assert not links.empty and set(got.index) == {ids.index(t) for t in links.index}
    for tp, row in got.iterrows():
        want_links = links.loc[ids[tp]]
        want_pains = pains.loc[ids[tp]] if ids[tp] in pains.index else {"complaints": 0, "documents": 0}
        assert (row["mentions"], row["negative"], row["resp_answers"]) == tuple(want_links), ids[tp]
        assert (row["complaints"], row["documents"]) == (want_pains["complaints"], want_pains["documents"])
    if picked == ("anger",):
        # the verbatims the page shows under the filter are those clauses, most severe first
        v = pd.DataFrame(d["verbatims"])
        angry = v[(v["week"] == k) & ((v["feel"] & mask) > 0)]
        assert not angry.empty and (angry["feel"] & mask).all()


def test_complaints_are_counted_once_under_their_primary_touchpoint(report, sql):
    """Beside the pain points (clauses), the documents filed under each touchpoint: every complaining
    document of the week once, never more than the documents with a pain point about it."""
    week = f"{report.period.week_start:%Y-%m-%d}"
    filed = sql("SELECT count(*) AS n FROM v_document_causes WHERE week = ?", [week])["n"][0]
    complaining = sql("SELECT count(DISTINCT doc_id) AS n FROM v_pain_points WHERE week = ?", [week])["n"][0]
    assert sum(p.primary for p in report.pain_points) == filed == complaining > 0
    assert all(0 <= p.primary <= p.documents <= p.complaints for p in report.pain_points)
    assert any(p.primary < p.documents for p in report.pain_points)  # a document with two touchpoints: one


def test_the_size_bound_drops_the_oldest_verbatims_then_the_oldest_weeks():
    weeks = [f"2026-01-{d:02d}" for d in (5, 12, 19, 26)]
    table = {"week": [0, 1, 2, 3], "source": [0] * 4, "documents": [5] * 4}
    verb = {"week": [0, 1, 2, 3] * 5, "evidence": ["x" * 500] * 20}
    payload = {
        "weeks": weeks,
        "docs": table,
        "tps": dict(table),
        "tps_feel": dict(table),
        "silent": dict(table),
        "verbatims": verb,
    }
    full = explore.bound(json.loads(json.dumps(payload)), 10**9)
    assert full.verbatims_from is None and full.weeks_dropped == 0
    half = explore.bound(json.loads(json.dumps(payload)), full.size - 4000)
    assert half.size <= full.size - 4000 and half.verbatims_from == "2026-01-19"
    assert set(half.payload["verbatims"]["week"]) == {2, 3} and half.payload["docs"] == table
    tiny = explore.bound(json.loads(json.dumps(payload)), 300)
    assert (
        tiny.weeks_dropped > 0
        and tiny.payload["weeks"][-1] == weeks[-1]
        and not tiny.payload["verbatims"]["week"]
    )
    assert tiny.payload["docs"]["week"][-1] == len(tiny.payload["weeks"]) - 1, "week indexes renumbered"
    with pytest.raises(ValueError, match="over its bound"):
        explore.bound(json.loads(json.dumps(payload)), 10)


def test_embedded_json_cannot_close_its_script_element():
    text = explore.dumps({"t": "</script><script>alert(1)</script><!--"})
    assert "</" not in text and "<!--" not in text and json.loads(text)["t"].startswith("</script>")


def test_plain_words_and_russian_numbers():
    assert i18n.num(12345.67, 1, "ru") == "12\u202f345,7" and i18n.num(-3.25, 2, "ru", True) == "-3,25"
    assert i18n.num(12345.67, 1, "en") == "12,345.7"
    assert i18n.emerging_text("Pricing", "touchpoint", 52, 12, "en") == (
        "Pricing (touchpoint): 52 complaints this week against 12 a week before — 4.3× the usual"
    )
    assert "в 4,3 раза больше обычного" in i18n.emerging_text("Цены", "touchpoint", 52, 12, "ru")
    assert "none in the weeks before" in i18n.emerging_text("X", "theme", 11, 0, "en")


def test_the_russian_report_is_russian(sample):
    r = build_report(sample, Taxonomy.load(), filters=Filters(sources=("reviews",)), lang="ru")
    md, html = render_markdown(r), render_html(r)
    assert "п.п." in md and " pp" not in md and "Фильтры: источники: reviews." in md
    assert "sources:" not in md and "z =" not in md and "раза больше обычного" in md
    assert re.search(r"\| \d+,\d \|", md), "decimal commas"
    assert "Что означают показатели" in md and "Что означают показатели" in html
    assert '"pp":" п.п."' in html and '"point":","' in html


def test_nightly_flow_wrote_the_report_files(sample_run):
    html = (sample_run.reports / "report.html").read_text(encoding="utf-8")
    md = (sample_run.reports / "summary.md").read_text(encoding="utf-8")
    assert "Top pain points" in md and "Top pain points" in html and 'id="vocmine-data"' in html


def test_cli_report_writes_html_and_markdown(sample_run, tmp_path):
    res = CliRunner().invoke(
        app,
        [
            "report",
            "--db",
            str(sample_run.db),
            "--week",
            "2026-10-12",
            "--lang",
            "ru",
            "--source",
            "reviews",
            "--html",
            str(tmp_path / "r.html"),
            "--md",
            str(tmp_path / "r.md"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Доставка" in res.output and (tmp_path / "r.md").read_text(encoding="utf-8") in res.output
    assert '<html lang="ru">' in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_flow_writes_files_and_artifact(sample_run, tmp_path):
    from vocmine.flows.report import report as report_flow

    done = report_flow(db=str(sample_run.db), week="2026-10-14", lang="ru", out_dir=str(tmp_path))
    assert done["week"] == "2026-10-12"
    assert done["key"] == "report-2026-10-12-8w-ru"  # the week it reports, not the day asked for
    assert 'id="vocmine-data"' in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Болевые точки" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_report_keys_say_what_made_the_report():
    from vocmine.flows.report import NIGHTLY_KEY, report_key

    plain = report_key("2026-10-12", 8, Filters(), "en")
    assert plain == "report-2026-10-12-8w-en" != NIGHTLY_KEY
    assert report_key("2026-10-12", 8, Filters(), "en", made_by="weekly") == "weekly-2026-10-12-8w-en"
    filtered = report_key(None, 4, Filters(sources=("reviews",), products=("Доставка", "app")), "ru")
    assert filtered == "report-latest-4w-ru-sources-reviews-products-app-dostavka"
    assert re.fullmatch(r"[a-z0-9-]+", filtered)  # what Prefect accepts as an artifact key
    many = [
        report_key(None, 8, Filters(sources=tuple(f"source-{i}-{j}" for i in range(30))), "en")
        for j in (1, 2)
    ]
    assert all(len(k) <= 96 for k in many) and many[0] != many[1]


def test_ad_hoc_reports_get_their_own_key_and_folder(prefect_harness, tmp_path):
    """Two ad-hoc reports of different parameters, and the nightly's reports/, are three places, three keys."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

    from vocmine.flows.report import NIGHTLY_KEY
    from vocmine.flows.report import report as report_flow

    db = tmp_path / "v.duckdb"
    store = Store(db)
    store.migrate()
    store.publish_snapshot()  # an empty store: the report says there is no data, and is still written
    nightly = report_flow(db=str(db), key=NIGHTLY_KEY, out_dir=str(tmp_path / "reports"))
    en = report_flow(db=str(db))
    ru = report_flow(db=str(db), lang="ru", sources=["reviews"])
    assert [d["key"] for d in (nightly, en, ru)] == [
        NIGHTLY_KEY,
        "report-latest-8w-en",
        "report-latest-8w-ru-sources-reviews",
    ]
    assert Path(nightly["html"]) == tmp_path / "reports" / "report.html"
    assert Path(en["html"]) == tmp_path / "reports" / "report-latest-8w-en" / "report.html"
    assert Path(ru["md"]) == tmp_path / "reports" / "report-latest-8w-ru-sources-reviews" / "summary.md"
    assert all(Path(d[f]).exists() for d in (nightly, en, ru) for f in ("html", "md"))

    with get_client(sync_client=True) as client:
        for d in (nightly, en, ru):
            flt = ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[d["key"]]))
            (art,) = client.read_latest_artifacts(artifact_filter=flt)
            assert art.data == Path(d["md"]).read_text(encoding="utf-8")


def test_themes_past_the_clustering_limit_keep_the_clusters():
    """Above MAX_CLUSTERED candidates a sample is clustered and the rest join by average distance: same groups."""
    from vocmine.report.themes import cluster

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 64))
    grouped = np.repeat(centres, 40, axis=0) + rng.normal(scale=0.05, size=(160, 64))
    stray = rng.normal(size=(30, 64))  # far from the groups and from each other
    emb = np.vstack([grouped, stray]).astype(np.float32)
    group = np.repeat(np.arange(4), 40)
    latest = np.zeros(len(emb), dtype=bool)
    latest[150:170] = True  # the latest week's: always among the clustered ones

    for labels in (cluster(emb), cluster(emb, latest, limit=60)):
        g = labels[:160]
        assert all(len(set(g[group == k])) == 1 for k in range(4)), "each group is one cluster"
        assert len({g[group == k][0] for k in range(4)}) == 4, "and the groups stay apart"
        strays = labels[160:]
        assert not set(strays) & set(g), "no stray segment joins a group"
    sampled = cluster(emb, latest, limit=60)
    assert (sampled[150:170] >= 0).all(), "the latest week's candidates were clustered, not joined"
    kept = sampled[160:][sampled[160:] >= 0]
    assert len(set(kept)) == len(kept) < 30, "sampled strays stay singletons; the others join nothing (-1)"


def test_theme_clusters_are_scikit_learns_average_linkage_cut():
    """The BLAS distances + SciPy linkage give AgglomerativeClustering(cosine, average, distance_threshold)'s groups."""
    from sklearn.cluster import AgglomerativeClustering

    from vocmine.report.themes import MAX_DISTANCE, _agglomerative

    rng = np.random.default_rng(5)
    emb = np.repeat(rng.normal(size=(25, 32)), 12, axis=0) + rng.normal(scale=0.12, size=(300, 32))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    ours = _agglomerative(emb)
    theirs = AgglomerativeClustering(
        n_clusters=None, distance_threshold=MAX_DISTANCE, metric="cosine", linkage="average"
    ).fit_predict(emb)
    pairs = lambda labels: labels[:, None] == labels[None, :]  # noqa: E731 - same cluster, per pair of rows
    assert 25 <= len(set(ours)) < 300 and (pairs(ours) == pairs(theirs)).all()


def test_theme_candidates_take_the_embeddings_of_the_encoder_that_embedded_most():
    from vocmine.report.model import with_embeddings

    class Stored:
        def stored_embeddings(self, hashes):
            v = np.ones(4, dtype=np.float32)
            return {"new": {"a": v, "b": v}, "old": {"a": 2 * v, "b": 2 * v, "c": 2 * v}}

    cands = pd.DataFrame({"doc_id": ["d1", "d2", "d3", "d4"], "text_hash": ["a", "b", "c", "d"]})
    got = with_embeddings(Stored(), cands)
    assert got["doc_id"].tolist() == ["d1", "d2", "d3"] and all((e == 2).all() for e in got["embedding"])


def test_report_themes_hold_past_the_clustering_limit(sample, report, monkeypatch):
    from vocmine.report import themes

    monkeypatch.setattr(themes, "MAX_CLUSTERED", 40)
    capped = build_report(sample, Taxonomy.load())
    assert capped.themes, "themes are still found when only part of the candidates are clustered"
    for th in capped.themes:
        assert th.size >= 3 and sum(th.weekly) == th.size


def test_extra_sections_render_after_the_journey_map(report):
    extra = Section(
        key="journeys",
        title="Journeys",
        note="What a journey is.",
        html="<p>3 journeys</p>",
        markdown="3 journeys",
    )
    r = dataclasses.replace(report, sections=[extra])
    html, md = render_html(r), render_markdown(r)
    assert html.index('id="s-journey"') < html.index('<section id="journeys"') < html.index('id="s-silent"')
    assert "<p>3 journeys</p>" in html and "## Journeys\n\nWhat a journey is.\n\n3 journeys" in md
    assert md.index("## Journeys") < md.index("## Silent customers")
