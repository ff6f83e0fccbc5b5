"""Deterministic generator of synthetic voice-of-customer data for a fictional online retailer.

The retailer ("the shop") sells electronics, clothing, home goods, groceries, beauty and kids' products
through a website and a mobile app, delivers by courier and to pick-up points, and serves Russian- and
English-speaking customers. Three source kinds are written:

* ``reviews.csv``  – product/service reviews (``review_id,created_at,rating,channel,product,text``);
* ``chats.jsonl``  – support conversations, one JSON object per line, with bot/agent/customer turns;
* ``surveys.csv``  – NPS / CSAT / CES survey responses with an optional open answer.

Every customer text is assembled from 1–3 clauses, each about one touchpoint (see ``TOUCHPOINTS``) with a
polarity, on top of which three pain points are planted (see ``PAIN_POINTS`` and ``data/samples/README.md``).
With ``truth=True`` a ``truth.csv`` side file gives the per-clause ground truth; it is never part of the
committed sample data.

Regenerate the committed files with::

    python -m vocmine.sampledata data/samples

Everything is driven by one ``random.Random(seed)``; the same ``seed`` and ``scale`` give identical bytes.
Rows are produced day by day and streamed to the files, so ``scale=500`` (over a million documents)
needs little memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

__all__ = ["END", "PAIN_POINTS", "START", "TOUCHPOINTS", "generate", "generate_with_stats", "luhn_ok", "main"]

START = date(2026, 8, 31)  # Monday
END = date(2026, 11, 8)  # Sunday
N_DAYS = (END - START).days + 1  # 70 days = 10 weeks

TOUCHPOINTS = (
    "delivery",
    "payment",
    "pricing",
    "product_quality",
    "assortment",
    "website_app",
    "account_login",
    "customer_support",
    "staff_store",
    "returns_refunds",
    "notifications",
    "loyalty_promotions",
)

APP_RELEASE = date(2026, 10, 26)  # app version 5.2

PAIN_POINTS = {
    "delivery_delay_spike": {
        "touchpoint": "delivery",
        "also": [],
        "start": date(2026, 10, 12),
        "end": date(2026, 10, 18),
        "description": "Delivery-delay spike: couriers late, orders stuck at the sorting centre, delivery dates "
        "moved. Reviews, chats and surveys, Russian and English.",
        "expected_effect": "Negative delivery mentions in the week of 2026-10-12 are about 4x their weekly "
        "baseline; delivery is the top negative touchpoint of that week.",
    },
    "checkout_crash_app_5_2": {
        "touchpoint": "website_app",
        "also": ["payment"],
        "start": APP_RELEASE,
        "end": END,
        "description": "Checkout crashes after the release of app version 5.2 on 2026-10-26: the app crashes or "
        "freezes at checkout/payment. Mostly channel 'app' in reviews; also chats and surveys; ru+en.",
        "expected_effect": "Negative website_app mentions jump from 2026-10-26 to the end (about 4x baseline); "
        "website_app is among the top two negative touchpoints in both of the last two weeks.",
    },
    "price_increase_wave": {
        "touchpoint": "pricing",
        "also": [],
        "start": date(2026, 11, 2),
        "end": END,
        "description": "Price-increase complaint wave from 2026-11-02 (the last week): 'prices went up 20%', "
        "'цены выросли'. Reviews, surveys and a few chats; ru+en.",
        "expected_effect": "Negative pricing mentions in the last week are about 4x their weekly baseline; "
        "pricing and website_app are the top two negative touchpoints of the last week.",
    },
}

# --------------------------------------------------------------------------------------------------
# Slot fillers
# --------------------------------------------------------------------------------------------------

CATEGORIES = ("electronics", "clothing", "home", "grocery", "beauty", "kids")
CATEGORY_WEIGHTS = (0.22, 0.22, 0.18, 0.14, 0.12, 0.12)

# (nominative, accusative, gender m/f/n/pl) for Russian; (noun, plural?) for English
ITEMS_RU = {
    "electronics": [
        ("наушники", "наушники", "pl"),
        ("смартфон", "смартфон", "m"),
        ("зарядка", "зарядку", "f"),
        ("пылесос", "пылесос", "m"),
        ("чайник", "чайник", "m"),
        ("колонка", "колонку", "f"),
        ("планшет", "планшет", "m"),
        ("фитнес-браслет", "фитнес-браслет", "m"),
        ("роутер", "роутер", "m"),
        ("клавиатура", "клавиатуру", "f"),
    ],
    "clothing": [
        ("куртка", "куртку", "f"),
        ("кроссовки", "кроссовки", "pl"),
        ("платье", "платье", "n"),
        ("джинсы", "джинсы", "pl"),
        ("свитер", "свитер", "m"),
        ("футболка", "футболку", "f"),
        ("пальто", "пальто", "n"),
        ("ботинки", "ботинки", "pl"),
    ],
    "home": [
        ("сковородка", "сковородку", "f"),
        ("постельное бельё", "постельное бельё", "n"),
        ("подушка", "подушку", "f"),
        ("набор посуды", "набор посуды", "m"),
        ("лампа", "лампу", "f"),
        ("полотенце", "полотенце", "n"),
        ("стул", "стул", "m"),
        ("органайзер", "органайзер", "m"),
    ],
    "grocery": [
        ("кофе", "кофе", "m"),
        ("оливковое масло", "оливковое масло", "n"),
        ("сыр", "сыр", "m"),
        ("набор конфет", "набор конфет", "m"),
        ("чай", "чай", "m"),
        ("мёд", "мёд", "m"),
        ("орехи", "орехи", "pl"),
    ],
    "beauty": [
        ("крем", "крем", "m"),
        ("шампунь", "шампунь", "m"),
        ("тушь", "тушь", "f"),
        ("парфюм", "парфюм", "m"),
        ("сыворотка", "сыворотку", "f"),
        ("фен", "фен", "m"),
        ("помада", "помаду", "f"),
    ],
    "kids": [
        ("конструктор", "конструктор", "m"),
        ("коляска", "коляску", "f"),
        ("кукла", "куклу", "f"),
        ("самокат", "самокат", "m"),
        ("детский комбинезон", "детский комбинезон", "m"),
        ("пазлы", "пазлы", "pl"),
        ("подгузники", "подгузники", "pl"),
    ],
}
ITEMS_EN = {
    "electronics": [
        ("headphones", True),
        ("smartphone", False),
        ("charger", False),
        ("vacuum cleaner", False),
        ("kettle", False),
        ("speaker", False),
        ("tablet", False),
        ("fitness tracker", False),
        ("router", False),
        ("keyboard", False),
    ],
    "clothing": [
        ("jacket", False),
        ("trainers", True),
        ("dress", False),
        ("jeans", True),
        ("jumper", False),
        ("T-shirt", False),
        ("coat", False),
        ("boots", True),
    ],
    "home": [
        ("frying pan", False),
        ("bedding set", False),
        ("pillow", False),
        ("cookware set", False),
        ("lamp", False),
        ("towel set", False),
        ("chair", False),
        ("organiser", False),
    ],
    "grocery": [
        ("coffee", False),
        ("olive oil", False),
        ("cheese", False),
        ("box of chocolates", False),
        ("tea", False),
        ("honey", False),
        ("nuts", True),
    ],
    "beauty": [
        ("face cream", False),
        ("shampoo", False),
        ("mascara", False),
        ("perfume", False),
        ("serum", False),
        ("hair dryer", False),
        ("lipstick", False),
    ],
    "kids": [
        ("building set", False),
        ("pushchair", False),
        ("doll", False),
        ("scooter", False),
        ("snowsuit", False),
        ("puzzle", False),
        ("nappies", True),
    ],
}
GENDER_IDX = {"m": 0, "f": 1, "n": 2, "pl": 3}

CITIES_RU = [
    ("в Москве", "до Москвы"),
    ("в Казани", "до Казани"),
    ("в Самаре", "до Самары"),
    ("в Екатеринбурге", "до Екатеринбурга"),
    ("в Новосибирске", "до Новосибирска"),
    ("в Перми", "до Перми"),
    ("в Туле", "до Тулы"),
    ("в Краснодаре", "до Краснодара"),
    ("в Уфе", "до Уфы"),
    ("в Омске", "до Омска"),
    ("в Ярославле", "до Ярославля"),
]
CITIES_EN = ["London", "Manchester", "Leeds", "Bristol", "Glasgow", "Birmingham", "Cardiff", "Leicester"]

FIRST_RU_M = ["Алексей", "Дмитрий", "Сергей", "Руслан", "Игорь", "Артём", "Михаил", "Тимур", "Павел"]
FIRST_RU_F = ["Марина", "Ольга", "Анна", "Екатерина", "Наталья", "Юлия", "Светлана", "Дарья"]
FIRST_EN_M = ["John", "James", "Mark", "Tom", "Dave", "Ahmed", "Piotr", "Liam", "Oliver"]
FIRST_EN_F = ["Sarah", "Emily", "Priya", "Chloe", "Hannah", "Sophie", "Aisha", "Grace"]
EMAIL_FIRST = ["ivan", "anna", "olga", "dmitry", "k.smirnova", "sergey", "maria", "alex", "natasha", "pavel"]
EMAIL_FIRST += ["john", "sarah", "emily", "tom", "j.brown", "kate", "mike", "lucy", "dan", "priya"]
EMAIL_LAST = [
    "petrov",
    "ivanova",
    "sokolov",
    "kuznetsova",
    "smith",
    "jones",
    "taylor",
    "wilson",
    "orlov",
    "lee",
]
EMAIL_DOMAINS_RU = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "rambler.ru"]
EMAIL_DOMAINS_EN = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "hotmail.co.uk",
    "btinternet.com",
]

SIMPLE_SLOTS = {
    "ru": {
        "late": ["на два дня", "на 3 часа", "на сутки", "на неделю", "на четыре дня", "на полдня"],
        "wait": ["неделю", "пять дней", "две недели", "10 дней", "четыре дня", "шесть дней"],
        "stuck": [
            "уже пятый день",
            "с понедельника",
            "неделю",
            "с прошлой среды",
            "уже 4 дня",
            "третий день",
        ],
        "newdate": [
            "на пятницу",
            "на следующую неделю",
            "на 20-е число",
            "на понедельник",
            "на конец месяца",
        ],
        "day": ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "вчера"],
        "fast": ["за 2 часа", "за сутки", "за один день", "за 3 часа", "буквально за полдня"],
        "pct": ["20%", "15%", "30%", "25%", "10%", "40%"],
        "bonus": ["500 баллов", "300 бонусов", "1000 баллов", "250 баллов"],
        "pp": ["на Ленина", "на Садовой", "у метро", "в ТЦ «Мега»", "на Мира", "возле дома", "на Гагарина"],
        "rise": ["200 рублей", "500 ₽", "300 рублей", "1 000 рублей", "150 ₽"],
        "big": ["3 000 рублей", "5 000 ₽", "2 500 рублей", "4 000 ₽"],
    },
    "en": {
        "late": ["two days", "3 hours", "a whole week", "4 days", "a day", "half a day"],
        "wait": ["a week", "5 days", "over a week", "10 days", "two weeks", "4 days"],
        "stuck": ["since Monday", "for 5 days", "for a week now", "since last Wednesday", "for 4 days"],
        "newdate": ["to Friday", "to next week", "to the 20th", "to Monday", "to the end of the month"],
        "day": [
            "on Monday",
            "on Tuesday",
            "on Wednesday",
            "on Thursday",
            "on Friday",
            "on Saturday",
            "yesterday",
        ],
        "fast": ["in 2 hours", "within a day", "the very next morning", "in under 24 hours", "in 3 hours"],
        "pct": ["20%", "15%", "30%", "25%", "10%", "40%"],
        "bonus": ["500 points", "300 bonus points", "1,000 points", "250 points"],
        "pp": [
            "on High Street",
            "at the station",
            "in the shopping centre",
            "on Church Road",
            "near my house",
        ],
        "rise": ["£2", "£5", "£3.50", "£10", "£1.50"],
        "big": ["£30", "£50", "£40", "£35"],
    },
}
AMOUNTS_RU = [490, 990, 1490, 1990, 2490, 3500, 4990, 7990, 12990, 2000, 3000]
AMOUNTS_EN = ["£4.99", "£9.99", "£15", "£25", "£49.99", "£120", "£30", "£75"]
PII_SLOTS = {"phone": "phone", "email": "email", "card": "card", "cname": "name", "aname": "name"}

# --------------------------------------------------------------------------------------------------
# Phrase pools: POOLS[(touchpoint, polarity)][lang] -> templates.
# Slots: {order} {late} {wait} {stuck} {newdate} {day} {fast} {pct} {bonus} {pp} {amount} {rise} {big} {city_in}
# {city_to} {city} {item_nom} {item_acc} {item} {cname} {aname} {phone} {email} {card};
# {a} / {sya}: customer-gender endings (ждал{a}, пытал{sya}); {c:m|f}: customer-gender choice;
# {v:m|f|n|pl}: agreement with the Russian item; {n:sg|pl}: agreement with the English item;
# {ag:m|f}: agreement with the agent's gender.
# --------------------------------------------------------------------------------------------------

DELIVERY_DELAY = {
    "ru": [
        "Курьер опоздал {late}",
        "Заказ {order} застрял на сортировке {stuck}",
        "Дату доставки переносили три раза",
        "Ждал{a} курьера весь день, так никто и не приехал",
        "Доставку перенесли {newdate} без всякого предупреждения",
        "Посылка {stuck} висит в статусе «Передан в доставку»",
        "Обещали привезти за день, а везли {wait}",
        "Капец, заказ опять задерживается",
        "Доставка ваще никакая, сроки сдвинули уже дважды",
        "В пункт выдачи заказ пришёл {late} позже обещанного",
        "Трек-номер не обновляется {stuck}",
        "Сроки доставки постоянно срываются",
        "Доставка {city_to} заняла {wait}, хотя обещали два дня",
        "Где мой заказ?? Жду уже {wait}",
        "Заказ должен был приехать {day}, но так и не приехал",
        "Курьер не приехал в выбранный интервал, перенесли на завтра",
        "Задержка доставки {late}, и никто ничего не объясняет",
        "Статус заказа не меняется {stuck}",
        "Уже третий раз сдвигают дату доставки",
        "Опоздание курьера {late} — это несерьёзно",
        "Заказ {order} до сих пор в пути, хотя срок давно прошёл",
        "Доставка задерживается, а в приложении пишут «скоро будет»",
    ],
    "en": [
        "The courier was {late} late",
        "Order {order} has been stuck at the sorting centre {stuck}",
        "They moved the delivery date three times",
        "I waited in all day for the courier and nobody showed up",
        "Delivery was pushed back {newdate} without any warning",
        "My parcel has been sitting in 'out for delivery' {stuck}",
        "Promised next-day delivery, took {wait}",
        "Ugh, my order is delayed AGAIN",
        "Delivery dates keep slipping",
        "The order reached the pickup point {late} later than promised",
        "Tracking hasn't updated {stuck}",
        "Where is my order?? Been waiting {wait}",
        "It was supposed to arrive {day} and it still hasn't",
        "The courier missed the time slot and rescheduled for tomorrow",
        "Delivery to {city} took {wait} instead of two days",
        "Late delivery again and nobody explains anything",
        "Third time they've postponed my delivery",
        "Courier turned up {late} late, not acceptable",
        "Order {order} stuck in transit {stuck}",
        "Still no sign of my parcel, it's {wait} overdue",
        "Delivery is delayed but the app keeps saying 'arriving soon'",
    ],
}

PRICE_INCREASE = {
    "ru": [
        "Цены выросли на {pct} за месяц",
        "Всё подорожало, раньше {item_nom} {v:стоил|стоила|стоило|стоили} дешевле",
        "Цены взлетели, больше не вижу смысла у вас заказывать",
        "Опять подняли цены, это уже перебор",
        "За неделю {item_nom} {v:подорожал|подорожала|подорожало|подорожали} на {rise}",
        "С ноября цены конские",
        "Цены растут каждую неделю, капец",
        "Подняли цены на {pct}, а качество то же",
        "Корзина, которая стоила {big}, теперь обходится на треть дороже",
        "Повысили цены и убрали скидки — спасибо, не надо",
        "Зачем так резко поднимать цены?",
        "Цены поползли вверх, у конкурентов уже дешевле",
        "Подорожание на {pct} за одну неделю — это несерьёзно",
        "Подняли и стоимость доставки, и цены на товары",
        "Раньше было выгодно, а после повышения цен ваще нет",
        "Новые цены неприятно удивили",
        "Цены выросли, а зарплата нет 😒",
        "Всё, что я обычно беру, подорожало на {pct}",
    ],
    "en": [
        "Prices went up {pct} in a month",
        "Everything is more expensive now, the {item} used to be cheaper",
        "Prices have shot up, no reason to order here anymore",
        "You've raised prices again, this is too much",
        "The {item} went up by {rise} in one week",
        "Prices since November are ridiculous",
        "Prices keep going up every week",
        "Raised prices by {pct} and the quality is the same",
        "A basket that cost {big} is now a third more",
        "Higher prices AND fewer discounts? No thanks",
        "Why such a sudden price hike?",
        "Prices creeping up, competitors are cheaper now",
        "A {pct} price increase overnight is not okay",
        "Delivery fee and product prices both went up",
        "Used to be good value, not after this price hike",
        "The new prices were an unpleasant surprise",
        "Everything I usually buy is up {pct}",
    ],
}

CHECKOUT_CRASH = {
    "ru": [
        "Приложение вылетает при оплате",
        "После обновления приложение крашится на этапе оформления заказа",
        "Нажимаю «Оплатить» — и приложение закрывается",
        "Версия 5.2 вообще не даёт оплатить, вылетает",
        "Приложение зависает на экране оплаты",
        "Не могу оформить заказ: приложение вылетает в корзине",
        "После обновления до 5.2 приложение виснет при оформлении",
        "Третий раз пытаюсь оплатить, приложение падает",
        "Капец, после апдейта приложение вылетает при оплате",
        "Оформление в приложении сломано, пришлось заказывать через сайт",
        "На шаге оплаты белый экран, и приложение вылетает",
        "Приложение падает, как только выбираю способ оплаты",
        "Новая версия приложения постоянно вылетает при оформлении",
        "Оформление заказа в приложении не работает, всё виснет",
        "Полчаса не мог{c:|ла} оплатить: приложение вылетает",
        "После обновления ничего не купить, приложение закрывается при оплате",
        "Приложение вылетает при нажатии на кнопку оплаты",
        "Корзина не грузится, приложение вылетает",
    ],
    "en": [
        "The app crashes when I tap Pay",
        "Since the update the app crashes at checkout",
        "I tap 'Place order' and the app just closes",
        "Version 5.2 won't let me pay, it crashes every time",
        "App freezes on the payment screen",
        "Can't check out, the app crashes in the basket",
        "After updating to 5.2 the app hangs at checkout",
        "Third attempt to pay, the app keeps crashing",
        "Ugh, after the update the app crashes during payment",
        "Checkout in the app is broken, had to order on the website",
        "White screen and a crash on the payment step",
        "App crashes as soon as I choose a payment method",
        "The new app version keeps crashing at checkout",
        "Checkout doesn't work in the app, everything freezes",
        "Spent half an hour trying to pay, the app kept crashing",
        "Since the update it's impossible to buy anything, the app closes at payment",
        "App crashes when I press the pay button",
    ],
}

POOLS: dict[tuple[str, str], dict[str, list[str]]] = {
    # ---------------------------------------------------------------- delivery
    ("delivery", "neg"): {
        "ru": DELIVERY_DELAY["ru"]
        + [
            "Коробка приехала мятая, {item_nom} внутри {v:поцарапан|поцарапана|поцарапано|поцарапаны}",
            "Заказ отметили как доставленный, а я ничего не получил{a}",
            "Курьер не дозвонился и увёз заказ обратно, хотя я был{a} дома",
            "Привезли чужой заказ",
            "Курьер даже не поднялся на этаж, бросил пакет у подъезда",
            "Упаковка порвана, часть товаров потерялась",
            "Курьер грубил и требовал выйти к машине",
            "Посылку отправили не в тот пункт выдачи",
            "Заказ привезли без одной позиции",
        ],
        "en": DELIVERY_DELAY["en"]
        + [
            "The box arrived crushed and the {item} {n:was|were} scratched",
            "Marked as delivered but I never got anything",
            "Courier didn't call and took the parcel back even though I was home",
            "They delivered someone else's order",
            "The driver left the parcel outside in the rain",
            "Packaging was torn and one item was missing",
            "The courier was rude and made me come down to the van",
            "My parcel went to the wrong pickup point",
        ],
    },
    ("delivery", "pos"): {
        "ru": [
            "Доставка быстрая, привезли на следующий день",
            "Курьер приехал точно в интервал",
            "Заказ пришёл на день раньше обещанного",
            "Доставили {fast}",
            "Курьер вежливый, позвонил заранее",
            "Всё упаковано аккуратно, ничего не помялось",
            "Забрал{a} в пункте выдачи у дома, очень удобно",
            "Доставка огонь 🔥",
            "Очень быстро привезли, спасибо курьеру",
            "Доставка как всегда на высоте",
            "Заказал{a} вечером, а утром уже получил{a}",
            "Сроки соблюдены, всё чётко",
            "Удобно, что можно выбрать интервал доставки",
            "Трекинг точный, курьер приехал минута в минуту",
            "Доставка норм, без задержек",
            "Доставка {city_to} всего за два дня, приятно удивили",
            "Курьер помог занести тяжёлую коробку до квартиры",
            "Посылка пришла целой и вовремя",
        ],
        "en": [
            "Super fast delivery, arrived the next day",
            "The courier came right on time",
            "Arrived a day earlier than promised",
            "Delivered {fast}",
            "Polite courier, called ahead",
            "Everything was packed carefully, nothing damaged",
            "Picked it up from the pickup point near my house, really convenient",
            "Delivery was lightning quick ⚡",
            "Quick delivery, thanks to the driver",
            "Delivery as reliable as always",
            "Ordered in the evening and had it the next morning",
            "Delivered exactly when promised",
            "Love that I can choose a delivery slot",
            "Tracking was accurate to the minute",
            "Delivery was fine, no delays",
            "Got to {city} in just two days, impressive",
            "The driver carried the heavy box up to my flat",
            "Parcel arrived intact and on time",
        ],
    },
    ("delivery", "neu"): {
        "ru": [
            "Доставка заняла три дня",
            "Заказ забирал{a} в пункте выдачи",
            "Выбрал{a} курьерскую доставку",
            "Привезли в обычные сроки",
            "Доставка {city_to} — около недели, как и написано",
        ],
        "en": [
            "Delivery took three days",
            "I collected it from a pickup point",
            "Chose courier delivery",
            "Arrived within the usual time",
            "Delivery to {city} takes about a week, as stated",
        ],
    },
    # ---------------------------------------------------------------- payment
    ("payment", "neg"): {
        "ru": [
            "Деньги списали дважды",
            "Оплата картой не проходит, пишет «ошибка банка»",
            "Оплатил{a} заказ, а он висит как неоплаченный",
            "Не работает оплата через СБП",
            "Списали {amount}, а в чеке другая сумма",
            "Нельзя оплатить при получении, только онлайн — неудобно",
            "Платёж завис, деньги заблокированы на карте",
            "Трижды вводил{a} код из СМС, оплата так и не прошла",
            "Курьер приехал без терминала, пришлось искать наличные",
            "Чек на почту так и не пришёл",
            "Бонусы при оплате не применились, списали всю сумму с карты",
            "Не могу привязать карту, выдаёт ошибку",
            "Деньги за заказ списали, а заказ отменили",
            "Оплату долями не одобряют без объяснений",
            "Списание прошло, а заказ не создался",
            "В пункте выдачи не работает терминал для оплаты картой",
        ],
        "en": [
            "I was charged twice",
            "Card payment keeps failing with a 'bank error'",
            "Paid for the order but it still shows as unpaid",
            "Apple Pay doesn't work at all",
            "Charged {amount} but the receipt shows a different total",
            "No cash on delivery option, card only",
            "Payment got stuck and the money is on hold on my card",
            "Entered the 3-D Secure code three times, payment never went through",
            "Courier had no card terminal, had to find cash",
            "Never got the receipt by email",
            "Gift card balance wasn't applied, full amount taken from my card",
            "Can't save my card, it throws an error",
            "Money taken but the order was cancelled",
            "Pay-in-4 got declined with no explanation",
            "The card reader at the pickup point was broken",
            "Payment went through twice and only one order was created",
        ],
    },
    ("payment", "pos"): {
        "ru": [
            "Оплата прошла мгновенно",
            "Удобно платить через СБП",
            "Можно оплатить картой курьеру, это плюс",
            "Оплата долями — очень выручает",
            "Всё оплатил{a} в пару кликов",
            "Сохранённая карта — удобно, ничего не надо вводить",
            "Чек сразу пришёл на почту",
            "Понравилось, что можно оплатить при получении",
            "С оплатой никаких проблем",
            "Оплата бонусами работает без сбоев",
            "Платёж прошёл с первого раза",
            "Удобно, что есть Mir Pay",
            "Оплатил{a} частями без переплаты, супер",
            "У курьера был терминал, оплатил{a} картой без проблем",
            "Оплата норм, всё быстро",
            "Деньги списались ровно в момент получения, всё прозрачно",
        ],
        "en": [
            "Payment went through instantly",
            "Paying with Apple Pay is so easy",
            "Great that you can pay the courier by card",
            "Pay-in-4 is a lifesaver",
            "Paid in a couple of taps",
            "Saved card makes paying painless",
            "Got the receipt by email straight away",
            "Love the pay on delivery option",
            "No issues with payment at all",
            "Paying with my gift card balance worked perfectly",
            "Payment went through first time, no hassle",
            "Google Pay works like a charm",
            "Split the payment with no fees, brilliant",
            "Courier had a card machine, easy",
            "Payment was smooth",
            "Clear and transparent charges",
        ],
    },
    ("payment", "neu"): {
        "ru": ["Оплатил{a} картой онлайн", "Платил{a} наличными при получении", "Оплачивал{a} через СБП"],
        "en": ["Paid by card online", "Paid cash on delivery", "Used Apple Pay"],
    },
    # ---------------------------------------------------------------- pricing
    ("pricing", "neg"): {
        "ru": [
            "Дороговато для такого качества",
            "У конкурентов то же самое дешевле",
            "Доставка платная даже при заказе на {big}",
            "Цена в корзине оказалась выше, чем в карточке товара",
            "Цена на сайте и в приложении разная",
            "Цены кусаются",
            "За такие деньги ожидал{a} большего",
            "Переплатил{a}, на маркетплейсе было дешевле",
            "Сервисный сбор — что это вообще такое?",
            "Цены выше средних по рынку",
            "Цена за {item_acc} завышена раза в два",
            "Доставка стоит дороже самого товара",
            "Цена поменялась, пока я оформлял{a} заказ",
            "На последнем шаге добавили скрытые сборы",
            "Дорого и без скидок",
            "Упаковку и доставку посчитали отдельно, вышло дорого",
        ],
        "en": [
            "Bit pricey for the quality",
            "Same thing is cheaper elsewhere",
            "Still charged for delivery on a {big} order",
            "The price in the basket was higher than on the product page",
            "Prices in the app and on the website don't match",
            "Prices are steep",
            "Expected more for that money",
            "Overpaid, it was cheaper on the marketplace",
            "What is this 'service fee' about?",
            "Prices above the market average",
            "The {item} is overpriced by half",
            "Delivery costs more than the item itself",
            "The price changed while I was placing the order",
            "Hidden fees added at the very last step",
            "Expensive and no discounts",
            "Way too expensive tbh",
        ],
    },
    ("pricing", "pos"): {
        "ru": [
            "Цены ниже, чем в магазинах",
            "Отличная цена за такое качество",
            "Цены ниже, чем год назад, очень выгодно",
            "Дешевле, чем на маркетплейсах",
            "Цена приятно удивила",
            "Бесплатная доставка от {big} — очень выгодно",
            "Соотношение цена/качество отличное",
            "Цены адекватные",
            "{c:Нашёл|Нашла} {item_acc} дешевле, чем где-либо",
            "Выгодно, особенно большие упаковки",
            "Цены норм, не переплачиваешь",
            "За эти деньги — просто супер",
            "Цена ниже, чем в прошлый раз",
            "Честные цены без сервисных сборов",
            "Копеечная цена, а качество хорошее",
            "Дёшево и сердито 👌",
        ],
        "en": [
            "Cheaper than in shops",
            "Great price for this quality",
            "Brilliant value, cheaper than a year ago",
            "Cheaper than on the marketplaces",
            "Pleasantly surprised by the price",
            "Free delivery over {big} is a great deal",
            "Excellent value for money",
            "Fair prices",
            "Found the {item} cheaper here than anywhere else",
            "Good value, especially the bigger packs",
            "Prices are reasonable",
            "For this money it's a steal",
            "Price was lower than last time",
            "Honest pricing, no hidden fees",
            "Cheap and cheerful 👌",
            "Best price I could find",
        ],
    },
    ("pricing", "neu"): {
        "ru": ["Цена обычная", "Брал{a} по полной цене", "Цена примерно как везде"],
        "en": ["Price is average", "Paid full price", "Price is about the same as elsewhere"],
    },
    # ---------------------------------------------------------------- product_quality
    ("product_quality", "neg"): {
        "ru": [
            "Товар не соответствует описанию",
            "На фото выглядело гораздо лучше",
            "Сильный химический запах, выветривается неделю",
            "Товар пришёл б/у, со следами использования",
            "Качество стало хуже, чем раньше",
            "Подделка, а не оригинал",
            "Качество ну такое, на троечку",
            "В коробке не хватало деталей",
            "Описание врёт, характеристики другие",
            "Брак уже второй раз подряд",
            "Материалы дешёвые, всё какое-то хлипкое",
            "Пришёл брак: {item_nom} не {v:работает|работает|работает|работают}",
            "{item_nom} — полное разочарование",
            "Качество отвратительное, больше не возьму",
            "Вещь явно не новая",
        ],
        "en": [
            "Not as described",
            "Looked much better in the photos",
            "Strong chemical smell that won't go away",
            "Item arrived used, with visible wear",
            "Quality has gone downhill",
            "Pretty sure it's a fake",
            "Quality is meh, 3 out of 10",
            "Parts were missing from the box",
            "Specs on the page are wrong",
            "Second faulty one in a row",
            "Cheap materials, feels flimsy",
            "Arrived faulty, the {item} {n:doesn't|don't} work",
            "The {item} {n:is|are} a total disappointment",
            "Awful quality, won't buy again",
            "Clearly not new",
        ],
    },
    ("product_quality", "pos"): {
        "ru": [
            "Качество отличное",
            "{item_nom} полностью {v:соответствует|соответствует|соответствует|соответствуют} описанию",
            "Товар супер, рекомендую",
            "Качество лучше, чем ожидал{a}",
            "Пользуюсь месяц — полёт нормальный",
            "{item_nom} — просто бомба 🔥",
            "Материалы приятные, сделано добротно",
            "Оригинал, всё проверил{a}",
            "Очень {c:доволен|довольна} покупкой",
            "Качество норм, за свои деньги огонь",
            "Беру уже второй раз, качество стабильное",
            "Выглядит даже лучше, чем на фото",
            "Всё целое, без дефектов",
            "Классная вещь, пользуемся всей семьёй",
            "{item_nom} {v:пришёл|пришла|пришло|пришли} в идеальном состоянии",
        ],
        "en": [
            "Excellent quality",
            "The {item} {n:is|are} exactly as described",
            "Great product, highly recommend",
            "Better quality than I expected",
            "Been using it for a month, no complaints",
            "The {item} {n:is|are} amazing 🔥",
            "Nice materials, well made",
            "Genuine product, I checked",
            "Really happy with this purchase",
            "Solid quality for the money",
            "Second time buying, consistent quality",
            "Looks even better than in the photos",
            "No defects at all",
            "Lovely item, the whole family uses it",
            "Love it!! 😍",
        ],
    },
    ("product_quality", "neu"): {
        "ru": [
            "Товар обычный, ничего особенного",
            "Пользуюсь недавно, пока рано судить",
            "Соответствует цене",
        ],
        "en": ["It's an ordinary product", "Only used it a few days, too early to say", "Does the job"],
    },
    # ---------------------------------------------------------------- assortment
    ("assortment", "neg"): {
        "ru": [
            "Нужного размера никогда нет в наличии",
            "Ассортимент стал беднее",
            "Половина товаров «нет в наличии»",
            "Любимый бренд пропал из каталога",
            "Выбор маленький, пришлось искать на другом сайте",
            "Заказ отменили — товара не оказалось на складе",
            "Нормальных детских товаров почти нет",
            "Ассортимент однообразный",
            "На сайте товар в наличии, а при оформлении пишет, что закончился",
            "Ждал{a} поступления месяц, так и не завезли",
        ],
        "en": [
            "My size is never in stock",
            "The range has got smaller",
            "Half the catalogue is out of stock",
            "My favourite brand disappeared from the catalogue",
            "Tiny selection, had to look elsewhere",
            "Order cancelled because the item wasn't in the warehouse",
            "Barely any kids' stuff",
            "Same boring products everywhere",
            "Shows in stock, then says sold out when you order",
            "Waited a month for a restock that never came",
        ],
    },
    ("assortment", "pos"): {
        "ru": [
            "Огромный выбор",
            "{c:Нашёл|Нашла} всё, что нужно, в одном месте",
            "Ассортимент отличный, есть даже редкие бренды",
            "Много новинок каждую неделю",
            "Всё было в наличии",
            "Удобно, что есть и продукты, и техника",
            "Выбор лучше, чем в обычных магазинах",
            "Нашлись размеры, которых нигде нет",
            "Ассортимент огонь",
            "Большой выбор детских товаров",
        ],
        "en": [
            "Huge selection",
            "Found everything I need in one place",
            "Great range, even niche brands",
            "Lots of new arrivals every week",
            "Everything was in stock",
            "Handy to have groceries and electronics in one place",
            "Better choice than high street shops",
            "Finally found my size",
            "Amazing range",
            "Great kids' section",
        ],
    },
    ("assortment", "neu"): {
        "ru": ["Ассортимент стандартный", "Выбор примерно как везде"],
        "en": ["The range is standard", "Selection is similar to other shops"],
    },
    # ---------------------------------------------------------------- website_app
    ("website_app", "neg"): {
        "ru": [
            "Поиск на сайте работает ужасно",
            "Фильтры в каталоге сбрасываются",
            "Приложение тормозит",
            "Сайт очень медленно грузится",
            "Неудобный интерфейс, ничего не найти",
            "Корзина очищается сама по себе",
            "Приложение жрёт батарею",
            "Постоянно выкидывает на главную",
            "Карточки товаров грузятся по минуте",
            "Всё переставили в меню, ничего не понятно",
            "Не работает сравнение товаров",
            "В приложении нет тёмной темы, глаза устают",
            "Сайт не открывается с телефона",
            "Фото товаров не грузятся",
            "Поиск по артикулу не находит товар",
            "Приложение весит как игра, а толку мало",
        ],
        "en": [
            "Website search is awful",
            "Catalogue filters keep resetting",
            "The app is so laggy",
            "Site takes forever to load",
            "Confusing interface, can't find anything",
            "My basket empties itself",
            "The app drains my battery",
            "Keeps kicking me back to the home screen",
            "Product pages take a minute to load",
            "The redesign moved everything around, super confusing",
            "Product comparison doesn't work",
            "No dark mode in the app",
            "The mobile site won't open",
            "Product photos don't load",
            "Search by SKU finds nothing",
            "The app is huge and does very little",
        ],
    },
    ("website_app", "pos"): {
        "ru": [
            "Удобное приложение",
            "Сайт быстрый и понятный",
            "Оформил{a} заказ за минуту",
            "Поиск отлично работает",
            "Приложение удобное, всё интуитивно",
            "Нравится новый дизайн приложения",
            "Удобные фильтры в каталоге",
            "Приложение работает без глюков",
            "Всё быстро грузится",
            "Удобно отслеживать заказ в приложении",
            "Приложение — огонь, пользуюсь каждый день",
            "Интерфейс простой, даже мама разобралась",
            "Удобно, что можно сохранять избранное",
            "Сайт норм, всё понятно",
            "Приложение стало быстрее",
            "Хорошие фото и подробные описания на сайте",
        ],
        "en": [
            "Really convenient app",
            "Website is fast and easy",
            "Placed the order in a minute",
            "Search works great",
            "The app is intuitive",
            "Love the new app design",
            "Handy catalogue filters",
            "App runs without glitches",
            "Everything loads fast",
            "Easy to track the order in the app",
            "Great app, use it every day",
            "Simple interface, even my mum figured it out",
            "The wishlist feature is handy",
            "Site is fine, everything's clear",
            "The app feels faster now",
            "Good photos and detailed descriptions",
        ],
    },
    ("website_app", "neu"): {
        "ru": ["Заказывал{a} через приложение", "Оформлял{a} на сайте", "Пользуюсь приложением на андроиде"],
        "en": ["Ordered through the app", "Ordered on the website", "I use the app on my iPhone"],
    },
    # ---------------------------------------------------------------- account_login
    ("account_login", "neg"): {
        "ru": [
            "Не приходит код для входа",
            "Не могу войти в аккаунт уже {wait}",
            "Постоянно разлогинивает",
            "Аккаунт заблокировали без объяснения",
            "Восстановление пароля не работает",
            "Пропала история заказов в личном кабинете",
            "Не получается сменить номер телефона в профиле",
            "Вход через VK ID не работает",
            "Каждый раз заново вводить код из СМС — бесит",
            "Личный кабинет не сохраняет адрес",
        ],
        "en": [
            "Login code never arrives",
            "Locked out of my account for {wait}",
            "Keeps logging me out",
            "Account blocked with no explanation",
            "Password reset doesn't work",
            "Order history disappeared from my account",
            "Can't change my phone number in the profile",
            "Sign in with Google is broken",
            "Having to enter an SMS code every single time is annoying",
            "My account doesn't save my address",
        ],
    },
    ("account_login", "pos"): {
        "ru": [
            "Вход по коду — быстро и удобно",
            "В личном кабинете всё понятно",
            "Вход через VK ID за секунду",
            "Удобно, что сохраняются адреса",
            "Вся история заказов под рукой",
            "Легко восстановил{a} доступ к аккаунту",
            "Профиль настраивается за минуту",
            "Вход по отпечатку пальца — очень удобно",
        ],
        "en": [
            "Logging in with a code is quick",
            "The account page is clear",
            "Sign in with Google takes a second",
            "Saved addresses are handy",
            "Full order history at hand",
            "Recovered my account easily",
            "Profile setup took a minute",
            "Fingerprint login is super convenient",
        ],
    },
    ("account_login", "neu"): {
        "ru": ["Зарегистрировал{sya} по номеру телефона", "{c:Вошёл|Вошла} через почту"],
        "en": ["Signed up with my phone number", "Logged in with email"],
    },
    # ---------------------------------------------------------------- customer_support
    ("customer_support", "neg"): {
        "ru": [
            "Поддержка не отвечает {wait}",
            "Оператор отвечает шаблонами, проблему не решили",
            "В чате бот ходит по кругу, до живого человека не достучаться",
            "Висел{a} на линии 40 минут",
            "Обещали перезвонить и не перезвонили",
            "Поддержка бесполезная",
            "Пишу третий раз, а воз и ныне там",
            "Обращение закрыли, ничего не сделав",
            "Оператор нагрубил",
            "Каждый новый оператор просит заново всё рассказать",
            "Ответили через {wait}, когда уже было неактуально",
            "Поддержка только и умеет извиняться",
            "Отписки вместо помощи",
            "Горячая линия постоянно занята",
            "Служба поддержки ваще не помогает",
            "Ни одного внятного ответа от поддержки",
        ],
        "en": [
            "Support hasn't replied in {wait}",
            "The agent just copy-pasted scripts, nothing got solved",
            "The chat bot goes in circles, can't reach a human",
            "On hold for 40 minutes",
            "Promised a call back, never happened",
            "Customer service is useless",
            "Third time writing in and still nothing",
            "They closed my ticket without doing anything",
            "The agent was rude",
            "Every new agent asks me to explain everything again",
            "Got a reply after {wait}, way too late",
            "All support does is apologise",
            "Generic replies instead of help",
            "The hotline is always busy",
            "Support doesn't help at all",
            "Never got a straight answer from support",
        ],
    },
    ("customer_support", "pos"): {
        "ru": [
            "Поддержка ответила за пару минут",
            "Оператор всё быстро решил",
            "Спасибо поддержке, помогли разобраться",
            "В чате ответили мгновенно и по делу",
            "Вежливые операторы",
            "Проблему решили за один звонок",
            "Поддержка на высоте",
            "Сами перезвонили и всё объяснили",
            "Компенсировали баллами без лишних вопросов",
            "Очень внимательная служба поддержки",
            "Оператор вошёл в положение и помог",
            "Поддержка — топ, всё решили",
            "Ответили даже ночью",
            "Человеческое отношение, а не шаблоны",
            "Помогли оформить заказ по телефону",
            "С поддержкой повезло, всё супер",
        ],
        "en": [
            "Support replied within a couple of minutes",
            "The agent sorted it out quickly",
            "Thanks to support for helping me out",
            "Chat replied instantly and to the point",
            "Polite agents",
            "Fixed in a single call",
            "Customer service is top notch",
            "They called me back and explained everything",
            "Compensated with points, no questions asked",
            "Very attentive support team",
            "The agent went the extra mile",
            "Support was great, all solved",
            "Got an answer even late at night",
            "Felt like talking to a human, not a script",
            "Helped me place the order over the phone",
            "Brilliant customer service",
        ],
    },
    ("customer_support", "neu"): {
        "ru": ["Написал{a} в поддержку", "Обращал{sya} в чат", "Позвонил{a} на горячую линию"],
        "en": ["I contacted support", "Wrote to the chat", "Called the hotline"],
    },
    # ---------------------------------------------------------------- staff_store
    ("staff_store", "neg"): {
        "ru": [
            "Сотрудник пункта выдачи хамил",
            "В пункте выдачи огромная очередь, работает одна девушка",
            "Сотрудник долго искал заказ, а потом сказал, что его нет",
            "Не дали примерить в пункте выдачи",
            "Консультанты в магазине не знают ассортимента",
            "Продавец сидел в телефоне и игнорировал покупателей",
            "В пункте выдачи {pp} грязно и тесно",
            "Кассир ошибся при расчёте",
            "Сотрудники ПВЗ не помогли с возвратом, отправили в чат",
            "Пункт выдачи открылся на час позже",
        ],
        "en": [
            "Pickup point staff were rude",
            "Huge queue at the pickup point, only one person working",
            "Staff took ages to find my parcel, then said it wasn't there",
            "Wasn't allowed to try things on at the pickup point",
            "Store assistants don't know the products",
            "The shop assistant was on the phone ignoring customers",
            "The pickup point {pp} is dirty and cramped",
            "The cashier got my change wrong",
            "Staff at the pickup point wouldn't help with my return",
            "The pickup point opened an hour late",
        ],
    },
    ("staff_store", "pos"): {
        "ru": [
            "В пункте выдачи всё быстро, без очереди",
            "Сотрудница ПВЗ очень приветливая",
            "Консультант в магазине помог с выбором",
            "Дали спокойно примерить и проверить товар",
            "В пункте выдачи {pp} чисто и уютно",
            "Ребята в магазине вежливые",
            "Сотрудник сам предложил проверить технику на месте",
            "Выдали заказ за минуту",
            "Персонал супер, всегда помогут",
            "В магазине приятная атмосфера",
        ],
        "en": [
            "Pickup point was quick, no queue",
            "Friendly staff at the pickup point",
            "The shop assistant helped me choose",
            "They let me try things on and check everything",
            "The pickup point {pp} is clean and tidy",
            "Staff in the store are polite",
            "Staff offered to test the electronics on the spot",
            "Got my parcel in a minute",
            "Great staff, always helpful",
            "Nice vibe in the store",
        ],
    },
    ("staff_store", "neu"): {
        "ru": ["Забирал{a} в магазине", "Заказ забирал{a} в пункте выдачи {pp}"],
        "en": ["Collected in store", "Picked it up at the pickup point {pp}"],
    },
    # ---------------------------------------------------------------- returns_refunds
    ("returns_refunds", "neg"): {
        "ru": [
            "Деньги за возврат не вернули до сих пор",
            "Возврат оформляю {wait}, всё без толку",
            "Жду возврат средств уже {wait}",
            "Отказали в возврате без объяснения причин",
            "Возврат принимают только в одном пункте на весь город",
            "Вернули не всю сумму",
            "Заявку на возврат отклонили, хотя товар с браком",
            "Чтобы вернуть {item_acc}, пришлось ехать через весь город",
            "Деньги вернули баллами, а не на карту",
            "Возврат {stuck} висит в статусе «на проверке»",
            "Возврат — это квест из десяти шагов",
            "Курьер не забрал возврат в назначенный день",
            "Возврат сделали, а товар снова привезли",
            "Обещали вернуть деньги за 3 дня, а прошло уже 10",
            "С возвратом полный капец",
            "Возврат по гарантии тянется уже месяц",
            "За возврат ещё и комиссию взяли",
        ],
        "en": [
            "Still haven't got my refund",
            "Been trying to return it for {wait}, getting nowhere",
            "Waiting for a refund for {wait}",
            "Return refused with no reason given",
            "Only one drop-off point in the whole city accepts returns",
            "Only got a partial refund",
            "Return rejected even though the item is faulty",
            "Had to cross the whole city to return the {item}",
            "Refunded in points instead of back to my card",
            "Return status stuck on 'under review' {stuck}",
            "Returning something is a ten-step quest",
            "The courier never came to collect the return",
            "Processed the return and then delivered the same item again",
            "Promised a refund in 3 days, it's been 10",
            "Returns are a total nightmare",
            "My warranty claim has been dragging on for a month",
            "They charged a fee for the return",
        ],
    },
    ("returns_refunds", "pos"): {
        "ru": [
            "Возврат оформил{a} за пять минут",
            "Деньги вернули на следующий день",
            "Возврат без лишних вопросов",
            "Курьер сам забрал возврат",
            "Вернул{a} {item_acc} без проблем",
            "Деньги за возврат пришли быстрее, чем обещали",
            "Удобно сдавать возврат в любом пункте выдачи",
            "Обменяли бракованный товар на новый без вопросов",
            "Возврат — проще не придумаешь",
            "Вернули полную сумму, включая доставку",
            "Возврат прошёл гладко",
            "Оформил{a} возврат в приложении в пару кликов",
            "Приняли возврат даже без коробки",
            "Возврат денег за 2 дня — супер",
            "С возвратами никаких проблем",
        ],
        "en": [
            "Return done in five minutes",
            "Refund arrived the next day",
            "No-questions-asked returns",
            "Courier picked up the return from my door",
            "Returned the {item} with no hassle",
            "Refund came faster than promised",
            "Handy that you can drop returns at any pickup point",
            "Swapped the faulty one for a new one, no questions",
            "Returns couldn't be easier",
            "Full refund including delivery",
            "Return went smoothly",
            "Started the return in the app in two taps",
            "They accepted the return without the box",
            "Refund in 2 days, great",
            "Never had issues with returns",
        ],
    },
    ("returns_refunds", "neu"): {
        "ru": ["Оформил{a} возврат", "Сдал{a} товар обратно в пункт выдачи"],
        "en": ["Started a return", "Dropped the item back at the pickup point"],
    },
    # ---------------------------------------------------------------- notifications
    ("notifications", "neg"): {
        "ru": [
            "Спамят пуш-уведомлениями каждый день",
            "СМС о доставке приходит, когда курьер уже уехал",
            "Не приходят уведомления о статусе заказа",
            "Отписал{sya} от рассылки, а письма всё равно идут",
            "Пуши в 7 утра — серьёзно?",
            "Пришло уведомление, что заказ готов, а его там нет",
            "Засыпают рекламными письмами",
            "Пришло СМС, что заказ доставлен, хотя я его не получал{a}",
            "Уведомления дублируются по три раза",
            "Никаких оповещений о переносе доставки",
        ],
        "en": [
            "Spammed with push notifications every day",
            "The delivery text arrives after the courier has already left",
            "No order status notifications at all",
            "Unsubscribed but the emails keep coming",
            "Push notifications at 7am — seriously?",
            "Got a 'ready for pickup' message but it wasn't there",
            "Flooded with promo emails",
            "Got an SMS saying delivered when it wasn't",
            "Every notification comes three times",
            "No heads-up when the delivery was rescheduled",
        ],
    },
    ("notifications", "pos"): {
        "ru": [
            "Удобные уведомления о статусе заказа",
            "Уведомления приходят вовремя",
            "Пуш о том, что заказ готов, пришёл сразу",
            "Рассылка полезная, только по делу",
            "Хорошо, что предупреждают о доставке за час",
            "Удобно, что можно настроить уведомления",
            "Письмо с трек-номером приходит сразу",
            "Уведомления не навязчивые",
        ],
        "en": [
            "Useful order status notifications",
            "Notifications arrive on time",
            "Got the 'ready for pickup' push straight away",
            "The newsletter is actually useful",
            "Love the one-hour delivery heads-up",
            "Can fine-tune which notifications I get",
            "Tracking emails arrive instantly",
            "Notifications aren't intrusive",
        ],
    },
    ("notifications", "neu"): {
        "ru": ["Пришло уведомление о доставке", "Получил{a} СМС с кодом"],
        "en": ["Got a delivery notification", "Received the tracking email"],
    },
    # ---------------------------------------------------------------- loyalty_promotions
    ("loyalty_promotions", "neg"): {
        "ru": [
            "Баллы сгорели, никто не предупредил",
            "Промокод не сработал",
            "Кешбэк так и не начислили",
            "Условия акции мелким шрифтом — обман",
            "Бонусами можно оплатить максимум 10% заказа, смысл?",
            "Программу лояльности урезали",
            "Скидка по карте не применилась",
            "Акция закончилась раньше заявленного",
            "Подарок по акции не положили",
            "Персональные предложения — одна ерунда",
        ],
        "en": [
            "My points expired without any warning",
            "Promo code didn't work",
            "Cashback never got credited",
            "Promo terms in tiny print, misleading",
            "Points only cover 10% of the order, what's the point?",
            "They cut back the loyalty programme",
            "Member discount wasn't applied",
            "The sale ended earlier than advertised",
            "The free gift from the promo was missing",
            "Personal offers are rubbish",
        ],
    },
    ("loyalty_promotions", "pos"): {
        "ru": [
            "Начислили {bonus} за заказ, приятно",
            "Промокод сработал, скидка {pct}",
            "Кешбэк баллами — очень выгодно",
            "Классные акции по выходным",
            "Подарок к заказу — мелочь, а приятно",
            "Программа лояльности реально работает",
            "Скидка на день рождения — спасибо!",
            "Баллами оплатил{a} почти половину заказа",
            "Отличная распродажа, набрал{a} всего",
            "Персональные скидки в тему",
        ],
        "en": [
            "Got {bonus} for the order, nice",
            "Promo code worked, {pct} off",
            "Cashback in points is great value",
            "Great weekend deals",
            "Little gift with the order, lovely touch",
            "The loyalty programme actually pays off",
            "Birthday discount — thank you!",
            "Paid nearly half the order with points",
            "Brilliant sale, stocked up",
            "Personal offers are spot on",
        ],
    },
    ("loyalty_promotions", "neu"): {
        "ru": ["Участвую в программе лояльности", "Покупал{a} по акции"],
        "en": ["I'm in the loyalty programme", "Bought it on promo"],
    },
}

# Category-specific product-quality phrasings (added to the generic pool for that category).
QUALITY_BY_CATEGORY = {
    ("electronics", "neg"): {
        "ru": [
            "Батарея держит пару часов",
            "{item_nom} {v:сломался|сломалась|сломалось|сломались} через неделю",
            "Зарядка греется и не заряжает",
            "{item_nom} {v:треснул|треснула|треснуло|треснули} в первый же день",
        ],
        "en": [
            "Battery lasts a couple of hours",
            "The {item} broke after a week",
            "The charger overheats and doesn't charge",
            "The {item} cracked on day one",
        ],
    },
    ("electronics", "pos"): {
        "ru": ["Батарея держит два дня", "Всё работает как надо", "Звук отличный, без шумов"],
        "en": ["Battery lasts two days", "Works perfectly", "Great sound, no hiss"],
    },
    ("clothing", "neg"): {
        "ru": [
            "Швы кривые, нитки торчат",
            "После первой стирки вещь села на размер",
            "Размер не соответствует таблице",
            "Ткань катышится после пары носок",
        ],
        "en": [
            "Wonky seams, threads sticking out",
            "Shrank a size after the first wash",
            "Size doesn't match the size chart",
            "The fabric pills after a couple of wears",
        ],
    },
    ("clothing", "pos"): {
        "ru": ["Сидит идеально, размер в размер", "Ткань приятная к телу", "После стирки как новая вещь"],
        "en": ["Fits perfectly, true to size", "Lovely soft fabric", "Still like new after washing"],
    },
    ("home", "neg"): {
        "ru": [
            "Покрытие облезло через неделю",
            "Крышка плотно не закрывается",
            "{item_nom} {v:развалился|развалилась|развалилось|развалились} после первого использования",
        ],
        "en": [
            "The coating peeled off after a week",
            "The lid doesn't close properly",
            "Fell apart after one use",
        ],
    },
    ("home", "pos"): {
        "ru": ["Очень добротная вещь для дома", "Покрытие отличное, ничего не пригорает"],
        "en": ["Really sturdy, well made for home", "Great coating, nothing sticks"],
    },
    ("grocery", "neg"): {
        "ru": ["Срок годности почти истёк", "Продукты привезли подтаявшими", "Фрукты были гнилые"],
        "en": ["Best-before date almost passed", "The groceries arrived half-thawed", "The fruit was rotten"],
    },
    ("grocery", "pos"): {
        "ru": [
            "Всё свежее",
            "Продукты свежие, срок годности большой",
            "{item_nom} очень {v:вкусный|вкусная|вкусное|вкусные}, берём постоянно",
        ],
        "en": [
            "Everything was fresh",
            "Fresh products with long dates",
            "Tastes great, we buy it all the time",
        ],
    },
    ("beauty", "neg"): {
        "ru": ["Срок годности почти вышел", "Крем вызвал раздражение", "Флакон протёк в дороге"],
        "en": ["Nearly past its expiry date", "The cream irritated my skin", "The bottle leaked in transit"],
    },
    ("beauty", "pos"): {
        "ru": [
            "Кожа после крема стала мягче",
            "Аромат стойкий, держится весь день",
            "Оригинальная косметика",
        ],
        "en": ["My skin feels softer", "The scent lasts all day", "Genuine cosmetics"],
    },
    ("kids", "neg"): {
        "ru": ["Игрушка развалилась в первый день", "Краска облезает, страшно давать ребёнку"],
        "en": ["The toy fell apart on day one", "Paint is flaking off, not safe for a child"],
    },
    ("kids", "pos"): {
        "ru": ["Ребёнок в восторге", "Безопасные материалы, без запаха"],
        "en": ["My kid loves it", "Safe materials, no smell"],
    },
}

# Code-switched clauses ("mixed" language).
MIXED_POOL = {
    ("website_app", "neg"): ["App тормозит жутко, ваще не юзабельно", "Приложение lagает на каждом экране"],
    ("delivery", "neg"): [
        "Курьер не приехал, tracking не обновляется {stuck}",
        "Delivery опять перенесли, сколько можно",
    ],
    ("delivery", "pos"): ["Доставка super fast, thanks!", "Курьер приехал on time, всё ок"],
    ("pricing", "neg"): ["Цены too high, у конкурентов дешевле", "Price за {item_acc} явно overpriced"],
    ("product_quality", "pos"): ["Quality топ, всё как в description", "{item_nom} — perfect, рекомендую"],
    ("product_quality", "neg"): ["Quality так себе, not worth it"],
    ("customer_support", "pos"): ["Support ответил quickly, thank you"],
    ("customer_support", "neg"): ["Support игнорит мои messages"],
    ("payment", "neg"): ["Payment не проходит, пишет card declined"],
}
MIXED_PLANTED = {
    "delivery_delay_spike": [
        "Order {order} stuck, курьер опять не приехал",
        "Delivery delayed again, жду уже {wait}",
    ],
    "checkout_crash_app_5_2": [
        "После update приложение крашится на checkout",
        "App вылетает при оплате, fix it pls",
    ],
    "price_increase_wave": ["Prices выросли на {pct}, это too much", "Цены went up again, не ок"],
}
PLANTED_POOL = {
    "delivery_delay_spike": DELIVERY_DELAY,
    "checkout_crash_app_5_2": CHECKOUT_CRASH,
    "price_increase_wave": PRICE_INCREASE,
}

# Clauses that carry PII (touchpoint, polarity, template).
PII_POOL = {
    "ru": [
        ("customer_support", "neu", "Перезвоните мне, пожалуйста, по номеру {phone}"),
        ("customer_support", "neu", "Мой телефон для связи {phone}"),
        ("account_login", "neg", "Код не приходит на почту {email}"),
        ("customer_support", "neu", "Напишите мне на {email}"),
        ("payment", "neg", "С карты {card} списали деньги дважды"),
        ("payment", "neg", "Оплатил{a} картой {card}, а заказ не оплачен"),
        ("delivery", "neg", "Курьер {cname} так и не приехал"),
        ("delivery", "pos", "Курьер {cname} — молодец, привёз раньше времени"),
        ("customer_support", "pos", "Оператор {aname} очень {ag:помог|помогла}, спасибо"),
        ("customer_support", "neg", "Оператор {aname} {ag:бросил|бросила} трубку"),
        ("delivery", "neg", "Курьер {cname}, телефон {phone}, не берёт трубку"),
        ("returns_refunds", "neg", "Возврат на карту {card} так и не пришёл"),
        ("account_login", "neu", "Аккаунт привязан к почте {email} и номеру {phone}"),
    ],
    "en": [
        ("customer_support", "neu", "Please call me back on {phone}"),
        ("customer_support", "neu", "My contact number is {phone}"),
        ("account_login", "neg", "The login code never reaches {email}"),
        ("customer_support", "neu", "Email me at {email}"),
        ("payment", "neg", "Card {card} was charged twice"),
        ("payment", "neg", "Paid with card {card} but the order shows unpaid"),
        ("delivery", "neg", "Courier {cname} never turned up"),
        ("delivery", "pos", "Courier {cname} was brilliant, came early"),
        ("customer_support", "pos", "Agent {aname} was really helpful, thanks"),
        ("customer_support", "neg", "Agent {aname} hung up on me"),
        ("delivery", "neg", "Courier {cname} (phone {phone}) isn't answering"),
        ("returns_refunds", "neg", "The refund to card {card} never arrived"),
        ("account_login", "neu", "My account is under {email}, phone {phone}"),
    ],
}

SHORT_TEXTS = {
    "pos": {
        "ru": ["ок", "👍", "Норм", "Супер!", "Всё отлично", "Спасибо!", "👍👍", "класс"],
        "en": ["Good", "ok", "👍", "Top", "Great!", "A+"],
    },
    "neg": {"ru": ["Ужас", "👎", "Не советую", "отстой"], "en": ["Bad", "👎", "Avoid", "meh"]},
}

RAMBLE = {  # pieces of a long rambling review: openers, transitions, closers
    "ru": {
        "open": [
            "Пишу этот отзыв, потому что накипело.",
            "Не знаю, прочитает ли это кто-нибудь, но всё же.",
            "Заказываю у вас давно, года три, наверное, так что есть с чем сравнить.",
            "Обычно я отзывы не пишу, но тут решил{a} высказаться.",
        ],
        "mid": [
            "Теперь о грустном.",
            "Ну и вишенка на торте.",
            "Дальше — больше.",
            "Ладно, идём дальше.",
            "Казалось бы, мелочи, но из них всё и складывается.",
            "Знаю, что пишу слишком много, но молчать не буду.",
            "И это ещё не всё.",
        ],
        "close": [
            "В общем, вроде и есть плюсы, но осадочек остался.",
            "Короче, пока заказываю, но уже присматриваюсь к другим.",
            "Итого: думайте сами, решайте сами.",
            "Надеюсь, кто-нибудь из руководства это прочитает.",
        ],
    },
    "en": {
        "open": [
            "Long story, bear with me.",
            "Not sure anyone reads these but here goes.",
            "I've been a customer for about three years, so I can compare.",
            "I don't usually write reviews, but here we are.",
        ],
        "mid": [
            "Now the not-so-great part.",
            "And the cherry on top.",
            "It gets better.",
            "Moving on.",
            "Small things, maybe, but they add up.",
            "I know this is long, but bear with me.",
            "And that's not all.",
        ],
        "close": [
            "Bottom line: there are good bits, but I'm not impressed.",
            "I'll keep ordering for now, but I'm looking at other shops.",
            "Make of that what you will.",
            "Hope someone in management actually reads this.",
        ],
    },
}

# ---------------------------------------------------------------- chat boilerplate (no complaint sentiment)
BOT_GREET = {
    "ru": [
        "Здравствуйте! Я виртуальный помощник. Опишите, пожалуйста, ваш вопрос.",
        "Добрый день! Чем могу помочь?",
        "Привет! Я бот-помощник. Выберите тему или напишите вопрос.",
    ],
    "en": [
        "Hi! I'm the virtual assistant. How can I help?",
        "Hello! Please describe your question.",
        "Hi there! Choose a topic or type your question.",
    ],
}
BOT_TRANSFER = {
    "ru": [
        "Соединяю с оператором. Среднее время ожидания — 2 минуты.",
        "Перевожу диалог на специалиста, подождите немного.",
    ],
    "en": [
        "Connecting you to an agent. Average wait time is 2 minutes.",
        "Transferring you to a specialist, please hold on.",
    ],
}
AGENT_GREET = {
    "ru": [
        "Здравствуйте! Меня зовут {aname}, {ag:готов|готова} помочь. Подскажите, пожалуйста, номер заказа.",
        "Добрый день! Оператор {aname} на связи. Уточните, пожалуйста, номер заказа.",
        "Здравствуйте, {aname} на связи. Приносим извинения за неудобства, сейчас разберёмся.",
        "Добрый день! Спасибо, что написали. Пришлите, пожалуйста, номер заказа — я проверю.",
    ],
    "en": [
        "Hi, this is {aname}, happy to help. Could you share your order number, please?",
        "Good afternoon! {aname} here. Could you confirm the order number?",
        "Hello, {aname} here. I'm sorry for the inconvenience, let me look into it.",
        "Hi! Thanks for reaching out. Please send me the order number and I'll check.",
    ],
}
AGENT_SOLUTION = {
    "ru": {
        "delivery": [
            "Я проверил{ag:|а}: заказ передан курьеру, доставка ожидается сегодня до 22:00.",
            "Я связал{ag:ся|ась} со службой доставки, заказ будет доставлен в ближайшее время.",
            "Приносим извинения за ожидание. Начислили вам 300 баллов в качестве компенсации.",
        ],
        "payment": [
            "Повторное списание — это временная блокировка банка, средства вернутся в течение 3 рабочих дней.",
            "Попробуйте, пожалуйста, оплатить через сайт или СБП.",
        ],
        "website_app": [
            "Спасибо, что сообщили. Команда уже работает над исправлением, пока можно оформить заказ на сайте.",
            "Попробуйте, пожалуйста, обновить приложение и очистить кэш.",
        ],
        "pricing": [
            "Цены формируются автоматически и зависят от поставщиков. Могу предложить промокод на 5%."
        ],
        "returns_refunds": [
            "Возврат оформлен, деньги поступят на карту в течение 10 дней.",
            "Я передал{ag:|а} заявку на возврат в отдел проверки.",
        ],
        "_": [
            "Я передал{ag:|а} обращение в профильный отдел, ответ придёт в течение 24 часов.",
            "Спасибо за терпение. Я всё проверил{ag:|а} и {ag:внёс|внесла} исправления.",
        ],
    },
    "en": {
        "delivery": [
            "I've checked: the parcel is with the courier and should arrive today by 10pm.",
            "I've contacted the delivery team, your order will be delivered as soon as possible.",
            "Sorry for the wait. I've added 300 bonus points to your account as a goodwill gesture.",
        ],
        "payment": [
            "The second charge is a temporary bank hold and will be released within 3 working days.",
            "Please try paying on the website or with a different card.",
        ],
        "website_app": [
            "Thanks for letting us know. Our team is working on a fix; in the meantime you can order on the website.",
            "Please try updating the app and clearing its cache.",
        ],
        "pricing": ["Prices are set automatically based on supplier costs. I can offer you a 5% promo code."],
        "returns_refunds": [
            "Your refund has been processed and should reach your card within 10 days.",
            "I've passed your return request to the review team.",
        ],
        "_": [
            "I've passed your request to the relevant team; you'll get an answer within 24 hours.",
            "Thanks for your patience. I've checked everything and made the corrections.",
        ],
    },
}
AGENT_ESCALATE = {
    "ru": [
        "Я передал{ag:|а} ваше обращение специалисту второй линии, с вами свяжутся в течение суток.",
        "Создал{ag:|а} заявку на проверку, номер обращения {ticket}. Ответ придёт на почту.",
    ],
    "en": [
        "I have escalated this to our second-line team, they will contact you within 24 hours.",
        "I've opened a ticket for you, reference {ticket}. You'll get an answer by email.",
    ],
}
AGENT_CLOSE = {
    "ru": ["Рады были помочь! Хорошего дня.", "Если остались вопросы — пишите.", "Спасибо за обращение!"],
    "en": [
        "Glad I could help! Have a great day.",
        "Anything else, just write to us.",
        "Thank you for contacting us!",
    ],
}
CUSTOMER_INFO = {
    "ru": [
        "Номер заказа {order}",
        "Заказ {order}",
        "{order}",
        "Оформлял{a} {day}, номер {order}",
        "Вот номер: {order}",
    ],
    "en": ["Order number is {order}", "{order}", "Order {order}, placed {day}", "It's {order}"],
}
CHAT_QUESTIONS = {  # neutral openers of a support chat, per touchpoint
    "ru": {
        "delivery": [
            "Подскажите, когда привезут заказ {order}?",
            "Можно перенести доставку на другой день?",
            "Хочу поменять адрес доставки",
        ],
        "payment": ["Можно оплатить заказ при получении?", "Подскажите, как оплатить долями?"],
        "returns_refunds": ["Как оформить возврат?", "Сколько идут деньги за возврат?"],
        "account_login": ["Как сменить номер телефона в аккаунте?", "Как удалить аккаунт?"],
        "website_app": ["Где в приложении история заказов?", "Как включить уведомления в приложении?"],
        "product_quality": ["Есть ли гарантия на {item_acc}?", "Подскажите, это оригинал?"],
        "loyalty_promotions": ["Как списать баллы?", "Действует ли промокод на товары со скидкой?"],
        "pricing": ["Почему цена в корзине выше, чем в карточке товара?", "Почему в приложении другая цена?"],
        "assortment": ["Когда будет поступление?", "Будет ли ещё мой размер?"],
        "customer_support": ["Хочу уточнить статус обращения"],
        "notifications": ["Как отписаться от рассылки?"],
        "staff_store": ["Во сколько открывается пункт выдачи {pp}?"],
    },
    "en": {
        "delivery": [
            "When will order {order} arrive?",
            "Can I move my delivery to another day?",
            "I need to change the delivery address",
        ],
        "payment": ["Can I pay on delivery?", "How do I pay in instalments?"],
        "returns_refunds": ["How do I return an item?", "How long does a refund take?"],
        "account_login": ["How do I change the phone number on my account?", "How do I delete my account?"],
        "website_app": ["Where is the order history in the app?", "How do I turn on app notifications?"],
        "product_quality": ["Is there a warranty on the {item}?", "Is this item genuine?"],
        "loyalty_promotions": ["How do I use my points?", "Does the promo code work on sale items?"],
        "pricing": [
            "Why is the basket price higher than on the product page?",
            "Why is the price different in the app and on the website?",
        ],
        "assortment": ["When will it be back in stock?", "Will my size be restocked?"],
        "customer_support": ["I'd like an update on my ticket"],
        "notifications": ["How do I unsubscribe from the newsletter?"],
        "staff_store": ["What time does the pickup point {pp} open?"],
    },
}
CUSTOMER_GREET = {
    "ru": ["Здравствуйте! ", "Добрый день. ", "Здравствуйте, ", ""],
    "en": ["Hi, ", "Hello. ", "Hi there! ", ""],
}
# Customer closing turns per outcome: (touchpoint, polarity, text)
CUSTOMER_CLOSE = {
    "ru": {
        "resolved": [
            ("customer_support", "pos", "Спасибо, помогли!"),
            ("customer_support", "pos", "Спасибо большое, всё понятно"),
            ("customer_support", "pos", "Отлично, спасибо за быструю помощь"),
            ("", "neu", "Ок, спасибо"),
            ("", "neu", "Хорошо, буду ждать"),
        ],
        "unresolved": [
            ("customer_support", "neg", "Это не решение проблемы"),
            ("customer_support", "neg", "То есть помочь вы не можете? Отлично..."),
            ("", "neu", "Ладно, попробую позже"),
            ("", "neu", "Хорошо"),
            ("", "neu", "Понятно"),
            ("", "neu", "Ясно"),
        ],
        "escalated": [
            ("", "neu", "Хорошо, жду звонка"),
            ("", "neu", "Ок"),
            ("", "neu", "Понял{a}, спасибо"),
            ("customer_support", "neg", "Сколько можно ждать, честно"),
        ],
    },
    "en": {
        "resolved": [
            ("customer_support", "pos", "Thanks, that helped!"),
            ("customer_support", "pos", "Great, thanks for the quick help"),
            ("customer_support", "pos", "Perfect, thank you so much"),
            ("", "neu", "OK, thanks"),
            ("", "neu", "Alright, I'll wait"),
        ],
        "unresolved": [
            ("customer_support", "neg", "That doesn't solve anything"),
            ("customer_support", "neg", "So you can't help me? Great..."),
            ("", "neu", "Fine, I'll try later"),
            ("", "neu", "Right"),
            ("", "neu", "I see"),
            ("", "neu", "OK"),
        ],
        "escalated": [
            ("", "neu", "OK, I'll wait for the call"),
            ("", "neu", "Fine"),
            ("", "neu", "Got it, thanks"),
            ("customer_support", "neg", "How long do I have to wait, seriously"),
        ],
    },
}

# Connectors between clauses: (text, case of the following clause)
CONTRAST = {
    "ru": [
        (", но ", "low"),
        (". Но ", "low"),
        (", а вот ", "low"),
        (", однако ", "low"),
        (". Правда, ", "low"),
        (" — но ", "low"),
    ],
    "en": [
        (", but ", "low"),
        (". But ", "low"),
        (", however ", "low"),
        (". On the other hand, ", "low"),
        (" — but ", "low"),
    ],
}
CONTRAST_THEN_POS = {"ru": [(". Зато ", "low"), (", зато ", "low")], "en": [(". At least ", "low")]}
SAME = {
    "ru": [
        (", ", "low"),
        (". ", "cap"),
        (" и ", "low"),
        (", да и ", "low"),
        (". Ещё ", "low"),
        (". И ", "low"),
        ("! ", "cap"),
        ("; ", "low"),
    ],
    "en": [
        (". ", "cap"),
        (", and ", "low"),
        (". Also, ", "low"),
        ("; ", "low"),
        (" and ", "low"),
        ("! ", "cap"),
        (", plus ", "low"),
    ],
}
END_PUNCT = {
    "pos": [".", ".", "!", "!", "!!", "", " 👍", "! 🔥", " ❤️", ")", "))", " 😊"],
    "neg": [".", ".", "!", "!!!", "", " 😡", " 😤", " :(", "...", " 🤬", "(("],
    "neu": [".", ".", "", "..."],
}
_KEEP_CAP = {"I", "I'm", "I've", "I'd", "I'll", "Apple", "Google", "Mir", "VK"}

# Baseline touchpoint weights per clause polarity.
TP_WEIGHTS = {
    "neg": {
        "delivery": 1.0,
        "pricing": 1.05,
        "website_app": 0.85,
        "product_quality": 0.72,
        "customer_support": 0.45,
        "returns_refunds": 0.42,
        "payment": 0.42,
        "assortment": 0.55,
        "account_login": 0.45,
        "notifications": 0.45,
        "staff_store": 0.45,
        "loyalty_promotions": 0.5,
    },
    "pos": {
        "product_quality": 1.6,
        "delivery": 1.3,
        "pricing": 0.9,
        "website_app": 0.7,
        "customer_support": 0.6,
        "assortment": 0.75,
        "staff_store": 0.5,
        "payment": 0.5,
        "returns_refunds": 0.5,
        "loyalty_promotions": 0.55,
        "notifications": 0.3,
        "account_login": 0.3,
    },
    "neu": {tp: 1.0 for tp in TOUCHPOINTS},
}
# Topics that open a support chat (issue clause), negative.
CHAT_ISSUE_WEIGHTS = {
    "delivery": 1.1,
    "payment": 0.6,
    "returns_refunds": 0.65,
    "account_login": 0.6,
    "website_app": 0.6,
    "product_quality": 0.6,
    "customer_support": 0.12,
    "loyalty_promotions": 0.45,
    "notifications": 0.25,
    "pricing": 0.35,
    "assortment": 0.25,
    "staff_store": 0.25,
}

# Average documents per day at scale 1.
BASE_DAILY = {"review": 13.6, "chat": 4.9, "survey": 9.8}
WEEKDAY_FACTOR = {
    "review": (0.9, 0.88, 0.9, 0.92, 1.0, 1.2, 1.2),
    "chat": (1.15, 1.1, 1.05, 1.05, 1.0, 0.8, 0.75),
    "survey": (1.2, 1.05, 1.0, 0.95, 0.95, 0.9, 0.95),
}
# Planted extra documents per day at scale 1 while a pain point is active.
PLANTED_DAILY = {
    "delivery_delay_spike": {"review": 4.5, "chat": 2.75, "survey": 3.5},
    "checkout_crash_app_5_2": {"review": 2.75, "chat": 1.1, "survey": 1.45},
    "price_increase_wave": {"review": 4.0, "chat": 0.65, "survey": 3.0},
}
HOUR_WEIGHTS = (2, 3, 5, 6, 6, 7, 8, 8, 7, 7, 7, 8, 9, 10, 10, 9, 6, 3)  # 06:00..23:00 local
CHANNELS = ("app", "web", "marketplace", "store")
CHANNEL_WEIGHTS = (0.36, 0.3, 0.24, 0.1)
SURVEYS = ("nps_post_purchase", "csat_support", "ces_returns")
SURVEY_WEIGHTS = (0.56, 0.23, 0.21)

MSK = timezone(timedelta(hours=3))
BST = timezone(timedelta(hours=1))
GMT = UTC
UK_DST_END = date(2026, 10, 25)

_SLOT_RE = re.compile(r"\{(\w+)(?::([^}]*))?\}")

REVIEW_FIELDS = ["review_id", "customer_id", "created_at", "rating", "channel", "product", "text"]
SURVEY_FIELDS = ["respondent_id", "customer_id", "submitted_at", "survey", "nps", "csat", "ces", "answer"]
TRUTH_FIELDS = [
    "source",
    "doc_id",
    "date",
    "doc_lang",
    "clause",
    "lang",
    "touchpoint",
    "polarity",
    "planted",
    "pii",
    "edge",
    "text",
]

# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """Per-document state: language, customer gender, product, people; collects PII kinds used."""

    rng: random.Random
    lang: str
    gender: str
    category: str
    item_ru: tuple[str, str, str]
    item_en: tuple[str, bool]
    agent: tuple[str, str]
    courier: str
    pii: set[str] = field(default_factory=set)

    @classmethod
    def new(cls, rng: random.Random, lang: str, category: str | None = None) -> _Ctx:
        cat = category or rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        ag = "m" if rng.random() < 0.35 else "f"
        en_names = lang == "en"
        if ag == "m":
            agent = rng.choice(FIRST_EN_M if en_names else FIRST_RU_M)
        else:
            agent = rng.choice(FIRST_EN_F if en_names else FIRST_RU_F)
        return cls(
            rng=rng,
            lang=lang,
            gender="f" if rng.random() < 0.55 else "m",
            category=cat,
            item_ru=rng.choice(ITEMS_RU[cat]),
            item_en=rng.choice(ITEMS_EN[cat]),
            agent=(agent, ag),
            courier=rng.choice(FIRST_EN_M if en_names else FIRST_RU_M),
        )


def _luhn_card(rng: random.Random) -> str:
    digits = [int(c) for c in rng.choice(["4276", "5469", "2202", "4279", "5536"])]
    digits += [rng.randrange(10) for _ in range(11)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # check digit goes to the right, so these are at odd positions
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    style = rng.random()
    if style < 0.6:
        return " ".join(s[i : i + 4] for i in range(0, 16, 4))
    if style < 0.8:
        return "-".join(s[i : i + 4] for i in range(0, 16, 4))
    return s


def luhn_ok(number: str) -> bool:
    """True if the digits of ``number`` pass the Luhn check (used by tests)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) >= 12 and total % 10 == 0


