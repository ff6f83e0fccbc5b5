"""Labels and headings of the report in English and Russian (touchpoint and stage names come from the taxonomy)."""

from __future__ import annotations

LANGS = ("en", "ru")

#: Columns of the top pain-point table, in order (their labels are in ``LABELS``).
TOP_COLUMNS = (
    "rank",
    "touchpoint",
    "stage",
    "priority",
    "complaints",
    "primary",
    "avg_before",
    "negativity",
    "nps_impact",
    "trend",
)

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Pain-point report — week of {week}", "ru": "Болевые точки клиентов — неделя с {week}"},
    "compared": {
        "en": "Compared with the {n} weeks before ({a} – {b}).",
        "ru": "Сравнение с {n} предыдущими неделями ({a} – {b}).",
    },
    "no_history": {"en": "No earlier weeks to compare with.", "ru": "Более ранних недель для сравнения нет."},
    "filters": {"en": "Filters", "ru": "Фильтры"},
    "no_filters": {"en": "all feedback", "ru": "все отзывы"},
    "headline": {"en": "Headline figures", "ru": "Главные показатели"},
    "this_week": {"en": "this week", "ru": "эта неделя"},
    "before": {"en": "before", "ru": "ранее"},
    "change": {"en": "change", "ru": "изменение"},
    "documents": {"en": "Feedback (per week)", "ru": "Отзывов (в неделю)"},
    "share_negative": {"en": "Share negative", "ru": "Доля негативных"},
    "nps": {"en": "NPS", "ru": "NPS"},
    "csat": {"en": "CSAT (1–5)", "ru": "CSAT (1–5)"},
    "ces": {"en": "CES (1–7, 7 = easy)", "ru": "CES (1–7, 7 = легко)"},
    "answers": {"en": "answers", "ru": "ответов"},
    "emerging": {"en": "⚠ Emerging this week", "ru": "⚠ Резкий рост на этой неделе"},
    "emerging_line": {
        "en": "{name} ({kind}): {n} complaints this week against {mean} a week before — {ratio}× the usual",
        "ru": "{name} ({kind}): на этой неделе жалоб {n}, а раньше в среднем {mean} в неделю — в {ratio} раза "
        "больше обычного",
    },
    "emerging_new": {
        "en": "{name} ({kind}): {n} complaints this week, none in the weeks before",
        "ru": "{name} ({kind}): на этой неделе жалоб {n}, а раньше не было ни одной",
    },
    "emerging_rule": {
        "en": "Emerging: at least {min} complaints this week and at least {z} standard deviations above its own "
        "weekly history (the rule is in docs/report.md).",
        "ru": "Резкий рост: не меньше {min} жалоб за неделю и не меньше чем на {z} стандартных отклонения выше "
        "собственной истории по неделям (правило — в docs/report.md).",
    },
    "kind_touchpoint": {"en": "touchpoint", "ru": "точка контакта"},
    "kind_theme": {"en": "new theme", "ru": "новая тема"},
    "top": {"en": "Top pain points", "ru": "Главные болевые точки"},
    "top_note": {
        "en": "Ranked by priority = complaints × negativity × trend × (1 + NPS impact⁺ / 10); see docs/report.md.",
        "ru": "Порядок — по приоритету = жалобы × негативность × тренд × (1 + влияние на NPS⁺ / 10); "
        "см. docs/report.md.",
    },
    "rank": {"en": "#", "ru": "№"},
    "touchpoint": {"en": "Touchpoint", "ru": "Точка контакта"},
    "stage": {"en": "Stage", "ru": "Этап"},
    "priority": {"en": "Priority", "ru": "Приоритет"},
    "complaints": {"en": "Complaints", "ru": "Жалобы"},
    "primary": {"en": "Main cause of", "ru": "Главная причина"},
    "avg_before": {"en": "Avg/week before", "ru": "В среднем ранее"},
    "negativity": {"en": "Negativity", "ru": "Негатив"},
    "nps_impact": {"en": "NPS impact", "ru": "Влияние на NPS"},
    "trend": {"en": "Weekly trend", "ru": "По неделям"},
    "trend_chart": {"en": "Complaints per week, top pain points", "ru": "Жалобы по неделям: главные точки"},
    "week": {"en": "Week", "ru": "Неделя"},
    "said": {"en": "What customers said", "ru": "Что говорят клиенты"},
    "no_quotes": {"en": "No complaints this week.", "ru": "На этой неделе жалоб нет."},
    "no_pain": {"en": "No complaints in this period.", "ru": "За этот период жалоб нет."},
    "themes": {"en": "New themes (candidates for the taxonomy)", "ru": "Новые темы (кандидаты в таксономию)"},
    "themes_note": {
        "en": "Negative remarks that fit no touchpoint, grouped by meaning and named by their most typical remark "
        "(in italics: their most distinctive words). A theme keeps its id from week to week.",
        "ru": "Негативные высказывания, не подходящие ни к одной точке контакта, сгруппированы по смыслу и "
        "названы самым типичным из них (курсивом: самые характерные слова). Тема сохраняет свой номер из недели "
        "в неделю.",
    },
    "theme_line": {
        "en": "{size} remarks in the period, {n} this week",
        "ru": "высказываний за период: {size}, на этой неделе: {n}",
    },
    "no_themes": {"en": "No new themes.", "ru": "Новых тем нет."},
    "more_themes": {
        "en": "…and {n} smaller themes ({size} remarks in the period).",
        "ru": "…и ещё тем поменьше: {n} (высказываний за период: {size}).",
    },
    "journey": {"en": "Customer-journey map", "ru": "Карта клиентского пути"},
    "journey_note": {
        "en": "Mentions this week by journey stage: size = volume, colour = net sentiment (red negative, green positive).",
        "ru": "Упоминания за неделю по этапам пути: размер — объём, цвет — баланс тональности "
        "(красный — негатив, зелёный — позитив).",
    },
    "mentions": {"en": "Mentions", "ru": "Упоминания"},
    "negative": {"en": "negative", "ru": "негатив"},
    "positive": {"en": "positive", "ru": "позитив"},
    "net_sentiment": {"en": "Net sentiment", "ru": "Баланс тональности"},
    "silent": {"en": "Silent customers", "ru": "Молчащие клиенты"},
    "silent_note": {
        "en": "Unhappy survey answers this week without a comment (NPS 0–6, CSAT 1–2, CES 1–3), by channel.",
        "ru": "Недовольные ответы на опросы за неделю без комментария (NPS 0–6, CSAT 1–2, CES 1–3), по каналам.",
    },
    "channel": {"en": "Channel", "ru": "Канал"},
    "silent_detractors": {"en": "Detractors without comment", "ru": "Критики без комментария"},
    "silent_low_csat": {"en": "Low CSAT without comment", "ru": "Низкий CSAT без комментария"},
    "silent_low_ces": {
        "en": "Hard effort (CES) without comment",
        "ru": "Высокие усилия (CES) без комментария",
    },
    "of": {"en": "of", "ru": "из"},
    "no_silent": {
        "en": "No unhappy survey answers this week.",
        "ru": "Недовольных ответов на этой неделе нет.",
    },
    "reproduce": {"en": "Reproduce", "ru": "Как воспроизвести"},
    "reproduce_note": {
        "en": "Every number comes from the SQL in docs/report.md; set these variables first:",
        "ru": "Каждое число получено SQL-запросами из docs/report.md; сначала задайте переменные:",
    },
    "generated": {"en": "Generated {at} UTC", "ru": "Сформирован {at} UTC"},
    "pp": {"en": " pp", "ru": " п.п."},
    "facet_sources": {"en": "sources", "ru": "источники"},
    "facet_channels": {"en": "channels", "ru": "каналы"},
    "facet_products": {"en": "products", "ru": "продукты"},
    "facet_languages": {"en": "languages", "ru": "языки"},
    # the explorable page
    "noscript": {
        "en": "This report needs JavaScript to show its figures; summary.md beside it has the same week in text.",
        "ru": "Для показа цифр отчёту нужен JavaScript; в summary.md рядом — та же неделя текстом.",
    },
    "explore": {"en": "Explore", "ru": "Фильтры и период"},
    "pick_week": {"en": "Week", "ru": "Неделя"},
    "f_source": {"en": "Source", "ru": "Источник"},
    "f_channel": {"en": "Channel", "ru": "Канал"},
    "f_product": {"en": "Product", "ru": "Продукт"},
    "f_lang": {"en": "Language", "ru": "Язык"},
    "f_stage": {"en": "Journey stage", "ru": "Этап пути"},
    "f_feeling": {"en": "Emotion, effort", "ru": "Эмоция, усилие"},
    "feel_anger": {"en": "anger", "ru": "гнев"},
    "feel_sadness": {"en": "sadness", "ru": "грусть"},
    "feel_fear": {"en": "fear", "ru": "страх"},
    "feel_hard_effort": {"en": "hard effort", "ru": "много усилий"},
    "clear": {"en": "Clear filters", "ru": "Сбросить фильтры"},
    "explore_note": {
        "en": "Pick a week and filters (values of one filter combine with OR, filters with AND); click a "
        "touchpoint or a theme to read what customers said. The stage and emotion filters narrow the touchpoints "
        "only: with an emotion picked they count the clauses with it (e.g. angry complaints about delivery).",
        "ru": "Выберите неделю и фильтры (значения одного фильтра объединяются через ИЛИ, разные фильтры — "
        "через И); нажмите на точку контакта или тему, чтобы прочитать отзывы. Фильтры по этапу и эмоции сужают "
        "только точки контакта: с выбранной эмоцией считаются фрагменты с ней (например, гневные жалобы на "
        "доставку).",
    },
    "no_week_data": {
        "en": "No documents in the week of {week} for these filters.",
        "ru": "За неделю с {week} при этих фильтрах отзывов нет.",
    },
    "open_hint": {"en": "Click for what customers said", "ru": "Нажмите, чтобы прочитать отзывы"},
    "detail_close": {"en": "Close", "ru": "Закрыть"},
    "detail_week": {"en": "Complaints per week", "ru": "Жалобы по неделям"},
    "detail_scores": {
        "en": "Scores of customers who mentioned it this week (all customers in brackets)",
        "ru": "Оценки клиентов, упомянувших её на этой неделе (в скобках — все клиенты)",
    },
    "prev": {"en": "‹ Previous", "ru": "‹ Назад"},
    "next": {"en": "Next ›", "ru": "Далее ›"},
    "page_of": {"en": "{a}–{b} of {n}", "ru": "{a}–{b} из {n}"},
    "verbatims_capped": {
        "en": "At most {n} verbatims per week, touchpoint, source and language are embedded.",
        "ru": "В отчёт встроено не больше {n} цитат на неделю, точку контакта, источник и язык.",
    },
    "verbatims_from": {
        "en": "Verbatims are embedded from the week of {week} on (size bound).",
        "ru": "Цитаты встроены начиная с недели {week} (ограничение размера).",
    },
    "themes_week": {
        "en": "Themes are clustered for the week of {week} over all feedback; filters and the week picker do not "
        "change them.",
        "ru": "Темы выделены для недели с {week} по всем отзывам; фильтры и выбор недели их не меняют.",
    },
    "theme_words": {"en": "key words", "ru": "ключевые слова"},
    "none_value": {"en": "—", "ru": "—"},
    "glossary": {"en": "What the figures mean", "ru": "Что означают показатели"},
    "explain_documents": {
        "en": "Feedback received this week; 'before' is the weekly average of the weeks compared with.",
        "ru": "Отзывы, полученные за неделю; «ранее» — среднее в неделю за недели сравнения.",
    },
    "explain_share_negative": {
        "en": "Share of this week's feedback with text whose overall tone is negative; its change is in "
        "percentage points (pp).",
        "ru": "Доля отзывов с текстом за неделю с негативной общей тональностью; изменение — в процентных "
        "пунктах (п.п.).",
    },
    "explain_nps": {
        "en": "Net Promoter Score: % of promoters (9–10) minus % of detractors (0–6), from −100 to +100.",
        "ru": "Индекс NPS: % сторонников (9–10) минус % критиков (0–6), от −100 до +100.",
    },
    "explain_csat": {
        "en": "Customer satisfaction: the average answer on 1–5 (5 = very satisfied).",
        "ru": "Удовлетворённость: средний ответ по шкале 1–5 (5 — очень доволен).",
    },
    "explain_ces": {
        "en": "Customer effort: the average answer on 1–7 (7 = very easy); higher is better.",
        "ru": "Усилия клиента: средний ответ по шкале 1–7 (7 — очень легко); чем выше, тем лучше.",
    },
    "explain_priority": {
        "en": "The order to work in: complaints × negativity × trend, raised by 10% per NPS point it costs.",
        "ru": "Порядок работы: жалобы × негатив × тренд, плюс 10% за каждый пункт NPS, который точка отнимает.",
    },
    "explain_complaints": {
        "en": "Negative remarks about the touchpoint this week.",
        "ru": "Негативные высказывания о точке контакта за неделю.",
    },
    "explain_primary": {
        "en": "Customers' complaints (documents) filed under this touchpoint this week: each complaint counts once, "
        "under the touchpoint its negative remarks point to most (the first one counts 1.5 times).",
        "ru": "Обращения с жалобой (документы), отнесённые к этой точке за неделю: каждое считается один раз — "
        "там, куда больше всего указывают его негативные высказывания (первое весит в 1,5 раза больше).",
    },
    "explain_avg_before": {
        "en": "Average complaints per week in the weeks compared with.",
        "ru": "Среднее число жалоб в неделю за недели сравнения.",
    },
    "explain_negativity": {
        "en": "Share of this week's mentions of the touchpoint that are negative.",
        "ru": "Доля негативных среди упоминаний точки контакта за неделю.",
    },
    "explain_nps_impact": {
        "en": "How much this week's NPS would rise without the customers who mentioned it (NPS of the others "
        "minus the week's NPS): positive = it costs NPS points, negative = those customers are happier.",
        "ru": "Насколько вырос бы NPS недели без клиентов, упомянувших точку (NPS остальных минус NPS недели): "
        "плюс — точка отнимает пункты NPS, минус — эти клиенты довольнее остальных.",
    },
    "explain_trend": {
        "en": "Complaints per week, oldest first; the dot is this week.",
        "ru": "Жалобы по неделям, от старых к новым; точка — эта неделя.",
    },
}

