"""The HTML report in a real browser: headless Chromium (Debian's chromium + chromium-driver, installed by
``make setup``) opens the file offline, logs no console errors, fetches nothing, and draws every chart."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from vocmine import settings
from vocmine.report.html import render_html
from vocmine.report.model import build_report
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCREENSHOT = settings.PROJECT_DIR / "docs" / "report.png"


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
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(sample_run, tmp_path_factory, browser) -> Path:
    report = build_report(Store(sample_run.db), Taxonomy.load())
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    browser.get(path.as_uri())
    deadline = time.monotonic() + 30
    while browser.execute_script("return document.querySelectorAll('.js-plotly-plot .main-svg').length") < 3:
        assert time.monotonic() < deadline, "the charts never drew"
        time.sleep(0.2)
    return path


def test_no_console_errors_and_no_network(browser, page):
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith('file:'))"
    )
    assert fetched == []


def test_every_chart_drew_marks(browser, page):
    plots = browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
    assert {p.get_attribute("id") for p in plots} == {"chart-trend", "chart-journey", "chart-silent"}
    for plot in plots:
        svg = plot.find_element(By.CSS_SELECTOR, ".main-svg")
        assert svg.size["width"] > 300 and svg.size["height"] > 150, plot.get_attribute("id")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-trend .scatterlayer .trace")) >= 3
    bubbles = browser.find_elements(By.CSS_SELECTOR, "#chart-journey .scatterlayer .point")
    assert len(bubbles) >= 10 and all(b.size["width"] > 5 for b in bubbles)
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-silent .barlayer .point")
    sparks = browser.find_elements(By.CSS_SELECTOR, "#pain-points svg.spark polyline")
    assert len(sparks) == 8 and all(s.size["width"] > 50 for s in sparks)


def test_emerging_issues_are_at_the_top_and_screenshot(browser, page, tmp_path):
    alert = browser.find_element(By.ID, "emerging")
    table = browser.find_element(By.ID, "pain-points")
    assert alert.location["y"] < table.location["y"] and "Pricing" in alert.text
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 50_000
    if os.environ.get("VOCMINE_UPDATE_SCREENSHOT"):  # the picture in the README (docs/report.png)
        shutil.copy(shot, SCREENSHOT)