def _phone(rng: random.Random, lang: str) -> str:
    if lang == "en" and rng.random() < 0.75:
        n = f"{rng.randrange(100, 1000)}{rng.randrange(100000, 1000000)}"
        if rng.random() < 0.6:
            return f"+44 7{n[:3]} {n[3:]}"
        return f"07{n[:3]} {n[3:]}"
    code = f"9{rng.randrange(10, 100)}"
    a, b, c = rng.randrange(100, 1000), rng.randrange(10, 100), rng.randrange(10, 100)
    style = rng.random()
    if style < 0.45:
        return f"+7 {code} {a}-{b}-{c}"
    if style < 0.75:
        return f"8 ({code}) {a}-{b}-{c}"
    if style < 0.9:
        return f"+7{code}{a}{b}{c}"
    return f"8{code}-{a}-{b}-{c}"


def _email(rng: random.Random, lang: str) -> str:
    first, last = rng.choice(EMAIL_FIRST), rng.choice(EMAIL_LAST)
    sep = rng.choice([".", "_", ""])
    tail = str(rng.randrange(70, 100)) if rng.random() < 0.4 else ""
    dom = rng.choice(EMAIL_DOMAINS_EN if lang == "en" else EMAIL_DOMAINS_RU)
    return f"{first}{sep}{last}{tail}@{dom}"


