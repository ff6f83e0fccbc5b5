"""Analyst SQL: a sandboxed DuckDB connection, and a statement check by DuckDB's own parser.

Two layers, so that neither has to be perfect on its own:

- :func:`lock_down` turns a read-only connection into one that can read its database and nothing else:
  ``enable_external_access = false`` (no file reads or writes, no ``ATTACH``, no extension loads, no
  replacement scans of Python objects), no extension auto-install/auto-load, then ``lock_configuration =
  true`` so no later ``SET``/``RESET``/``PRAGMA`` can undo it. The bundled ``fts`` extension is loaded first
  (from the ``duckdb-ext-fts`` wheel) when the SQL calls it (``match_bm25``; loading costs ~90 ms), or for
  ``vocmine search``. ``allowed_directories`` opens one folder for writing: ``vocmine export``'s ``OUT_DIR``.
- :func:`check` parses the SQL with DuckDB's parser (``extract_statements``, ``tokenize``,
  ``json_serialize_sql``, on a locked-down in-memory connection of its own) and admits one read statement (``SELECT`` and what DuckDB types as one: ``WITH``,
  ``FROM``, ``VALUES``, ``TABLE``, ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, ``PIVOT … IN (…)``, read pragmas
  such as ``PRAGMA table_info``; or ``EXPLAIN [ANALYZE]`` of one), optionally preceded by ``SET VARIABLE`` /
  ``RESET VARIABLE`` statements (the report's "Reproduce" lines, docs/report.md). The few table functions
  that change the session or the database instead of reading (logging, checkpoints) and the two that run SQL
  from a string (``query``, ``json_execute_serialized_sql``, which would hide a call from this check) are
  refused wherever they appear.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from vocmine.store import fts

#: Table functions that do something other than read (or run SQL given as a string); refused anywhere.
REFUSED_FUNCTIONS = frozenset(
    {
        "enable_logging",  # bypasses lock_configuration; a file target breaks (and aborts) the process
        "disable_logging",
        "truncate_duckdb_logs",
        "checkpoint",
        "force_checkpoint",
        "query",  # SQL in a string: not visible to this check
        "json_execute_serialized_sql",
    }
)
_READ = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
_ALLOWED = (
    "one read statement (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN), "
    "optionally after SET VARIABLE lines"
)


class RefusedSQL(duckdb.PermissionException):
    """SQL that the analyst sandbox does not run (a ``duckdb.Error``, like DuckDB's own permission errors)."""


@dataclass(frozen=True)
class Checked:
    """SQL that passed :func:`check`: its statements (the read last) and whether it calls ``fts``."""

    statements: list[duckdb.ExtractedStatement]
    uses_fts: bool


def lock_down(con: duckdb.DuckDBPyConnection, writable: Path | None = None, load_fts: bool = False) -> None:
    """Let ``con`` read its own database and nothing else (``writable``: one folder it may write into).

    Only for a connection that owns its database instance: these settings are global to it.
    """
    if load_fts:  # before the lock: loading from disk is external access (RuntimeError without the wheel)
        fts.load(con)
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET allow_community_extensions = false")
    con.execute("SET allow_persistent_secrets = false")
    if writable is not None:
        # A trailing separator: the prefix "/x/out" would also admit "/x/out2".
        con.execute("SET allowed_directories = ?", [[str(writable.resolve()) + "/"]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def check(sql: str) -> Checked:
    """``sql`` if the sandbox runs it, else :class:`RefusedSQL` (parse errors: DuckDB's own)."""
    con = duckdb.connect()  # a parser of its own: a read-pragma expansion cannot load anything here
    try:
        lock_down(con)
        return _check(con, sql)
    finally:
        con.close()


def _check(con: duckdb.DuckDBPyConnection, sql: str) -> Checked:
    statements = con.extract_statements(sql)
    if not statements:
        raise RefusedSQL(f"no SQL statement; vocmine query runs {_ALLOWED}")
    *variables, last = statements
    for st in variables:
        if st.type in _READ:
            raise RefusedSQL(f"{len(statements)} statements; vocmine query runs {_ALLOWED}")
        if not _is_variable(st):
            raise RefusedSQL(f"refused {_kind(st)} statement: vocmine query is read-only and runs {_ALLOWED}")
    uses_fts = any([_check_functions(con, st.query, variable=True) for st in variables])
    return Checked(statements, _check_read(con, last) or uses_fts)


def _check_read(con: duckdb.DuckDBPyConnection, st: duckdb.ExtractedStatement) -> bool:
    """Refuse anything but a read; whether it calls fts."""
    if _is_variable(st):
        raise RefusedSQL(f"SET VARIABLE needs a statement after it; vocmine query runs {_ALLOWED}")
    if st.type not in _READ:
        raise RefusedSQL(f"refused {_kind(st)} statement: vocmine query is read-only and runs {_ALLOWED}")
    if st.type == duckdb.StatementType.EXPLAIN:
        return _check_read(con, _explained(con, st))
    return _check_functions(con, st.query)


def _tokens(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each token, by DuckDB's tokenizer (comments and quoting are its business)."""
    toks = duckdb.tokenize(text)
    for i, (start, _) in enumerate(toks):
        end = toks[i + 1][0] if i + 1 < len(toks) else len(text)
        yield start, text[start:end].strip()


def _is_variable(st: duckdb.ExtractedStatement) -> bool:
    """``SET VARIABLE name = …`` or ``RESET VARIABLE name`` (DuckDB types them SET, like any setting)."""
    if st.type != duckdb.StatementType.SET:
        return False
    words = [t.upper() for _, t in list(_tokens(st.query))[:2]]
    return words in (["SET", "VARIABLE"], ["RESET", "VARIABLE"])


def _explained(con: duckdb.DuckDBPyConnection, st: duckdb.ExtractedStatement) -> duckdb.ExtractedStatement:
    """The statement an ``EXPLAIN [ANALYZE] [(options)]`` is about: the first suffix that parses as one."""
    for start, _ in list(_tokens(st.query))[1:]:
        try:
            inner = con.extract_statements(st.query[start:])
        except duckdb.ParserException:
            continue
        if len(inner) == 1:
            return inner[0]
    raise RefusedSQL("cannot tell what this EXPLAIN explains")


def _check_functions(con: duckdb.DuckDBPyConnection, text: str, variable: bool = False) -> bool:
    """Refuse the :data:`REFUSED_FUNCTIONS` anywhere in a SELECT's syntax tree (or a SET VARIABLE's value);
    whether it calls an ``fts`` function (``stem``, or a macro of an index's ``fts_main_*`` schema)."""
    if variable:  # SET VARIABLE x = <expr>: the value, as a SELECT of it
        toks = list(_tokens(text))
        if toks[0][1].upper() == "RESET":
            return False
        value = next((i for i, (_, t) in enumerate(toks) if t == "=" or t.upper() == "TO"), None)
        if value is None or value + 1 >= len(toks):
            return False  # DuckDB's own error, when it runs
        text = "SELECT " + text[toks[value + 1][0] :]
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [text]).fetchone()[0])
    # Read pragmas (PRAGMA table_info, show_tables) are typed SELECT but do not serialize: DuckDB expands
    # them into its own fixed queries, with no analyst expression to look into.
    if tree.get("error"):
        return False
    called = {(schema.lower(), name.lower()) for schema, name in _functions(tree)}
    refused = sorted({name for _, name in called} & REFUSED_FUNCTIONS)
    if refused:
        raise RefusedSQL(f"refused {', '.join(refused)}(): vocmine query only reads the vocmine database")
    return any(schema.startswith("fts_main_") or name == "stem" for schema, name in called)


def _functions(node) -> Iterator[tuple[str, str]]:
    """(schema, name) of every function called anywhere in a serialized syntax tree."""
    if isinstance(node, dict):
        if isinstance(node.get("function_name"), str):
            yield node.get("schema") or "", node["function_name"]
        for v in node.values():
            yield from _functions(v)
    elif isinstance(node, list):
        for v in node:
            yield from _functions(v)


def _kind(st: duckdb.ExtractedStatement) -> str:
    """The statement's type; its first word where DuckDB's type covers several (USE is SET, CHECKPOINT CALL)."""
    word = next(_tokens(st.query), (0, ""))[1].upper()
    shared = (duckdb.StatementType.SET, duckdb.StatementType.CALL, duckdb.StatementType.LOAD)
    return word if st.type in shared and word.isalpha() else st.type.name.replace("_", " ")
