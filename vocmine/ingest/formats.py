"""File formats: each reader streams ``RawRecord``s (location, parsed row or why not, raw payload).

Text files are decoded with an encoding detected from a sample of the file (BOM, UTF-8, then
charset-normalizer), and read line by line so memory stays bounded whatever the file size. Bytes the
detected encoding cannot decode are kept as surrogate escapes and the record holding them is rejected,
rather than failing the whole file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from vocmine.ingest.config import SourceConfig, SourceError

SAMPLE_BYTES = 256 * 1024
_SURROGATE = re.compile("[\udc80-\udcff]")
#: a lone surrogate (JSON "\\ud83d") that no UTF-8 text can hold; readers refuse it in any field
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Deeper JSON records are quarantined: no feedback record nests like that, and deep values blow the stack later
MAX_JSON_DEPTH = 64
# csv refuses fields over 128 KiB by default; the per-source max_chars limit is the real guard
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True)
class RawRecord:
    location: str
    row: dict[str, Any] | None
    payload: str
    problem: str | None = None  # why the record could not be parsed (row is None then)


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The file's text encoding: as declared, from a BOM, UTF-8 if the sample decodes, else detected."""
    if declared:
        codecs.lookup(declared)  # an unknown name fails here, with Python's message
        return declared
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    lines = sample.splitlines()
    if len(sample) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a character
    # A non-ASCII line that decodes as UTF-8 is near-proof of UTF-8 (Cyrillic in cp1251/KOI8-R practically
    # never forms valid multi-byte sequences), so the foreign lines are quarantined, not the whole file.
    if any(_utf8(line) for line in lines if not line.isascii()):
        return "utf-8"
    if b"\x00" in sample[:4096] and sample.count(b"\x00") > len(sample) // 4:
        raise SourceError(f"{path}: binary file (not text)")
    from charset_normalizer import from_bytes

    best = from_bytes(
        sample, cp_isolation=["cp1251", "koi8_r", "utf_16", "cp1252", "latin_1", "cp866"]
    ).best()
    # No reliable guess: read as UTF-8, so each undecodable record is quarantined with its bytes, not the file.
    return best.encoding if best is not None else "utf-8"


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def open_text(path: Path, encoding: str) -> IO[str]:
    errors = "strict" if encoding.startswith("utf-16") else "surrogateescape"
    return path.open("r", encoding=encoding, errors=errors, newline="")


def undecodable(value: str) -> bool:
    return bool(_SURROGATE.search(value))


def _header(path: Path, header: list[str]) -> list[str]:
    """The stripped column names; a name given twice makes the file ambiguous, so it is refused."""
    header = [h.strip() for h in header]
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise SourceError(f"{path}: duplicate column name(s) {dup} in the header; rename them in the file")
    return header


def _json_depth(obj: Any) -> int:
    """Nesting depth of a parsed JSON value (iterative: the value may be deeper than the stack)."""
    depth, level = 0, [obj]
    while level:
        depth += 1
        nxt: list[Any] = []
        for v in level:
            if isinstance(v, dict):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        if not nxt:
            return depth
        if depth > MAX_JSON_DEPTH:
            return depth
        level = nxt
    return depth