def _amount(rng: random.Random, lang: str) -> str:
    if lang == "en":
        return rng.choice(AMOUNTS_EN)
    v = rng.choice(AMOUNTS_RU)
    num = f"{v:,}".replace(",", " ")
    return rng.choice([f"{num} ₽", f"{num} руб.", f"{num} рублей"])


def _order(rng: random.Random, lang: str) -> str:
    n = rng.randrange(10_000_000, 99_999_999)
    if lang == "en":
        return rng.choice([f"#{n}", f"{n}"])
    return rng.choice([f"№{n}", f"№ {n}", f"{n}"])


def _fill(template: str, ctx: _Ctx, lang: str | None = None) -> str:
    """Substitute slots in ``template`` (see the POOLS comment) for the document ``ctx``."""
    rng = ctx.rng
    lang = lang or ctx.lang
    if lang == "mixed":
        lang = "ru"

    def rep(m: re.Match[str]) -> str:
        name, forms = m.group(1), m.group(2)
        if forms is not None:
            opts = forms.split("|")
            if name == "c":
                return opts[0 if ctx.gender == "m" else 1]
            if name == "v":
                return opts[GENDER_IDX[ctx.item_ru[2]]]
            if name == "n":
                return opts[1 if ctx.item_en[1] else 0]
            if name == "ag":
                return opts[0 if ctx.agent[1] == "m" else 1]
            raise KeyError(name)
        if name == "a":
            return "" if ctx.gender == "m" else "а"
        if name == "sya":
            return "ся" if ctx.gender == "m" else "ась"
        if name in PII_SLOTS:
            ctx.pii.add(PII_SLOTS[name])
        if name == "item_nom":
            return ctx.item_ru[0]
        if name == "item_acc":
            return ctx.item_ru[1]
        if name == "item":
            return ctx.item_en[0]
        if name == "order":
            return _order(rng, lang)
        if name == "amount":
            return _amount(rng, lang)
        if name == "city_in":
            return rng.choice(CITIES_RU)[0]
        if name == "city_to":
            return rng.choice(CITIES_RU)[1]
        if name == "city":
            return rng.choice(CITIES_EN)
        if name == "cname":
            return ctx.courier
        if name == "aname":
            return ctx.agent[0]
        if name == "phone":
            return _phone(rng, lang)
        if name == "email":
            return _email(rng, lang)
        if name == "card":
            return _luhn_card(rng)
        if name == "ticket":
            return f"#{rng.randrange(100000, 1000000)}"
        return rng.choice(SIMPLE_SLOTS[lang][name])

    return _SLOT_RE.sub(rep, template)


