"""PII masking with typed placeholders (``[EMAIL]``, ``[PHONE]``, ``[PERSON]``, ...).

Detectors are plain callables ``text -> Iterable[PiiMatch]`` kept in a registry keyed by kind; more can be
added with :func:`register_detector` or passed per call. All are regex-based except ``person``
(:mod:`vocmine.text.names`: Russian NER from natasha plus ru/en context rules). All matches are resolved
together: overlapping matches are settled longest-first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vocmine.text.windows import windows

#: Longest piece of text one detector call sees (NER memory grows with it: about 2 KB a character).
WINDOW = 5_000


@dataclass(frozen=True)
class PiiMatch:
    """A piece of PII at ``text[start:end]`` of the original (unmasked) text."""

    kind: str
    start: int
    end: int


Detector = Callable[[str], Iterable[PiiMatch]]


def placeholder(kind: str) -> str:
    """The token that replaces a match of ``kind``: ``email`` → ``[EMAIL]``."""
    return f"[{kind.upper()}]"


# --- validators -------------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a string of digits (payment cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)  # int() rather than ord(): regex \d also matches non-ASCII decimal digits
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def snils_ok(digits: str) -> bool:
    """Checksum of an 11-digit SNILS (Russian social insurance number)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = digits[:9], int(digits[9:])
    if int(body) <= 1001998:
        return False  # numbers up to 001-001-998 were issued without a checksum; too ambiguous to mask
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    return (0 if total in (100, 101) else total) == check


# Registered lengths of common IBAN countries; unknown countries only get the mod-97 test.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BY": 28,
    "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
    "GE": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "KW": 30,
    "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29, "XK": 20,
}  # fmt: skip


def iban_ok(compact: str) -> bool:
    """Length (where known) and ISO 7064 mod-97 check of an IBAN without spaces."""
    want = _IBAN_LENGTHS.get(compact[:2])
    if (want is not None and len(compact) != want) or not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# --- detectors --------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+(?<!\d)"
)
# Spelled-out e-mails that dodge spam filters: "ivan(at)mail.ru", "ivan [at] mail [dot] ru", "ivan собака mail.ru".
_DOT = r"(?:\s?\.\s?|\s?[(\[{]\s?(?:dot|точка)\s?[)\]}]\s?|\s(?:dot|точка)\s)"
_EMAIL_SPELLED_RE = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*"
    r"(?:\s?[(\[{]\s?(?:at|собака)\s?[)\]}]\s?|\s(?:собака)\s)"
    rf"[^\W_](?:[\w-]*[^\W_])?(?:{_DOT}[^\W\d_][^\W_]*)+(?<!\d)",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'«»]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'\"…"

# A number glued to an order/tracking/tax context is not a phone, even if it looks like one.
_ID_CONTEXT_RE = re.compile(
    r"(?:№|#|\bno\.?|\bnr\.?|заказ\w*|order\w*|трек\w*|track\w*|артикул\w*|sku|инн|огрн\w*|кпп|бик|"
    r"сч[её]т\w*|invoice\w*|\bid|отправлени\w*|посылк\w*)\s*[:.№#-]?\s*(?:номер\s*)?$",
    re.IGNORECASE,
)