def _json_record(loc: str, obj: Any, payload: str) -> RawRecord:
    """A parsed JSON value as a record, or the reason it is not one."""
    if not isinstance(obj, dict):
        return RawRecord(loc, None, payload, "not a JSON object")
    if _json_depth(obj) > MAX_JSON_DEPTH:
        return RawRecord(loc, None, payload[:2000], f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if LONE_SURROGATE.search(payload) or LONE_SURROGATE.search(json.dumps(obj, ensure_ascii=False)):
        return RawRecord(
            loc,
            None,
            payload.encode("utf-8", "backslashreplace").decode("utf-8"),
            "invalid Unicode: a lone surrogate escape (such as \\ud83d) that no UTF-8 text can hold",
        )
    return RawRecord(loc, obj, payload)


_SINGLE_QUOTED = re.compile(r"(?:^|[,;\t|])'[^'\r\n]*'(?:[,;\t|]|\r?$)", re.M)


def _sniff(sample: str, default: str) -> tuple[str, str]:
    """Delimiter and quote character of a CSV sample (the defaults when the sample is too plain to tell)."""
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return default, '"'
    # Apostrophes in text ("don't", a lone "'") can fool the sniffer into single quotes; trust that only without
    # any '"' and with a whole single-quoted field on one line somewhere in the sample.
    single = dialect.quotechar == "'" and '"' not in sample and _SINGLE_QUOTED.search(sample)
    quote = "'" if single else '"'
    return dialect.delimiter, quote


def read_csv(path: Path, src: SourceConfig, encoding: str, default_delimiter: str) -> Iterator[RawRecord]:
    with open_text(path, encoding) as f:
        sample = f.read(64 * 1024)
        f.seek(0)
        delimiter, quotechar = _sniff(sample, default_delimiter)
        # strict: an unterminated quote (a truncated file) is an error, not a silently shortened text
        reader = csv.reader(f, delimiter=delimiter, quotechar=quotechar, strict=True)
        header = next(reader, None)
        if header is None:
            return
        header = _header(path, header)
        missing = [c for c in (src.column("id"), src.column("timestamp")) if c not in header]
        if missing:
            raise SourceError(f"{path}: missing column(s) {missing}; header is {header}")
        start = 2
        while True:
            loc = f"{path.name}:{start}"
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                yield RawRecord(loc, None, "", f"malformed CSV ({e}); the file may be truncated")
                if reader.line_num < start:
                    break
                start = reader.line_num + 1
                continue
            start = reader.line_num + 1
            payload = delimiter.join(values)
            if undecodable(payload):
                yield RawRecord(
                    loc,
                    None,
                    payload.encode(encoding, "surrogateescape").decode("utf-8", "replace"),
                    f"bytes not valid in the file's encoding ({encoding})",
                )
            elif not any(v.strip() for v in values):
                continue
            elif len(values) != len(header):
                yield RawRecord(
                    loc, None, payload, f"malformed row: expected {len(header)} fields, found {len(values)}"
                )
            else:
                yield RawRecord(loc, dict(zip(header, values, strict=True)), payload)


def read_jsonl(path: Path, encoding: str) -> Iterator[RawRecord]:
    with open_text(path, encoding) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            loc = f"{path.name}:{n}"
            if undecodable(line):
                yield RawRecord(loc, None, line, f"bytes not valid in the file's encoding ({encoding})")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield RawRecord(loc, None, line.rstrip("\n"), f"invalid JSON ({e.msg})")
                continue
            except RecursionError:
                yield RawRecord(loc, None, line[:2000], f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
                continue
            yield _json_record(loc, obj, line.rstrip("\n"))


def read_json(path: Path, encoding: str) -> Iterator[RawRecord]:
    """A JSON array of records, or an object with a ``records`` array (whole file in memory: use JSONL for big)."""
    with open_text(path, encoding) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise SourceError(f"{path}: invalid JSON ({e.msg} at line {e.lineno})") from None
        except RecursionError:
            raise SourceError(f"{path}: JSON nested too deep to read") from None
    items = data if isinstance(data, list) else data.get("records") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{path}: expected a JSON array of records or an object with a 'records' array")
    for n, obj in enumerate(items):
        try:  # (a lone surrogate in it is escaped by _json_record)
            payload = json.dumps(obj, ensure_ascii=False, default=str)
        except RecursionError:
            payload = ""
        yield _json_record(f"{path.name}[{n}]", obj, payload)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_parquet(path: Path) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
        for row in batch.to_pylist():
            n += 1
            loc = f"{path.name}:row{n}"
            try:  # a binary column holds text as UTF-8 bytes (as some exporters write strings)
                row = {k: v.decode("utf-8") if isinstance(v, bytes) else _plain(v) for k, v in row.items()}
            except UnicodeDecodeError:
                bad = [k for k, v in row.items() if isinstance(v, bytes) and not _utf8(v)]
                yield RawRecord(loc, None, repr(row)[:2000], f"binary column(s) {bad} not valid UTF-8 text")
                continue
            yield RawRecord(loc, row, json.dumps(row, ensure_ascii=False, default=str))


# What a file's first bytes say it is, for the message when they contradict the declared format.
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (XLSX workbooks are ZIPs)"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other OLE) file; save it as .xlsx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
)
_MAGIC = {"xlsx": b"PK\x03\x04", "parquet": b"PAR1"}


def check_signature(path: Path, fmt: str) -> None:
    """Refuse a file whose first bytes contradict its declared format (a CSV named .xlsx, an XLSX as csv)."""
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        return  # an empty file has no records in any format
    what = next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)
    want = _MAGIC.get(fmt)
    if want is not None and not head.startswith(want):
        raise SourceError(f"{path.name}: declared {fmt}, but the file is {what or 'text or unknown bytes'}")
    if want is None and what is not None:
        raise SourceError(f"{path.name}: declared {fmt} (text), but the file is {what}; set `format`")


