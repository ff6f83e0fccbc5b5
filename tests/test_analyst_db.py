"""The database as analysts use it: data dictionary, migrations, offline full-text search, Parquet export.

No model needed: rows are inserted with plain SQL into a schema built by ``Store.migrate()``.
"""

import socket
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from vocmine.cli import app
from vocmine.store import fts
from vocmine.store.db import Store
from vocmine.store.dictionary import RELATIONS, render_markdown
from vocmine.store.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
V1_SQL = Path(__file__).with_name("data") / "schema_v1.sql"
MV = "test@abc+tax@def"

# doc_id, created_at, lang, text
DOCS = [
    ("reviews:1", "2026-10-05 12:00:00+00", "ru", "Доставка задержалась на неделю, курьер не позвонил."),
    ("reviews:2", "2026-10-06 09:00:00+00", "ru", "Приложение вылетает при оплате картой."),
    ("reviews:3", "2026-10-13 10:00:00+00", "en", "The parcel was delayed again and nobody called."),
    ("reviews:4", "2026-10-14 10:00:00+00", "en", "Great prices, friendly staff."),
    ("surveys:1", "2026-10-14 11:00:00+00", "und", ""),
]


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    """A few documents with current predictions and pain points, the way write_batch leaves them."""
    for doc_id, ts, lang, text in DOCS:
        source, ext = doc_id.split(":")
        con.execute(
            "INSERT INTO documents (doc_id, source, kind, external_id, created_at, lang, text, nps, "
            "content_hash, ingest_run_id, updated_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'r1', 'r1')",
            [
                doc_id,
                source,
                source.rstrip("s"),
                ext,
                ts,
                lang,
                text,
                3 if source == "surveys" else None,
                doc_id,
            ],
        )
        if text:
            con.execute(
                "INSERT INTO segments VALUES (?, 0, 0, ?, ?, ?, NULL, 'r1')", [doc_id, len(text), text, lang]
            )
            con.execute(
                "INSERT INTO document_predictions VALUES (?, ?, 'negative', 0.9, 0.9, 0.05, 0.05, 'r1')",
                [doc_id, MV],
            )
        con.execute("INSERT INTO doc_model VALUES (?, ?, 'r1')", [doc_id, MV])
    con.execute(
        "INSERT INTO pain_points VALUES ('reviews:1', 0, ?, 'delivery', 'delivery', 0.8, 'x', 0, 1, 'r1')",
        [MV],
    )
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status) VALUES ('r1', 'nightly', now(), 'completed')"
    )


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "v.duckdb")
    s.migrate()
    with s.transaction() as con:
        _fill(con)
    return s


def _columns(store: Store) -> pd.DataFrame:
    return store.query(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal ORDER BY table_name, column_index"
    )


