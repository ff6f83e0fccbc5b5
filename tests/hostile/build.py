"""Write the hostile input fixtures: every kind of bad file ingestion must survive.

Generated rather than committed so the bytes (encodings, truncation, a 10 MB text) are exact and reviewable.
Each entry: file name, bytes, and what ingestion must do with it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

HEADER = "review_id,created_at,rating,text\n"
ROW = "{i},2026-10-0{d}T10:00:00+03:00,{r},{t}\n"
RU = "Курьер опоздал на два дня, поддержка не отвечает"


def _csv(rows: list[str], header: str = HEADER) -> str:
    return header + "".join(rows)


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