def read_xlsx(path: Path, sheet: str | None) -> Iterator[RawRecord]:
    """The rows of one worksheet; a damaged workbook or a missing sheet fails the file with the reason."""
    try:
        yield from _xlsx_rows(path, sheet)
    except SourceError:
        raise
    except Exception as e:  # openpyxl raises KeyError, XML parse errors, zipfile errors... for damaged files
        raise SourceError(f"{path.name}: not a readable XLSX workbook ({type(e).__name__}: {e})") from e


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[RawRecord]:
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as z:
        if "[Content_Types].xml" not in z.namelist():
            raise SourceError(
                f"{path.name}: a ZIP archive, but not an XLSX workbook (no [Content_Types].xml)"
            )
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise SourceError(f"{path.name}: no worksheet {sheet!r}; the workbook has {wb.sheetnames}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        header = _header(path, [str(h) if h is not None else f"column{i + 1}" for i, h in enumerate(header)])
        for n, values in enumerate(rows, 2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            row = {h: ("" if v is None else _plain(v)) for h, v in zip(header, values, strict=False)}
            yield RawRecord(f"{path.name}:{n}", row, json.dumps(row, ensure_ascii=False, default=str))
    finally:
        wb.close()


# "[12:01] Клиент: текст", "Agent: text", "[2026-10-01 12:01:05] Оператор: ..."
_TURN = re.compile(r"^\s*(?:\[(?P<ts>[^\]]{4,25})\]\s*)?(?P<role>[^\W\d][\w .-]{0,24}?)\s*:\s(?P<text>.*)$")
_DATE_HEADER = re.compile(r"^\s*(?:date|дата)\s*:\s*(?P<d>\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_ID_HEADER = re.compile(
    r"^\s*(?:conversation|chat|id|диалог|чат)\s*(?:id)?\s*[:#]\s*(?P<id>\S+)", re.IGNORECASE
)
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def read_transcript(
    path: Path, src: SourceConfig, encoding: str, roles: dict[str, str]
) -> Iterator[RawRecord]:
    """A plain-text chat transcript: one conversation per file, one turn per line, continuation lines joined.

    Optional header lines ``Conversation: ID`` and ``Date: YYYY-MM-DD`` (else the file name gives both).
    """
    with open_text(path, encoding) as f:
        lines = f.read().splitlines()
    conv_id, day = path.stem, None
    m = _FILE_DATE.search(path.name)
    if m:
        day = m.group(1)
    turns: list[dict[str, Any]] = []
    timed = False  # whether the speaker lines carry [times]: a "Label: text" line without one is then text
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if undecodable(line):
            yield RawRecord(path.name, None, line, f"bytes not valid in the file's encoding ({encoding})")
            return
        if hm := _DATE_HEADER.match(line):
            day = hm.group("d")
            continue
        if not turns and (im := _ID_HEADER.match(line)):
            conv_id = im.group("id")
            continue
        tm = _TURN.match(line)
        label = " ".join(tm.group("role").split()).lower() if tm else ""
        if tm and label not in roles and (not turns or bool(tm.group("ts")) == timed):
            # shaped like a speaker line: unmapped, it would be read as the previous speaker's words
            yield RawRecord(
                f"{path.name}:{n}",
                None,
                "\n".join(lines)[:2000],
                f"unknown speaker {tm.group('role').strip()!r}: map it under the source's `roles` "
                "(customer, agent or bot)",
            )
            return
        if tm and label in roles:
            if not turns:
                timed = bool(tm.group("ts"))
            ts = tm.group("ts")
            if ts and day and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", ts.strip()):
                ts = f"{day}T{ts.strip():0>5}"
            turns.append({"role": roles[label], "ts": ts, "text": tm.group("text").strip()})
        elif turns:
            turns[-1]["text"] = (turns[-1]["text"] + "\n" + line.strip()).strip()
        else:
            yield RawRecord(
                path.name, None, "\n".join(lines)[:2000], f"transcript line without a speaker: {line[:60]!r}"
            )
            return
    if not turns:
        yield RawRecord(path.name, None, "\n".join(lines)[:2000], "transcript without turns")
        return
    started = turns[0]["ts"] or day
    row = {src.column("id"): conv_id, src.column("timestamp"): started, src.column("turns"): turns}
    yield RawRecord(path.name, row, "\n".join(lines))