def _lower_first(s: str) -> str:
    if not s:
        return s
    word = s.split(" ", 1)[0]
    if word in _KEEP_CAP or (len(word) > 1 and word[1].isupper()) or word.startswith("«"):
        return s
    return s[0].lower() + s[1:]


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


@dataclass
class _Clause:
    touchpoint: str
    polarity: str  # neg / pos / neu
    lang: str  # ru / en / mixed
    text: str
    planted: str = ""
    pii: str = ""


def _clause(ctx: _Ctx, tp: str, pol: str, lang: str | None = None, planted: str = "") -> _Clause:
    """Render one clause about ``tp`` with polarity ``pol``."""
    rng = ctx.rng
    lang = lang or ctx.lang
    if planted:
        if lang == "mixed":
            tpl = rng.choice(MIXED_PLANTED[planted])
        else:
            tpl = rng.choice(PLANTED_POOL[planted][lang])
    elif lang == "mixed":
        tpl = rng.choice(MIXED_POOL[(tp, pol)])
    else:
        pool = POOLS[(tp, pol)][lang]
        extra = QUALITY_BY_CATEGORY.get((ctx.category, pol)) if tp == "product_quality" else None
        if extra and rng.random() < 0.4:
            pool = extra[lang]
        tpl = rng.choice(pool)
    ctx.pii = set()
    text = _fill(tpl, ctx, lang)
    return _Clause(tp, pol, lang, text, planted, ";".join(sorted(ctx.pii)))


