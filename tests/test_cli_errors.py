"""Operator mistakes end in one or two lines (what is wrong, how to fix it) and a documented exit code.

The cases fail before a model is loaded (seconds); the flow cases at the end run Prefect (and the model).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from vocmine import errors
from vocmine.cli import app
from vocmine.report.model import parse_week
from vocmine.store.db import Store

runner = CliRunner()


def _fails(args: list[str], code: int, *needles: str):
    """Run the CLI; it must exit ``code`` with one or two lines naming every needle and no traceback."""
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines and lines[-1 if len(lines) == 1 else -2].startswith("error: "), res.output
    assert "Traceback" not in res.output and "╭" not in res.output, res.output
    assert len([ln for ln in lines if ln.startswith(("error: ", "hint: "))]) <= 2, res.output
    for n in needles:
        assert n in res.output, (n, res.output)
    return res


def _store(tmp_path, weeks=("2026-10-05", "2026-10-12")) -> Store:
    """A database with one review in each of ``weeks`` (plain SQL: no model)."""
    store = Store(tmp_path / "v.duckdb")
    store.migrate()
    with store.transaction() as con:
        for i, day in enumerate(weeks):
            con.execute(
                "INSERT INTO documents (doc_id, source, kind, external_id, created_at, lang, text, "
                "content_hash, ingest_run_id, updated_run_id) "
                "VALUES (?, 'reviews', 'review', ?, ?, 'en', 'Late courier.', ?, 'r1', 'r1')",
                [f"reviews:{i}", str(i), f"{day} 10:00:00+00", str(i)],
            )
    return store


# -- the sources file: validated before anything is created ------------------------------------------------
def test_run_with_a_missing_sources_file_creates_nothing(tmp_path):
    db = tmp_path / "var" / "v.duckdb"
    _fails(
        ["run", "--sources", str(tmp_path / "nope.yaml"), "--db", str(db)], 2, "does not exist", "--sources"
    )
    assert not db.exists() and not db.parent.exists()


def test_run_with_a_bad_field_names_it(tmp_path):
    src = tmp_path / "s.yaml"
    src.write_text("sources:\n  - name: reviews\n    kind: reveiw\n    location: r.csv\n    feilds: {}\n")
    db = tmp_path / "v.duckdb"
    res = _fails(["run", "--sources", str(src), "--db", str(db)], 2, "sources[0].kind", "'reveiw'", "feilds")
    assert "pydantic" not in res.output and "errors.pydantic.dev" not in res.output
    assert not db.exists()


def test_run_with_broken_yaml_names_the_line(tmp_path):
    src = tmp_path / "s.yaml"
    src.write_text("sources:\n  - name: [reviews\n")
    _fails(["run", "--sources", str(src), "--db", str(tmp_path / "v.duckdb")], 2, "not valid YAML", "line ")


def test_nightly_flow_checks_the_sources_before_creating_the_database(tmp_path, prefect_harness):
    from vocmine.flows.nightly import nightly
    from vocmine.ingest.config import SourceError

    db = tmp_path / "v.duckdb"
    with pytest.raises(SourceError, match="does not exist"):
        nightly(sources=str(tmp_path / "nope.yaml"), db=str(db))
    assert not db.exists()


# -- classify: files checked before the model loads --------------------------------------------------------
def test_classify_a_missing_input(tmp_path):
    _fails(["classify", str(tmp_path / "in.csv"), str(tmp_path / "o.csv")], 3, "in.csv", "does not exist")


def test_classify_refuses_an_output_it_cannot_write(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("text\nhello\n")
    out = tmp_path / "out.xlsx"
    _fails(["classify", str(src), str(out)], 2, "'.xlsx'", ".csv, .tsv or .jsonl")
    assert not out.exists()


def test_classify_refuses_an_input_of_another_format(tmp_path):
    src = tmp_path / "in.xlsx"
    src.write_bytes(b"PK")
    _fails(["classify", str(src), str(tmp_path / "o.csv")], 2, "'.xlsx'")


def test_classify_a_malformed_csv_names_the_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("text,rating\nfine,5\ntoo,many,fields\n")
    _fails(["classify", str(src), str(tmp_path / "o.csv")], 3, "not valid CSV", "line 3")


def test_classify_a_malformed_jsonl(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": \n')
    _fails(["classify", str(src), str(tmp_path / "o.csv")], 3, "not valid JSONL")


def test_classify_a_missing_text_column_lists_the_columns(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("body,rating\nfine,5\n")
    _fails(
        ["classify", str(src), str(tmp_path / "o.csv")],
        2,
        "no column 'text'",
        "body, rating",
        "--text-column",
    )


# -- report: the week ---------------------------------------------------------------------------------------
def test_parse_week_takes_a_day_or_an_iso_week():
    assert parse_week("2026-11-04") == date(2026, 11, 4)
    assert parse_week("2026-W45") == date(2026, 11, 2)  # its Monday
    with pytest.raises(errors.UsageError):
        parse_week("2026/11/02")


def test_report_with_a_week_written_with_slashes(tmp_path):
    _fails(
        ["report", "--db", str(_store(tmp_path).path), "--week", "2026/11/02"], 2, "YYYY-MM-DD", "YYYY-Www"
    )


def test_report_for_a_week_without_data_names_the_weeks_with_data(tmp_path):
    db = str(_store(tmp_path).path)
    _fails(["report", "--db", db, "--week", "2026-11-02"], 3, "2026-11-02", "2026-10-05, 2026-10-12")
    ok = runner.invoke(app, ["report", "--db", db, "--week", "2026-W42"])  # the week of 2026-10-12
    assert ok.exit_code == 0, ok.output
    assert "2026-10-12" in ok.output


def test_report_without_a_database(tmp_path):
    _fails(["report", "--db", str(tmp_path / "v.duckdb")], 3, "no vocmine database")
    assert not (tmp_path / "v.duckdb").exists()


# -- query --------------------------------------------------------------------------------------------------
def test_query_refuses_an_unknown_format(tmp_path):
    res = runner.invoke(app, ["query", "SELECT 1", "--db", str(_store(tmp_path).path), "--format", "xml"])
    assert res.exit_code == 2 and "'xml' is not one of" in res.output, res.output


def test_query_prints_null_as_null_and_no_rows_as_a_header(tmp_path):
    db = str(_store(tmp_path).path)
    res = runner.invoke(app, ["query", "SELECT 1 AS a, NULL::INT AS b, NULL::VARCHAR AS c", "--db", db])
    assert res.exit_code == 0, res.output
    header, row = res.output.splitlines()
    assert header.split() == ["a", "b", "c"] and row.split() == ["1", "NULL", "NULL"]
    assert "NaN" not in res.output and "None" not in res.output
    empty = runner.invoke(app, ["query", "SELECT doc_id, text FROM documents WHERE false", "--db", db])
    assert empty.exit_code == 0 and empty.output.splitlines() == ["doc_id  text", "(0 rows)"], empty.output
    js = runner.invoke(app, ["query", "SELECT NULL::INT AS b", "--db", db, "--format", "json"])
    assert json.loads(js.output) == [{"b": None}]


# -- reprocess -----------------------------------------------------------------------------------------------
def test_reprocess_selection_names_what_is_stored(tmp_path):
    from vocmine.flows.reprocess import check_selection

    store = _store(tmp_path)
    with pytest.raises(errors.UsageError, match="--source nosuch") as e:
        check_selection(store, None, None, ["nosuch"], None)
    assert e.value.hint == "stored: reviews"
    with pytest.raises(errors.UsageError, match="--language de"):
        check_selection(store, None, None, None, ["en", "de"])
    with pytest.raises(errors.UsageError, match="--from"):
        check_selection(store, "2026/10/01", None, None, None)
    check_selection(store, "2026-10-01", "2026-11-01", ["reviews"], ["en"])  # a selection that exists passes


def test_cli_reprocess_of_an_unknown_source(tmp_path, prefect_harness):
    db = str(_store(tmp_path).path)
    _fails(["reprocess", "--source", "nosuch", "--db", db], 2, "--source nosuch", "stored: reviews")


def test_cli_reprocess_without_a_database_creates_none(tmp_path, prefect_harness):
    db = tmp_path / "v.duckdb"
    _fails(["reprocess", "--db", str(db)], 3, "no vocmine database")
    assert not db.exists()


# -- the error layer itself ----------------------------------------------------------------------------------
def test_quarantine_list_without_a_database(tmp_path):
    _fails(["quarantine", "list", "--db", str(tmp_path / "v.duckdb")], 3, "no vocmine database")


def test_train_touchpoints_with_missing_labels(tmp_path):
    _fails(["train-touchpoints", "--labels", str(tmp_path / "labels.csv")], 3, "labels.csv")


def test_an_unexpected_error_is_one_line_and_debug_shows_it(tmp_path, monkeypatch):
    import vocmine.report.model

    def broken(*a, **kw):
        raise KeyError("boom")

    monkeypatch.setattr(vocmine.report.model, "build_report", broken)
    db = str(_store(tmp_path).path)
    _fails(["report", "--db", db], 1, "unexpected KeyError", "--debug")
    res = runner.invoke(app, ["--debug", "report", "--db", db])
    assert res.exit_code == 1 and isinstance(res.exception, KeyError)


@pytest.mark.parametrize("command", ["report", "classify"])
def test_an_invalid_taxonomy_is_a_usage_error_that_lists_its_problems(tmp_path, command):
    bad = tmp_path / "tax.yaml"
    bad.write_text("version: 1\nstages: []\ntouchpoints:\n  - id: late_flight\n", encoding="utf-8")
    if command == "report":
        args = ["report", "--db", str(_store(tmp_path).path), "--taxonomy", str(bad)]
    else:
        (tmp_path / "in.csv").write_text("text\nThe flight was late.\n", encoding="utf-8")
        args = ["classify", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), "--taxonomy", str(bad)]
    res = runner.invoke(app, args)
    assert res.exit_code == errors.USAGE, res.output
    assert f"error: invalid taxonomy file {bad}:" in res.output and "unexpected" not in res.output
    assert "touchpoints[0] (late_flight): missing required field 'stage'" in res.output
    assert f"hint: fix what is listed; `vocmine taxonomy check {bad}`" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out.csv").exists()


def test_a_taxonomy_error_keeps_its_problems_across_processes():
    import pickle

    from vocmine.taxonomy import TaxonomyError

    e = pickle.loads(pickle.dumps(TaxonomyError("t.yaml", ["missing required field 'name'"])))
    assert (e.problems, e.exit_code) == (["missing required field 'name'"], errors.USAGE)
    assert e.message.startswith("invalid taxonomy file t.yaml:") and "taxonomy check t.yaml" in e.hint


def test_errors_keep_their_hint_across_processes():
    import pickle

    e = pickle.loads(pickle.dumps(errors.RunFailed("nothing was read", "fix it")))
    assert (e.message, e.hint, e.exit_code, str(e)) == (
        "nothing was read",
        "fix it",
        4,
        "nothing was read (fix it)",
    )


# -- a night that read nothing, or whose report failed, ends Failed (slow: Prefect and the model) -----------
def _sources(tmp_path, *names: str):
    lines = ["sources:"]
    for n in names:
        lines += [f"  - name: {n}", "    kind: review", f"    location: in/{n}.csv"]
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path / "sources.yaml"


def _reviews(tmp_path, name: str, *texts: str):
    (tmp_path / "in").mkdir(exist_ok=True)
    rows = [f"{i},2026-10-0{5 + i}T10:00:00Z,{t}" for i, t in enumerate(texts)]
    (tmp_path / "in" / f"{name}.csv").write_text("id,timestamp,text\n" + "\n".join(rows) + "\n")


@pytest.mark.slow
def test_a_night_with_every_input_missing_is_red(tmp_path, prefect_harness):
    from vocmine.flows.nightly import nightly

    src, db = _sources(tmp_path, "reviews", "surveys"), tmp_path / "v.duckdb"
    state = nightly(sources=str(src), db=str(db), return_state=True)
    assert state.is_failed()
    with pytest.raises(errors.RunFailed, match="nothing was read") as e:
        state.result()
    assert "reviews.csv does not exist" in e.value.message and "surveys.csv" in e.value.message
    runs = Store(db).query("SELECT status, message FROM runs")
    assert list(runs["status"]) == ["failed"] and "nothing was read" in runs["message"][0]
    # the CLI: one line and exit 4
    _fails(["run", "--sources", str(src), "--db", str(db)], 4, "nothing was read", "quarantine list")


@pytest.mark.slow
def test_nothing_new_is_green_but_a_failed_report_is_red(tmp_path, prefect_harness, monkeypatch):
    import vocmine.flows.report as report_mod
    from vocmine.flows.nightly import nightly

    src, db = _sources(tmp_path, "reviews", "gone"), tmp_path / "v.duckdb"
    _reviews(tmp_path, "reviews", "The courier was late.", "Great app.")
    first = nightly(sources=str(src), db=str(db), return_state=True)  # one input missing, one read: green
    assert first.is_completed() and first.result()["n_stored"] == 2
    again = nightly(sources=str(src), db=str(db), return_state=True)  # nothing new: still green
    assert again.is_completed() and again.result()["n_stored"] == 0

    def broken(report):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_mod, "render_html", broken)
    _reviews(tmp_path, "reviews", "The courier was late.", "Great app.", "Payment failed twice.")
    state = nightly(sources=str(src), db=str(db), return_state=True)
    assert state.is_failed()
    with pytest.raises(errors.RunFailed, match="the report failed: RuntimeError: disk full"):
        state.result()
    assert Store(db).query("SELECT count(*) AS n FROM documents")["n"][0] == 3  # the data is stored
    _reviews(
        tmp_path, "reviews", "The courier was late.", "Great app.", "Payment failed twice.", "Slow site."
    )
    _fails(["run", "--sources", str(src), "--db", str(db)], 4, "the report failed", "vocmine report --db")


def test_quarantine_retry_with_a_bad_sources_file_creates_nothing(tmp_path):
    db = tmp_path / "v.duckdb"
    _fails(
        ["quarantine", "retry", "--sources", str(tmp_path / "s.yaml"), "--db", str(db)], 2, "does not exist"
    )
    assert not db.exists()


@pytest.mark.slow
def test_the_cli_shows_no_prefect_traceback_for_a_failed_run(tmp_path):
    """In a real process (its own temporary Prefect server): Prefect's console keeps its line, not the traceback."""
    import subprocess
    import sys

    src = _sources(tmp_path, "reviews")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "vocmine.cli",
            "run",
            "--sources",
            str(src),
            "--db",
            str(tmp_path / "v.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 4, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert res.stderr.rstrip().splitlines()[-2].startswith("error: nothing was read"), res.stderr
