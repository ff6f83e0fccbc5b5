"""Write the hostile input fixtures: every kind of bad file ingestion must survive.

Generated rather than committed so the bytes (encodings, truncation, a 10 MB text) are exact and reviewable.
Each entry: file name, bytes, and what ingestion must do with it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HEADER = "review_id,created_at,rating,text\n"
ROW = "{i},2026-10-0{d}T10:00:00+03:00,{r},{t}\n"
RU = "Курьер опоздал на два дня, поддержка не отвечает"


def _csv(rows: list[str], header: str = HEADER) -> str:
    return header + "".join(rows)


def _jsonl(*records: dict | str) -> bytes:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    ).encode()


def _rec(i: int | str, text: object = "fine", ts: str = "2026-10-01T10:00:00Z") -> dict:
    return {"review_id": str(i), "created_at": ts, "rating": 4, "text": text}


def _parquet_binary_text() -> bytes:
    """A Parquet file whose text column is binary: UTF-8 bytes, and one value that is not UTF-8."""
    table = pa.table(
        {
            "review_id": ["1", "2", "3"],
            "created_at": ["2026-10-01T10:00:00Z"] * 3,
            "text": pa.array([RU.encode(), b"\xff\xfe not text", "Всё пришло".encode()], pa.binary()),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def build(folder: Path) -> dict[str, dict]:
    """Write the fixtures into ``folder``; returns {file name: expectations}."""
    folder.mkdir(parents=True, exist_ok=True)
    good = [ROW.format(i=i, d=1 + i % 9, r=1 + i % 5, t=f'"{RU} #{i}"') for i in range(1, 6)]
    files: dict[str, tuple[bytes, dict]] = {
        "utf8_bom.csv": ((_csv(good)).encode("utf-8-sig"), {"docs": 5, "encoding": "utf-8-sig"}),
        "utf16.csv": (_csv(good).encode("utf-16"), {"docs": 5, "encoding": "utf-16"}),
        "cp1251.csv": (_csv(good).encode("cp1251"), {"docs": 5, "encoding": "cp1251"}),
        "koi8r.csv": (_csv(good).encode("koi8_r"), {"docs": 5, "encoding": "koi8_r"}),
        "semicolon.csv": (
            _csv([r.replace(",", ";", 3) for r in good], HEADER.replace(",", ";")).encode(),
            {"docs": 5},
        ),
        # one line in Windows-1251 inside a UTF-8 file: that record is quarantined, the rest kept
        "mixed_encoding.csv": (
            _csv(good[:2]).encode()
            + ROW.format(i=9, d=3, r=2, t=RU).encode("cp1251")
            + "".join(good[2:]).encode(),
            {"docs": 5, "quarantined": ["bytes not valid"]},
        ),
        "truncated.csv": (_csv(good)[:-25].encode(), {"docs": 4, "quarantined": ["may be truncated"]}),
        "truncated_mid_char.csv": (
            _csv(good).encode()[:-24],
            {"docs": 4, "quarantined": ["may be truncated"]},
        ),
        "short_row.csv": (
            _csv(good[:2] + ["7,2026-10-01T10:00:00Z,3\n"]).encode(),
            {"docs": 2, "quarantined": ["expected 4 fields"]},
        ),
        "duplicates.csv": (_csv(good + good[:2]).encode(), {"docs": 5, "duplicates": 2}),
        "bad_values.csv": (
            _csv(
                [
                    ROW.format(i=1, d=1, r=9, t="rating nine"),
                    ROW.format(i=2, d=1, r="", t=""),
                    "3,not a date,4,hello\n",
                    ",2026-10-01T10:00:00+03:00,4,no id\n",
                    ROW.format(i=5, d=1, r=4, t="ok"),
                ]
            ).encode(),
            {
                "docs": 1,
                "quarantined": [
                    "outside 1..5",
                    "no text and no score",
                    "unparseable timestamp",
                    "missing id",
                ],
            },
        ),
        "huge_text.csv": (
            _csv(
                [ROW.format(i=1, d=1, r=1, t="Ужас " * 2_100_000), ROW.format(i=2, d=1, r=5, t="ok")]
            ).encode(),
            {"docs": 1, "quarantined": ["over the limit"]},
        ),
        "binary.csv": (bytes(range(256)) * 64, {"docs": 0, "quarantined": ["file could not be read"]}),
        "empty.csv": (b"", {"docs": 0}),
        "header_only.csv": (HEADER.encode(), {"docs": 0}),
        "missing_columns.csv": (b"foo,bar\n1,2\n", {"docs": 0, "quarantined": ["missing column"]}),
        "null_bytes.csv": (
            _csv([ROW.format(i=1, d=1, r=1, t="a\x00b")]).encode(),
            {"docs": 0, "quarantined": ["binary"]},
        ),
        "broken.jsonl": (
            (
                json.dumps(
                    {"review_id": "1", "created_at": "2026-10-01T10:00:00Z", "rating": 4, "text": "fine"}
                )
                + "\n"
                + '{"review_id": "2", "created_at": \n'
                + "[1, 2]\n"
            ).encode(),
            {"docs": 1, "quarantined": ["invalid JSON", "not a JSON object"]},
        ),
        # one record nested 50,000 deep must not stop the file, the source or the run
        "deep.jsonl": (
            _jsonl(_rec(1), '{"review_id": "2", "x": ' + "[" * 50_000 + "]" * 50_000 + "}", _rec(3)),
            {"docs": 2, "quarantined": ["nested deeper than"]},
        ),
        "deep_but_parseable.jsonl": (  # deep enough to hurt later stages, shallow enough for json.loads
            _jsonl(_rec(1), '{"review_id": "2", "x": ' + "[" * 500 + "]" * 500 + "}"),
            {"docs": 1, "quarantined": ["nested deeper than"]},
        ),
        "deep.json": (
            ('{"records": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
            {"docs": 0, "quarantined": ["nested too deep"]},
        ),
        # a lone surrogate escape: that line is quarantined (with its line number), not the whole file
        "surrogate.jsonl": (
            _jsonl(
                _rec(1),
                '{"review_id": "2", "created_at": "2026-10-01T10:00:00Z", "text": "ok \\ud83d"}',
                _rec(3),
            ),
            {"docs": 2, "quarantined": ["lone surrogate"], "locations": ["surrogate.jsonl:2"]},
        ),
        "surrogate.json": (
            json.dumps([_rec(1), _rec(2, "\ud83d")]).encode(),
            {"docs": 1, "quarantined": ["lone surrogate"], "locations": ["surrogate.json[1]"]},
        ),
        "json_values_as_text.jsonl": (
            _jsonl(
                _rec(1, {"body": "a dict"}), _rec(2, ["a", "list"]), _rec(3, 42), {**_rec(4), "review_id": {}}
            ),
            {
                "docs": 1,
                "quarantined": ["text is a JSON object", "text is a JSON list", "id is a JSON object"],
            },
        ),
        "future.csv": (
            _csv([ROW.format(i=1, d=1, r=2, t="ok"), "2,2100-12-31T10:00:00Z,1,from the future\n"]).encode(),
            {"docs": 1, "quarantined": ["timestamp in the future"]},
        ),
        # the same id again (" 42 " is "42") with another text: an edit, the earlier text kept in history
        "edited_in_file.csv": (
            _csv(
                ["42,2026-10-01T10:00:00Z,2,first text\n", " 42 ,2026-10-02T10:00:00Z,1,second text\n"]
            ).encode(),
            {"docs": 1, "earlier": 1},
        ),
        "duplicate_header.csv": (
            _csv(good, "review_id,created_at,text,text\n").encode(),
            {"docs": 0, "quarantined": ["duplicate column name(s) ['text']"]},
        ),
        "binary_text.parquet": (_parquet_binary_text(), {"docs": 2, "quarantined": ["not valid UTF-8"]}),
    }
    files.update(_containers(_csv(good)))
    out = {}
    for name, (data, expect) in files.items():
        (folder / name).write_bytes(data)
        out[name] = expect
    return out


def _containers(csv_text: str) -> dict[str, tuple[bytes, dict]]:
    """Files whose bytes contradict their format: each is quarantined whole, with a reason, never a traceback.

    ``config``: settings of the source the file is read with (besides the location).
    """
    import pandas as pd

    df = pd.read_csv(io.StringIO(csv_text))
    xlsx = io.BytesIO()
    df.to_excel(xlsx, index=False, sheet_name="Reviews")
    parquet = io.BytesIO()
    df.to_parquet(parquet)
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("reviews.csv", csv_text)
    return {
        "good.xlsx": (xlsx.getvalue(), {"docs": 5}),
        "named_sheet.xlsx": (xlsx.getvalue(), {"docs": 5, "config": {"sheet": "Reviews"}}),
        "missing_sheet.xlsx": (
            xlsx.getvalue(),
            {
                "docs": 0,
                "quarantined": ["no worksheet 'Отзывы'", "['Reviews']"],
                "config": {"sheet": "Отзывы"},
            },
        ),
        "csv_named.xlsx": (
            csv_text.encode(),
            {"docs": 0, "quarantined": ["declared xlsx, but the file is text"]},
        ),
        "zip_not_xlsx.xlsx": (other_zip.getvalue(), {"docs": 0, "quarantined": ["not an XLSX workbook"]}),
        "truncated.xlsx": (
            xlsx.getvalue()[:-300],
            {"docs": 0, "quarantined": ["not a readable XLSX workbook"]},
        ),
        "old_excel.xls": (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
            {"docs": 0, "quarantined": ["old Excel .xls"]},
        ),
        "xlsx_named.csv": (
            xlsx.getvalue(),
            {"docs": 0, "quarantined": ["declared csv (text), but the file is a ZIP"]},
        ),
        "xlsx_declared_csv.xlsx": (
            xlsx.getvalue(),
            {"docs": 0, "quarantined": ["the file is a ZIP"], "config": {"format": "csv"}},
        ),
        "csv_declared_parquet.csv": (
            csv_text.encode(),
            {
                "docs": 0,
                "quarantined": ["declared parquet, but the file is text"],
                "config": {"format": "parquet"},
            },
        ),
        "parquet_named.jsonl": (parquet.getvalue(), {"docs": 0, "quarantined": ["a Parquet file"]}),
        "truncated.parquet": (
            parquet.getvalue()[:-100],
            {"docs": 0, "quarantined": ["file could not be read"]},
        ),
        # a declared encoding that does not fit: UTF-16 cannot decode these bytes at all, ASCII only the Cyrillic
        "declared_utf16.csv": (
            csv_text.encode(),
            {"docs": 0, "quarantined": ["file could not be read"], "config": {"encoding": "utf-16"}},
        ),
        "declared_ascii.csv": (
            csv_text.encode(),
            {
                "docs": 0,
                "quarantined": ["bytes not valid in the file's encoding (ascii)"],
                "config": {"encoding": "ascii"},
            },
        ),
        "broken.json": (b'{"records": [{"review_id": "1"', {"docs": 0, "quarantined": ["invalid JSON"]}),
        "scalar.json": (b"42", {"docs": 0, "quarantined": ["expected a JSON array"]}),
        "records_not_a_list.json": (
            b'{"records": {"a": 1}}',
            {"docs": 0, "quarantined": ["expected a JSON array"]},
        ),
        "mixed.json": (
            json.dumps(
                [{"review_id": "1", "created_at": "2026-10-01T10:00:00Z", "text": "ok"}, "x", [1]]
            ).encode(),
            {"docs": 1, "quarantined": ["not a JSON object"]},
        ),
        "empty.parquet": (b"", {"docs": 0, "quarantined": ["file could not be read"]}),
        "empty.xlsx": (b"", {"docs": 0, "quarantined": ["not a readable XLSX workbook"]}),
        "declared_cp1251.csv": (csv_text.encode("cp1251"), {"docs": 5, "config": {"encoding": "cp1251"}}),
    }