# -- data dictionary -----------------------------------------------------------------------------------
def test_every_table_view_and_column_has_a_comment(store):
    cols = _columns(store)
    assert set(cols["table_name"]) == set(RELATIONS)
    missing = cols[cols["comment"].isna() | (cols["comment"] == "")]
    assert missing.empty, missing[["table_name", "column_name"]].to_string()
    rels = store.query(
        "SELECT table_name AS name, comment FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal "
        "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    )
    assert set(rels["name"]) == set(RELATIONS) and rels["comment"].notna().all()
    assert "doc_model" in rels.set_index("name")["comment"]["v_pain_points"]


def test_schema_doc_is_up_to_date():
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "regenerate: python -m vocmine.store.dictionary > docs/schema.md"


# -- migrations ----------------------------------------------------------------------------------------
def test_v1_database_upgrades_without_losing_rows(tmp_path):
    old = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(old))
    con.execute(V1_SQL.read_text(encoding="utf-8"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('current_model_version', ?)", [MV])
    _fill(con)
    con.close()
    counts = "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM v_pain_points), (SELECT count(*) FROM runs)"
    before = duckdb.connect(str(old), read_only=True).execute(counts).fetchall()

    store = Store(old)
    assert store.migrate() == SCHEMA_VERSION
    assert store.query(counts).values.tolist() == [list(before[0])] == [[5, 1, 1]]
    assert store.current_model() == MV
    # the upgraded file has exactly the schema of a fresh one
    fresh = Store(tmp_path / "fresh.duckdb")
    fresh.migrate()
    assert _columns(store).equals(_columns(fresh))
    indexes = "SELECT table_name, index_name FROM duckdb_indexes() ORDER BY ALL"
    assert store.query(indexes).equals(fresh.query(indexes))
    store.refresh_search_index()
    assert store.search("доставки")["doc_id"].tolist() == ["reviews:1"]


def test_newer_schema_is_refused(store):
    with store.transaction() as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match=rf"schema v99, newer than this vocmine \(v{SCHEMA_VERSION}\)"):
        store.migrate()
    assert store.query("SELECT value FROM meta WHERE key = 'schema_version'")["value"][0] == "99"


# -- full-text search ----------------------------------------------------------------------------------
def test_search_stems_russian_and_english(store):
    with pytest.raises(RuntimeError, match="refresh_search_index"):
        store.search("доставки")
    assert store.refresh_search_index() == {"search_ru": 2, "search_en": 2}  # the silent answer is skipped
    ru = store.search("доставки")
    assert ru.columns.tolist() == ["doc_id", "score", "created_at", "source", "text"]
    assert ru["doc_id"].tolist() == ["reviews:1"] and "Доставка задержалась" in ru["text"][0]
    assert store.search("оплатой", lang="ru")["doc_id"].tolist() == ["reviews:2"]
    assert store.search("delays", lang="en")["doc_id"].tolist() == ["reviews:3"]
    assert store.search("delays", lang="ru").empty
    assert len(store.search("delayed доставка", limit=1)) == 1
    with pytest.raises(ValueError):
        store.search("  ")


def test_search_index_follows_refresh(store):
    store.refresh_search_index()
    with store.transaction() as con:
        con.execute("UPDATE documents SET text = 'Всё хорошо' WHERE doc_id = 'reviews:1'")
    assert store.search("доставки")["doc_id"].tolist() == ["reviews:1"]  # as of the last refresh
    store.refresh_search_index()
    assert store.search("доставки").empty


def test_search_loads_fts_from_the_wheel_without_network(store, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    store.refresh_search_index()
    assert not store.search("доставки").empty
    with store.connect(read_only=True) as con:
        fts.load(con)
        autoinstall, path = con.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "(SELECT install_path FROM duckdb_extensions() WHERE extension_name = 'fts')"
        ).fetchone()
    assert autoinstall is False and Path(path).is_relative_to(fts.extension_dir())
    # ad-hoc SQL (vocmine query) can use the index too: fts autoloads from the same folder
    hit = store.query(
        "SELECT doc_id FROM search_ru WHERE fts_main_search_ru.match_bm25(doc_id, ?) IS NOT NULL",
        ["доставкой"],
    )
    assert hit["doc_id"].tolist() == ["reviews:1"]


# -- Parquet export ------------------------------------------------------------------------------------
def test_export_partitions_by_week(store, tmp_path):
    out = tmp_path / "bi" / "docs"
    assert store.export("v_documents", out) == 5
    assert sorted(p.name for p in out.iterdir()) == ["week=2026-10-05", "week=2026-10-12"]
    back = duckdb.sql(f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)").df()
    assert sorted(back["doc_id"]) == sorted(d[0] for d in DOCS) and "week" in back.columns

    with pytest.raises(FileExistsError, match="overwrite"):
        store.export("v_documents", out)
    assert store.export("v_pain_points", out, partition_by=("week", "touchpoint"), overwrite=True) == 1
    assert [p.relative_to(out).as_posix() for p in out.rglob("*.parquet")] == [
        "week=2026-10-05/touchpoint=delivery/data_0.parquet"
    ]
    single = tmp_path / "single"
    assert store.export("v_touchpoint_sentiment", single, partition_by=()) == 0
    assert [p.name for p in single.iterdir()] == ["data_0.parquet"]


def test_export_checks_names_and_never_clobbers(store, tmp_path):
    with pytest.raises(ValueError, match="unknown view"):
        store.export("documents; DROP TABLE documents", tmp_path / "x")
    with pytest.raises(ValueError, match="no column week"):
        store.export("v_touchpoint_sentiment", tmp_path / "x")
    with pytest.raises(ValueError, match="no column"):
        store.export("v_documents", tmp_path / "x", partition_by=('week") --',))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="other than Parquet"):
        store.export("v_documents", tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").exists()


# -- command line --------------------------------------------------------------------------------------
def test_cli_search_and_export(store, tmp_path):
    runner = CliRunner()
    db = str(store.path)
    store.refresh_search_index()
    res = runner.invoke(app, ["search", "доставки", "--lang", "ru", "--limit", "5", "--db", db])
    assert res.exit_code == 0, res.output
    assert "reviews:1" in res.output and "reviews:2" not in res.output
    out = tmp_path / "exp"
    res = runner.invoke(app, ["export", "v_segments", str(out), "--partition-by", "source", "--db", db])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["source=reviews"]
    bad = runner.invoke(app, ["export", "documents", str(tmp_path / "y"), "--db", db])
    assert bad.exit_code == 2 and "unknown view" in bad.output
