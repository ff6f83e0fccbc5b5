"""Forward schema migrations, applied by ``Store.migrate()`` inside its transaction.

``MIGRATIONS[i]`` upgrades a file from schema v(i+1) to v(i+2). A step carries its own DDL (never the
evolving ``schema.TABLES``), so an old file is upgraded exactly as it was defined; a test checks that an
upgraded v1 file ends up with the same tables and columns as a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from vocmine.store.dictionary import apply_comments
from vocmine.store.schema import SCHEMA_VERSION, TABLES, VIEWS

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _v1_to_v2(con: duckdb.DuckDBPyConnection) -> None:
    """Tables the full-text indexes are built over (filled by ``Store.refresh_search_index``)."""
    for table in ("search_ru", "search_en"):
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (doc_id VARCHAR PRIMARY KEY, lang VARCHAR, text VARCHAR NOT NULL)"
        )


def _v2_to_v3(con: duckdb.DuckDBPyConnection) -> None:
    """The text encoding each file was read with (detected or declared), for the operator."""
    con.execute("ALTER TABLE source_files ADD COLUMN IF NOT EXISTS encoding VARCHAR")


def _v3_to_v4(con: duckdb.DuckDBPyConnection) -> None:
    """Quarantine lifecycle: the file a record came from, when it was last seen, and the run that fixed it."""
    for column in ("path", "last_seen_run_id", "resolved_run_id"):
        con.execute(f"ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS {column} VARCHAR")


def _v4_to_v5(con: duckdb.DuckDBPyConnection) -> None:
    """Stored encoder outputs, so re-labelling with a new taxonomy or head needs no encoder pass."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS encoder_outputs (encoder VARCHAR NOT NULL, text_hash VARCHAR NOT NULL, "
        "embedding BLOB NOT NULL, run_id VARCHAR NOT NULL, PRIMARY KEY (encoder, text_hash))"
    )


def _v5_to_v6(con: duckdb.DuckDBPyConnection) -> None:
    """An index on the stored embeddings' text hash: a batch's look-up reads only its rows, in any table size."""
    con.execute("CREATE INDEX IF NOT EXISTS encoder_outputs_text_hash ON encoder_outputs (text_hash)")


def _v6_to_v7(con: duckdb.DuckDBPyConnection) -> None:
    """Customer journeys: ``documents.customer_id`` (indexed; filled from ``extra``, where earlier versions kept
    it) and the ``journeys`` table the flows rebuild."""
    con.execute("ALTER TABLE documents ADD COLUMN IF NOT EXISTS customer_id VARCHAR")
    # the index first: DuckDB cannot build one over rows updated in the same transaction
    con.execute("CREATE INDEX IF NOT EXISTS documents_customer_id ON documents (customer_id)")
    con.execute(
        "UPDATE documents SET customer_id = nullif(trim(json_extract_string(extra, '$.customer_id')), '') "
        "WHERE customer_id IS NULL AND json_extract_string(extra, '$.customer_id') IS NOT NULL"
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS journeys (
            customer_id VARCHAR NOT NULL, step INTEGER NOT NULL, doc_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL, kind VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
            channel VARCHAR, product VARCHAR, lang VARCHAR, touchpoints VARCHAR[], pain_touchpoints VARCHAR[],
            first_pain VARCHAR, sentiment VARCHAR, sentiment_score REAL, rating TINYINT, nps TINYINT,
            csat TINYINT, ces TINYINT, outcome VARCHAR, days_since_previous DOUBLE, model_version VARCHAR,
            run_id VARCHAR NOT NULL, PRIMARY KEY (customer_id, step))"""
    )


def _v7_to_v8(con: duckdb.DuckDBPyConnection) -> None:
    """The alerts log: one row per week, touchpoint and recipient, sent or failed (no alert goes out twice)."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS alerts_sent (
            week DATE NOT NULL,
            touchpoint VARCHAR NOT NULL,
            recipient VARCHAR NOT NULL,
            rules VARCHAR[] NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
            attempts INTEGER NOT NULL,
            subject VARCHAR NOT NULL,
            body VARCHAR NOT NULL,
            error VARCHAR,
            first_tried_at TIMESTAMPTZ NOT NULL,
            last_tried_at TIMESTAMPTZ NOT NULL,
            sent_at TIMESTAMPTZ,
            run_id VARCHAR,
            PRIMARY KEY (week, touchpoint, recipient)
        );"""
    )


def _v8_to_v9(con: duckdb.DuckDBPyConnection) -> None:
    """New themes with ids that last from one run to the next: their centroids, names and examples."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS themes (theme_id VARCHAR PRIMARY KEY, encoder VARCHAR NOT NULL, "
        "centroid FLOAT[] NOT NULL, label VARCHAR NOT NULL, labels JSON NOT NULL, words VARCHAR[] NOT NULL, "
        "examples JSON NOT NULL, size INTEGER NOT NULL, first_week DATE NOT NULL, last_week DATE NOT NULL, "
        "first_run_id VARCHAR, last_run_id VARCHAR, updated_at TIMESTAMPTZ NOT NULL)"
    )


