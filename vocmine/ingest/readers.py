"""Read source files into canonical ``Document`` records; whatever cannot be taken becomes ``Quarantined``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vocmine.ingest import formats
from vocmine.ingest.config import SourceConfig, SourceError
from vocmine.ingest.formats import RawRecord
from vocmine.records import Document, Quarantined, Role, Turn

# Speaker labels (transcripts) and turn roles (JSON chats), lower-cased; a source's `roles` adds to them.
_LABELS: dict[Role, str] = {
    "customer": "customer|client|user|buyer|guest|visitor|caller|subscriber|member"
    "|клиент|покупатель|пользователь|абонент|заказчик|гость|посетитель",
    "agent": "agent|operator|support|manager|specialist|consultant|representative|rep|advisor|staff"
    "|employee|admin|moderator|support agent|customer service|оператор|агент|менеджер|специалист"
    "|консультант|поддержка|служба поддержки|техподдержка|сотрудник|администратор|модератор|эксперт",
    "bot": "bot|chatbot|chat bot|system|assistant|virtual assistant|auto|autoreply"
    "|бот|чат-бот|чатбот|система|ассистент|помощник|виртуальный ассистент|автоответчик",
}
ROLE_ALIASES: dict[str, Role] = {
    label: role for role, labels in _LABELS.items() for label in labels.split("|")
}
SCORE_RANGES = {"rating": (1, 5), "nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
_EXTRA = ("language", "outcome")
_MAPPED = ("id", "timestamp", "text", "turns", *SCORE_RANGES, "channel", "product", "customer_id", *_EXTRA)
MAX_CUSTOMER_ID = 256


class Rejected(Exception):
    """A record that goes to quarantine; the message is the operator-facing reason."""


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


def role_map(src: SourceConfig) -> dict[str, Role]:
    """The built-in speaker labels with the source's own ``roles`` on top."""
    return {**ROLE_ALIASES, **src.roles}


def _text(value: Any, name: str = "text") -> str:
    """A field as text. A JSON object or list, or bytes that are not UTF-8, is no text: the record is rejected."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise Rejected(f"{name} is a JSON {'object' if isinstance(value, dict) else 'list'}, not text")
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(f"{name} is binary data, not UTF-8 text") from None
    return str(value)


def _unicode(value: str, name: str) -> str:
    if formats.LONE_SURROGATE.search(value):
        raise Rejected(f"{name} holds a lone surrogate escape (invalid Unicode)")
    return value


def customer_id(src: SourceConfig, value: Any) -> str | None:
    """The customer id of a record as stored (stripped; hashed if the source asks), or None without one."""
    if isinstance(value, float) and value.is_integer():  # a spreadsheet's 1042.0 is the CSV's 1042
        value = int(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    raw = _unicode(_text(value, "customer_id").strip(), "customer_id")
    if not raw:
        return None
    if len(raw) > MAX_CUSTOMER_ID:
        raise Rejected(f"customer_id has {len(raw)} characters, over the limit of {MAX_CUSTOMER_ID}")
    return src.customer_key(raw)


def to_document(src: SourceConfig, row: dict[str, Any], location: str) -> Document:
    """Map one raw row to a Document, or raise Rejected with the reason."""
    c = src.column
    # ids are compared stripped: " 42 " and "42" are the same record
    ext_id = _unicode(_text(row.get(c("id")), "id").strip(), "id")
    if not ext_id:
        raise Rejected(f"missing id (column {c('id')!r})")
    created = parse_timestamp(row.get(c("timestamp")), src.timezone)
    if created > datetime.now(UTC) + src.max_future:
        raise Rejected(
            f"timestamp in the future: {created.isoformat()} is more than {src.max_future} after now "
            "(the source's max_future)"
        )
    scores = {k: parse_score(k, row.get(c(k))) for k in SCORE_RANGES}
    turns: list[Turn] = []
    if src.kind == "chat":
        raw_turns = row.get(c("turns"))
        if not isinstance(raw_turns, list) or not raw_turns:
            raise Rejected("chat without turns")
        roles = role_map(src)
        for t in raw_turns:
            if not isinstance(t, dict):
                raise Rejected("malformed turn (not an object)")
            role = roles.get(" ".join(str(t.get("role", "")).split()).lower())
            if role is None:
                raise Rejected(f"unknown turn role {t.get('role')!r} (map it under the source's `roles`)")
            ts = parse_timestamp(t["ts"], src.timezone) if t.get("ts") else None
            turns.append(Turn(role, _unicode(_text(t.get("text"), "turn text").strip(), "turn text"), ts))
        text = "\n".join(t.text for t in turns if t.role == "customer" and t.text)
    else:
        text = _unicode(_text(row.get(c("text"))).strip(), "text")
    if "\x00" in text:
        raise Rejected("binary content in text")
    if len(text) > src.max_chars:
        raise Rejected(f"text has {len(text)} characters, over the limit of {src.max_chars}")
    if not text and all(v is None for v in scores.values()):
        raise Rejected("no text and no score")
    mapped = {c(k) for k in _MAPPED}
    keep = src.extra == "mask"  # `extra: drop` keeps only the canonical fields below
    extra = {k: v for k, v in row.items() if keep and k not in mapped and v not in (None, "")}
    # canonical fields without a column of their own are kept under their canonical names
    extra.update({k: row[c(k)] for k in _EXTRA if row.get(c(k)) not in (None, "")})
    return Document(
        source=src.name,
        kind=src.kind,
        external_id=ext_id,
        created_at=created,
        text=text,
        channel=_unicode(_text(row.get(c("channel")), "channel").strip(), "channel") or None,
        product=_unicode(_text(row.get(c("product")), "product").strip(), "product") or None,
        turns=turns,
        extra=extra,
        location=location,
        customer_id=customer_id(src, row.get(c("customer_id"))),
        **scores,
    )


def raw_records(src: SourceConfig, path: Path) -> tuple[str | None, Iterator[RawRecord]]:
    """The file's detected text encoding (None for binary formats) and its raw records."""
    fmt = src.resolved_format()
    formats.check_signature(path, fmt)
    if fmt == "parquet":
        return None, formats.read_parquet(path)
    if fmt == "xlsx":
        return None, formats.read_xlsx(path, src.sheet)
    encoding = formats.detect_encoding(path, src.encoding)
    if fmt in ("csv", "tsv"):
        return encoding, formats.read_csv(path, src, encoding, "\t" if fmt == "tsv" else ",")
    if fmt == "jsonl":
        return encoding, formats.read_jsonl(path, encoding)
    if fmt == "json":
        return encoding, formats.read_json(path, encoding)
    return encoding, formats.read_transcript(path, src, encoding, role_map(src))


