"""Light, idempotent clean-up of raw feedback text before language ID, PII masking and segmentation."""

from __future__ import annotations

import html
import re
import unicodedata

# Only well-known HTML tag names are dropped, so "<3", "a < b" and "<Имя>" survive.
_BLOCK_TAGS = "br|p|div|li|ul|ol|tr|table|h[1-6]|blockquote|hr|pre"
_INLINE_TAGS = (
    "a|b|i|u|s|em|strong|span|font|img|small|sub|sup|strike|code|td|th|tbody|thead|center|mark|del|ins"
)
_BLOCK_TAG_RE = re.compile(rf"</?(?:{_BLOCK_TAGS})\b(?:\s[^<>]*)?/?>", re.IGNORECASE)
_INLINE_TAG_RE = re.compile(rf"</?(?:{_INLINE_TAGS})\b(?:\s[^<>]*)?/?>", re.IGNORECASE)

# Invisible format characters that only get in the way of tokenisation and regexes. ZWJ/ZWNJ and the
# tag characters (U+E0020..E007F) are deliberately kept: emoji sequences and flags are built from them.
_DROP_FORMAT = dict.fromkeys(
    [0x00AD, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x206A)]
    + [0xFEFF],
)

_TRANSLATE = {
    **_DROP_FORMAT,
    # Exotic spaces → plain space; "1 299 ₽" is usually typed with a (narrow) no-break space.
    **dict.fromkeys([0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000, 0x0009], " "),
    0x2028: "\n",
    0x2029: "\n",
    0x0085: "\n",
    # Quotes: curly and guillemets → ASCII; apostrophes matter for English tokenisation ("don’t").
    **dict.fromkeys([0x201C, 0x201D, 0x201E, 0x201F, 0x00AB, 0x00BB, 0x2033], '"'),
    **dict.fromkeys([0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC], "'"),
    # Hyphens and minus → "-"; the various long dashes → one em dash.
    **dict.fromkeys([0x2010, 0x2011, 0x2212, 0xFE63, 0xFF0D], "-"),
    **dict.fromkeys([0x2012, 0x2013, 0x2014, 0x2015, 0xFE58], "\u2014"),
}

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
_SPACES_RE = re.compile(r" {2,}")
_SPACE_AROUND_NL_RE = re.compile(r" *\n *")
_MANY_NL_RE = re.compile(r"\n{3,}")


def _once(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Entities may hide tags ("&lt;br&gt;") and tags may hide nothing else, so unescape first.
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _INLINE_TAG_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_TRANSLATE)
    text = _CONTROL_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    if "\n" in text:
        text = _SPACE_AROUND_NL_RE.sub("\n", text)
        text = _MANY_NL_RE.sub("\n\n", text)
    # Removing invisible characters may bring a base letter next to a combining mark.
    return unicodedata.normalize("NFC", text.strip())


def normalize(text: str) -> str:
    """Return ``text`` in NFC with markup, control characters and odd spacing cleaned up.

    Keeps newlines (at most one blank line in a row) and emoji; maps curly quotes, guillemets and
    dashes to a small canonical set. Idempotent: ``normalize(normalize(t)) == normalize(t)``.
    """
    if not text:
        return ""
    # A second pass can uncover new work (double-escaped entities, tags split by a zero-width space);
    # iterating to a fixed point is what makes the function idempotent.
    for _ in range(5):
        new = _once(text)
        if new == text:
            break
        text = new
    return text