_SEP = r"[ \-.]?"
_PHONE_RES = (
    # Russian: +7 / 7 / 8, area or mobile code (optionally in parentheses), then 3-2-2 or 3-4 digits.
    # Without the "+" the code must look Russian (3xx/4xx/8xx/9xx), which keeps random 11-digit ids out.
    re.compile(
        r"(?<![\w+])(?:\+\s?7[\s\-]?\(?\s?\d{3}|[78][\s\-.]?\(?\s?[3489]\d\d)\s?\)?"
        rf"{_SEP}\s?\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}(?!\w)"
    ),
    # Russian mobile without the country prefix, recognisable only when formatted: (916) 123-45-67.
    re.compile(r"(?<![\w+\-])\(9\d\d\)\s?\d{3}[ \-]\d{2}[ \-]\d{2}(?![\w\-])"),
    # ... or written in groups with a Russian area/mobile code: 916 123 45 67, 495 123-45-67.
    re.compile(r"(?<![\w+\-.,])[3489]\d\d[ \-]\d{3}([ \-])\d{2}\1\d{2}(?![\w\-]|[.,]\d)"),
    # UK national format, the trunk 0 and a separator required (or an 07 mobile in one run): 07700 900123,
    # 020 7946 0958, 0161 496 0000.
    re.compile(
        r"(?<![\w+\-.,])0(?:7\d{3}[ \-]?\d{6}|\d{2}[ \-]\d{4}[ \-]\d{4}|\d{3}[ \-]\d{3}[ \-]\d{4}|"
        r"\d{4}[ \-]\d{6}|\d{4}[ \-]\d{3}[ \-]\d{3})(?![\w\-]|[.,]\d)"
    ),
    # North American: (415) 555-2671, 415-555-2671, 415.555.2671 (area codes never start with 0 or 1).
    re.compile(
        r"(?<![\w+\-.,$])(?:\([2-9]\d\d\)\s?|[2-9]\d\d([\-.]))\d{3}(?(1)\1|[\-.])\d{4}(?![\w\-]|[.,]\d)"
    ),
    # City numbers: 123-45-67 (dashes only, so prices "123 45 67" and dates never qualify).
    re.compile(r"(?<![\w+\-.:/])\d{3}-\d{2}-\d{2}(?![\w\-.:/]|\.\d)"),
    # International, the plus sign required: +44 20 7946 0958, +1 (415) 555-2671, +380501234567.
    re.compile(r"(?<![\w+])\+(?!7)[1-9]\d{0,2}(?:[ \-.]?\(?\d{1,5}\)?){1,6}(?![\w])"),
)


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdecimal())


def _after_id_context(text: str, start: int) -> bool:
    return bool(_ID_CONTEXT_RE.search(text[max(0, start - 30) : start]))


def detect_emails(text: str) -> Iterator[PiiMatch]:
    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
            yield PiiMatch("email", m.start(), m.end())
    for m in _EMAIL_SPELLED_RE.finditer(text):
        yield PiiMatch("email", m.start(), m.end())


def detect_urls(text: str) -> Iterator[PiiMatch]:
    for m in _URL_RE.finditer(text):
        url = m.group()
        # Sentence punctuation after a URL is not part of it; a ")" is, when the URL opened one.
        while url and url[-1] in _URL_TRAIL and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if len(url) > 4 and not url.lower().rstrip("/").endswith(("://", "www.", "www")):
            yield PiiMatch("url", m.start(), m.start() + len(url))


def detect_phones(text: str) -> Iterator[PiiMatch]:
    for i, rx in enumerate(_PHONE_RES):
        for m in rx.finditer(text):
            s = m.group()
            n = len(_digits(s))
            if i == 0 and n != 11:
                continue
            if i == len(_PHONE_RES) - 1:
                if not 8 <= n <= 15 or s.rstrip().endswith(")") and "(" not in s:
                    continue
                # "+1 2 3 4 5 6 7 8" is more likely a list; real numbers have groups of two or more.
                if sum(1 for g in re.findall(r"\d+", s) if len(g) == 1) > 1:
                    continue
            if "(" in s and ")" not in s:
                continue
            if not s.startswith("+") and _after_id_context(text, m.start()):
                continue
            yield PiiMatch("phone", m.start(), m.end())


# Issuer digits 2-6 only (Mir, Visa, Mastercard, Amex, JCB, UnionPay, Maestro); 14-digit Russian Post
# tracking numbers start with 8. Not part of a longer run of digit groups ("DE89 3704 0044 ...").
_CARD_RE = re.compile(
    r"(?<![\w\-.,])(?<!\d[ \-])(?=[2-6])"
    r"(?:\d{13,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ \-])\d{6}\2\d{4,5})"
    r"(?![\w\-]|[.,]\d)"
)


def detect_cards(text: str) -> Iterator[PiiMatch]:
    for m in _CARD_RE.finditer(text):
        s = m.group()
        # An unformatted run after "заказ №" is an order number that happens to pass Luhn (1 in 10 do).
        if s.isdigit() and _after_id_context(text, m.start()):
            continue
        # A grouped number may have taken a trailing group that is not its own ("... 1111 12/25").
        cuts = [s] if s.isdigit() else [s, s[: max(s.rfind(" "), s.rfind("-"))]]
        for cand in cuts:
            digits = _digits(cand)
            if 13 <= len(digits) <= 19 and luhn_ok(digits) and digits.count(digits[0]) != len(digits):
                yield PiiMatch("card", m.start(), m.start() + len(cand))
                break


