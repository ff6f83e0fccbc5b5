"""An alert in words, English or Russian: the touchpoint or new theme, the figures, three masked verbatims, the
report link."""

from __future__ import annotations

from dataclasses import dataclass

from vocmine.alerts.config import EMERGING
from vocmine.alerts.rules import Finding, TouchpointAlert, week_end

MAX_QUOTE = 300  # characters of a verbatim's evidence span in a message

_T = {
    "en": {
        "subject": "vocmine alert: {name}, week of {week}",
        "theme": "new theme “{name}”",
        "theme_note": "A new theme: complaints that fit no touchpoint of the taxonomy, grouped by what they say",
        "theme_promote": " (`vocmine taxonomy promote {id} --stage STAGE` makes it a touchpoint)",
        "week": "{name}{stage}: week of {week} to {end}.",
        "stage": " ({stage})",
        "complaints": "{cur} complaints this week against {prev} the week before",
        "emerging": "Emerging issue: {figures}, and {mean} a week on average over the {weeks} weeks before "
        "({z} standard deviations above its usual level).",
        "emerging_new": "Emerging issue: {figures}; no history before it ({z} standard deviations above the "
        "usual level).",
        "rule": 'Rule "{rule}" ({metric} {cmp} {threshold}): {figures}.',
        "share_negative": "{cur} of the mentions negative this week ({basis} mentions), against {prev} the "
        "week before",
        "nps": "NPS of the customers who mentioned it {cur} this week ({basis} answers), against {prev} the "
        "week before",
        "csat": "CSAT of the customers who mentioned it {cur} of 5 this week ({basis} answers), against {prev} "
        "the week before",
        "ces": "CES of the customers who mentioned it {cur} of 7 (7 = very easy) this week ({basis} answers), "
        "against {prev} the week before",
        "none": "none",
        "quotes": "What customers say (personal data masked):",
        "no_quotes": "No complaint about it this week to quote.",
        "report": "Report: {url}",
        "cmp": {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"},
        "metric": {
            "complaints": "complaints",
            "share_negative": "share negative",
            "nps": "NPS",
            "csat": "CSAT",
            "ces": "CES",
        },
    },
    "ru": {
        "subject": "vocmine: {name}, неделя с {week}",
        "theme": "новая тема «{name}»",
        "theme_note": "Новая тема: жалобы, которые не подходят ни к одной точке контакта таксономии, "
        "сгруппированные по смыслу",
        "theme_promote": " (`vocmine taxonomy promote {id} --stage ЭТАП` делает её точкой контакта)",
        "week": "{name}{stage}: неделя с {week} по {end}.",
        "stage": " ({stage})",
        "complaints": "жалоб за неделю: {cur}, неделей раньше: {prev}",
        "emerging": "Нарастающая проблема: {figures}; в среднем {mean} в неделю за {weeks} предыдущих нед. "
        "(выше обычного уровня: z = {z}).",
        "emerging_new": "Нарастающая проблема: {figures}; истории до этой недели нет (z = {z}).",
        "rule": "Правило «{rule}» ({metric} {cmp} {threshold}): {figures}.",
        "share_negative": "доля негативных упоминаний за неделю: {cur} (упоминаний: {basis}), неделей раньше: "
        "{prev}",
        "nps": "NPS упомянувших за неделю: {cur} (ответов: {basis}), неделей раньше: {prev}",
        "csat": "CSAT упомянувших за неделю: {cur} из 5 (ответов: {basis}), неделей раньше: {prev}",
        "ces": "CES упомянувших за неделю: {cur} из 7 (7 = очень легко; ответов: {basis}), неделей раньше: "
        "{prev}",
        "none": "нет данных",
        "quotes": "Что пишут клиенты (персональные данные скрыты):",
        "no_quotes": "Жалоб на эту точку за неделю нет — цитировать нечего.",
        "report": "Отчёт: {url}",
        "cmp": {">": "больше", ">=": "не меньше", "<": "меньше", "<=": "не больше"},
        "metric": {
            "complaints": "жалобы",
            "share_negative": "доля негатива",
            "nps": "NPS",
            "csat": "CSAT",
            "ces": "CES",
        },
    },
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def number(v: float | None, metric: str, lang: str, none: str) -> str:
    if v is None:
        return none
    if metric == "share_negative":
        text = f"{v * 100:.0f}%"
    elif metric == "complaints" or float(v).is_integer():
        text = f"{v:.0f}"
    elif metric == "nps":
        text = f"{v:.1f}"
    else:
        text = f"{v:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "ru" else text


def _figures(f: Finding, lang: str) -> str:
    t = _T[lang]
    return t[f.metric].format(
        cur=number(f.current, f.metric, lang, t["none"]),
        prev=number(f.previous, f.metric, lang, t["none"]),
        basis=f.basis,
    )


def finding_line(f: Finding, lang: str) -> str:
    t = _T[lang]
    z = number(round(f.z or 0, 1), "z", lang, "")
    if f.rule == EMERGING:
        if not f.history_weeks:
            return t["emerging_new"].format(figures=_figures(f, lang), z=z)
        mean = number(round(f.baseline_mean or 0, 1), "mean", lang, "")
        return t["emerging"].format(figures=_figures(f, lang), mean=mean, weeks=f.history_weeks, z=z)
    return t["rule"].format(
        rule=f.rule,
        metric=t["metric"][f.metric],
        cmp=t["cmp"][f.comparison],
        threshold=number(f.threshold, f.metric, lang, ""),
        figures=_figures(f, lang),
    )


def render(alert: TouchpointAlert, findings: list[Finding], report_url: str | None, lang: str) -> Message:
    """The message for one recipient: only the findings of the rules that name that recipient."""
    t = _T[lang]
    week, end = f"{alert.week:%Y-%m-%d}", f"{week_end(alert.week):%Y-%m-%d}"
    stage = t["stage"].format(stage=alert.stage_name) if alert.stage_name else ""
    name = t["theme"].format(name=alert.name) if alert.is_theme else alert.name
    lines = [t["week"].format(name=name[:1].upper() + name[1:], stage=stage, week=week, end=end), ""]
    if alert.is_theme:
        # how to promote it, once a run has recorded its id
        promote = t["theme_promote"].format(id=alert.theme) if alert.theme else ""
        lines += [t["theme_note"] + promote + ".", ""]
    lines += [f"- {finding_line(f, lang)}" for f in findings]
    lines.append("")
    if alert.verbatims:
        lines.append(t["quotes"])
        for i, v in enumerate(alert.verbatims[:3], 1):
            quote = " ".join(v.evidence.split())
            if len(quote) > MAX_QUOTE:
                quote = quote[: MAX_QUOTE - 1].rstrip() + "…"
            lines.append(f"{i}. «{quote}» ({v.source}, {v.day:%Y-%m-%d})")
    else:
        lines.append(t["no_quotes"])
    if report_url:
        lines += ["", t["report"].format(url=report_url)]
    return Message(subject=t["subject"].format(name=name, week=week), body="\n".join(lines) + "\n")
