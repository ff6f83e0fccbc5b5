"""New themes: names people can read, praise kept out, ids that last from week to week, and promotion into the
taxonomy (`vocmine taxonomy promote`). Synthetic clusters for the rules, the sample run for the whole path."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from vocmine import settings
from vocmine.cli import app
from vocmine.errors import InputError, UsageError
from vocmine.promote import promote
from vocmine.report import queries as q
from vocmine.report import tracking
from vocmine.report.markdown import esc, render_markdown
from vocmine.report.model import build_report
from vocmine.report.queries import Period, Rules
from vocmine.report.themes import find_themes, name, phrase
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

WEEK1, WEEK2 = date(2026, 10, 19), date(2026, 10, 26)
DIM = 48


def _rows(texts: list[tuple[str, str]], centre: np.ndarray, week: date, rng, key: str) -> list[dict]:
    """Candidate rows (as the theme_candidates query gives them, with embeddings) around ``centre``; the
    first text sits exactly on it."""
    out = []
    for k, (lang, text) in enumerate(texts):
        vec = centre + (0 if k == 0 else rng.normal(scale=0.02, size=DIM))
        out.append(
            {
                "doc_id": f"reviews:{key}{k}",
                "seg_idx": 0,
                "text": text,
                "week": week,
                "lang": lang,
                "source": "reviews",
                "created_at": datetime(week.year, week.month, week.day, 12),
                "start_char": 0,
                "end_char": len(text),
                "document_text": text,
                "embedding": (vec / np.linalg.norm(vec)).astype(np.float32),
                "encoder": "enc-a",
            }
        )
    return out


CENTRES = {k: v for k, v in zip("ABCD", np.random.default_rng(1).normal(size=(4, DIM)), strict=True)}
FEES = [
    ("en", "Hidden fees added at the very last step!"),
    ("en", "Hidden fees added at the last step 😡"),
    ("ru", "Скрытые сборы добавили на последнем шаге"),
    ("en", "They added hidden fees at checkout"),
]
KIDS = [
    ("en", "But barely any kids' stuff :("),
    ("en", "Barely any kids' stuff in the catalogue"),
    ("en", "Hardly any kids' stuff left"),
]
BOTTLES = [
    ("ru", "Бутылка воды протекла в пакете"),
    ("ru", "Вода из бутылки протекла на всё"),
    ("ru", "Бутылка протекла, пакет мокрый"),
]


def _week1() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        _rows(FEES, CENTRES["A"], WEEK1, rng, "a") + _rows(KIDS, CENTRES["B"], WEEK1, rng, "b")
    )


def _week2() -> pd.DataFrame:
    """The next week's window: last week's remarks, more of the first theme, and a theme of its own."""
    rng = np.random.default_rng(3)
    more = [("en", "Fees appeared at the last step"), ("en", "Extra fees at the very end")]
    new = pd.DataFrame(
        _rows(more, CENTRES["A"], WEEK2, rng, "c")[1:] + _rows(BOTTLES, CENTRES["C"], WEEK2, rng, "d")
    )
    return pd.concat([_week1(), new], ignore_index=True)


def _themes(frame: pd.DataFrame, week: date, lang: str = "en"):
    return find_themes(frame, Period(week, weeks=1), lang)


# -- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("But the order was cancelled 🤬", "The order was cancelled"),
        ("А вот пункт выдачи открылся на час позже!!!", "Пункт выдачи открылся на час позже"),
        (
            "Ugh, after the update the app crashes during checkout, every time",
            "After the update the app crashes during checkout",
        ),
        (
            "My parcel has been sitting in out for delivery status for ages",
            "My parcel has been sitting in out for…",
        ),
        (
            "Приложение зависает на экране оплаты и программу лояльности урезали",
            "Приложение зависает на экране оплаты",
        ),
        (
            "Ещё перезвоните мне, пожалуйста, по номеру [PHONE].",
            "Перезвоните мне, пожалуйста, по номеру [PHONE]",
        ),
        (
            'Оплата картой не проходит, пишет "ошибка банка"!',
            'Оплата картой не проходит, пишет "ошибка банка"',
        ),
        ("On the other hand", "On the other hand"),  # nothing but the filler: kept
        ("barely any kids' stuff :(", "Barely any kids' stuff"),
    ],
)
def test_a_segment_becomes_a_short_readable_phrase(text, expected):
    assert phrase(text) == expected


def test_a_name_avoids_an_order_number_or_pii_when_a_segment_as_near_has_none():
    assert name(["Order #66325950 is stuck at the sorting centre", "Stuck at the sorting centre"]) == (
        "Stuck at the sorting centre"
    )
    assert name(["Card [CARD] was charged twice"]) == "Card [CARD] was charged twice"  # the only one: kept


def test_a_theme_is_named_by_its_remark_nearest_the_centre_in_the_reports_language():
    (fees,) = [t for t in _themes(_week1(), WEEK1) if "fees" in t.words]
    assert fees.label == "Hidden fees added at the very last step"  # the segment on the centre, trimmed
    assert fees.labels == {"en": fees.label, "ru": "Скрытые сборы добавили на последнем шаге"}
    assert fees.name == fees.label and fees.words_label == " · ".join(fees.words) and len(fees.words) <= 3
    (ru,) = [t for t in _themes(_week1(), WEEK1, "ru") if "fees" in t.words]
    assert ru.label == "Скрытые сборы добавили на последнем шаге"
    # the examples a promoted touchpoint gets: one per wording ("…step!" and "…step 😡" differ in more)
    assert fees.clauses["en"][0] == FEES[0][1] and len(fees.clauses["en"]) == 3
    kids = next(t for t in _themes(_week1(), WEEK1, "ru") if "stuff" in t.words)
    assert kids.label == "Barely any kids' stuff", "no Russian segment: the theme's own language"


def test_the_markdown_shows_the_name_its_words_and_its_id(tmp_path):
    themes = tracking.store_themes(_store(tmp_path), _themes(_week1(), WEEK1), WEEK1, "run-1")
    from dataclasses import replace

    from vocmine.report.model import Report
    from vocmine.report.queries import Filters

    r = Report(Period(WEEK1, 1, Filters(), Rules()), "en", datetime(2026, 10, 26), [], [], themes, [], [])
    md = render_markdown(replace(r, headline=[]))
    for t in themes:
        assert f"**{esc(t.label)}** `{t.id}` — *{t.words_label}*" in md


# -- stable ids ---------------------------------------------------------------------------------------------


def _store(tmp_path) -> Store:
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    return store


def test_two_consecutive_weekly_runs_keep_the_id_of_the_same_cluster(tmp_path):
    store = _store(tmp_path)
    first = {t.label: t.id for t in tracking.store_themes(store, _themes(_week1(), WEEK1), WEEK1, "run-1")}
    assert sorted(first.values()) == ["T0001", "T0002"]
    second = {t.label: t.id for t in tracking.store_themes(store, _themes(_week2(), WEEK2), WEEK2, "run-2")}
    fees, kids = "Hidden fees added at the very last step", "Barely any kids' stuff"
    assert second[fees] == first[fees] and second[kids] == first[kids]
    assert second["Бутылка воды протекла в пакете"] == "T0003", "a new cluster gets the next id"
    rows = store.query("SELECT * FROM themes ORDER BY theme_id").set_index("theme_id")
    assert rows.loc[first[fees], "size"] == 5 and rows.loc[first[fees], "last_run_id"] == "run-2"
    assert rows.loc[first[fees], "first_run_id"] == "run-1"
    assert str(rows.loc[first[fees], "first_week"])[:10] == str(WEEK1)
    assert str(rows.loc[first[fees], "last_week"])[:10] == str(WEEK2)
    assert str(rows.loc["T0003", "first_week"])[:10] == str(WEEK2)

    # a run of the week before again (a reprocessing, say) keeps every id and loses no row
    again = tracking.store_themes(store, _themes(_week1(), WEEK1), WEEK1, "run-3")
    assert {t.label: t.id for t in again} == first and len(store.query("SELECT * FROM themes")) == 3
    assert str(store.query("SELECT last_week FROM themes WHERE theme_id = 'T0001'").iloc[0, 0])[:10] == str(
        WEEK2
    )


def test_a_report_takes_the_stored_ids_and_gives_none_to_an_unknown_cluster(tmp_path):
    store = _store(tmp_path)
    tracking.store_themes(store, _themes(_week1(), WEEK1), WEEK1)
    with store.connect(read_only=True) as con:
        stored = tracking.stored_themes(con)
    found = tracking.identify(_themes(_week2(), WEEK2), stored)
    ids = {t.label: t.id for t in found}
    assert ids["Hidden fees added at the very last step"] and ids["Barely any kids' stuff"]
    assert ids["Бутылка воды протекла в пакете"] is None, (
        "the report writes nothing: no id until a run records it"
    )
    assert tracking.stored_themes(con=_fresh_con()).ids == {}, "a file from before schema v7 has no themes"


def _fresh_con():
    import duckdb

    return duckdb.connect()


def test_ids_go_one_to_one_the_most_similar_first_and_only_within_an_encoder(tmp_path):
    store = _store(tmp_path)
    (stored,) = tracking.store_themes(store, _themes(_week1()[:4], WEEK1), WEEK1)
    with store.connect(read_only=True) as con:
        known = tracking.stored_themes(con)
    c = stored.centroid
    near, nearer = c + 0.05 * CENTRES["D"] / np.linalg.norm(CENTRES["D"]), c
    twins = [_replace(stored, centroid=(v / np.linalg.norm(v)).astype(np.float32)) for v in (near, nearer)]
    assert tracking.match(twins, known) == [None, stored.id], "one id, to the nearer of two candidates"
    assert tracking.match([_replace(stored, encoder="enc-b")], known) == [None], (
        "another encoder never matches"
    )
    far = CENTRES["D"] / np.linalg.norm(CENTRES["D"])
    assert tracking.match([_replace(stored, centroid=far.astype(np.float32))], known) == [None]


def _replace(theme, **changes):
    from dataclasses import replace

    return replace(theme, **changes)


def test_theme_ids_are_read_as_people_type_them():
    assert [tracking.normalise_id(v) for v in ("T7", "t0007", "7", " T0007 ")] == ["T0007"] * 4


# -- promote ------------------------------------------------------------------------------------------------


@pytest.fixture
def promoted(tmp_path):
    """A database with the two themes of week 1 and a copy of the default taxonomy."""
    store = _store(tmp_path)
    themes = tracking.store_themes(store, _themes(_week1(), WEEK1), WEEK1)
    tax = tmp_path / "taxonomy.yaml"
    shutil.copy2(settings.DEFAULT_TAXONOMY, tax)
    return store.path, tax, {t.label: t.id for t in themes}


def test_promote_appends_a_touchpoint_stub_and_keeps_the_rest_of_the_file(promoted):
    db, tax, ids = promoted
    before = tax.read_text(encoding="utf-8")
    done = promote(db, ids["Hidden fees added at the very last step"], tax, stage="buy")
    after = tax.read_text(encoding="utf-8")
    assert after.startswith(before), "every byte of the file (comments, wrapping) stays"
    assert "# hidden_fees_added_step: promoted from theme T000" in after
    tp = Taxonomy.load(tax).touchpoint("hidden_fees_added_step")
    assert tp == done.touchpoint and tp.stage == "buy"
    assert tp.name == {
        "en": "Hidden fees added at the very last step",
        "ru": "Скрытые сборы добавили на последнем шаге",
    }
    assert tp.examples["en"][0] == "Hidden fees added at the very last step!" and tp.examples["ru"]
    assert "fees" in tp.keywords["en"] or "hidden" in tp.keywords["en"]
    assert (
        len(Taxonomy.load(tax).touchpoints) == len(Taxonomy.load(settings.DEFAULT_TAXONOMY).touchpoints) + 1
    )
    raw = yaml.safe_load(after)["touchpoints"][-1]
    assert raw["id"] == "hidden_fees_added_step" and set(raw) <= set(
        Taxonomy.model_fields["touchpoints"].annotation.__args__[0].model_fields
    )


def test_promote_refuses_duplicates_and_says_what_to_give(promoted):
    db, tax, ids = promoted
    fees = ids["Hidden fees added at the very last step"]
    promote(db, fees, tax, stage="buy")
    text = tax.read_text(encoding="utf-8")
    with pytest.raises(UsageError, match="already in"):
        promote(db, fees, tax, stage="buy")
    with pytest.raises(UsageError, match=f"theme {fees} is already in .*touchpoint 'hidden_fees_added_step'"):
        promote(db, fees, tax, tp_id="fees_again", stage="buy")
    with pytest.raises(UsageError, match="already in") as e:
        promote(db, ids["Barely any kids' stuff"], tax, tp_id="delivery", stage="choose")
    assert "another --id" in e.value.hint
    with pytest.raises(UsageError, match="--stage is needed") as e:
        promote(db, ids["Barely any kids' stuff"], tax)
    assert "discover, choose, buy" in e.value.hint
    with pytest.raises(UsageError, match="not a touchpoint id"):
        promote(db, ids["Barely any kids' stuff"], tax, tp_id="Kids-Stuff", stage="choose")
    with pytest.raises(UsageError, match="no theme 'T99'") as e:
        promote(db, "T99", tax, stage="choose")
    assert "T0001" in e.value.hint and "T0002" in e.value.hint
    assert tax.read_text(encoding="utf-8") == text, "a refused promotion leaves the file alone"


def test_promote_needs_recorded_themes_and_a_valid_taxonomy(tmp_path, promoted):
    empty = _store(tmp_path / "e")
    with pytest.raises(InputError, match="no themes are recorded"):
        promote(empty.path, "T1", promoted[1], stage="buy")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid taxonomy file"):
        promote(promoted[0], "T1", bad, stage="buy")


def test_the_cli_promotes_and_exits_2_on_a_duplicate(promoted):
    db, tax, ids = promoted
    args = ["taxonomy", "promote", "2", "--stage", "choose", "--taxonomy", str(tax), "--db", str(db)]
    ok = CliRunner().invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "added touchpoint" in ok.output and "from theme T0002" in ok.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "error: touchpoint" in again.output and "hint:" in again.output


# -- the sample run -----------------------------------------------------------------------------------------


def test_the_nightly_records_themes_that_the_report_shows_with_their_ids(sample_run, tmp_path):
    store = Store(sample_run.db)
    stored = store.query("SELECT theme_id, label FROM themes ORDER BY theme_id")
    report = build_report(store, Taxonomy.load())
    assert report.themes and all(t.id in set(stored["theme_id"]) for t in report.themes)
    assert all(t.label and t.label[0].isupper() for t in report.themes)
    md = (sample_run.reports / "summary.md").read_text(encoding="utf-8")
    assert all(f"`{t.id}`" in md for t in report.top_themes)

    # praise stays out: every candidate is surely negative, and without the cut there are more
    with store.connect(read_only=True) as con:
        q.set_variables(con, report.period)
        kept = con.execute(q.THEME_CANDIDATES).df()
        q.set_variables(
            con, Period(report.period.week_start, report.period.weeks, rules=Rules(theme_min_negative=0))
        )
        every = con.execute(q.THEME_CANDIDATES).df()
    assert (kept["p_negative"] >= Rules().theme_min_negative).all() and len(every) > len(kept)

    # the week before and then this week again, as two weekly runs would: the same clusters keep their ids
    copy = tmp_path / "v.duckdb"
    shutil.copy2(sample_run.db, copy)
    live = Store(copy)
    with live.transaction() as con:
        con.execute("DELETE FROM themes")
    before = tracking.record_themes(live, "run-a", report.period.week_start - timedelta(weeks=1))
    now = tracking.record_themes(live, "run-b")
    assert {t.id for t in now} == {t.id for t in report.themes} or len(now) == len(report.themes)
    same = [(a, b) for a in before for b in now if float(a.centroid @ b.centroid) > 0.99]
    assert same and all(a.id == b.id for a, b in same)