_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)


def detect_ibans(text: str) -> Iterator[PiiMatch]:
    for m in _IBAN_RE.finditer(text):
        s = m.group()
        # The pattern may have swallowed a following upper-case word ("... 3000 SEND"); try shorter cuts.
        # Only a grouped IBAN can be cut (at a group boundary); a compact one must validate whole.
        cuts = [len(s)] + [i for i in range(len(s) - 1, 14, -1) if s[i] == " "]
        for cut in cuts:
            if iban_ok(s[:cut].replace(" ", "")):
                yield PiiMatch("iban", m.start(), m.start() + len(s[:cut].rstrip()))
                break


# Russian internal passport: series (2+2 digits) and number (6 digits), only next to a context word.
_PASSPORT_RE = re.compile(
    r"(?:паспорт\w*|passport)(?:[^\d\n]{0,30}?)(?P<num>\d{2} ?\d{2}[ \-]*(?:(?:№|номер|n|no\.?)\s*)?\d{6})(?!\d)",
    re.IGNORECASE,
)


def detect_passports(text: str) -> Iterator[PiiMatch]:
    for m in _PASSPORT_RE.finditer(text):
        yield PiiMatch("passport", m.start("num"), m.end("num"))


_SNILS_RE = re.compile(r"(?<![\w\-])\d{3}([\- ])\d{3}\1\d{3}[ \-]\d{2}(?![\w\-])")
_SNILS_BARE_RE = re.compile(r"снилс\w*[^\d\n]{0,15}?(?P<num>\d{11})(?!\d)", re.IGNORECASE)


def detect_snils(text: str) -> Iterator[PiiMatch]:
    for m in _SNILS_RE.finditer(text):
        if snils_ok(_digits(m.group())):
            yield PiiMatch("snils", m.start(), m.end())
    for m in _SNILS_BARE_RE.finditer(text):
        if snils_ok(m.group("num")):
            yield PiiMatch("snils", m.start("num"), m.end("num"))


def detect_persons(text: str) -> list[PiiMatch]:
    """Person names; see :mod:`vocmine.text.names` (imported on first use: it loads morphology and NER)."""
    return detect_persons_many([text])[0]


def detect_persons_many(texts: Sequence[str]) -> list[list[PiiMatch]]:
    """:func:`detect_persons` over many texts, the NER model called once for all of them."""
    from vocmine.text.names import detect_persons_many as detect

    return detect(texts)


# Order matters only to break ties between equally long overlapping matches.
DETECTORS: dict[str, Detector] = {
    "email": detect_emails,
    "url": detect_urls,
    "iban": detect_ibans,
    "card": detect_cards,
    "snils": detect_snils,
    "passport": detect_passports,
    "phone": detect_phones,
    "person": detect_persons,
}
DEFAULT_KINDS: tuple[str, ...] = tuple(DETECTORS)
#: Detectors with a faster form over many texts (a model call per batch, not per text); a detector that
#: ``register_detector`` puts in their place runs text by text.
_MANY: dict[Detector, Callable[[Sequence[str]], list[list[PiiMatch]]]] = {detect_persons: detect_persons_many}


def register_detector(kind: str, detector: Detector) -> None:
    """Add (or replace) the detector for ``kind``; it then runs by default in :func:`mask_pii`."""
    DETECTORS[kind] = detector


# --- resolution and masking -------------------------------------------------------------------------


def resolve(matches: Iterable[PiiMatch], priority: Sequence[str] = ()) -> list[PiiMatch]:
    """Drop overlapping matches, keeping the longest (ties: earlier in ``priority``, then leftmost)."""
    rank = {k: i for i, k in enumerate(priority)}
    ordered = sorted(
        {m for m in matches if m.end > m.start},
        key=lambda m: (-(m.end - m.start), rank.get(m.kind, len(rank)), m.start),
    )
    kept: list[PiiMatch] = []
    for m in ordered:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def check_kinds(kinds: Collection[str] | None) -> list[str]:
    """The PII kinds to mask (all registered ones for None); an unknown name is a ValueError naming it."""
    chosen = list(DETECTORS) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in DETECTORS]
    if unknown:
        raise ValueError(f"unknown PII kinds: {unknown}; known: {sorted(DETECTORS)}")
    return chosen