def _pii_clause(ctx: _Ctx) -> _Clause:
    lang = "en" if ctx.lang == "en" else "ru"
    tp, pol, tpl = ctx.rng.choice(PII_POOL[lang])
    ctx.pii = set()
    text = _fill(tpl, ctx, lang)
    return _Clause(tp, pol, lang, text, "", ";".join(sorted(ctx.pii)))


def _join(clauses: list[_Clause], rng: random.Random, lang: str, end: bool = True) -> str:
    """Join clause texts with natural connectors and end punctuation."""
    lang = "en" if lang == "en" else "ru"
    out = _upper_first(clauses[0].text)
    used: set[str] = set()
    for prev, cur in zip(clauses, clauses[1:], strict=False):
        if out[-1:] in "?!.…":
            out += " " + _upper_first(cur.text)
            continue
        pols = {prev.polarity, cur.polarity}
        if pols == {"pos", "neg"}:
            choices = CONTRAST[lang]
            if prev.polarity == "neg" and rng.random() < 0.3:
                choices = CONTRAST_THEN_POS[lang]
            if used & {c for c, _ in CONTRAST[lang] + CONTRAST_THEN_POS[lang]}:  # no second "but"
                choices = [(". ", "cap")]
        else:
            choices = SAME[lang]
        choices = [c for c in choices if c[0] not in used] or [(". ", "cap")]
        conn, case = rng.choice(choices)
        used.add(conn)
        out += conn + (_upper_first(cur.text) if case == "cap" else _lower_first(cur.text))
    if end and out[-1:] not in "?!.…":
        pols = [c.polarity for c in clauses]
        mood = "neg" if pols[-1] == "neg" else "pos" if pols[-1] == "pos" else "neu"
        out += rng.choice(END_PUNCT[mood])
    return out