def _v9_to_v10(con: duckdb.DuckDBPyConnection) -> None:
    """One primary touchpoint per complaint (``link.document_causes``), filled for the stored predictions
    with the rule as it was at v10: per negative clause its first touchpoint, severity p(negative) x score,
    the first negative clause's x1.5, summed per touchpoint; the highest sum wins, ties to the earlier clause."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS document_causes (doc_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, "
        "touchpoint VARCHAR NOT NULL, stage VARCHAR NOT NULL, score REAL NOT NULL, share REAL NOT NULL, "
        "seg_idx INTEGER NOT NULL, run_id VARCHAR NOT NULL, PRIMARY KEY (doc_id, model_version))"
    )
    con.execute(
        """INSERT INTO document_causes
        WITH ranked AS (
            SELECT p.doc_id, p.seg_idx, p.model_version, t.touchpoint, t.stage, t.run_id,
                   p.p_negative * t.score AS severity,
                   row_number() OVER (PARTITION BY t.doc_id, t.seg_idx, t.model_version
                                      ORDER BY t.score DESC, t.touchpoint) AS rank
            FROM segment_predictions p
            JOIN segment_touchpoints t USING (doc_id, seg_idx, model_version)
            WHERE p.sentiment = 'negative'
        ), lead AS (
            SELECT *, CASE WHEN seg_idx = min(seg_idx) OVER (PARTITION BY doc_id, model_version)
                           THEN 1.5 ELSE 1.0 END * severity AS weighted
            FROM ranked WHERE rank = 1
        ), per AS (
            SELECT doc_id, model_version, touchpoint, stage, any_value(run_id) AS run_id,
                   sum(weighted) AS score, min(seg_idx) AS first,
                   arg_max(seg_idx, weighted * 1000000 - seg_idx) AS seg_idx
            FROM lead GROUP BY ALL
        )
        SELECT doc_id, model_version, touchpoint, stage, round(score, 4),
               round(score / sum(score) OVER (PARTITION BY doc_id, model_version), 4), seg_idx, run_id
        FROM per
        QUALIFY row_number() OVER (PARTITION BY doc_id, model_version ORDER BY score DESC, first) = 1
        ON CONFLICT DO NOTHING"""
    )


def _v10_to_v11(con: duckdb.DuckDBPyConnection) -> None:
    """Effort and emotion per segment (``segment_affect``), with the affect heads' own version beside the
    model's. ``vocmine reprocess`` re-analyses the stored documents that lack them (no encoder pass)."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS segment_affect (
            doc_id VARCHAR NOT NULL, seg_idx INTEGER NOT NULL, model_version VARCHAR NOT NULL,
            affect_version VARCHAR NOT NULL, effort_score REAL,
            effort VARCHAR CHECK (effort IN ('easy', 'neutral', 'hard')),
            p_joy REAL, p_sadness REAL, p_surprise REAL, p_fear REAL, p_anger REAL,
            emotions VARCHAR[] NOT NULL, run_id VARCHAR NOT NULL,
            PRIMARY KEY (doc_id, seg_idx, model_version))"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
    _v5_to_v6,
    _v6_to_v7,
    _v7_to_v8,
    _v8_to_v9,
    _v9_to_v10,
    _v10_to_v11,
)
assert len(MIGRATIONS) == SCHEMA_VERSION - 1, "every schema version needs its migration step"


class SchemaTooNew(RuntimeError):
    """The file was written by a newer vocmine; this one must not touch it."""


def file_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version recorded in the database; 0 for an empty one."""
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def upgrade(con: duckdb.DuckDBPyConnection, where: str | Path = "database") -> int:
    """Bring the schema on ``con`` to ``SCHEMA_VERSION`` (caller owns the transaction); returns it."""
    found = file_version(con)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{where} has schema v{found}, newer than this vocmine (v{SCHEMA_VERSION}); upgrade vocmine"
        )
    if found == 0:
        con.execute(TABLES)
    else:
        for step in MIGRATIONS[found - 1 :]:
            step(con)
    # Views are recreated every time (cheap, and picks up fixed definitions); that drops their comments,
    # so the comments are applied after them.
    con.execute(VIEWS)
    apply_comments(con)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    return SCHEMA_VERSION