def source_files(src: SourceConfig) -> list[Path]:
    """The local files of a source: a file, a folder, a glob, or any fsspec URL (``s3://…``, ``gs://…``).

    Remote files are fetched into a local cache (fsspec ``simplecache``) and read from there, so every
    reader works on a plain local path and an unchanged remote file is recognised by its content hash.
    """
    if "://" in src.location and not src.location.startswith("file://"):
        return _remote_files(src)
    p = Path(src.location.removeprefix("file://"))
    if p.is_dir():
        return sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
    if any(ch in str(p) for ch in "*?["):
        return sorted(Path(p.anchor or ".").glob(str(p.relative_to(p.anchor or "."))))
    if not p.exists():
        raise SourceError(f"source {src.name!r}: {p} does not exist")
    return [p]


def _remote_files(src: SourceConfig) -> list[Path]:
    import fsspec

    from vocmine import settings

    try:
        fs, _, paths = fsspec.get_fs_token_paths(src.location)
        if len(paths) == 1 and fs.isdir(paths[0]):
            paths = sorted(p for p in fs.find(paths[0]) if not Path(p).name.startswith("."))
        if not paths:
            raise SourceError(f"source {src.name!r}: nothing at {src.location}")
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        cache = {"cache_storage": str(settings.CACHE_DIR / "remote" / src.name)}
        return [
            Path(fsspec.open_local(f"simplecache::{protocol}://{p}", simplecache=cache))
            for p in sorted(paths)
        ]
    except (OSError, ImportError, ValueError) as e:
        if isinstance(e, SourceError):
            raise
        raise SourceError(f"source {src.name!r}: cannot read {src.location}: {e}") from e


def read_file(src: SourceConfig, path: Path) -> Iterator[Document | Quarantined]:
    """Every record of one file, streamed, as a Document or a Quarantined with its reason."""
    return to_records(src, raw_records(src, path)[1])


def to_records(src: SourceConfig, records: Iterator[RawRecord]) -> Iterator[Document | Quarantined]:
    """Each raw record as a Document, or a Quarantined; whatever one record raises stays that record's."""
    for rec in records:
        payload = "" if src.quarantine_payload == "drop" else rec.payload
        if rec.row is None:
            yield Quarantined(src.name, rec.location, payload, rec.problem or "unparseable record")
            continue
        try:
            doc = to_document(src, rec.row, rec.location)
        except Rejected as e:
            yield Quarantined(src.name, rec.location, payload, str(e))
        except Exception as e:  # noqa: BLE001 - a record we did not foresee must not stop the file
            yield Quarantined(src.name, rec.location, payload, f"record could not be taken: {e!r}"[:500])
        else:
            yield doc


def read_source(src: SourceConfig) -> Iterator[Document | Quarantined]:
    """Every record of a source, in file order, as a Document or a Quarantined with its reason."""
    for path in source_files(src):
        yield from read_file(src, path)
