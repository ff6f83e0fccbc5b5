"""Long texts: analysed in bounded windows, every part segmented and masked, at most MAX_SEGMENTS per document."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from vocmine.records import Document
from vocmine.text import mask_pii
from vocmine.text.pii import WINDOW as PII_WINDOW
from vocmine.text.segment import WINDOW as SEG_WINDOW
from vocmine.text.segment import Segmenter
from vocmine.text.windows import windows

SENTENCES = [
    "Курьер опоздал на два дня, а поддержка не отвечает.",
    "Delivery was fast, but the app crashes at payment!",
    "Упаковка мятая, но товар целый",
    "Пункт выдачи закрыт уже неделю?",
]


def _long(n_chars: int) -> str:
    parts, size, i = [], 0, 0
    while size < n_chars:
        s = SENTENCES[i % len(SENTENCES)] + (" " if i % 7 else "\n")
        parts.append(s)
        size += len(s)
        i += 1
    return "".join(parts)


def test_windows_cover_the_text_and_cut_at_breaks():
    text = _long(100_000)
    spans = windows(text, 5_000)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a == b0 for (_, a), (b0, _) in zip(spans, spans[1:], strict=False))  # no gap, no overlap
    assert all(b - a <= 5_000 for a, b in spans)
    assert all(text[b - 1] in " \n" for _, b in spans[:-1])  # after a sentence or a line, never mid-word
    assert windows("", 10) == [(0, 0)] and windows("short", 10) == [(0, 5)]
    assert windows("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]  # no break at all: cut hard


def test_long_text_is_segmented_all_through_in_windows():
    text = _long(70_000)
    segs = Segmenter().segment("d", text, "ru")
    assert len(text) > 3 * SEG_WINDOW
    assert [s.idx for s in segs] == list(range(len(segs)))
    assert all(text[s.start : s.end] == s.text for s in segs)
    assert all(a.end <= b.start for a, b in zip(segs, segs[1:], strict=False))
    assert segs[-1].end > len(text) - 100  # the end of the text is analysed too
    # the same clauses as a text of one window gives: windowing changes nothing but memory
    assert {s.text for s in segs} == {s.text for s in Segmenter().segment("d", _long(5_000), "ru")}
    # and segment_many (the pipeline's path) agrees with segment
    (many,) = Segmenter().segment_many([("d", text, "ru")])
    assert [(s.start, s.end) for s in many] == [(s.start, s.end) for s in segs]


def test_segments_per_document_are_capped_in_order():
    text = _long(60_000)
    segs = Segmenter(max_segments=250).segment("d", text, "ru")
    assert len(segs) == 250
    full = Segmenter().segment("d", text, "ru")
    assert [(s.start, s.end) for s in segs] == [(s.start, s.end) for s in full[:250]]


def test_pii_is_masked_all_through_a_long_text():
    body = _long(200_000)
    # an e-mail and a phone every ~3,000 characters: some fall next to window cuts
    step = 3_000
    pieces = [
        body[i : i + step] + f" Пишите на user{i}@mail.ru или +7 916 555-{i % 100:02d}-00.\n"
        for i in range(0, len(body), step)
    ]
    text = "".join(pieces)
    masked, matches = mask_pii(text, kinds=["email", "phone"])
    assert len(text) > 20 * PII_WINDOW
    assert "@mail.ru" not in masked and not re.search(r"\+7 916", masked)
    assert masked.count("[EMAIL]") == len(pieces) == masked.count("[PHONE]")
    assert all(text[m.start : m.end].endswith("@mail.ru") for m in matches if m.kind == "email")


def test_long_document_through_the_analyzer(model):
    from vocmine.pipeline import Analyzer

    text = _long(120_000)
    doc = Document("r", "review", "long", datetime(2026, 10, 1, tzinfo=UTC), text)
    batch = Analyzer(model, segmenter=Segmenter(max_segments=400)).analyse([doc])
    assert batch.documents["n_chars"][0] == len(text.strip())  # the whole (normalised) text is stored
    segs = batch.segments
    assert len(segs) == 400 and len(batch.segment_predictions) == 400
    assert (segs["start_char"].diff().dropna() > 0).all()
    assert len(batch.document_predictions) == 1
