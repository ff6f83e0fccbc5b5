"""Read source files into canonical ``Document`` records; whatever cannot be taken becomes ``Quarantined``."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vocmine.ingest.config import SourceConfig, SourceError
from vocmine.records import Document, Quarantined, Turn

ROLE_ALIASES = {
    "customer": "customer",
    "client": "customer",
    "user": "customer",
    "клиент": "customer",
    "покупатель": "customer",
    "agent": "agent",
    "operator": "agent",
    "support": "agent",
    "оператор": "agent",
    "агент": "agent",
    "bot": "bot",
    "бот": "bot",
    "system": "bot",
    "assistant": "bot",
}
SCORE_RANGES = {"rating": (1, 5), "nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
_EXTRA = ("customer_id", "language", "outcome")


class Rejected(Exception):
    """A record that goes to quarantine; the message is the operator-facing reason."""


def read_text_file(path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode a file, detecting its encoding when not given; returns (text, encoding used)."""
    raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise SourceError(f"{path}: unknown text encoding (not UTF-8 and no reliable guess)") from None
        return str(best), best.encoding


def parse_timestamp(value: Any, tz: str) -> datetime:
    if value in (None, ""):
        raise Rejected("missing timestamp")
    try:
        ts = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(f"unparseable timestamp {str(value)[:40]!r}") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=ZoneInfo(tz))


def parse_score(name: str, value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None
    try:
        f = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise Rejected(f"{name} is not a number: {str(value)[:20]!r}") from None
    lo, hi = SCORE_RANGES[name]
    if not f.is_integer() or not lo <= f <= hi:
        raise Rejected(f"{name} {value!r} outside {lo}..{hi}")
    return int(f)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def to_document(src: SourceConfig, row: dict[str, Any], location: str) -> Document:
    """Map one raw row to a Document, or raise Rejected with the reason."""
    c = src.column
    ext_id = _text(row.get(c("id"))).strip()
    if not ext_id:
        raise Rejected(f"missing id (column {c('id')!r})")
    created = parse_timestamp(row.get(c("timestamp")), src.timezone)
    scores = {k: parse_score(k, row.get(c(k))) for k in SCORE_RANGES}
    turns: list[Turn] = []
    if src.kind == "chat":
        raw_turns = row.get(c("turns"))
        if not isinstance(raw_turns, list) or not raw_turns:
            raise Rejected("chat without turns")
        for t in raw_turns:
            if not isinstance(t, dict):
                raise Rejected("malformed turn (not an object)")
            role = ROLE_ALIASES.get(str(t.get("role", "")).strip().lower())
            if role is None:
                raise Rejected(f"unknown turn role {t.get('role')!r}")
            ts = parse_timestamp(t["ts"], src.timezone) if t.get("ts") else None
            turns.append(Turn(role, _text(t.get("text")).strip(), ts))
        text = "\n".join(t.text for t in turns if t.role == "customer" and t.text)
    else:
        text = _text(row.get(c("text"))).strip()
    if "\x00" in text:
        raise Rejected("binary content in text")
    if len(text) > src.max_chars:
        raise Rejected(f"text has {len(text)} characters, over the limit of {src.max_chars}")
    if not text and all(v is None for v in scores.values()):
        raise Rejected("no text and no score")
    mapped = {
        c(k) for k in ("id", "timestamp", "text", "turns", *SCORE_RANGES, "channel", "product", *_EXTRA)
    }
    extra = {k: v for k, v in row.items() if k not in mapped and v not in (None, "")}
    # canonical fields without a column of their own are kept under their canonical names
    extra.update({k: row[c(k)] for k in _EXTRA if row.get(c(k)) not in (None, "")})
    return Document(
        source=src.name,
        kind=src.kind,
        external_id=ext_id,
        created_at=created,
        text=text,
        channel=_text(row.get(c("channel"))).strip() or None,
        product=_text(row.get(c("product"))).strip() or None,
        turns=turns,
        extra=extra,
        location=location,
        **scores,
    )


def _rows(src: SourceConfig, path: Path) -> Iterator[tuple[str, dict[str, Any] | str, str]]:
    """(location, the row or why it could not be parsed, raw payload) for every record of the file."""
    text, _ = read_text_file(path, src.encoding)
    fmt = src.resolved_format()
    if fmt in ("csv", "tsv"):
        delimiter = "\t" if fmt == "tsv" else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        missing = [c for c in (src.column("id"), src.column("timestamp")) if c not in header]
        if missing:
            raise SourceError(f"{path}: missing column(s) {missing}; header is {header}")
        for values in reader:
            loc = f"{path.name}:{reader.line_num}"
            payload = delimiter.join(values)
            if len(values) != len(header):
                yield loc, f"malformed row: expected {len(header)} fields, found {len(values)}", payload
                continue
            yield loc, dict(zip(header, values, strict=True)), payload
    elif fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield f"{path.name}:{n}", f"invalid JSON ({e.msg})", line
                continue
            yield f"{path.name}:{n}", obj if isinstance(obj, dict) else "not a JSON object", line
    elif fmt == "json":
        data = json.loads(text)
        items = data if isinstance(data, list) else data.get("records", [])
        for n, obj in enumerate(items):
            yield (
                f"{path.name}[{n}]",
                obj if isinstance(obj, dict) else None,
                json.dumps(obj, ensure_ascii=False),
            )


def source_files(src: SourceConfig) -> list[Path]:
    p = Path(src.location)
    if p.is_dir():
        return sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
    if any(ch in src.location for ch in "*?["):
        return sorted(Path(p.anchor or ".").glob(str(p.relative_to(p.anchor or "."))))
    if not p.exists():
        raise SourceError(f"source {src.name!r}: {p} does not exist")
    return [p]


def read_file(src: SourceConfig, path: Path) -> Iterator[Document | Quarantined]:
    for loc, row, payload in _rows(src, path):
        if isinstance(row, str):
            yield Quarantined(src.name, loc, payload, row)
            continue
        try:
            yield to_document(src, row, loc)
        except Rejected as e:
            yield Quarantined(src.name, loc, payload, str(e))


def read_source(src: SourceConfig) -> Iterator[Document | Quarantined]:
    """Every record of a source, in file order, as a Document or a Quarantined with its reason."""
    for path in source_files(src):
        yield from read_file(src, path)
