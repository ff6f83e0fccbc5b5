"""The report as one self-contained, explorable HTML file.

The page embeds its data as compact JSON (``explore.py``: the sums behind every figure per week and facet
cell) and a small script (``report.js``, no library, no build step) that adds up the cells the
picked week and filters select, draws the tables and the inline-SVG charts, and opens a touchpoint's or a
theme's verbatims, weekly trend and scores on a click. Nothing is fetched at view time: the file opens from an
e-mail attachment or a shared drive. Text is escaped by Jinja2's autoescape and, in the script, by ``esc``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import Environment
from markupsafe import Markup

from vocmine.report import explore
from vocmine.report.i18n import HEADLINE_KEYS, TOP_COLUMNS, labels, num, t
from vocmine.report.markdown import GLOSSARY, compared, filters_text, rule_line, theme_label
from vocmine.report.model import Report, Theme, Verbatim

#: Filters the page offers, in order (the stage and feeling filters narrow the touchpoint figures only).
FACETS = ("source", "channel", "product", "lang", "stage", "feeling")


@cache
def _asset(name: str) -> str:
    return (files("vocmine.report") / name).read_text(encoding="utf-8")


def _quote(v: Verbatim) -> dict:
    return {
        "before": v.before,
        "evidence": v.evidence,
        "after": v.after,
        "source": v.source,
        "lang": v.lang,
        "day": f"{v.day:%Y-%m-%d}",
    }


def _theme(th: Theme) -> dict:
    return {
        "id": getattr(th, "id", None),
        "label": theme_label(th),
        "name": th.name,
        "words": list(th.words),
        "size": th.size,
        "complaints": th.complaints,
        "baseline_mean": th.baseline_mean,
        "z": th.z,
        "emerging": th.emerging,
        "weekly": list(th.weekly),
        "examples": [_quote(v) for v in th.examples],
    }


def page_data(r: Report) -> dict:
    """Everything the page's script reads: the embedded sums plus the labels, rules and themes."""
    data = dict(r.explore.payload) if r.explore and r.explore.payload else {}
    p, rules = r.period, r.period.rules
    weeks = data.get("weeks", [])
    monday = f"{p.week_start:%Y-%m-%d}"
    base = {"source": p.filters.sources, "channel": p.filters.channels, "product": p.filters.products}
    base["lang"] = p.filters.languages
    data |= {
        "labels": labels(r.lang),
        "headline_keys": list(HEADLINE_KEYS),
        "report_week": weeks.index(monday) if monday in weeks else max(len(weeks) - 1, 0),
        "weeks_back": r.weeks_back,
        "top_n": rules.top_n,
        "top_themes": rules.top_themes,
        "rules": {
            "min_volume": rules.min_volume,
            "z_threshold": rules.z_threshold,
            "z_threshold_text": str(rules.z_threshold),
            "theme_max_score_text": str(rules.theme_max_score),
        },
        "verbatims_per_cell": explore.VERBATIMS_PER_CELL,
        "base": {k: list(v) or None for k, v in base.items()},
        "base_filters": filters_text(r) if p.filters.describe() else "",
        "themes": [_theme(th) for th in r.themes],
        "theme_weeks": [f"{w:%Y-%m-%d}" for w in p.all_weeks],
    }
    return data


def render_html(r: Report) -> str:
    lang, p = r.lang, r.period
    env = Environment(autoescape=True)
    template = env.from_string(_asset("report.html.j2"))
    return template.render(
        r=r,
        t=lambda key, **kw: t(key, lang, **kw),
        title=t("title", lang, week=f"{p.week_start:%Y-%m-%d}"),
        compared=compared(r),
        week=f"{p.week_start:%Y-%m-%d}",
        cols=TOP_COLUMNS,
        facets=FACETS,
        explain={c: t(f"explain_{c}", lang) for c in TOP_COLUMNS if f"explain_{c}" in labels(lang)},
        glossary=GLOSSARY,
        rule=rule_line(r),
        cap_note=t("verbatims_capped", lang, n=num(explore.VERBATIMS_PER_CELL, 0, lang)),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        data=Markup(explore.dumps(page_data(r))),
        generated=f"{r.generated_at:%Y-%m-%d %H:%M}",
    )
