"""The HTML report in a real browser: headless Chromium (Debian's chromium + chromium-driver, installed by
``make setup``) opens the file offline, fetches nothing, logs no errors, and stays explorable: a filter and a
week change the figures to exactly what the report's SQL gives for them (run through the Store), a click on a
touchpoint or a theme opens its verbatims, and the layout holds at 420 px. Screenshots of both states, desktop
and 420 px, go to docs/ with ``VOCMINE_UPDATE_SCREENSHOT=1``."""

from __future__ import annotations

import base64
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import Select

from vocmine import settings
from vocmine.report.html import render_html
from vocmine.report.i18n import num
from vocmine.report.markdown import fmt, metric_cells
from vocmine.report.model import Report, build_report
from vocmine.report.queries import Filters
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
DOCS = settings.PROJECT_DIR / "docs"
SPIKE_WEEK = date(2026, 10, 12)  # the planted delivery spike


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM and CHROMEDRIVER, "chromium and chromium-driver are missing: run `make setup`"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1500",
        "--hide-scrollbars",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def store(sample_run) -> Store:
    return Store(sample_run.db)


@pytest.fixture(scope="module")
def report(store) -> Report:
    return build_report(store, Taxonomy.load())


@pytest.fixture(scope="module")
def page(report, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


@pytest.fixture
def opened(browser, page):
    """The page freshly opened at desktop width (no filter, the report's week)."""
    browser.set_window_size(1280, 1500)
    browser.get(page.as_uri())
    deadline = time.monotonic() + 30
    while browser.execute_script("return document.body.dataset.ready") != "1":
        assert time.monotonic() < deadline, "the page never drew"
        time.sleep(0.1)
    return browser


def _chip(browser, facet: str, value: str):
    return browser.find_element(By.XPATH, f'//button[@data-facet="{facet}" and normalize-space()="{value}"]')


def _shown(browser) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """The pain-point table's cells (without the sparkline) and the headline cards' (value, change)."""
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")][:-1]
        for tr in browser.find_elements(By.CSS_SELECTOR, "#pain-points tbody tr")
    ]
    kpis = [
        (
            k.find_element(By.CLASS_NAME, "value").text,
            k.find_element(By.CLASS_NAME, "delta").text.split(" (")[0],
        )
        for k in browser.find_elements(By.CSS_SELECTOR, "#kpis .kpi")
    ]
    return rows, kpis


def _expected(r: Report) -> tuple[list[list[str]], list[tuple[str, str]]]:
    rows = [
        [
            str(i),
            p.name + (" ⚠" if p.emerging else ""),
            p.stage_name,
            num(p.priority, 1),
            num(p.complaints, 0),
            num(p.primary, 0),
            num(p.baseline_mean, 1),
            num(p.negativity * 100, 0) + "%",
            fmt(p.nps_impact, "num1", True),
        ]
        for i, p in enumerate(r.top, 1)
    ]
    kpis = [(metric_cells(m)[0], metric_cells(m)[2]) for m in r.headline]
    return rows, kpis


def test_no_console_errors_and_no_network(opened):
    severe = [e for e in opened.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    fetched = opened.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith('file:'))"
    )
    assert fetched == []


def test_the_page_opens_on_the_reports_numbers_and_draws_its_charts(opened, report):
    assert _shown(opened) == _expected(report)
    sparks = opened.find_elements(By.CSS_SELECTOR, "#pain-points svg.spark polyline")
    assert len(sparks) == len(report.top) == 8 and all(s.size["width"] > 50 for s in sparks)
    assert len(opened.find_elements(By.CSS_SELECTOR, "#chart-trend polyline.trace")) == 6
    assert opened.find_elements(By.CSS_SELECTOR, "#chart-silent rect.bar")
    assert len(opened.find_elements(By.CSS_SELECTOR, "#journey tbody tr")) == len(report.journey)
    alert = opened.find_element(By.ID, "emerging")
    table = opened.find_element(By.ID, "pain-points")
    assert alert.location["y"] < table.location["y"] and "Pricing" in alert.text
    assert "z =" not in alert.text and "× the usual" in alert.text
    # every figure explains itself on hover
    assert all(k.get_attribute("title") for k in opened.find_elements(By.CSS_SELECTOR, "#kpis .kpi"))
    assert "NPS" in opened.find_element(By.CSS_SELECTOR, "th.c-nps_impact").get_attribute("title")


def test_a_filter_and_a_week_show_what_the_sql_gives_for_them(opened, store):
    _chip(opened, "source", "reviews").click()
    want = build_report(
        store, Taxonomy.load(), week=report_week(opened), filters=Filters(sources=("reviews",))
    )
    assert _shown(opened) == _expected(want)
    _chip(opened, "lang", "ru").click()  # filters combine with AND
    want = build_report(
        store,
        Taxonomy.load(),
        week=report_week(opened),
        filters=Filters(sources=("reviews",), languages=("ru",)),
    )
    assert _shown(opened) == _expected(want)
    assert "SET VARIABLE languages = ['ru']::VARCHAR[];" in opened.find_element(By.ID, "reproduce").text
    _chip(opened, "lang", "ru").click()
    Select(opened.find_element(By.ID, "week")).select_by_visible_text(f"{SPIKE_WEEK:%Y-%m-%d}")
    want = build_report(store, Taxonomy.load(), week=SPIKE_WEEK, filters=Filters(sources=("reviews",)))
    assert _shown(opened) == _expected(want)
    alert = opened.find_element(By.ID, "emerging")
    assert all(e.name in alert.text for e in want.emerging if e.kind == "touchpoint")


