"""The nightly VoC run: ingest what is new, analyse it, store it, summarise the pain points."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from tqdm import tqdm

from vocmine import jobs, runners, settings
from vocmine.alerts.config import load_alerts
from vocmine.errors import RunFailed
from vocmine.flows.alerts import alerts as alerts_flow
from vocmine.flows.report import NIGHTLY_KEY, track_themes
from vocmine.flows.report import report as report_flow
from vocmine.ingest.config import load_sources
from vocmine.nlp.model import load_model
from vocmine.records import AnalysisBatch
from vocmine.store.db import Store
from vocmine.text import check_kinds
from vocmine.timing import StageTimer


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def prepare_store(db: str) -> Store:
    store = Store(db)
    fresh = not store.path.exists()
    store.migrate()
    if fresh:  # readers get an empty snapshot, not the live file, during the very first run
        store.publish_snapshot()
    repaired = store.repair()  # what a killed run left: runs still 'running', snapshot temporaries
    if any(repaired.values()):
        print(f"repaired what a killed run left: {repaired}")
    return store


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def analyse_and_store(
    store: Store, model_dir: str, taxonomy: str | None, docs: list, run_id: str, pii: list[str] | None = None
) -> jobs.Stored:
    return jobs.analyse_and_store(store, load_model(model_dir, taxonomy), docs, run_id, pii)


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def store_batch(
    store: Store, model_dir: str, taxonomy: str | None, batch: AnalysisBatch, run_id: str
) -> jobs.Stored:
    """A batch analysed on the Dask workers, written by the flow process (the database's single writer)."""
    return jobs.store_batch(store, load_model(model_dir, taxonomy), batch, run_id)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def record_chunk(store: Store, chunk: jobs.Chunk, run_id: str, pii: list[str] | None = None) -> None:
    """After a chunk's documents are stored: its quarantined records (PII-masked) and counts."""
    store.quarantine(chunk.quarantined, run_id, path=chunk.path, pii=pii)
    store.add_counts(run_id, read=chunk.n_read, duplicates=chunk.n_duplicates)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def mark_file_read(store: Store, done: jobs.FileRead, run_id: str) -> None:
    """Only once all of a file is stored: an unchanged file is then skipped by later runs."""
    store.mark_file(done.source, done.path, done.sha256, done.size, run_id, done.encoding)


@task(retries=1, cache_policy=NO_CACHE)
def refresh_search(store: Store) -> dict:
    """Rebuild the full-text indexes in one transaction; searches see the old index until it commits."""
    return store.refresh_search_index()


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def refresh_journeys(store: Store, run_id: str) -> int:
    """Rebuild the customer journeys (table journeys) from the stored documents and current predictions."""
    return store.refresh_journeys(run_id)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_snapshot(store: Store) -> str:
    """Last write step: copy the committed state to the readers' snapshot (atomic rename)."""
    return str(store.publish_snapshot())


@task(cache_policy=NO_CACHE)
def summarise(store: Store, model_dir: str, taxonomy: str | None, out_dir: str) -> str:
    """The report flow over the snapshot just published: report.html, summary.md and the Prefect artifact."""
    done = report_flow(
        db=str(store.path), taxonomy=taxonomy, model=model_dir, out_dir=out_dir, key=NIGHTLY_KEY
    )
    return Path(done["md"]).read_text(encoding="utf-8")


def _nothing_read(unreadable: dict[str, str], sources: str) -> RunFailed:
    shown = "; ".join(list(unreadable.values())[:3])
    more = f"; and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
    return RunFailed(
        f"nothing was read: every input is missing or unreadable: {shown}{more}",
        f"fix the locations in {sources} or the files (`vocmine quarantine list`), then run again",
    )


@flow(name="nightly", log_prints=True)
def nightly(
    sources: str = str(settings.SAMPLES_DIR / "sources.yaml"),
    db: str = str(settings.DEFAULT_DB),
    model: str = str(settings.DEFAULT_MODEL_DIR),
    taxonomy: str | None = None,
    batch_size: int = 256,
    report_dir: str | None = None,
    force: bool = False,
    chunk_size: int = 5000,
    pii: list[str] | None = None,
    progress: bool = False,
    task_runner: str = runners.LOCAL,
    dask_workers: int = 2,
    alerts: str | None = None,
) -> dict:
    """Ingest → text → nlp → link → store → report, for everything new since the last successful run.

    ``task_runner``: ``local`` (all in this process), ``dask`` (a local Dask cluster of ``dask_workers``
    processes) or a Dask scheduler address (``tcp://host:8786``): the text and model stages then run on the
    workers, and this process looks up stored embeddings and writes every batch, in order.

    ``alerts``: an alerts YAML (README "Alerts"); after the report, what its rules find in the reported week
    goes to its recipients, once per week, touchpoint and recipient (failed sends are tried again next run).
    """
    check_kinds(pii)  # an unknown PII kind fails here, before anything is read
    declared = load_sources(sources)  # so does a bad sources file: before the database is created
    if alerts:
        load_alerts(alerts)  # and a bad alerts file
    timer = StageTimer()
    store = prepare_store(db)
    vm = load_model(model, taxonomy)
    run_id = store.start_run(
        "nightly", {"sources": sources, "model": model, "taxonomy": taxonomy}, vm.version
    )
    try:
        # one held write connection for the run's batches: no open + checkpoint per batch (bench/README.md)
        with runners.model_runner(task_runner, dask_workers) as runner, store.writing():
            unreadable: dict[str, str] = {}  # input -> why it could not be read
            fine: set[str] = set()  # sources that read something, or had nothing new (unchanged files)
            for source in declared:
                latest, failed = None, False
                with tqdm(desc=source.name, unit="rec", disable=not progress) as bar:
                    intake = jobs.iter_intake(store, source, force=force, chunk_size=chunk_size)
                    for item in timer.iterate(intake, "ingest"):
                        if isinstance(item, jobs.FileRead):
                            mark_file_read(store, item, run_id)
                            continue
                        timer.add("ingest", 0.0, item.n_read)
                        if item.unreadable:
                            failed = True
                            why = item.quarantined[0].reason
                            unreadable[item.path] = why if item.path in why else f"{item.path}: {why}"
                        else:
                            fine.add(source.name)
                        for generation in item.generations:  # replaced versions first (history)
                            if runner is None:
                                for docs in jobs.batches(generation, batch_size):
                                    stored = analyse_and_store(
                                        store, model, taxonomy, list(docs), run_id, pii
                                    )
                                    timer.merge(stored.timer)
                                    bar.update(len(docs))
                            else:
                                analysed = runners.analyse_on(
                                    runner,
                                    jobs.batches(generation, batch_size),
                                    model,
                                    taxonomy,
                                    vm,
                                    store.lookup_encoder_outputs,
                                    pii,
                                    timer,
                                )
                                for batch in analysed:
                                    timer.merge(store_batch(store, model, taxonomy, batch, run_id).timer)
                                    bar.update(len(batch))
                        record_chunk(store, item, run_id, pii)
                        bar.update(item.n_read - item.n_documents)  # duplicates and quarantined
                        latest = max((t for t in (latest, item.max_created_at) if t), default=None)
                if not failed:
                    fine.add(source.name)  # nothing new (unchanged files, an empty folder) is no failure
                store.set_watermark(source.name, source.kind, source.location, latest, run_id)
            if unreadable and not fine:
                # every source's input is missing or unreadable: red, not a green night with 0 rows
                raise _nothing_read(unreadable, sources)
        store.publish_run(run_id, vm.version)
        run = store.finish_run(run_id, "completed")
    except BaseException as e:
        store.finish_run(run_id, "failed", message=repr(e)[:2000])
        raise
    reports = Path(report_dir or Path(db).parent / "reports")
    with timer.stage("report"):
        changed = run["n_stored"] or run["n_updated"] or run["n_quarantined"]
        # a run killed before its refresh left the index behind the documents: this run catches it up
        lags = store.search_index_lags()
        journeys_lag = store.journeys_lag()  # e.g. a file upgraded from schema v6
        if (
            not (changed or lags or journeys_lag)
            and (reports / "summary.md").exists()
            and store.snapshot_is_current(run_id)
        ):
            # nothing new: last run's snapshot and report stand (a re-run costs no copy of the file)
            summary = f"Nothing new since the last published run: {store.snapshot_path} and {reports} stand."
        else:
            # the index covers the documents' text: unchanged documents, unchanged index
            if lags or not store.search_indexed_at():
                refresh_search(store)
            refresh_journeys(store, run_id)
            track_themes(store, run_id)  # before the snapshot: reports read the theme ids from it
            publish_snapshot(store)
            try:
                summary = summarise(store, model, taxonomy, str(reports))
            except Exception as e:
                reason = (str(e).splitlines() or [""])[0]
                raise RunFailed(
                    f"run {run_id} stored and published its data, but the report failed: "
                    f"{type(e).__name__}: {reason}",
                    f"`vocmine report --db {db}` makes it again; --debug shows the traceback",
                ) from e
    print(summary)
    sent = None
    if alerts:
        with timer.stage("alerts"):
            try:
                sent = alerts_flow(
                    config=alerts,
                    db=str(db),
                    taxonomy=taxonomy,
                    model=model,
                    report_url=(reports / "report.html").resolve().as_uri(),
                    run_id=run_id,
                )
            except Exception as e:
                reason = (str(e).splitlines() or [""])[0]
                raise RunFailed(
                    f"run {run_id} stored and published its data and report, but the alerts step failed: "
                    f"{type(e).__name__}: {reason}",
                    f"`vocmine alerts send --config {alerts} --db {db}` tries again; --debug shows the traceback",
                ) from e
    stages = timer.as_dict()
    print(f"stage seconds: {stages}")
    return {
        "run_id": run_id,
        "db": str(db),
        **{k: run[k] for k in run if k.startswith("n_")},
        "stages": stages,
        **({"alerts": sent} if sent is not None else {}),
    }


if __name__ == "__main__":
    nightly()
