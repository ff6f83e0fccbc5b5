"""Offline full-text search: DuckDB's ``fts`` extension from the pinned ``duckdb-ext-fts`` wheel.

DuckDB would download a missing extension on first use; every vocmine connection turns that off and points
``extension_directory`` at the wheel's folder, so ``fts`` loads from disk and nothing is fetched.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

# index table -> (stemmer, stopwords, strip_accents). Russian: no built-in stopword list (BM25's IDF copes),
# and accents are kept because stripping turns "й" into "и" before the stemmer sees the word.
INDEXES: dict[str, tuple[str, str, int]] = {
    "search_ru": ("russian", "none", 0),
    "search_en": ("english", "english", 1),
}


@cache
def extension_dir() -> Path | None:
    """The wheel's ``duckdb_ext/extensions`` folder holding an ``fts`` build for this duckdb, if installed."""
    spec = importlib.util.find_spec("duckdb_ext")
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "extensions"
        if any((folder / f"v{duckdb.__version__}").glob("*/fts.duckdb_extension")):
            return folder
    return None


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """Never download extensions; find the bundled ones (so ``match_bm25`` in ad-hoc SQL autoloads fts)."""
    con.execute("SET autoinstall_known_extensions = false")
    folder = extension_dir()
    if folder is not None:
        con.execute("SET extension_directory = ?", [str(folder)])


def load(con: duckdb.DuckDBPyConnection) -> None:
    if extension_dir() is None:
        raise RuntimeError(
            f"DuckDB's fts extension for duckdb {duckdb.__version__} is not installed; "
            "install the pinned duckdb-ext-fts from pyproject.toml"
        )
    configure(con)
    con.execute("LOAD fts")


def refresh(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Refill the search tables from ``documents`` and rebuild both indexes (caller owns the transaction)."""
    load(con)
    lang_filter = {"search_ru": "lang = 'ru'", "search_en": "lang IS DISTINCT FROM 'ru'"}
    counts = {}
    for table, (stemmer, stopwords, strip_accents) in INDEXES.items():
        con.execute(f"DELETE FROM {table}")
        con.execute(
            f"INSERT INTO {table} SELECT doc_id, lang, text FROM documents "
            f"WHERE {lang_filter[table]} AND length(trim(text)) > 0"
        )
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute(
            f"PRAGMA create_fts_index('{table}', 'doc_id', 'text', stemmer = '{stemmer}', "
            f"stopwords = '{stopwords}', strip_accents = {strip_accents}, lower = 1, overwrite = 1)"
        )
    return counts


def search(
    con: duckdb.DuckDBPyConnection, query: str, lang: str | None = None, limit: int = 20
) -> pd.DataFrame:
    """BM25 matches of ``query``, best first; ``lang`` filters on the document language.

    ``con`` has ``fts`` loaded (:func:`load`; ``Store.search`` sandboxes its connection with it loaded).
    Without ``lang`` both indexes are searched (each stems the query its own way) and merged by score;
    scores of the two indexes are comparable only roughly (each has its own term statistics).
    """
    built = {
        r[0]
        for r in con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE schema_name LIKE 'fts_main_search_%'"
        ).fetchall()
    }
    tables = list(INDEXES) if lang is None else ["search_ru" if lang == "ru" else "search_en"]
    if not all(f"fts_main_{t}" in built for t in tables):
        raise RuntimeError("no search index yet: run Store.refresh_search_index() (the nightly flow does)")
    selects = [
        f"""SELECT s.doc_id, fts_main_{t}.match_bm25(s.doc_id, $query) AS score, d.created_at, d.source, s.text
            FROM {t} s JOIN documents d USING (doc_id)
            WHERE score IS NOT NULL AND ($lang IS NULL OR s.lang = $lang)"""
        for t in tables
    ]
    sql = " UNION ALL ".join(selects) + " ORDER BY score DESC, doc_id LIMIT $limit"
    return con.execute(sql, {"query": query, "lang": lang, "limit": limit}).df()
