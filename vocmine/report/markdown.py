"""The report as Markdown (the nightly flow's ``summary.md`` and its Prefect artifact)."""

from __future__ import annotations

import re

from vocmine.report.i18n import FACET_LABELS, TOP_COLUMNS, emerging_text, num, t
from vocmine.report.model import Metric, Report, Theme, Verbatim

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int] | list[float]) -> str:
    hi = max(values, default=0)
    if hi <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / hi * (len(SPARK) - 1) + 0.5))] for v in values)


def fmt(v: float | None, kind: str = "num", signed: bool = False, lang: str = "en") -> str:
    """A figure as the report prints it: ``pct`` a share (its change in percentage points), ``int`` a count,
    ``num1`` one decimal, ``num`` two below 10."""
    if v is None:
        return "—"
    if kind == "pct":
        return num(v * 100, 1, lang, signed) + (t("pp", lang) if signed else "%")
    if kind == "int":
        return num(v, 0, lang, signed)
    return num(v, 1 if abs(v) >= 10 or kind == "num1" else 2, lang, signed)


def metric_cells(m: Metric, lang: str = "en") -> tuple[str, str, str]:
    """(this week, before, change) as text; documents: this week's count, the weekly average before."""
    kind = {"share_negative": "pct", "nps": "num1", "documents": "num1"}.get(m.key, "num")
    now = fmt(m.current, "int" if m.key == "documents" else kind, lang=lang)
    return now, fmt(m.previous, kind, lang=lang), fmt(m.change, kind, signed=True, lang=lang)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def esc(text: str) -> str:
    """Customer text must not turn into Markdown (or HTML) formatting."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def theme_label(th: Theme) -> str:
    """A theme's readable name (its representative phrase, where the themes module gives one), else its words."""
    return getattr(th, "label", None) or th.name


def quote(v: Verbatim) -> str:
    return f"> {esc(v.before)}**{esc(v.evidence)}**{esc(v.after)} — *{v.source}, {v.day:%Y-%m-%d}*"


def compared(r: Report) -> str:
    """The period sentence: what the week is compared with, and the filters."""
    p, weeks = r.period, r.period.all_weeks
    text = (
        t("compared", r.lang, n=p.weeks, a=f"{weeks[0]:%Y-%m-%d}", b=f"{weeks[-2]:%Y-%m-%d}")
        if p.weeks
        else t("no_history", r.lang)
    )
    return f"{text} {t('filters', r.lang)}: {filters_text(r)}."


def filters_text(r: Report) -> str:
    return "; ".join(
        f"{t(FACET_LABELS[k], r.lang)}: {', '.join(v)}" for k, v in r.period.filters.describe().items()
    ) or t("no_filters", r.lang)


#: The figures the glossary explains, in the order the report shows them.
GLOSSARY = (
    "documents",
    "share_negative",
    "nps",
    "csat",
    "ces",
    "priority",
    "complaints",
    "primary",
    "avg_before",
    "negativity",
    "nps_impact",
)


def rule_line(r: Report) -> str:
    rules = r.period.rules
    return t("emerging_rule", r.lang, min=rules.min_volume, z=num(rules.z_threshold, 0, r.lang))


