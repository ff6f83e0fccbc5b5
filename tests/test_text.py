"""Tests for the text stage: normalisation, language ID, PII masking, segmentation."""

from __future__ import annotations

import random
import socket

import pytest

from vocmine.records import Segment
from vocmine.text import (
    DEFAULT_KINDS,
    PiiMatch,
    Segmenter,
    detect_language,
    detect_languages,
    lemma,
    mask_pii,
    normalize,
)
from vocmine.text import langid as langid_mod
from vocmine.text import pii as pii_mod

# A pool of characters and fragments that stress offsets: emoji with modifiers and ZWJ, flags, combining
# marks, entities, tags, odd spaces, newlines and the clause-splitting conjunctions.
_FRAGMENTS = (
    list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyzАБВXYZ0123456789")
    + [" "] * 15
    + list(",.;!?-—()\n\t:\"'[]«»“”’")
    + [
        "😀",
        "👍🏻",
        "🇷🇺",
        "👨‍👩‍👧",
        "&amp;",
        "&lt;b&gt;",
        "<br>",
        "<b>",
        "\u200b",
        "\r\n",
        "\u00a0",
        "e\u0301",
    ]
    + [" но ", ", но ", ", but ", "; ", ", а ", " but ", ", however ", "[EMAIL]", "...", ")))", "\n\n\n"]
)


def _random_texts(n: int, seed: int, max_len: int = 200) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, max_len))) for _ in range(n)]


# --- normalize --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  hello   world \t ", "hello world"),
        ("&lt;b&gt;Hi&lt;/b&gt; &amp; bye", "Hi & bye"),
        ("a<br>b <p>c</p>", "a\nb\nc"),
        ('<a href="https://x.ru">link</a> <span class="x">t</span>', "link t"),
        ("ctrl\x00\x07chars\x1b", "ctrlchars"),
        ("e\u0301", "\u00e9"),  # NFC
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("1\u00a0299\u202f₽", "1 299 ₽"),
        ("“x” «y» don’t", '"x" "y" don\'t'),
        ("a – b — c ‒ d", "a — b — c — d"),
        ("line1\r\nline2\rline3", "line1\nline2\nline3"),
        ("a  \n  b", "a\nb"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("I <3 it, a < b > c, <Имя>", "I <3 it, a < b > c, <Имя>"),
        ("R&D, AT&T", "R&D, AT&T"),
        ("👨‍👩‍👧 🇷🇺 👍🏻 🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👨‍👩‍👧 🇷🇺 👍🏻 🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
        ("", ""),
        ("   \n\t ", ""),
    ],
)
def test_normalize_cases(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_double_escaped_entities_reach_a_fixed_point() -> None:
    assert normalize("&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt;") == "bold"


@pytest.mark.parametrize("text", _random_texts(400, seed=1) + ["&amp;amp;amp;", "<<b>b>", "&l\u200bt;"])
def test_normalize_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


# --- language ID ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Доставка быстрая, но приложение вылетает при оплате", "ru"),
        ("ОТЛИЧНЫЙ МАГАЗИН, ВСЕМ СОВЕТУЮ", "ru"),
        ("Fast delivery, but the app crashes at payment", "en"),
        ("GREAT SERVICE, WILL BUY AGAIN", "en"),
        ("Das Produkt ist sehr gut und wurde schnell geliefert", "de"),
        ("Дякую, все чудово, швидка доставка і гарна якість", "uk"),
    ],
)
def test_detect_language_model(text: str, lang: str) -> None:
    got, conf = detect_language(text)
    assert got == lang
    assert 0.5 < conf <= 1.0


def test_detect_language_mixed_is_one_of_the_two() -> None:
    got, conf = detect_language("Заказ пришёл вовремя, but the box was damaged badly")
    assert got in {"ru", "en"}
    assert 0.0 < conf <= 1.0


@pytest.mark.parametrize(
    ("text", "hint", "lang"),
    [
        ("ок", None, "ru"),
        ("спасибо!", None, "ru"),
        ("Товар хороший", None, "ru"),
        ("ok", None, "en"),
        ("Thanks!", None, "en"),
        ("super", None, "en"),
        ("ok", "de", "de"),  # the hint wins when the script fits
        ("спасибо", "uk", "uk"),
        ("спасибо", "en", "ru"),  # ...but not against the script
        ("thanks", "ru", "en"),
        ("好", "ru", "zh"),  # other scripts go to the model even when short
    ],
)
def test_detect_language_short_texts(text: str, hint: str | None, lang: str) -> None:
    assert detect_language(text, hint=hint)[0] == lang


