"""Sentence and clause segmentation with blank spaCy pipelines, plus lemmas for each segment.

Clauses matter because one sentence often carries two opinions: "fast delivery, but the app crashes at
payment" is praise for delivery and a complaint about payment. Splits happen only at token boundaries
and keep ``text[seg.start:seg.end] == seg.text``.

Russian lemmas come from pymorphy3's most probable parse, cached per word form. spaCy's own
``lemmatizer`` in ``pymorphy3`` mode needs POS tags that a blank pipeline does not have; without them it
keeps every ambiguous form as is ("стоит", "вещи", "мятые") and runs ~25x slower.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any

from vocmine.records import Segment
from vocmine.text.windows import windows

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Conjunctions that open a new clause after a comma.
_COMMA_CONJ = frozenset(
    {"but", "however", "although", "though", "while", "whereas", "yet"}
    | {"но", "а", "однако", "зато", "хотя", "только"}
)
# Conjunctions that open a new clause even without a comma.
_BARE_CONJ = frozenset({"but", "но"})
# "not only ..., but also" / "не только ..., но и" / ", только что" are not contrastive boundaries.
_NOT_AFTER = {"but": {"also"}, "но": {"и"}, "только": {"что"}}
_CLAUSE_SEPARATORS = frozenset({";"})
# Punctuation dropped from the end of a clause (separators, orphaned openers); ".", "!", "?", ")" and
# smileys stay, they carry tone.
_TRAILING_DROP = frozenset({",", ";", ":", "-", "—", "–", "/", "\\", "&", "+", "(", "[", "{", "«", "„"})

_PIPE_BATCH = 64  # measured: small batches beat 256+ for short texts (cache locality)
_CHUNK = 1024
_HAS_ALNUM = re.compile(r"[^\W_]").search
_MAX_LENGTH = 5_000_000
#: Longest piece of one text spaCy sees in one call (its token arrays grow with it, ~650 bytes a character).
WINDOW = 20_000
#: Most segments analysed per document: ~300,000 characters of ordinary review text. Memory and time of the
#: model stage grow with the segments, so a text longer than that is analysed over its first MAX_SEGMENTS
#: segments; the whole (masked) text is still stored and searchable.
MAX_SEGMENTS = 5_000

# pymorphy3's top parse is wrong for a few forms that are frequent in reviews.
_RU_LEMMA_OVERRIDES = {"ок": "ок", "норм": "норм", "пришли": "прийти"}  # not "около", "норма", "прислать"

_lock = threading.Lock()
_morph: Any = None


def _get_morph() -> Any:
    global _morph
    if _morph is None:
        with _lock:
            if _morph is None:
                import pymorphy3

                _morph = pymorphy3.MorphAnalyzer(lang="ru")
    return _morph


@lru_cache(maxsize=200_000)
def lemmatize_ru(word: str) -> str:
    """Lower-cased normal form of a Russian word (pymorphy3's most probable parse)."""
    low = word.lower()
    if low in _RU_LEMMA_OVERRIDES:
        return _RU_LEMMA_OVERRIDES[low]
    parses = _get_morph().parse(low)
    return parses[0].normal_form if parses else low


def lemma(word: str, lang: str) -> str:
    """Lemma used in :attr:`Segment.lemmas`: pymorphy3 for Russian, the lower-cased word otherwise."""
    return lemmatize_ru(word) if lang == "ru" else word.lower()


def _build_pipeline(lang: str) -> Language:
    import spacy

    nlp = spacy.blank(lang if lang in ("en", "ru") else "xx")
    nlp.add_pipe("sentencizer")
    nlp.max_length = _MAX_LENGTH
    return nlp


@lru_cache(maxsize=1)
def _attr_ids() -> list[int]:
    from spacy import attrs

    names = (
        "IDX",
        "LENGTH",
        "SPACY",
        "IS_SPACE",
        "IS_PUNCT",
        "IS_LEFT_PUNCT",
        "IS_QUOTE",
        "IS_ALPHA",
        "SENT_START",
    )
    return [getattr(attrs, n) for n in names]


class _Toks:
    """Plain lists of token attributes, read with ``Doc.to_array`` (Token objects were most of the run time)."""

    __slots__ = (
        "alpha",
        "end",
        "idx",
        "keep_left",
        "lower",
        "punct",
        "sent_start",
        "space",
        "text",
        "word",
        "ws",
    )

    def __init__(self, doc: Doc, text: str) -> None:
        cols = doc.to_array(_attr_ids()).T.tolist() if len(doc) else [[] for _ in range(9)]
        idx, length, spacy_ws, space, punct, left, quote, alpha, sent = cols
        self.idx: list[int] = idx
        self.end: list[int] = [i + n for i, n in zip(idx, length, strict=True)]
        self.text: list[str] = [text[i:e] for i, e in zip(idx, self.end, strict=True)]
        self.lower: list[str] = [t.lower() for t in self.text]
        self.ws: list[int] = spacy_ws
        self.space: list[int] = space
        self.punct: list[int] = punct
        self.keep_left: list[bool] = [bool(x or q) for x, q in zip(left, quote, strict=True)]
        self.alpha: list[int] = alpha
        self.sent_start: list[bool] = [x == 1 for x in sent]
        txt = self.text
        alnum = [
            t.isalnum() or (not p and _HAS_ALNUM(t) is not None) for t, p in zip(txt, punct, strict=True)
        ]
        # A word starts at each alphanumeric token, except the parts of "интернет-магазин" after the first.
        self.word: list[bool] = [
            w
            and not (
                i >= 2 and txt[i - 1] == "-" and not spacy_ws[i - 1] and not spacy_ws[i - 2] and alnum[i - 2]
            )
            for i, w in enumerate(alnum)
        ]

    def words(self, a: int, b: int) -> int:
        return sum(self.word[a:b])


@lru_cache(maxsize=1)
def shared_segmenter() -> Segmenter:
    """The process's default segmenter: its spaCy pipelines are built once, not per batch (7% of a run's time)."""
    return Segmenter()


class Segmenter:
    """Splits texts into sentence/clause :class:`Segment` s; spaCy pipelines are built lazily per language."""

    def __init__(self, max_chars: int = 400, max_segments: int = MAX_SEGMENTS) -> None:
        if max_chars < 20:
            raise ValueError("max_chars must be at least 20")
        if max_segments < 1:
            raise ValueError("max_segments must be at least 1")
        self.max_chars = max_chars
        self.max_segments = max_segments
        self._pipelines: dict[str, Language] = {}
        self._lock = threading.Lock()

    def _nlp(self, key: str) -> Language:
        nlp = self._pipelines.get(key)
        if nlp is None:
            with self._lock:
                nlp = self._pipelines.get(key)
                if nlp is None:
                    nlp = self._pipelines[key] = _build_pipeline(key)
        return nlp

    def segment(self, doc_id: str, text: str, lang: str) -> list[Segment]:
        """Segments of ``text`` in order, with offsets into ``text``; ``[]`` for empty text."""
        if not text or text.isspace():
            return []
        if len(text) > WINDOW:
            return self._capped(doc_id, text, self._segment_long(doc_id, text, lang))
        nlp = self._nlp(_pipeline_key(lang))
        with nlp.memory_zone():
            return self._capped(doc_id, text, self._from_doc(doc_id, text, nlp(text), lang))

    def _segment_long(self, doc_id: str, text: str, lang: str) -> list[Segment]:
        """A long text window by window (cut at paragraph or sentence ends), up to ``max_segments``."""
        nlp = self._nlp(_pipeline_key(lang))
        segments: list[Segment] = []
        for a, b in windows(text, WINDOW):
            piece = text[a:b]
            if piece.isspace():
                continue
            with nlp.memory_zone():
                found = self._from_doc(doc_id, piece, nlp(piece), lang, self.max_segments - len(segments))
            segments += [
                replace(s, idx=len(segments) + k, start=s.start + a, end=s.end + a)
                for k, s in enumerate(found)
            ]
            if len(segments) >= self.max_segments:
                break
        return segments

    def _capped(self, doc_id: str, text: str, segments: list[Segment]) -> list[Segment]:
        if len(segments) >= self.max_segments and segments[-1].end < len(text.rstrip()):
            log.warning(
                "document %s has %d characters: analysed over its first %d segments (up to character %d)",
                doc_id,
                len(text),
                len(segments),
                segments[-1].end,
            )
        return segments

    def segment_many(self, items: Iterable[tuple[str, str, str]]) -> Iterator[list[Segment]]:
        """Segment ``(doc_id, text, lang)`` items, yielding one list per item in input order.

        Items are consumed in chunks and run through ``nlp.pipe`` per language, so memory stays bounded
        on long streams.
        """
        it = iter(items)
        while chunk := list(islice(it, _CHUNK)):
            out: list[list[Segment]] = [[] for _ in chunk]
            by_pipe: dict[str, list[int]] = {}
            for i, (doc_id, text, lang) in enumerate(chunk):
                if len(text) > WINDOW:
                    out[i] = self._capped(doc_id, text, self._segment_long(doc_id, text, lang))
                elif text and not text.isspace():
                    by_pipe.setdefault(_pipeline_key(lang), []).append(i)
            for key, idxs in by_pipe.items():
                nlp = self._nlp(key)
                # the strings of a zone's tokens leave the vocabulary with it: a long-lived pipeline (one per
                # process, ``shared_segmenter``) would otherwise keep every order number and name it has seen
                with nlp.memory_zone():
                    docs = nlp.pipe((chunk[i][1] for i in idxs), batch_size=_PIPE_BATCH)
                    for i, doc in zip(idxs, docs, strict=True):
                        out[i] = self._capped(
                            chunk[i][0],
                            chunk[i][1],
                            self._from_doc(chunk[i][0], chunk[i][1], doc, chunk[i][2]),
                        )
            yield from out

    def _from_doc(
        self, doc_id: str, text: str, doc: Doc, lang: str, limit: int | None = None
    ) -> list[Segment]:
        # ``text`` is passed in because ``Doc.text`` is rebuilt token by token on every access.
        t = _Toks(doc, text)
        segments: list[Segment] = []
        limit = self.max_segments if limit is None else limit
        for a, b in _sentences(t):
            if len(segments) >= limit:
                break
            for ra, rb in _runs(t, a, b):
                for ca, cb in _clauses(t, ra, rb):
                    for pa, pb in _limit(t, ca, cb, self.max_chars):
                        span = _strip(t, pa, pb)
                        if span is None:
                            continue
                        sa, sb = span
                        start, end = t.idx[sa], t.end[sb - 1]
                        segments.append(
                            Segment(
                                doc_id=doc_id,
                                idx=len(segments),
                                start=start,
                                end=end,
                                text=text[start:end],
                                lang=lang,
                                lemmas=_lemmas(t, sa, sb, lang),
                            )
                        )
        return segments[:limit]  # (one sentence may have added several past the limit)


def _pipeline_key(lang: str) -> str:
    return lang if lang in ("en", "ru") else "xx"


def _sentences(t: _Toks) -> Iterator[tuple[int, int]]:
    n = len(t.text)
    start = 0
    for i in range(1, n):
        if t.sent_start[i]:
            yield start, i
            start = i
    if n:
        yield start, n


def _runs(t: _Toks, a: int, b: int) -> Iterator[tuple[int, int]]:
    """Split at newline tokens: chat turns and list items never share a segment."""
    run_start = a
    for i in range(a, b):
        if t.space[i] and "\n" in t.text[i]:
            if i > run_start:
                yield run_start, i
            run_start = i + 1
    if b > run_start:
        yield run_start, b


def _clauses(t: _Toks, a: int, b: int) -> Iterator[tuple[int, int]]:
    """Split tokens ``[a, b)`` at contrastive/coordinating boundaries, keeping >= 2 words per side."""
    cur = a
    for k in range(a + 1, b):
        if _is_boundary(t, k, a, b) and t.words(cur, k) >= 2 and t.words(k, b) >= 2:
            yield cur, k
            cur = k
    yield cur, b


def _is_boundary(t: _Toks, k: int, a: int, b: int) -> bool:
    """Does a new clause start at token ``k``?"""
    low = t.lower[k]
    prev = t.text[k - 1]
    # Cheap rejection first: almost every token is neither a conjunction nor after ";".
    if low not in _COMMA_CONJ and low != "and" and prev not in _CLAUSE_SEPARATORS and not t.space[k - 1]:
        return False
    if t.space[k]:
        return False
    p = k - 1
    while p > a and t.space[p]:
        p -= 1
    prev = t.text[p]
    if prev in _CLAUSE_SEPARATORS:
        return True
    nxt = t.lower[k + 1] if k + 1 < b else ""
    if nxt in _NOT_AFTER.get(low, ()):
        return False
    if prev == ",":
        return low in _COMMA_CONJ or (low == "and" and nxt == "yet")
    return low in _BARE_CONJ and t.word[p]


def _limit(t: _Toks, a: int, b: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut ``[a, b)`` into pieces of at most ``limit`` chars, preferring to cut after punctuation."""
    while a < b:
        base = t.idx[a]
        if t.end[b - 1] - base <= limit:
            yield a, b
            return
        j = a + 1  # a single token longer than the limit becomes a piece of its own
        best_punct = None
        while j < b and t.end[j] - base <= limit:
            if t.punct[j] and t.end[j] - base >= limit // 2:
                best_punct = j + 1
            j += 1
        cut = best_punct if best_punct is not None else j
        yield a, cut
        a = cut


def _strip(t: _Toks, a: int, b: int) -> tuple[int, int] | None:
    """Trim spaces and stray punctuation; keep opening brackets/quotes, closing ones and ".!?"."""
    while a < b and (t.space[a] or (t.punct[a] and not t.keep_left[a])):
        a += 1
    while b > a and (t.space[b - 1] or t.text[b - 1] in _TRAILING_DROP):
        b -= 1
    return (a, b) if b > a else None


def _lemmas(t: _Toks, a: int, b: int, lang: str) -> list[str]:
    """Lemmas of the alphabetic words in tokens ``[a, b)``; hyphenated compounds stay one word."""
    out: list[str] = []
    txt, ws, alpha = t.text, t.ws, t.alpha
    i = a
    while i < b:
        if not alpha[i]:
            i += 1
            continue
        j = i + 1
        # Glue "интернет" "-" "магазин" back together: pymorphy3 knows many compounds whole.
        while j + 1 < b and txt[j] == "-" and not ws[j - 1] and not ws[j] and alpha[j + 1]:
            j += 2
        # A PII placeholder such as "[EMAIL]" is not the customer's word.
        placeholder = j == i + 1 and i > 0 and j < len(txt) and txt[i - 1] == "[" and txt[j] == "]"
        if not (placeholder and txt[i].isupper()):
            word = txt[i] if j == i + 1 else "".join(txt[i:j])
            out.append(lemma(word, lang))
        i = j
    return out