_WORD_RE = re.compile(r"[^\W\d_]{5,}")


def _stylize(text: str, rng: random.Random, lang: str) -> str:
    """Informal touches: all-lowercase, a typo."""
    r = rng.random()
    if r < (0.09 if lang != "en" else 0.05):
        text = text.lower()
    if rng.random() < 0.05:
        words = list(_WORD_RE.finditer(text))
        if words:
            m = rng.choice(words)
            w = m.group(0)
            i = rng.randrange(1, len(w) - 1)
            kind = rng.random()
            if kind < 0.4:
                w2 = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]  # swap
            elif kind < 0.75:
                w2 = w[:i] + w[i + 1 :]  # drop
            else:
                w2 = w[:i] + w[i] + w[i:]  # double
            text = text[: m.start()] + w2 + text[m.end() :]
    return text


# --------------------------------------------------------------------------------------------------
# Document plans
# --------------------------------------------------------------------------------------------------


def _pick_lang(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.015:
        return "mixed"
    return "ru" if r < 0.61 else "en"


def _weighted_tp(rng: random.Random, weights: dict[str, float], exclude: set[str]) -> str:
    items = [(tp, w) for tp, w in weights.items() if tp not in exclude]
    return rng.choices([t for t, _ in items], [w for _, w in items])[0]


def _plan_polarities(rng: random.Random, mood: str, n: int) -> list[str]:
    if mood in ("pos", "neg"):
        rest = [mood if rng.random() < 0.8 else "neu" for _ in range(n - 1)]
        return [mood, *rest] if rng.random() < 0.6 else [*rest, mood]
    # mixed: at least one pos and one neg
    n = max(n, 2)
    pols = ["pos", "neg"] + [rng.choice(["pos", "neg", "neu"]) for _ in range(n - 2)]
    rng.shuffle(pols)
    return pols


def _build_clauses(
    ctx: _Ctx,
    pols: list[str],
    first_tp: str | None = None,
    planted: str = "",
    mixed_share: float = 0.0,
) -> list[_Clause]:
    """Clauses for the planned polarities; the first is planted/forced when asked. Distinct touchpoints."""
    rng = ctx.rng
    used: set[str] = set()
    out: list[_Clause] = []
    base_lang = "ru" if ctx.lang == "mixed" else ctx.lang
    mixed_done = False
    for i, pol in enumerate(pols):
        lang = base_lang
        if ctx.lang == "mixed" and not mixed_done and (i == len(pols) - 1 or rng.random() < 0.5):
            lang = "mixed"
            mixed_done = True
        if i == 0 and planted:
            tp = PAIN_POINTS[planted]["touchpoint"]
            out.append(_clause(ctx, tp, "neg", lang if lang == "mixed" else base_lang, planted=planted))
            used.add(tp)
            continue
        tp = first_tp if i == 0 and first_tp else _weighted_tp(rng, TP_WEIGHTS[pol], used)
        if lang == "mixed" and (tp, pol) not in MIXED_POOL:
            # pick a touchpoint that has a code-switched phrasing, else switch the clause to English
            opts = [k[0] for k in MIXED_POOL if k[1] == pol and k[0] not in used]
            if opts and (i > 0 or not first_tp):
                tp = rng.choice(opts)
            else:
                lang = "en" if base_lang == "ru" else "ru"
        used.add(tp)
        out.append(_clause(ctx, tp, pol, lang))
    return out


def _polarity_score(clauses: list[_Clause]) -> float:
    vals = [1 if c.polarity == "pos" else -1 if c.polarity == "neg" else 0 for c in clauses]
    return sum(vals) / len(vals) if vals else 0.0


def _score(
    rng: random.Random,
    s: float,
    table: dict[str, tuple[tuple[int, ...], tuple[float, ...]]],
    lo: int,
    hi: int,
) -> int:
    if s >= 0.5:
        key = "top"
    elif s > 0:
        key = "good"
    elif s == 0:
        key = "mid"
    elif s > -0.5:
        key = "bad"
    else:
        key = "worst"
    vals, ws = table[key]
    v = rng.choices(vals, ws)[0]
    if rng.random() < 0.06:  # noise
        v += rng.choice((-1, 1))
    return min(hi, max(lo, v))


RATING_TABLE = {
    "top": ((5, 4), (0.75, 0.25)),
    "good": ((4, 5, 3), (0.55, 0.3, 0.15)),
    "mid": ((3, 4, 2), (0.5, 0.3, 0.2)),
    "bad": ((2, 3, 1), (0.5, 0.3, 0.2)),
    "worst": ((1, 2), (0.7, 0.3)),
}
NPS_TABLE = {
    "top": ((10, 9, 8), (0.5, 0.35, 0.15)),
    "good": ((8, 9, 7, 10), (0.35, 0.3, 0.2, 0.15)),
    "mid": ((7, 6, 8, 5), (0.35, 0.25, 0.2, 0.2)),
    "bad": ((5, 4, 6, 3), (0.3, 0.25, 0.25, 0.2)),
    "worst": ((0, 1, 2, 3, 4, 5), (0.2, 0.2, 0.2, 0.15, 0.15, 0.1)),
}
CES_TABLE = {  # 1 = very difficult ... 7 = very easy
    "top": ((7, 6), (0.6, 0.4)),
    "good": ((6, 5, 7), (0.45, 0.3, 0.25)),
    "mid": ((4, 5, 3), (0.4, 0.3, 0.3)),
    "bad": ((3, 2, 4), (0.4, 0.35, 0.25)),
    "worst": ((1, 2), (0.6, 0.4)),
}


def _time_on(rng: random.Random, day: date, lang: str, latest_hour: int = 23) -> datetime:
    hours = range(6, 6 + len(HOUR_WEIGHTS))
    h = rng.choices(hours, HOUR_WEIGHTS)[0]
    h = min(h, latest_hour)
    uk = lang == "en" and rng.random() < 0.7  # English speakers: mostly UK, some in Moscow time
    tz = (GMT if day >= UK_DST_END else BST) if uk else MSK
    return datetime(day.year, day.month, day.day, h, rng.randrange(60), rng.randrange(60), tzinfo=tz)


def _iso(ts: datetime) -> str:
    return ts.isoformat()


def _count(rng: random.Random, expected: float) -> int:
    n = int(expected)
    return n + (1 if rng.random() < expected - n else 0)


@dataclass
class _Rec:
    """One generated record before its id is assigned."""

    source: str
    ts: datetime
    lang: str
    row: dict
    clauses: list[_Clause]
    edge: str = ""
    planted: str = ""


# ---------------------------------------------------------------- reviews


def _review(rng: random.Random, day: date, planted: str = "", edge: str = "") -> _Rec:
    lang = _pick_lang(rng)
    if planted and lang == "mixed" and rng.random() < 0.5:
        lang = "ru"
    ctx = _Ctx.new(rng, lang)
    if planted:
        n = rng.choices((1, 2, 3), (0.5, 0.38, 0.12))[0]
        pols = ["neg"] + [rng.choices(("neg", "pos", "neu"), (0.45, 0.4, 0.15))[0] for _ in range(n - 1)]
    else:
        mood = rng.choices(("pos", "neg", "mixed"), (0.56, 0.24, 0.2))[0]
        n = rng.choices((1, 2, 3), (0.42, 0.42, 0.16))[0]
        pols = _plan_polarities(rng, mood, n)
    clauses = _build_clauses(ctx, pols, planted=planted)
    if rng.random() < 0.045:
        pc = _pii_clause(ctx)
        clauses.insert(rng.randrange(1, len(clauses) + 1), pc)
    channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
    if planted == "checkout_crash_app_5_2":
        channel = "app" if rng.random() < 0.88 else rng.choice(("marketplace", "web"))
    elif any(c.touchpoint == "staff_store" for c in clauses) and rng.random() < 0.5:
        channel = "store"
    text_lang = "en" if lang == "en" else "ru"
    if edge == "long":
        text = _ramble(ctx, rng, clauses, text_lang)
    else:
        text = _stylize(_join(clauses, rng, text_lang), rng, lang)
    rating = _score(rng, _polarity_score(clauses), RATING_TABLE, 1, 5)
    if edge == "short" or (not planted and not edge and rng.random() < 0.008):
        pol = "pos" if edge == "short" or rng.random() < 0.8 else "neg"
        text = rng.choice(("ок", "👍", "ok")) if edge == "short" else rng.choice(SHORT_TEXTS[pol][text_lang])
        text_lang = "ru" if text == "ок" else "en" if text == "ok" else text_lang
        clauses = [_Clause("", pol, text_lang, text)]
        rating = rng.choice((4, 5)) if pol == "pos" else rng.choice((1, 2))
        edge = "short"
    row = {"rating": rating, "channel": channel, "product": ctx.category, "text": text}
    return _Rec("review", _time_on(rng, day, lang), lang, row, clauses, edge, planted)


def _ramble(ctx: _Ctx, rng: random.Random, clauses: list[_Clause], lang: str) -> str:
    """A long, rambling two-paragraph review (~800 characters); appends the extra clauses it uses.

    Paragraph 1: an opener and what is good; paragraph 2: the complaints, with transitions; a closer.
    """
    pieces = RAMBLE[lang]
    used = {c.touchpoint for c in clauses}

    def more(pol: str) -> _Clause:
        tp = _weighted_tp(rng, TP_WEIGHTS[pol], used if len(used) < len(TOUCHPOINTS) else set())
        used.add(tp)
        seen = {c.text for c in clauses}
        c = _clause(ctx, tp, pol, lang)
        for _ in range(5):
            if c.text not in seen:
                break
            c = _clause(ctx, tp, pol, lang)
        clauses.append(c)
        return c

    good = [c for c in clauses if c.polarity == "pos"]
    bad = [c for c in clauses if c.polarity != "pos"]
    while len(good) < 3:
        good.append(more("pos"))
    while len(bad) < 5:
        bad.append(more("neg"))

    def sentences(cl: list[_Clause]) -> list[str]:
        out = []
        for j in range(0, len(cl), 2):
            sent = _join(cl[j : j + 2], rng, lang, end=False)
            out.append(sent + ("" if sent[-1] in "?!.…)" else rng.choice((".", ".", "!", "..."))))
        return out

    mids = pieces["mid"][2:]
    rng.shuffle(mids)
    p1 = [_fill(rng.choice(pieces["open"]), ctx, lang), *sentences(good)]
    p2 = [pieces["mid"][0], *sentences(bad[:2]), mids.pop(), *sentences(bad[2:4])]
    tail = bad[4:]
    while sum(len(x) + 1 for x in p1 + p2) + sum(len(c.text) + 2 for c in tail) < 740 and len(tail) < 8:
        tail.append(more("neg"))
    p2 += [pieces["mid"][1], *sentences(tail), rng.choice(pieces["close"])]
    return " ".join(p1) + "\n\n" + " ".join(p2)


# ---------------------------------------------------------------- chats


def _chat(rng: random.Random, day: date, planted: str = "") -> _Rec:
    lang = _pick_lang(rng)
    if lang == "mixed" and rng.random() < 0.5:
        lang = "ru"
    ctx = _Ctx.new(rng, lang)
    tl = "en" if lang == "en" else "ru"
    issue_tp = _weighted_tp(rng, CHAT_ISSUE_WEIGHTS, set())
    n_issue = rng.choices((1, 2), (0.7, 0.3))[0]
    if planted or rng.random() < 0.82:
        issue = _build_clauses(ctx, ["neg"] * n_issue, first_tp=issue_tp, planted=planted)
    else:  # a neutral question
        issue = [_Clause(issue_tp, "neu", tl, _fill(rng.choice(CHAT_QUESTIONS[tl][issue_tp]), ctx, tl))]
    if planted:
        issue_tp = PAIN_POINTS[planted]["touchpoint"]
        if planted == "checkout_crash_app_5_2" and len(issue) == 1 and rng.random() < 0.35:
            issue.append(_clause(ctx, "payment", "neg", "en" if lang == "en" else "ru"))
    if planted == "delivery_delay_spike":
        outcome = rng.choices(("resolved", "unresolved", "escalated"), (0.4, 0.3, 0.3))[0]
    else:
        outcome = rng.choices(("resolved", "unresolved", "escalated"), (0.6, 0.2, 0.2))[0]

    t = _time_on(rng, day, lang, latest_hour=21)
    turns: list[dict] = []
    clauses: list[_Clause] = []

    def add(role: str, text: str, gap: tuple[int, int]) -> None:
        nonlocal t
        if turns:
            t = t + timedelta(seconds=rng.randint(*gap))
        turns.append({"role": role, "ts": _iso(t), "text": text})

    def customer(cl: list[_Clause], prefix: str = "") -> None:
        clauses.extend(cl)
        text = prefix + (_lower_first(_join(cl, rng, tl)) if prefix.endswith(", ") else _join(cl, rng, tl))
        add("customer", _stylize(text, rng, lang), (15, 240))

    has_bot = rng.random() < 0.65
    if has_bot:
        add("bot", rng.choice(BOT_GREET[tl]), (0, 0))
    customer(issue, prefix=rng.choice(CUSTOMER_GREET[tl]) if not has_bot or rng.random() < 0.4 else "")
    if has_bot and rng.random() < 0.75:
        add("bot", rng.choice(BOT_TRANSFER[tl]), (2, 8))
    gives_info = rng.random() < 0.75
    greet = rng.choice(AGENT_GREET[tl]) if gives_info else AGENT_GREET[tl][2]  # [2] asks nothing
    add("agent", _fill(greet, ctx), (30, 420))
    if gives_info:
        ctx.pii = set()
        if rng.random() < 0.12:
            cl = _pii_clause(ctx)
        else:
            info = _fill(rng.choice(CUSTOMER_INFO[tl]), ctx)
            cl = _Clause("", "neu", tl, info)
        clauses.append(cl)
        add("customer", cl.text, (20, 180))
    if rng.random() < 0.3 and issue[0].polarity == "neg":  # the customer adds to the complaint
        if rng.random() < 0.6:
            more = _clause(ctx, issue[0].touchpoint, "neg", tl, planted=planted)
        else:
            more = _clause(
                ctx, _weighted_tp(rng, TP_WEIGHTS["neg"], {c.touchpoint for c in clauses}), "neg", tl
            )
        customer([more])
    if outcome == "escalated":
        add("agent", _fill(rng.choice(AGENT_ESCALATE[tl]), ctx), (40, 400))
    else:
        sol = AGENT_SOLUTION[tl].get(issue_tp, AGENT_SOLUTION[tl]["_"])
        add("agent", _fill(rng.choice(sol), ctx), (40, 400))
    if rng.random() < 0.8:
        tp, pol, text = rng.choice(CUSTOMER_CLOSE[tl][outcome])
        text = _fill(text, ctx)
        clauses.append(_Clause(tp, pol, tl, text))
        add("customer", _stylize(text, rng, lang), (10, 120))
    if len(turns) < 9 and rng.random() < 0.5:
        add("agent", rng.choice(AGENT_CLOSE[tl]), (5, 60))
    row = {"channel": "chat" if rng.random() < 0.62 else "messenger", "outcome": outcome, "turns": turns}
    return _Rec("chat", datetime.fromisoformat(turns[0]["ts"]), lang, row, clauses, "", planted)


# ---------------------------------------------------------------- surveys


def _survey(rng: random.Random, day: date, planted: str = "") -> _Rec:
    lang = _pick_lang(rng)
    if lang == "mixed" and rng.random() < 0.5:
        lang = "ru"
    ctx = _Ctx.new(rng, lang)
    if planted == "delivery_delay_spike":
        survey = "nps_post_purchase" if rng.random() < 0.7 else "csat_support"
    elif planted == "checkout_crash_app_5_2":
        survey = "nps_post_purchase" if rng.random() < 0.8 else "csat_support"
    elif planted:
        survey = "nps_post_purchase"
    else:
        survey = rng.choices(SURVEYS, SURVEY_WEIGHTS)[0]
    n = rng.choices((1, 2, 3), (0.6, 0.32, 0.08))[0]
    if planted:
        pols = ["neg"] + [rng.choices(("neg", "pos", "neu"), (0.5, 0.35, 0.15))[0] for _ in range(n - 1)]
        first_tp = None
    else:
        mood = rng.choices(("pos", "neg", "mixed"), (0.5, 0.27, 0.23))[0]
        pols = _plan_polarities(rng, mood, n)
        first_tp = {"csat_support": "customer_support", "ces_returns": "returns_refunds"}.get(survey)
        if first_tp and rng.random() < 0.5:
            first_tp = None
    clauses = _build_clauses(ctx, pols, first_tp=first_tp, planted=planted)
    if rng.random() < 0.04:
        clauses.insert(rng.randrange(1, len(clauses) + 1), _pii_clause(ctx))
    s = _polarity_score(clauses)
    nps = csat = ces = ""
    if survey == "nps_post_purchase":
        nps = _score(rng, s, NPS_TABLE, 0, 10)
    elif survey == "csat_support":
        csat = _score(rng, s, RATING_TABLE, 1, 5)
    else:
        ces = _score(rng, s, CES_TABLE, 1, 7)
    text_lang = "en" if lang == "en" else "ru"
    answer = _stylize(_join(clauses, rng, text_lang), rng, lang)
    edge = ""
    if rng.random() < 0.2:  # silent respondent
        answer, clauses, edge = "", [], "silent"
    row = {"survey": survey, "nps": nps, "csat": csat, "ces": ces, "answer": answer}
    return _Rec("survey", _time_on(rng, day, lang), lang, row, clauses, edge, planted)


# --------------------------------------------------------------------------------------------------
# Customers and planted journeys
# --------------------------------------------------------------------------------------------------

#: Journeys planted across sources: a first record (kind, its first clause's touchpoint and polarity) and the
#: record that follows it (kind, a test on it) within (min, max) days; both get a fresh customer id that no
#: other record has, so the customer's journey is exactly these two events.
PLANTED_JOURNEYS = {
    "payment_failure_then_detractor": {
        "first": ("chat", "payment", "neg"),
        "then": "survey",
        "days": (2, 6),
        "description": "A payment failure in a support chat, then an NPS detractor answer (0-6) a few days later.",
    },
    "delivery_repeat_contact": {
        "first": ("chat", "delivery", "neg"),
        "then": "chat",
        "days": (1, 6),
        "description": "A delivery complaint in a chat, then another chat about delivery within a week: "
        "the problem was not solved.",
    },
}
JOURNEY_EVERY = timedelta(
    days=7
)  # at scale 1 a journey of each kind starts at most weekly (scale: more often)
RETURNING = 0.3  # a record's chance to come from a customer seen before
GUEST_REVIEWS = 0.15  # reviews written without an account: no customer id


@dataclass
class _Pending:
    journey: str
    customer: str
    first_id: str
    after: datetime
    before: datetime


class _Customers:
    """Assigns customer ids, and plants the journeys of ``PLANTED_JOURNEYS``.

    It draws from a random stream of its own (seeded from the generator's seed), so the feedback itself is
    byte-for-byte what it was before customers were added.
    """

    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(f"customers-{seed}")
        self.every = JOURNEY_EVERY / scale
        self.last: dict[str, datetime] = {}  # the start of the latest planted journey of each kind
        self.recent: list[str] = []  # background customers, newest last (bounded)
        self.n = 0
        self.pending: list[_Pending] = []
        self.planted: list[dict] = []  # the key: journey, customer_id, events (ids, in time order)

    def _new(self) -> str:
        self.n += 1
        return f"CU{self.n:07d}"

    def _follows(self, rec: _Rec, journey: str) -> bool:
        then = PLANTED_JOURNEYS[journey]["then"]
        if rec.source != then:
            return False
        if journey == "payment_failure_then_detractor":
            return rec.row.get("nps") != "" and int(rec.row["nps"]) <= 6
        first = rec.clauses[0] if rec.clauses else None
        return first is not None and first.touchpoint == "delivery"

    def assign(self, rec: _Rec, doc_id: str) -> str:
        """The customer id of a written record ("" for a guest review)."""
        for p in self.pending:
            if p.after <= rec.ts <= p.before and self._follows(rec, p.journey):
                self.pending.remove(p)
                self.planted.append(
                    {"journey": p.journey, "customer_id": p.customer, "events": [p.first_id, doc_id]}
                )
                return p.customer
        self.pending = [p for p in self.pending if p.before >= rec.ts]  # windows that closed unfilled
        first = rec.clauses[0] if rec.clauses else None
        for name, j in PLANTED_JOURNEYS.items():
            kind, tp, pol = j["first"]
            if (
                (name not in self.last or rec.ts - self.last[name] >= self.every)
                and rec.source == kind
                and first is not None
                and (first.touchpoint, first.polarity) == (tp, pol)
                and not rec.planted
            ):
                self.last[name] = rec.ts
                lo, hi = j["days"]
                who = self._new()
                self.pending.append(
                    _Pending(name, who, doc_id, rec.ts + timedelta(days=lo), rec.ts + timedelta(days=hi))
                )
                return who
        if rec.source == "review" and self.rng.random() < GUEST_REVIEWS:
            return ""
        if self.recent and self.rng.random() < RETURNING:
            return self.rng.choice(self.recent)
        who = self._new()
        self.recent.append(who)
        if len(self.recent) > 2000:
            del self.recent[:1000]
        return who


#: What a CES respondent says about the effort a return took, by how hard it was for them (``_Effort``). The
#: wording is the generator's own, written apart from the effort prototypes the model scores clauses against
#: (models/vocmine-default/affect/effort.yaml), so the CES correlation the effort suite reports is not circular.
EFFORT_POOL: dict[str, dict[str, list[str]]] = {
    "hard": {
        "ru": [
            "пришлось звонить три раза, чтобы оформить возврат",
            "объяснял одно и то же пяти операторам подряд",
            "чтобы вернуть деньги, дважды ездил в пункт выдачи",
            "форма возврата трижды выдала ошибку, заполнял всё заново",
            "неделю писал в поддержку, пока приняли заявку на возврат",
            "для возврата пришлось распечатать и отсканировать кучу бумаг",
            "на оформление возврата ушло полтора часа",
            "меня гоняли от одного специалиста к другому",
        ],
        "en": [
            "had to call three times to get the return started",
            "had to explain it five times to different agents",
            "went to the pickup point twice just to hand the item back",
            "the return form threw an error three times and I filled it in again each time",
            "it took a week of emails before they accepted the return",
            "had to print, sign and scan a pile of paperwork for the return",
            "spent an hour and a half sorting out the return",
            "got passed from one department to another",
        ],
    },
    "some": {
        "ru": [
            "пришлось немного подождать ответа, но в итоге разобрались",
            "один раз уточняли номер заказа, в остальном нормально",
            "возврат оформил со второй попытки",
        ],
        "en": [
            "had to wait a bit for an answer, but it got sorted",
            "they asked for the order number once more, otherwise fine",
            "the return went through on the second try",
        ],
    },
    "easy": {
        "ru": [
            "возврат оформил с первого раза за пару минут",
            "всё сделал в приложении в два клика",
            "ничего не пришлось объяснять, приняли сразу",
            "заняло буквально пять минут",
            "курьер сам забрал возврат, мне ничего делать не пришлось",
            "с первого раза всё получилось",
        ],
        "en": [
            "the return took two minutes",
            "did it all in the app in a couple of taps",
            "didn't have to explain anything, they accepted it straight away",
            "worked first time, no hassle",
            "the courier collected the return, I didn't have to do a thing",
            "sorted in one go",
        ],
    },
}


class _Effort:
    """Adds what CES respondents say about the effort, from their own CES answer with noise.

    A respondent's felt effort is the CES answer (1 = very difficult ... 7 = very easy) plus Gaussian noise; 35%
    say nothing about it. It draws from a random stream of its own (seeded from the generator's seed), so every
    other record is byte-for-byte what it was before.
    """

    SILENT = 0.35  # share of CES answers with text that say nothing about the effort
    NOISE = 1.2  # sd of the felt effort around the CES answer, in CES points

    def __init__(self, seed: int):
        self.rng = random.Random(f"effort-{seed}")

    def add(self, rec: _Rec) -> None:
        ces, answer = rec.row.get("ces"), rec.row.get("answer")
        if ces == "" or ces is None or not answer or self.rng.random() < self.SILENT:
            return
        felt = int(ces) + self.rng.gauss(0, self.NOISE)
        level = "hard" if felt < 3.0 else "easy" if felt > 5.0 else "some"
        lang = "en" if rec.lang == "en" else "ru"
        text = self.rng.choice(EFFORT_POOL[level][lang])
        sep = " " if answer[-1:] in ".!?…)" or not answer[-1:].isalnum() else ". "
        rec.row["answer"] = f"{answer}{sep}{_upper_first(text)}."
        pol = {"hard": "neg", "some": "neu", "easy": "pos"}[level]
        rec.clauses.append(_Clause("returns_refunds", pol, lang, text))


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------


def _active(pain: str, day: date) -> bool:
    p = PAIN_POINTS[pain]
    return p["start"] <= day <= p["end"]


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Stats:
    """What was generated: counts for the key in README.md / planted.yaml."""

    files: Counter = field(default_factory=Counter)
    planted_docs: Counter = field(default_factory=Counter)  # (pain, source, lang) -> docs with text
    planted_silent: Counter = field(default_factory=Counter)  # pain -> silent survey rows (no text)
    journeys: list[dict] = field(default_factory=list)  # planted journeys: journey, customer_id, events
    mentions: Counter = field(default_factory=Counter)  # (week_start, touchpoint, polarity) -> clauses
    docs: Counter = field(default_factory=Counter)  # (source, lang) -> documents (deduplicated)
    edges: Counter = field(default_factory=Counter)


def generate(out_dir: Path, scale: float = 1.0, seed: int = 7, truth: bool = False) -> dict[str, int]:
    """Write reviews.csv, chats.jsonl, surveys.csv into out_dir; return counts per file.

    Counts are physical rows/lines written (the deliberate duplicate and invalid review rows included).
    With ``truth=True`` also write ``truth.csv``: one row per customer clause with its touchpoint,
    polarity, language, planted pain point and PII kinds (plus one row for clause-less edge rows).
    """
    return dict(generate_with_stats(out_dir, scale=scale, seed=seed, truth=truth).files)


def generate_with_stats(out_dir: Path, scale: float = 1.0, seed: int = 7, truth: bool = False) -> Stats:
    """Like :func:`generate` but return the full :class:`Stats`."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    customers = _Customers(seed, scale)
    effort = _Effort(seed)
    stats = Stats()
    counters = {"review": 0, "chat": 0, "survey": 0}
    prefix = {"review": "R", "chat": "C", "survey": "S"}
    # fixed edge cases (one each, at any scale), on fixed days
    edge_days = {12: "duplicate", 30: "bad_rating", 45: "empty", 5: "long", 58: "long", 20: "short"}

    with (
        open(out_dir / "reviews.csv", "w", encoding="utf-8", newline="") as fr,
        open(out_dir / "chats.jsonl", "w", encoding="utf-8", newline="\n") as fc,
        open(out_dir / "surveys.csv", "w", encoding="utf-8", newline="") as fs,
    ):
        wr = csv.writer(fr, lineterminator="\n")
        ws = csv.writer(fs, lineterminator="\n")
        wr.writerow(REVIEW_FIELDS)
        ws.writerow(SURVEY_FIELDS)
        ft = open(out_dir / "truth.csv", "w", encoding="utf-8", newline="") if truth else None  # noqa: SIM115
        wt = csv.writer(ft, lineterminator="\n") if ft else None
        if wt:
            wt.writerow(TRUTH_FIELDS)
        try:
            for d in range(N_DAYS):
                day = START + timedelta(days=d)
                trend = 1.0 + 0.12 * d / N_DAYS
                recs: list[_Rec] = []
                for source, make in (("review", _review), ("chat", _chat), ("survey", _survey)):
                    noise = rng.lognormvariate(0, 0.18)
                    exp = BASE_DAILY[source] * scale * WEEKDAY_FACTOR[source][day.weekday()] * trend * noise
                    recs.extend(make(rng, day) for _ in range(_count(rng, exp)))
                    for pain, rates in PLANTED_DAILY.items():
                        if _active(pain, day):
                            ramp = 1.0
                            if pain == "checkout_crash_app_5_2":
                                ramp = 1.2 if day < APP_RELEASE + timedelta(days=7) else 1.05
                            n = _count(rng, rates[source] * scale * ramp * rng.lognormvariate(0, 0.15))
                            recs.extend(make(rng, day, planted=pain) for _ in range(n))
                edge = edge_days.get(d)
                if edge:
                    recs.append(_review(rng, day, edge=edge))
                recs.sort(key=lambda r: r.ts)
                dup_row = None
                for rec in recs:
                    counters[rec.source] += 1
                    doc_id = f"{prefix[rec.source]}{counters[rec.source]:07d}"
                    rec_edge = rec.edge
                    ts = _iso(rec.ts)
                    who = customers.assign(rec, doc_id)
                    if rec.source == "review":
                        r = rec.row
                        if rec_edge == "bad_rating":
                            r["rating"] = 7
                        elif rec_edge == "empty":
                            r["rating"], r["text"] = "", ""
                            rec.clauses = []
                        row = [doc_id, who, ts, r["rating"], r["channel"], r["product"], r["text"]]
                        wr.writerow(row)
                        if rec_edge == "duplicate":
                            dup_row = row
                    elif rec.source == "chat":
                        obj = {"conversation_id": doc_id, "customer_id": who, "channel": rec.row["channel"]}
                        obj["started_at"] = ts
                        obj.update(outcome=rec.row["outcome"], turns=rec.row["turns"])
                        fc.write(json.dumps(obj, ensure_ascii=False) + "\n")
                    else:
                        effort.add(rec)
                        r = rec.row
                        ws.writerow(
                            [doc_id, who, ts, r["survey"], r["nps"], r["csat"], r["ces"], r["answer"]]
                        )
                    stats.files[_FILE[rec.source]] += 1
                    _account(stats, wt, rec, doc_id, day, rec_edge)
                if dup_row is not None:
                    wr.writerow(dup_row)
                    stats.files["reviews.csv"] += 1
        finally:
            if ft:
                ft.close()
    stats.journeys = customers.planted
    if truth:
        with open(out_dir / "truth.csv", encoding="utf-8") as f:
            stats.files["truth.csv"] = sum(1 for _ in csv.reader(f)) - 1
    return stats


_FILE = {"review": "reviews.csv", "chat": "chats.jsonl", "survey": "surveys.csv"}


def _account(stats: Stats, wt, rec: _Rec, doc_id: str, day: date, edge: str) -> None:
    """Update stats (and the truth file) for one written record."""
    langs = {c.lang for c in rec.clauses}
    if not langs:  # silent survey row / empty review: no text
        doc_lang = "en" if rec.lang == "en" else "ru"
    else:
        doc_lang = "mixed" if "mixed" in langs or len(langs) > 1 else langs.pop()
    rec.lang = doc_lang
    stats.docs[(rec.source, doc_lang)] += 1
    if edge:
        stats.edges[(rec.source, edge)] += 1
    if rec.planted and rec.clauses:
        stats.planted_docs[(rec.planted, rec.source, rec.lang)] += 1
    elif rec.planted:
        stats.planted_silent[rec.planted] += 1
    if edge != "bad_rating":  # ingestion quarantines it: it does not count as a mention
        week = _week_start(day)
        for c in rec.clauses:
            if c.touchpoint:
                stats.mentions[(week, c.touchpoint, c.polarity)] += 1
    if wt is None:
        return
    if not rec.clauses:
        wt.writerow([rec.source, doc_id, day.isoformat(), rec.lang, 0, "", "", "", rec.planted, "", edge, ""])
        return
    for i, c in enumerate(rec.clauses):
        wt.writerow(
            [
                rec.source,
                doc_id,
                day.isoformat(),
                rec.lang,
                i,
                c.lang,
                c.touchpoint,
                c.polarity,
                c.planted,
                c.pii,
                edge,
                c.text,
            ]
        )


# --------------------------------------------------------------------------------------------------
# Key (planted.yaml) and CLI
# --------------------------------------------------------------------------------------------------


def weekly_negatives(stats: Stats) -> dict[date, Counter]:
    """Negative mentions per touchpoint, per week start."""
    out: dict[date, Counter] = {}
    for (week, tp, pol), n in stats.mentions.items():
        if pol == "neg":
            out.setdefault(week, Counter())[tp] += n
    return dict(sorted(out.items()))


def planted_key(stats: Stats, scale: float, seed: int) -> str:
    """Render the machine-readable key of planted pain points as YAML text."""
    weeks = weekly_negatives(stats)
    total: Counter = Counter()
    for c in weeks.values():
        total.update(c)
    last_week = _week_start(END)
    lines = [
        "# Key of the pain points planted in the sample data (written by `python -m vocmine.sampledata`).",
        "# Counts are exact for this seed/scale. 'negative_mentions' counts customer clauses with negative",
        "# polarity about the touchpoint (reviews + chat customer turns + survey answers; the deduplicated",
        "# duplicate row once, the quarantined bad-rating row not at all).",
        f"seed: {seed}",
        f"scale: {scale}",
        f"period: {{start: {START.isoformat()}, end: {END.isoformat()}, weeks: {N_DAYS // 7}}}",
        f"app_release: {{version: '5.2', date: {APP_RELEASE.isoformat()}}}",
        "pain_points:",
    ]
    for pain, p in PAIN_POINTS.items():
        tp = p["touchpoint"]
        pw = [w for w in weeks if p["start"] <= w <= p["end"]]
        base_weeks = [w for w in weeks if not _week_start(p["start"]) <= w <= p["end"]]
        base = sum(weeks[w][tp] for w in base_weeks) / max(1, len(base_weeks))
        docs = Counter()
        langs = Counter()
        for (pp, src, lang), n in stats.planted_docs.items():
            if pp == pain:
                docs[src] += n
                langs[lang] += n
        lines += [
            f"  - id: {pain}",
            f"    touchpoint: {tp}",
            f"    also_touchpoints: [{', '.join(p['also'])}]",
            "    polarity: negative",
            f"    week_start: {_week_start(p['start']).isoformat()}",
            f"    weeks: [{', '.join(w.isoformat() for w in pw)}]",
            f"    start: {p['start'].isoformat()}",
            f"    end: {p['end'].isoformat()}",
            "    languages: [ru, en]",
            "    sources: [review, chat, survey]",
            f"    description: {_yq(p['description'])}",
            f"    expected_effect: {_yq(p['expected_effect'])}",
            "    planted_docs:",
            *(f"      {s}: {docs[s]}" for s in ("review", "chat", "survey")),
            f"      total: {sum(docs.values())}",
            f"      by_language: {{ru: {langs['ru']}, en: {langs['en']}, mixed: {langs['mixed']}}}",
            f"      silent_survey_rows: {stats.planted_silent[pain]}",
            "    negative_mentions:",
            *(f"      {w.isoformat()}: {weeks[w][tp]}" for w in pw),
            f"      baseline_weekly_mean: {base:.1f}",
            f"      ratio_to_baseline: {(sum(weeks[w][tp] for w in pw) / len(pw)) / base:.1f}",
        ]
    top_all = [tp for tp, _ in total.most_common()]
    lines += [
        "negative_mentions_total:",
        *(f"  {tp}: {n}" for tp, n in total.most_common()),
        "expected_rankings:",
        f"  whole_period_top3_negative: [{', '.join(top_all[:3])}]",
    ]
    for p in PAIN_POINTS.values():
        for w in sorted({_week_start(p["start"]), _week_start(p["end"])}):
            top = [tp for tp, _ in weeks[w].most_common(2)]
            lines.append(f"  week_{w.isoformat()}_top2_negative: [{', '.join(top)}]")
    # deduplicate ranking lines (a week may be shared by two pain points)
    seen: set[str] = set()
    lines = [ln for ln in lines if not (ln.startswith("  week_") and (ln in seen or seen.add(ln)))]
    lines.append(f"  last_week_start: {last_week.isoformat()}")
    lines += [
        "# Customers who appear in several sources with a planted journey: two events, in time order, of a",
        "# customer id that no other record has (customer_id in all three files; some reviews are by guests).",
        "journeys:",
    ]
    for name, j in PLANTED_JOURNEYS.items():
        mine = [p for p in stats.journeys if p["journey"] == name]
        kind, tp, pol = j["first"]
        lines += [
            f"  - id: {name}",
            f"    description: {_yq(j['description'])}",
            f"    first: {{kind: {kind}, touchpoint: {tp}, polarity: {'negative' if pol == 'neg' else pol}}}",
            f"    then: {j['then']}",
            f"    within_days: [{j['days'][0]}, {j['days'][1]}]",
            f"    count: {len(mine)}",
            "    customers:",
            *(f"      {p['customer_id']}: [{', '.join(p['events'])}]" for p in mine),
        ]
    return "\n".join(lines) + "\n"


def _yq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vocmine.sampledata", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("data/samples"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply record counts (default 1.0)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--truth", action="store_true", help="also write the ground-truth truth.csv")
    parser.add_argument("--no-key", action="store_true", help="do not write planted.yaml")
    args = parser.parse_args(argv)
    stats = generate_with_stats(args.out_dir, scale=args.scale, seed=args.seed, truth=args.truth)
    if not args.no_key:
        (args.out_dir / "planted.yaml").write_text(
            planted_key(stats, args.scale, args.seed), encoding="utf-8"
        )
    for name, n in sorted(stats.files.items()):
        print(f"{name}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
