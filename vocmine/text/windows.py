"""Cut a long text into bounded windows at natural breaks, so per-call memory of NER and spaCy stays bounded."""

from __future__ import annotations

import re

# Strongest break first: a blank line, a line end, a sentence end, any white space.
_BREAKS = (
    re.compile(r"\n[^\S\n]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?…]+[\"'»”)\]]*\s+"),
    re.compile(r"\s+"),
)


def windows(text: str, size: int) -> list[tuple[int, int]]:
    """Consecutive ``[start, end)`` spans covering ``text``, each at most ``size`` characters.

    Each window ends at the strongest break found in its second half (so a sentence or a name is rarely cut);
    only a stretch of ``size // 2`` characters without white space is cut hard. A text of at most ``size``
    characters is one window (an empty text too: ``[(0, 0)]``).
    """
    if size < 2:
        raise ValueError("window size must be at least 2")
    n, start, out = len(text), 0, []
    while n - start > size:
        lo, hi = start + size // 2, start + size
        cut = hi
        for pattern in _BREAKS:
            last = None
            for m in pattern.finditer(text, lo, hi):
                last = m
            if last is not None:
                cut = last.end()
                break
        out.append((start, cut))
        start = cut
    out.append((start, n))
    return out