def report_week(browser) -> date:
    return date.fromisoformat(Select(browser.find_element(By.ID, "week")).first_selected_option.text)


def test_a_touchpoint_opens_its_verbatims_trend_and_scores_and_screenshots(opened, store, tmp_path):
    shots = {"report.png": _shot(opened, tmp_path / "report.png")}
    _chip(opened, "source", "reviews").click()
    opened.find_element(By.CSS_SELECTOR, "#pain-points tbody tr").click()
    detail = opened.find_element(By.ID, "detail")
    assert detail.is_displayed()
    want = build_report(
        store, Taxonomy.load(), week=report_week(opened), filters=Filters(sources=("reviews",))
    )
    first = want.top[0]
    assert first.name in detail.find_element(By.TAG_NAME, "h2").text
    quotes = detail.find_elements(By.CSS_SELECTOR, ".quotes blockquote")
    # the first page is the SQL's three verbatims, evidence highlighted in the masked text
    assert [q.find_element(By.TAG_NAME, "mark").text for q in quotes] == [
        v.evidence.strip() for v in first.verbatims
    ]
    assert detail.find_elements(By.CSS_SELECTOR, ".detail-chart polyline.trace")
    assert len(detail.find_elements(By.CSS_SELECTOR, ".scores .fig")) == 3
    pager = detail.find_elements(By.CSS_SELECTOR, ".pager .next")
    if pager and pager[0].is_enabled():
        pager[0].click()
        more = opened.find_elements(By.CSS_SELECTOR, "#detail .quotes blockquote mark")
        assert more and {m.text for m in more}.isdisjoint(v.evidence for v in first.verbatims)
        opened.find_element(By.CSS_SELECTOR, "#detail .pager .prev").click()
    shots["report-drilldown.png"] = _shot(opened, tmp_path / "report-drilldown.png")
    opened.set_window_size(420, 1500)
    time.sleep(0.2)
    assert opened.execute_script("return document.documentElement.scrollWidth") <= 420, "nothing overflows"
    table = opened.find_element(By.CSS_SELECTOR, "#pain-points")
    assert table.size["width"] <= table.find_element(By.XPATH, "..").size["width"], "the table fits too"
    opened.execute_script("document.getElementById('detail').scrollIntoView()")
    shots["report-420-drilldown.png"] = _shot(opened, tmp_path / "report-420-drilldown.png")
    opened.find_element(By.ID, "clear").click()
    opened.find_element(By.CSS_SELECTOR, "#detail .close").click()
    opened.execute_script("window.scrollTo(0, 0)")
    shots["report-420.png"] = _shot(opened, tmp_path / "report-420.png")
    if os.environ.get("VOCMINE_UPDATE_SCREENSHOT"):  # the pictures in the README
        for name, shot in shots.items():
            shutil.copy(shot, DOCS / name)


def test_the_emotion_filter_shows_angry_complaints_per_touchpoint(opened, store, report):
    """The "angry complaints about delivery this week" view: with anger picked, each touchpoint's complaints are its
    pain points whose clause has anger (segment_affect), the headline figures stay whole, and the verbatims
    are those clauses."""
    _chip(opened, "feeling", "anger").click()
    week, taxonomy = report_week(opened), Taxonomy.load()
    angry = store.query(
        """SELECT p.touchpoint, p.evidence FROM v_pain_points p
        JOIN segment_affect a USING (doc_id, seg_idx, model_version)
        WHERE p.week = ? AND list_contains(a.emotions, 'anger')""",
        [week],
    )
    counts = angry.groupby("touchpoint").size().rename(lambda t: taxonomy.label(t, "en"))
    rows, kpis = _shown(opened)
    assert rows and kpis == _expected(report)[1]
    shown = {r[1].removesuffix(" ⚠"): int(r[4]) for r in rows}
    assert {n: c for n, c in shown.items() if c} == {n: int(c) for n, c in counts.items() if n in shown}
    assert "anger" in opened.find_element(By.ID, "reproduce").text
    top = max(shown, key=shown.get)
    rows = opened.find_elements(By.CSS_SELECTOR, "#pain-points tbody tr")
    next(r for r in rows if r.find_element(By.CLASS_NAME, "c-touchpoint").text.startswith(top)).click()
    marks = [m.text for m in opened.find_elements(By.CSS_SELECTOR, "#detail .quotes blockquote mark")]
    assert marks and set(marks) <= {e.strip() for e in angry.evidence}


def test_a_theme_opens_its_examples(opened, report):
    theme = opened.find_element(By.CSS_SELECTOR, "#themes [data-theme]")
    theme.click()
    detail = opened.find_element(By.ID, "detail")
    assert detail.is_displayed() and detail.find_elements(By.CSS_SELECTOR, ".quotes blockquote mark")
    assert report.themes[0].words[0] in detail.text


def _shot(browser, path: Path) -> Path:
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 20_000
    return path


def test_it_prints_on_a4_without_the_controls(opened):
    opened.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        opened.set_window_size(700, 1500)  # A4's printable width (186 mm) at 96 dpi
        time.sleep(0.2)
        assert not opened.find_element(By.ID, "controls").is_displayed()
        assert opened.execute_script("return document.documentElement.scrollWidth") <= 700
        pdf = opened.print_page(PrintOptions())
        assert base64.b64decode(pdf).startswith(b"%PDF")
    finally:
        opened.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