@pytest.mark.parametrize("text", ["", "   \n", "👍👍", "🙂", "12345", "!!!", "[EMAIL] https://x.com/a 42"])
def test_detect_language_undeterminable(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)
    lang, conf = detect_language(text, hint="ru")
    assert lang == "ru" and 0.0 < conf < 0.5


def test_detect_language_ignores_placeholders_and_urls() -> None:
    text = "Курьер так и не приехал, пишите на [EMAIL] или https://example.com/support/ticket"
    assert detect_language(text)[0] == "ru"


def test_detect_languages_matches_single_calls() -> None:
    texts = [
        "Доставка быстрая, но приложение вылетает",
        "ok",
        "",
        "👍",
        "The courier was rude and late",
        "Das ist gut und schnell",
        "ок",
    ]
    hints: list[str | None] = [None, "en", "ru", None, "ru", None, "en"]
    assert detect_languages(texts) == [detect_language(t) for t in texts]
    assert detect_languages(texts, hints) == [
        detect_language(t, h) for t, h in zip(texts, hints, strict=True)
    ]
    assert detect_languages(texts, "ru") == [detect_language(t, "ru") for t in texts]
    assert detect_languages([]) == []
    with pytest.raises(ValueError):
        detect_languages(["a", "b"], ["en"])


def test_langid_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(langid_mod, "_detector", None)  # force a fresh model load under the guard
    assert detect_language("Приложение постоянно вылетает при оплате картой")[0] == "ru"


# --- PII --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Пишите на ivan.petrov@mail.ru, отвечу", "Пишите на [EMAIL], отвечу"),
        ("email: John_Doe+shop@example.co.uk.", "email: [EMAIL]."),
        ("почта: иван@почта.рф", "почта: [EMAIL]"),
        ("+7 (916) 123-45-67", "[PHONE]"),
        ("8 (916) 123-45-67", "[PHONE]"),
        ("+79161234567", "[PHONE]"),
        ("мой 89161234567!", "мой [PHONE]!"),
        ("8-916-123-45-67", "[PHONE]"),
        ("+7 916 123 45 67", "[PHONE]"),
        ("звоните 8 800 555-35-35", "звоните [PHONE]"),
        ("+7(495)1234567", "[PHONE]"),
        ("8 916 1234567", "[PHONE]"),
        ("8.916.123.45.67", "[PHONE]"),
        ("тел. 123-45-67", "тел. [PHONE]"),
        ("(916) 123-45-67", "[PHONE]"),
        ("916 123-45-67", "[PHONE]"),
        ("+7 701 123 4567", "[PHONE]"),
        ("+44 20 7946 0958", "[PHONE]"),
        ("call +1 (415) 555-2671 now", "call [PHONE] now"),
        ("+380501234567", "[PHONE]"),
        ("+49 30 1234567", "[PHONE]"),
        ("карта 4111 1111 1111 1111", "карта [CARD]"),
        ("4111111111111111", "[CARD]"),
        ("5500-0000-0000-0004", "[CARD]"),
        ("3782 822463 10005", "[CARD]"),
        ("карта 4111 1111 1111 1111 12/25 CVV", "карта [CARD] 12/25 CVV"),
        ("https://shop.example.com/order?id=5&x=1", "[URL]"),
        ("см. www.example.ru/path.", "см. [URL]."),
        ("(см. http://x.ru/a_(b))", "(см. [URL])"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [IBAN]"),
        ("GB82WEST12345698765432", "[IBAN]"),
        ("DE89 3704 0044 0532 0130 00 SEND", "[IBAN] SEND"),
        ("паспорт 4510 123456", "паспорт [PASSPORT]"),
        ("паспорт серии 4510 номер 123456", "паспорт серии [PASSPORT]"),
        ("Паспорт: 45 10 123456", "Паспорт: [PASSPORT]"),
        ("серия и номер паспорта 4510 № 123456", "серия и номер паспорта [PASSPORT]"),
        ("СНИЛС 112-233-445 95", "СНИЛС [SNILS]"),
        ("112-233-445 95", "[SNILS]"),
        ("снилс 11223344595", "снилс [SNILS]"),
        (
            "мой номер +7 916 123-45-67, почта a.b@c.ru, сайт https://a.ru/x?e=a.b@c.ru",
            "мой номер [PHONE], почта [EMAIL], сайт [URL]",
        ),
    ],
)
def test_mask_pii_positives(text: str, masked: str) -> None:
    got, matches = mask_pii(text)
    assert got == masked
    assert matches


