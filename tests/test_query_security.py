"""`vocmine query`, `search` and `export` read the vocmine database and nothing else (issue #22).

A real database made by the store (no model: rows inserted with SQL, as in test_analyst_db) and published,
so the commands read the snapshot while the live file sits next to it. Every attack goes through the command
line and must end in one ``error:`` line, exit code 2, with nothing read, written or changed.
"""

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_analyst_db import DOCS, _fill
from typer.testing import CliRunner

from vocmine.cli import app
from vocmine.report.queries import DATA_WEEKS
from vocmine.store import guard
from vocmine.store.db import Store

runner = CliRunner()
SECRET = "TOP-SECRET-7f3a"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec")
    store = Store(root / "vocmine.duckdb")
    store.migrate()
    with store.transaction() as con:
        _fill(con)
    store.refresh_search_index()
    store.publish_snapshot()
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(f"a,b\n{SECRET},1\n")
    (outside / "secret.txt").write_text(SECRET)
    pd.DataFrame({"s": [SECRET]}).to_parquet(outside / "secret.parquet")
    return store, outside


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(store: Store, sql: str, *args: str):
    return runner.invoke(app, ["query", sql, "--db", str(store.path), *args])


def _refused(res, *words: str) -> str:
    """The result is one ``error:`` line (no traceback, no secret), exit code 2; returns it."""
    out = res.output.strip()
    assert res.exit_code == 2, out
    assert out.startswith("error: ") and "\n" not in out and "Traceback" not in out, out
    assert SECRET not in out
    for w in words:
        assert w.lower() in out.lower(), out
    return out


def _state(path: Path) -> tuple:
    """What an attack on the live file could change: its views, tables, rows and meta."""
    with duckdb.connect(str(path), read_only=True) as con:
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
        tables = con.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1").fetchall()
        meta = con.execute("SELECT * FROM meta ORDER BY ALL").fetchall()
        docs = con.execute("SELECT count(*) FROM documents").fetchone()
    return views, tables, meta, docs


# -- file reads -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd', header=false)",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_blob('/etc/shadow')",
        "SELECT * FROM glob('/root/*')",
        "SELECT * FROM read_csv('{outside}/secret.csv')",
        "SELECT * FROM read_csv(['{outside}/secret.csv'])",
        "SELECT * FROM read_csv('file://{outside}/secret.csv')",
        "SELECT content FROM read_text('{outside}/secret.txt')",
        "SELECT * FROM read_parquet('{outside}/secret.parquet')",
        "SELECT * FROM parquet_metadata('{outside}/secret.parquet')",
        "SELECT * FROM read_json_auto('{outside}/secret.txt')",
        "SELECT * FROM sniff_csv('{outside}/secret.csv')",
        "SELECT * FROM glob('{outside}/*')",
        "SELECT * FROM '{outside}/secret.csv'",
        "WITH x AS (SELECT * FROM read_text('{outside}/secret.txt')) SELECT * FROM x",
        "SELECT (SELECT content FROM read_text('{outside}/secret.txt')) AS c FROM v_documents",
    ],
)
def test_query_reads_no_file(env, sql):
    store, outside = env
    _refused(_query(store, sql.format(outside=outside)))


def test_query_cannot_scan_python_objects(env):
    store, _ = env
    secret_frame = pd.DataFrame({"s": [SECRET]})  # noqa: F841 - DuckDB's replacement scan would find it
    with pytest.raises(duckdb.Error) as e:
        store.reader().query("SELECT * FROM secret_frame")
    assert SECRET not in str(e.value)


# -- writes ---------------------------------------------------------------------------------------------
def test_copy_to_writes_nothing(env, tmp_path):
    store, _ = env
    target = tmp_path / "any.csv"
    _refused(_query(store, f"COPY (SELECT 42) TO '{target}'"), "COPY")
    assert not target.exists()
    live = _digest(store.path)
    _refused(_query(store, f"COPY (SELECT 42) TO '{store.path}' (FORMAT csv)"))
    _refused(_query(store, f"EXPLAIN ANALYZE COPY (SELECT 42) TO '{target}'"), "COPY")
    _refused(_query(store, f"EXPORT DATABASE '{tmp_path / 'dump'}'"), "EXPORT")
    assert _digest(store.path) == live and not target.exists() and not (tmp_path / "dump").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM documents",
        "UPDATE meta SET value = 'x'",
        "INSERT INTO meta VALUES ('k', 'v')",
        "DROP VIEW v_documents",
        "CREATE TEMP TABLE t AS SELECT 1",
        "CREATE MACRO m() AS 1",
        "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
        "PIVOT documents ON lang",  # without IN (…) it creates an ENUM type first
        "CHECKPOINT",
        "CALL pragma_version()",
        "VACUUM",
        "BEGIN TRANSACTION",
        "PREPARE p AS SELECT 1",
    ],
)
def test_query_runs_no_other_statement(env, sql):
    store, _ = env
    _refused(_query(store, sql), "read-only")


