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
        "en": "{name} ({kind}): {n} complaints vs {mean} per week before (z = {z})",
        "ru": "{name} ({kind}): жалоб {n}, ранее в среднем {mean} в неделю (z = {z})",
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
}


def t(key: str, lang: str, **kw: object) -> str:
    text = LABELS[key].get(lang) or LABELS[key]["en"]
    return text.format(**kw) if kw else text