@pytest.mark.parametrize(
    "text",
    [
        "заказ № 123456789",
        "Заказ №89161234567 не пришёл",
        "номер заказа 81234567890",
        "order #79161234567",
        "артикул 84951234567",
        "цена 2 500 руб",
        "1 299 ₽",
        "стоит 12 990 ₽, скидка 1 000",
        "1 500 000 руб",
        "в 3 раза дороже, 15 000 000 пользователей",
        "12.10.2026",
        "доставка 12.10.2026 в 14:30",
        "10.12.2024 12:30:45",
        "2024-10-12",
        "с 10:00 до 22:00",
        "в 2024 году",
        "версия 5.2",
        "v 5.2.1",
        "iOS 17.4.1",
        "5.2.0-beta",
        "трек-номер RA123456789RU",
        "трек 80093284123456",
        "80093284123456",
        "4111 1111 1111 1112",  # bad Luhn
        "4111111111111112",
        "1234 5678 9012 3456",
        "заказ 4111111111111111",  # Luhn-valid order number
        "ИНН 7707083893",
        "счёт 40817810099910004312",
        "оценка 5/5, +100500",
        "+5 звёзд",
        "123-456-789 00",  # bad SNILS checksum
        "DE89 3704 0044 0532 0130 01",  # bad IBAN checksum
        "4510 123456",  # passport digits without the context word
        "скидка 25%, купон SALE2024ABCDEFGH",
        "1,5 кг",
        "ozon.ru и wildberries.ru",
        "a@b",
        "2 шт. по 450 р, итого 900 р",
    ],
)
def test_mask_pii_negatives(text: str) -> None:
    assert mask_pii(text) == (text, [])


def test_mask_pii_offsets_point_into_the_original() -> None:
    text = "Я Иван, тел. 8 (916) 123-45-67, карта 4111 1111 1111 1111, mail: ivan@mail.ru"
    masked, matches = mask_pii(text)
    assert [m.kind for m in matches] == ["person", "phone", "card", "email"]
    assert [text[m.start : m.end] for m in matches] == [
        "Иван",
        "8 (916) 123-45-67",
        "4111 1111 1111 1111",
        "ivan@mail.ru",
    ]
    assert masked == "Я [PERSON], тел. [PHONE], карта [CARD], mail: [EMAIL]"
    assert all(isinstance(m, PiiMatch) for m in matches)


def test_mask_pii_kinds_filter_and_unknown_kind() -> None:
    text = "ivan@mail.ru +7 916 123-45-67"
    assert mask_pii(text, kinds=["email"])[0] == "[EMAIL] +7 916 123-45-67"
    assert mask_pii(text, kinds=[])[0] == text
    with pytest.raises(ValueError):
        mask_pii(text, kinds=["ssn"])
    assert set(DEFAULT_KINDS) == {"email", "phone", "card", "url", "iban", "passport", "snils", "person"}


def test_mask_pii_pluggable_detector_and_overlap_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    def persons(text: str) -> list[PiiMatch]:
        i = text.find("Иван Петров")
        return [PiiMatch("person", i, i + len("Иван Петров"))] if i >= 0 else []

    text = "Курьер Иван Петров, +7 916 123-45-67"
    assert mask_pii(text, extra=[persons])[0] == "Курьер [PERSON], [PHONE]"

    monkeypatch.setitem(pii_mod.DETECTORS, "person", persons)
    masked, matches = mask_pii(text)
    assert masked == "Курьер [PERSON], [PHONE]"
    assert [m.kind for m in matches] == ["person", "phone"]

    # Longest match wins; a contained shorter match is dropped.
    def short(_text: str) -> list[PiiMatch]:
        return [PiiMatch("name", 7, 11)]

    assert mask_pii(text, kinds=["person"], extra=[short])[0] == "Курьер [PERSON], +7 916 123-45-67"


def test_resolve_prefers_longest_then_priority() -> None:
    a, b, c = PiiMatch("url", 0, 10), PiiMatch("email", 2, 8), PiiMatch("phone", 12, 20)
    assert pii_mod.resolve([b, c, a]) == [a, c]
    tie1, tie2 = PiiMatch("email", 0, 5), PiiMatch("url", 0, 5)
    assert pii_mod.resolve([tie2, tie1], priority=["email", "url"]) == [tie1]