def find_pii(
    text: str, kinds: Collection[str] | None = None, extra: Sequence[Detector] = ()
) -> list[PiiMatch]:
    """Run the registered detectors for ``kinds`` (default: all) plus ``extra``; resolve overlaps."""
    return find_pii_many([text], kinds, extra)[0]


def find_pii_many(
    texts: Sequence[str], kinds: Collection[str] | None = None, extra: Sequence[Detector] = ()
) -> list[list[PiiMatch]]:
    """:func:`find_pii` of each text; detectors with a batched form (person names: NER) run once for all.

    A text longer than ``WINDOW`` characters is searched window by window (cut at paragraph, sentence or word
    ends: :func:`vocmine.text.windows.windows`), so NER memory is bounded whatever the text's length.
    """
    chosen = check_kinds(kinds)
    spans = [(i, a, b) for i, t in enumerate(texts) for a, b in windows(t, WINDOW)]
    pieces = [texts[i][a:b] for i, a, b in spans] if len(spans) > len(texts) else list(texts)
    found: list[list[PiiMatch]] = [[] for _ in pieces]
    for det in [DETECTORS[kind] for kind in chosen] + list(extra):
        many = _MANY.get(det)
        hits = many(pieces) if many else [list(det(t)) if t else [] for t in pieces]
        for f, h in zip(found, hits, strict=True):
            f.extend(h)
    out: list[list[PiiMatch]] = [[] for _ in texts]
    for (i, a, _), f in zip(spans, found, strict=True):
        out[i].extend(PiiMatch(m.kind, m.start + a, m.end + a) if a else m for m in resolve(f, chosen))
    return out


def apply_masks(text: str, matches: Sequence[PiiMatch]) -> str:
    """Replace each (non-overlapping, sorted) match with its placeholder."""
    out: list[str] = []
    pos = 0
    for m in matches:
        out.append(text[pos : m.start])
        out.append(placeholder(m.kind))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


def mask_pii(
    text: str, kinds: Collection[str] | None = None, extra: Sequence[Detector] = ()
) -> tuple[str, list[PiiMatch]]:
    """Mask PII in ``text``; return the masked text and the matches (offsets into the original text)."""
    return mask_pii_many([text], kinds, extra)[0]


def mask_pii_many(
    texts: Sequence[str], kinds: Collection[str] | None = None, extra: Sequence[Detector] = ()
) -> list[tuple[str, list[PiiMatch]]]:
    """:func:`mask_pii` of each text, with :func:`find_pii_many`'s batched detectors."""
    return [
        ((apply_masks(t, m) if m else t), m)
        for t, m in zip(texts, find_pii_many(texts, kinds, extra), strict=True)
    ]


def mask_fields_many(
    records: Sequence[Mapping[str, Any]], kinds: Collection[str] | None = None, keep: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Each record with PII masked in its values (nested lists and objects too), the keys in ``keep`` as-is.

    For the source columns kept beside the text (``documents.extra``). Numbers are read as text, so a phone
    stored as an integer becomes its placeholder; other values (booleans, dates) stay. All the texts of all
    the records are masked in one batch.
    """
    leaves: list[str] = []

    def collect(v: Any) -> None:
        if isinstance(v, str):
            leaves.append(v)
        elif isinstance(v, Mapping):
            for x in v.values():
                collect(x)
        elif isinstance(v, list | tuple):
            for x in v:
                collect(x)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            leaves.append(str(v))

    for rec in records:
        for k, v in rec.items():
            if k not in keep:
                collect(v)
    masked = iter(mask_pii_many(leaves, kinds))

    def rebuild(v: Any) -> Any:
        if isinstance(v, str):
            return next(masked)[0]
        if isinstance(v, Mapping):
            return {k: rebuild(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [rebuild(x) for x in v]
        if isinstance(v, int | float) and not isinstance(v, bool):
            text, hits = next(masked)
            return text if hits else v
        return v

    return [{k: (v if k in keep else rebuild(v)) for k, v in rec.items()} for rec in records]