def render_markdown(r: Report) -> str:
    lang, p = r.lang, r.period
    out = [
        f"# {t('title', lang, week=f'{p.week_start:%Y-%m-%d}')}",
        "",
        compared(r),
        "",
    ]
    if r.emerging:
        out += [f"## {t('emerging', lang)}", ""]
        for e in r.emerging:
            out.append(f"- **{emerging_text(esc(e.name), e.kind, e.complaints, e.baseline_mean, lang)}**")
        out += ["", f"*{rule_line(r)}*", ""]
    out += [
        f"## {t('headline', lang)}",
        "",
        f"| | {t('this_week', lang)} | {t('before', lang)} | {t('change', lang)} |",
        "|---|---:|---:|---:|",
    ]
    for m in r.headline:
        cur, prev, ch = metric_cells(m, lang)
        out.append(f"| {t(m.key, lang)} | {cur} | {prev} | {ch} |")
    out += ["", f"## {t('top', lang)}", "", t("top_note", lang), ""]
    if not r.top:
        out += [t("no_pain", lang), ""]
    else:
        out.append("| " + " | ".join(t(c, lang) for c in TOP_COLUMNS) + " |")
        out.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
        for i, pp in enumerate(r.top, 1):
            flag = " ⚠" if pp.emerging else ""
            out.append(
                f"| {i} | {pp.name}{flag} | {pp.stage_name} | {num(pp.priority, 1, lang)} | "
                f"{num(pp.complaints, 0, lang)} | {num(pp.primary, 0, lang)} | {num(pp.baseline_mean, 1, lang)} | "
                f"{num(pp.negativity * 100, 0, lang)}% | {fmt(pp.nps_impact, 'num1', True, lang)} | "
                f"`{sparkline(pp.weekly)}` |"
            )
        out += ["", f"## {t('said', lang)}", ""]
        for pp in r.top:
            out.append(f"**{pp.name}**")
            out.append("")
            out += [quote(v) + "\n" for v in pp.verbatims] or [t("no_quotes", lang), ""]
    out += [f"## {t('themes', lang)}", "", t("themes_note", lang), ""]
    if not r.themes:
        out += [t("no_themes", lang), ""]
    for th in r.top_themes:
        flag = " ⚠" if th.emerging else ""
        ident = f" `{th.id}`" if th.id else ""  # what `vocmine taxonomy promote` takes
        out += [
            f"**{esc(theme_label(th))}**{ident}{flag} — *{th.words_label}* — "
            f"{t('theme_line', lang, size=th.size, n=th.complaints)} `{sparkline(th.weekly)}`",
            "",
        ]
        out += [quote(v) + "\n" for v in th.examples]
    if r.more_themes[0]:
        out += [t("more_themes", lang, n=r.more_themes[0], size=r.more_themes[1]), ""]
    out += [f"## {t('journey', lang)}", "", t("journey_note", lang), ""]
    out.append(
        f"| {t('stage', lang)} | {t('touchpoint', lang)} | {t('mentions', lang)} | {t('negative', lang)} | "
        f"{t('positive', lang)} | {t('net_sentiment', lang)} |"
    )
    out.append("|---|---|---:|---:|---:|---:|")
    for c in r.journey:
        out.append(
            f"| {c.stage_name} | {c.name} | {c.mentions} | {c.negative} | {c.positive} | {num(c.net_sentiment, 2, lang, True)} |"
        )
    out.append("")
    for sec in r.sections:
        out += [f"## {sec.title}", "", sec.note, "", sec.markdown, ""]
    out += [f"## {t('silent', lang)}", "", t("silent_note", lang), ""]
    if not r.silent:
        out += [t("no_silent", lang), ""]
    else:
        out.append(
            f"| {t('channel', lang)} | {t('silent_detractors', lang)} | {t('silent_low_csat', lang)} | "
            f"{t('silent_low_ces', lang)} |"
        )
        out.append("|---|---:|---:|---:|")
        of = t("of", lang)
        for s in r.silent:
            out.append(
                f"| {s.channel} | {s.silent_detractors} {of} {s.detractors} | {s.silent_low_csat} {of} {s.low_csat} | "
                f"{s.silent_low_ces} {of} {s.low_ces} |"
            )
        out.append("")
    out += [
        f"## {t('glossary', lang)}",
        "",
        *[f"- **{t(k, lang)}**: {t('explain_' + k, lang)}" for k in GLOSSARY],
        "",
        f"## {t('reproduce', lang)}",
        "",
        t("reproduce_note", lang),
        "",
        "```sql",
        p.set_statements(),
        "```",
        "",
        f"*{t('generated', lang, at=f'{r.generated_at:%Y-%m-%d %H:%M}')}*",
        "",
    ]
    return "\n".join(out)