def test_validators() -> None:
    assert pii_mod.luhn_ok("4111111111111111")
    assert not pii_mod.luhn_ok("4111111111111112")
    assert pii_mod.snils_ok("11223344595")
    assert not pii_mod.snils_ok("11223344594")
    assert pii_mod.iban_ok("DE89370400440532013000")
    assert not pii_mod.iban_ok("DE89370400440532013001")
    assert not pii_mod.iban_ok("DE8937040044053201300")  # wrong length for DE


def test_mask_pii_empty() -> None:
    assert mask_pii("") == ("", [])


# --- segmentation -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


def _texts(segs: list[Segment]) -> list[str]:
    return [s.text for s in segs]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "fast delivery, but the app crashes at payment",
            "en",
            ["fast delivery", "but the app crashes at payment"],
        ),
        (
            "Доставка быстрая, но приложение вылетает при оплате",
            "ru",
            ["Доставка быстрая", "но приложение вылетает при оплате"],
        ),
        (
            "Товар хороший, хотя упаковка мятая, зато цена низкая, однако ждать долго",
            "ru",
            ["Товар хороший", "хотя упаковка мятая", "зато цена низкая", "однако ждать долго"],
        ),
        ("Размер подошёл, а цвет не тот", "ru", ["Размер подошёл", "а цвет не тот"]),
        ("Всё хорошо, только курьер опоздал.", "ru", ["Всё хорошо", "только курьер опоздал."]),
        ("Good app, and yet it crashes daily", "en", ["Good app", "and yet it crashes daily"]),
        ("Nice prices, however checkout is slow", "en", ["Nice prices", "however checkout is slow"]),
        ("Great UI, whereas the search is useless", "en", ["Great UI", "whereas the search is useless"]),
        ("Cheap shipping; awful support", "en", ["Cheap shipping", "awful support"]),
        ("Быстро привезли; упаковка порвана", "ru", ["Быстро привезли", "упаковка порвана"]),
        (
            "The delivery was fast but the courier was rude",
            "en",
            ["The delivery was fast", "but the courier was rude"],
        ),
        ("Доставка быстрая но курьер хамит", "ru", ["Доставка быстрая", "но курьер хамит"]),
        # Too short on one side: no split.
        ("Good, but slow", "en", ["Good, but slow"]),
        ("Хорошо, но дорого", "ru", ["Хорошо, но дорого"]),
        ("Nothing but problems", "en", ["Nothing but problems"]),
        # Additive, not contrastive.
        ("Не только быстро, но и дешево", "ru", ["Не только быстро, но и дешево"]),
        ("It is not only cheap, but also fast", "en", ["It is not only cheap, but also fast"]),
        # Sentences and newlines.
        ("Спасибо!)) Всё пришло. Отлично :) Супер", "ru", ["Спасибо!))", "Всё пришло.", "Отлично :) Супер"]),
        ("Hello there\nsecond line", "en", ["Hello there", "second line"]),
        ("Привет 👋\n\n  \nHello", "ru", ["Привет 👋", "Hello"]),
        ("👍", "ru", ["👍"]),
        ('He said "great", but it broke twice', "en", ['He said "great"', "but it broke twice"]),
    ],
)
def test_clause_splits(seg: Segmenter, text: str, lang: str, expected: list[str]) -> None:
    assert _texts(seg.segment("d", text, lang)) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "...", "!!! ,,, ;"])
def test_segment_empty(seg: Segmenter, text: str) -> None:
    assert seg.segment("d", text, "ru") == []


def test_segment_fields(seg: Segmenter) -> None:
    text = "  Доставка быстрая, но приложение вылетает при оплате.\nСпасибо  "
    segs = seg.segment("src:1", text, "ru")
    assert [s.idx for s in segs] == [0, 1, 2]
    assert all(s.doc_id == "src:1" and s.lang == "ru" for s in segs)
    expected = ["Доставка быстрая", "но приложение вылетает при оплате.", "Спасибо"]
    assert [(s.start, s.end) for s in segs] == [(text.index(e), text.index(e) + len(e)) for e in expected]
    assert segs[1].lemmas == ["но", "приложение", "вылетать", "при", "оплата"]


def test_russian_lemmas(seg: Segmenter) -> None:
    segs = seg.segment(
        "d", "Нет доставки, приложение вылетает. Заказал в интернет-магазине, пишите на [EMAIL]", "ru"
    )
    lemmas = [lem for s in segs for lem in s.lemmas]
    assert "доставка" in lemmas and "вылетать" in lemmas
    assert "интернет-магазин" in lemmas
    assert "email" not in lemmas  # placeholders are not words
    assert lemma("доставки", "ru") == "доставка"
    assert lemma("Вылетает", "ru") == "вылетать"
    assert lemma("ок", "ru") == "ок"