# -- ATTACH, DETACH, USE ----------------------------------------------------------------------------------
def test_attach_of_the_live_database_changes_nothing(env):
    store, _ = env
    before, live = _state(store.path), _digest(store.path)
    attack = (
        f"ATTACH '{store.path}' AS live (READ_WRITE); INSERT INTO live.meta VALUES ('pwned', 'yes'); "
        "DROP VIEW live.v_documents"
    )
    _refused(_query(store, attack), "ATTACH")
    for sql in (
        f"ATTACH '{store.path}' AS live (READ_WRITE)",
        f"ATTACH '{store.path}' AS live (READ_ONLY)",
        "ATTACH ':memory:' AS m",
        "DETACH vocmine",
        "USE system",
    ):
        _refused(_query(store, sql))
    assert _state(store.path) == before and _digest(store.path) == live
    views = [v for (v,) in before[0]]
    assert "v_documents" in views and ("pwned", "yes") not in before[2]


def test_attach_is_refused_by_duckdb_too(env):
    """Below the statement check: the sandboxed connection itself cannot open another file."""
    store, _ = env
    with store.reader().connect(read_only=True, sandbox=True) as con:
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"ATTACH '{store.path}' AS live (READ_WRITE)")
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_text('/etc/hostname')")
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is False


# -- several statements ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP VIEW v_documents",
        "SELECT 1;\n-- a comment\nDELETE FROM documents",
        "SET VARIABLE x = 1",  # nothing to read after it
        "SELECT 1; SET VARIABLE x = 1",
        "SET VARIABLE x = 1; SET threads = 1; SELECT 1",
    ],
)
def test_one_statement_only(env, sql):
    store, _ = env
    _refused(_query(store, sql))


def test_empty_sql_is_refused(env):
    store, _ = env
    _refused(_query(store, " ; -- nothing"), "no SQL statement")


# -- settings -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "RESET enable_external_access",
        "SET GLOBAL enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET autoinstall_known_extensions = true",
        "SET extension_directory = '/tmp'",
        "SET threads = 1",
        "PRAGMA threads = 1",
        "PRAGMA enable_profiling",
        "PRAGMA profiling_output = '/tmp/vocmine-profile.txt'",
        "SET enable_external_access = true; SELECT * FROM read_text('/etc/hostname')",
    ],
)
def test_settings_cannot_change(env, sql):
    store, _ = env
    _refused(_query(store, sql))


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA drop_fts_index('search_ru')",
        "PRAGMA create_fts_index('documents', 'doc_id', 'text', overwrite = 1)",
        "PRAGMA create_fts_index('search_ru', 'doc_id', 'text', overwrite = 1); SELECT 1",
    ],
)
def test_pragmas_that_write_are_refused(env, sql):
    store, _ = env
    live, snapshot = _digest(store.path), _digest(store.snapshot_path)
    _refused(_query(store, sql))
    assert _digest(store.path) == live and _digest(store.snapshot_path) == snapshot
    assert store.reader().search("доставки")["doc_id"].tolist() == ["reviews:1"]


def test_settings_are_locked_on_the_connection(env):
    """A SET that got past the statement check would still fail: the configuration is locked."""
    store, _ = env
    with store.reader().connect(read_only=True, sandbox=True) as con:
        for sql in ("SET enable_external_access = true", "RESET lock_configuration", "SET threads = 1"):
            with pytest.raises(duckdb.InvalidInputException, match="locked"):
                con.execute(sql)


def test_a_variable_cannot_smuggle_a_read(env):
    store, outside = env
    sql = f"SET VARIABLE x = (SELECT content FROM read_text('{outside}/secret.txt')); SELECT getvariable('x')"
    _refused(_query(store, sql))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM enable_logging(storage := 'file', storage_path := '/tmp/vocmine-log')",
        "SELECT * FROM disable_logging()",
        "SELECT * FROM checkpoint()",
        "SELECT * FROM force_checkpoint()",
        "SELECT * FROM query('SELECT * FROM read_text(''/etc/hostname'')')",
        "SELECT 1 WHERE 1 IN (SELECT 1 FROM enable_logging())",
        "SET VARIABLE x = (SELECT count(*) FROM enable_logging()); SELECT 1",
        "EXPLAIN ANALYZE SELECT * FROM enable_logging()",
    ],
)
def test_state_changing_functions_are_refused(env, sql):
    store, _ = env
    _refused(_query(store, sql), "refused")


# -- extensions -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "INSTALL httpfs",
        "FORCE INSTALL fts",
        "LOAD httpfs",
        "LOAD fts",
        "LOAD '/tmp/evil.duckdb_extension'",
        "INSTALL httpfs; SELECT 1",
    ],
)
def test_no_extension_install_or_load(env, sql):
    store, _ = env
    _refused(_query(store, sql), "refused", "read-only")


def test_no_extension_loads_on_the_connection(env):
    store, _ = env
    with store.reader().connect(read_only=True, sandbox=True) as con:
        with pytest.raises(duckdb.PermissionException):
            con.execute("LOAD '/tmp/evil.duckdb_extension'")
        with pytest.raises(duckdb.Error):
            con.execute("INSTALL httpfs")


