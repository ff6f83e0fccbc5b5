"""The report as Markdown (the nightly flow's ``summary.md`` and its Prefect artifact)."""

from __future__ import annotations

import re

from vocmine.report.i18n import TOP_COLUMNS, t
from vocmine.report.model import Metric, Report, Verbatim

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int] | list[float]) -> str:
    hi = max(values, default=0)
    if hi <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / hi * (len(SPARK) - 1) + 0.5))] for v in values)


def fmt(v: float | None, kind: str = "num", signed: bool = False) -> str:
    if v is None:
        return "—"
    sign = "+" if signed else ""
    if kind == "pct":
        return f"{v * 100:{sign}.1f}" + (" pp" if signed else "%")
    if kind == "int":
        return f"{v:{sign},.0f}"
    return f"{v:{sign}.1f}" if abs(v) >= 10 or kind == "num1" else f"{v:{sign}.2f}"


def metric_cells(m: Metric) -> tuple[str, str, str]:
    """(this week, before, change) as text; documents: this week's count, the weekly average before."""
    kind = {"share_negative": "pct", "nps": "num1", "documents": "num1"}.get(m.key, "num")
    now = fmt(m.current, "int" if m.key == "documents" else kind)
    return now, fmt(m.previous, kind), fmt(m.change, kind, signed=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def esc(text: str) -> str:
    """Customer text must not turn into Markdown (or HTML) formatting."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


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
    filt = ", ".join(f"{k}: {', '.join(v)}" for k, v in p.filters.describe().items()) or t(
        "no_filters", r.lang
    )
    return f"{text} {t('filters', r.lang)}: {filt}."


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
            kind = t(f"kind_{e.kind}", lang)
            out.append(
                f"- **{t('emerging_line', lang, name=esc(e.name), kind=kind, n=e.complaints, mean=e.baseline_mean, z=e.z)}**"
            )
        out.append("")
    out += [
        f"## {t('headline', lang)}",
        "",
        f"| | {t('this_week', lang)} | {t('before', lang)} | {t('change', lang)} |",
        "|---|---:|---:|---:|",
    ]
    for m in r.headline:
        cur, prev, ch = metric_cells(m)
        out.append(f"| {t(m.key, lang)} | {cur} | {prev} | {ch} |")
    out += ["", f"## {t('top', lang)}", "", t("top_note", lang), ""]
    if not r.top:
        out += [t("no_pain", lang), ""]
    else:
        out.append("| " + " | ".join(t(c, lang) for c in TOP_COLUMNS) + " |")
        out.append("|---:|---|---|---:|---:|---:|---:|---:|---|")
        for i, pp in enumerate(r.top, 1):
            flag = " ⚠" if pp.emerging else ""
            out.append(
                f"| {i} | {pp.name}{flag} | {pp.stage_name} | {pp.priority:.1f} | {pp.complaints} | "
                f"{pp.baseline_mean:.1f} | {pp.negativity:.0%} | {fmt(pp.nps_impact, 'num1', signed=True)} | "
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
            f"**{esc(th.name)}**{ident}{flag} — *{th.words_label}* — "
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
            f"| {c.stage_name} | {c.name} | {c.mentions} | {c.negative} | {c.positive} | {c.net_sentiment:+.2f} |"
        )
    out += ["", f"## {t('silent', lang)}", "", t("silent_note", lang), ""]
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