def test_english_lemmas_are_lowercased_words(seg: Segmenter) -> None:
    (s,) = seg.segment("d", "The App CRASHES at Wi-Fi login 2 times 😡", "en")
    assert s.lemmas == ["the", "app", "crashes", "at", "wi-fi", "login", "times"]


def test_other_language_uses_fallback_pipeline(seg: Segmenter) -> None:
    segs = seg.segment("d", "Das ist gut. Die Lieferung war schnell.", "de")
    assert _texts(segs) == ["Das ist gut.", "Die Lieferung war schnell."]
    assert all(s.lang == "de" for s in segs)
    assert segs[0].lemmas == ["das", "ist", "gut"]


def test_max_chars_splits_at_token_boundaries() -> None:
    seg = Segmenter(max_chars=40)
    text = " ".join(["доставка", "быстрая", "приложение", "вылетает", "оплата"] * 30)
    segs = seg.segment("d", text, "ru")
    assert len(segs) > 1
    for s in segs:
        assert len(s.text) <= 40
        assert text[s.start : s.end] == s.text
        assert (s.start == 0 or text[s.start - 1] == " ") and (s.end == len(text) or text[s.end] == " ")
    assert " ".join(_texts(segs)) == text
    with pytest.raises(ValueError):
        Segmenter(max_chars=5)


def test_max_chars_prefers_punctuation() -> None:
    seg = Segmenter(max_chars=60)
    text = "первое длинное перечисление слов через запятые, второе перечисление слов " * 3
    for s in seg.segment("d", text, "ru"):
        assert len(s.text) <= 60


@pytest.mark.parametrize("lang", ["ru", "en", "fr"])
def test_offsets_invariant_random(lang: str) -> None:
    seg = Segmenter(max_chars=50)
    for text in _random_texts(300, seed={"ru": 11, "en": 12, "fr": 13}[lang]):
        for src in (text, normalize(text)):
            segs = seg.segment("d", src, lang)
            for i, s in enumerate(segs):
                assert src[s.start : s.end] == s.text
                assert s.idx == i
                assert s.text and s.text == s.text.strip()
                assert "\n" not in s.text
                assert len(s.text) <= 50 or " " not in s.text
            assert all(a.end <= b.start for a, b in zip(segs, segs[1:], strict=False))


def test_segment_many_matches_segment() -> None:
    seg = Segmenter(max_chars=60)
    texts = _random_texts(150, seed=7) + [
        "",
        "   ",
        "Доставка быстрая, но дорого!",
        "Fine, but the app crashes",
    ]
    langs = ["ru", "en", "de", "und"]
    items = [(f"d{i}", t, langs[i % len(langs)]) for i, t in enumerate(texts)]
    many = list(seg.segment_many(items))
    assert len(many) == len(items)
    assert many == [seg.segment(*it) for it in items]
    assert list(seg.segment_many([])) == []
    # Works on a one-shot generator larger than the internal chunk size.
    gen = ((f"g{i}", "Всё ок, но долго ждать доставку", "ru") for i in range(2100))
    out = list(seg.segment_many(gen))
    assert len(out) == 2100 and out[-1][0].doc_id == "g2099" and len(out[-1]) == 2


def test_long_lived_segmenter_keeps_no_strings_of_the_texts() -> None:
    """One segmenter serves a whole run: the order numbers and names it has seen must not pile up in it."""
    from vocmine.pipeline import Analyzer
    from vocmine.text.segment import shared_segmenter

    seg = shared_segmenter()
    assert Analyzer(model=None).segmenter is seg, "every batch's analyzer uses the process's segmenter"
    list(seg.segment_many([("w", "Заказ 1 опоздал, курьер грубый.", "ru")]))  # the pipeline is built
    before = len(seg._nlp("ru").vocab.strings)
    items = [
        (f"d{i}", f"Заказ {100000 + i} Ивановой{i} опоздал, но курьер вежливый.", "ru") for i in range(300)
    ]
    segs = list(seg.segment_many(items))
    assert segs[5][0].text.startswith("Заказ 100005") and segs[5][0].lemmas
    assert seg.segment("x", "Заказ 999999 пришёл", "ru")[0].text == "Заказ 999999 пришёл"
    assert len(seg._nlp("ru").vocab.strings) == before