# -- what analysts keep -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql, rows",
    [
        ("SELECT count(*) AS n FROM documents", 1),
        ("WITH d AS (SELECT * FROM v_documents) SELECT lang, count(*) AS n FROM d GROUP BY ALL", 3),
        ("FROM v_pain_points SELECT touchpoint", 1),
        ("SELECT * FROM v_documents d, LATERAL (SELECT d.doc_id || '!' AS x)", len(DOCS)),
        ("  -- a comment first\nSELECT 1 AS one;  ", 1),
        ("DESCRIBE v_documents", None),
        ("SHOW TABLES", None),
        ("SUMMARIZE documents", None),
        ("PRAGMA table_info('documents')", None),
        ("EXPLAIN SELECT * FROM v_documents", None),
        ("EXPLAIN ANALYZE SELECT count(*) FROM documents", None),
        ("PIVOT (SELECT lang FROM documents) ON lang IN ('ru', 'en') USING count(*)", 1),
        ("SELECT * FROM duckdb_views() WHERE view_name = 'v_documents'", 1),
        ("SELECT current_setting('enable_external_access') AS v", 1),
        ("SET VARIABLE n = (SELECT count(*) FROM documents); SELECT getvariable('n') AS n", 1),
    ],
)
def test_read_sql_still_runs(env, sql, rows):
    store, _ = env
    res = _query(store, sql, "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out and (rows is None or len(out) == rows)


def test_report_reproduce_lines_run(env):
    """The report's "Reproduce" block (SET VARIABLE lines) followed by one of its queries, in one call."""
    store, _ = env
    sets = "\n".join(
        f"SET VARIABLE {k} = NULL::VARCHAR[];" for k in ("sources", "channels", "products", "languages")
    )
    res = _query(store, f"{sets}\n{DATA_WEEKS}", "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == [
        {"first_week": "2026-10-05T00:00:00.000", "last_week": "2026-10-12T00:00:00.000"}
    ]


def test_full_text_search_still_works(env):
    store, _ = env
    hit = _query(
        store,
        "SELECT doc_id FROM search_ru WHERE fts_main_search_ru.match_bm25(doc_id, 'доставкой') IS NOT NULL",
        "--format",
        "json",
    )
    assert hit.exit_code == 0 and json.loads(hit.output) == [{"doc_id": "reviews:1"}], hit.output
    res = runner.invoke(app, ["search", "доставки", "--db", str(store.path)])
    assert res.exit_code == 0 and "reviews:1" in res.output, res.output
    assert store.reader().search("delayed")["doc_id"].tolist() == ["reviews:3"]


def test_library_query_is_guarded_too(env):
    store, _ = env
    with pytest.raises(guard.RefusedSQL):
        store.query("DROP VIEW v_documents")
    with pytest.raises(duckdb.PermissionException):
        store.query("SELECT * FROM read_text('/etc/hostname')")
    assert store.query("SELECT ? AS x", ["'; DROP TABLE documents; --"])["x"][0].startswith("'")


# -- export ---------------------------------------------------------------------------------------------
def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_export_writes_only_into_out_dir(env, tmp_path):
    store, _ = env
    out = tmp_path / "bi"
    before = _files(tmp_path)
    res = runner.invoke(app, ["export", "v_documents", str(out), "--db", str(store.path)])
    assert res.exit_code == 0, res.output
    written = _files(tmp_path) - before
    assert written and all(p.is_relative_to(out) and p.suffix == ".parquet" for p in written)


@pytest.mark.parametrize(
    "view, extra",
    [
        ("v_documents) TO '/tmp/vocmine-evil.csv' (FORMAT csv); --", []),
        ("(SELECT * FROM read_text('/etc/hostname'))", []),
        ("documents", []),  # a table, not an analyst view
        ("v_documents", ["--partition-by", "week\") TO '/tmp/vocmine-evil' (FORMAT csv); --"]),
    ],
)
def test_export_refuses_sql_in_names(env, tmp_path, view, extra):
    store, _ = env
    res = runner.invoke(app, ["export", view, str(tmp_path / "bi"), "--db", str(store.path), *extra])
    _refused(res)
    assert not Path("/tmp/vocmine-evil.csv").exists() and not Path("/tmp/vocmine-evil").exists()
    assert not (tmp_path / "bi").exists()


def test_export_connection_cannot_write_elsewhere(env, tmp_path):
    """The COPY export runs is not the only guard: its connection may write into OUT_DIR and nowhere else."""
    store, _ = env
    out, beside = tmp_path / "out", tmp_path / "out2"
    out.mkdir()
    with store.reader().connect(read_only=True, sandbox=True, writable=out) as con:
        con.execute(f"COPY (SELECT 1 AS a) TO '{out / 'ok.parquet'}'")
        for target in (beside / "x.parquet", tmp_path / "x.parquet", out / ".." / "x.parquet"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"COPY (SELECT 1 AS a) TO '{target}'")
    assert _files(tmp_path) == {out / "ok.parquet"}