#: The headline figures, in order, and the labels the page's script needs (all of them: a few KB).
HEADLINE_KEYS = ("documents", "share_negative", "nps", "csat", "ces")
FACET_LABELS = {
    "sources": "facet_sources",
    "channels": "facet_channels",
    "products": "facet_products",
    "languages": "facet_languages",
}

# Number formats: English 1,234.5; Russian 1 234,5 with a narrow no-break space between thousands.
_SEPARATORS = {"en": (",", "."), "ru": ("\u202f", ",")}


def num(v: float | None, decimals: int = 1, lang: str = "en", signed: bool = False) -> str:
    """``v`` with ``decimals`` decimals, thousands grouped, in the language's separators (None: a dash)."""
    if v is None:
        return "—"
    text = f"{v:{'+' if signed else ''},.{decimals}f}"
    group, point = _SEPARATORS.get(lang, _SEPARATORS["en"])
    return text.replace(",", "\0").replace(".", point).replace("\0", group)


def labels(lang: str) -> dict[str, str]:
    """Every label in ``lang`` (English where it has none), unformatted: the page's script fills them in."""
    return {k: v.get(lang) or v["en"] for k, v in LABELS.items()} | {
        "group": _SEPARATORS.get(lang, _SEPARATORS["en"])[0],
        "point": _SEPARATORS.get(lang, _SEPARATORS["en"])[1],
    }


def emerging_text(name: str, kind: str, n: int, mean: float, lang: str) -> str:
    """The plain-word line of an emerging issue: this week against the weekly average before, as a ratio."""
    kind_text = t(f"kind_{kind}", lang)
    if mean <= 0:
        return t("emerging_new", lang, name=name, kind=kind_text, n=n)
    ratio = n / mean
    return t(
        "emerging_line",
        lang,
        name=name,
        kind=kind_text,
        n=n,
        mean=num(mean, 0 if mean == int(mean) else 1, lang),
        ratio=num(ratio, 1 if ratio < 10 else 0, lang),
    )


def t(key: str, lang: str, **kw: object) -> str:
    text = LABELS[key].get(lang) or LABELS[key]["en"]
    return text.format(**kw) if kw else text
