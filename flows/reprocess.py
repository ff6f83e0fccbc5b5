"""Re-analyse stored feedback with a new model or taxonomy; old predictions stay queryable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from vocmine import jobs, runners, settings
from vocmine.errors import InputError, UsageError
from vocmine.flows.report import track_themes
from vocmine.nlp.model import load_model
from vocmine.pipeline import Analyzer
from vocmine.records import AnalysisBatch
from vocmine.store.db import Store
from vocmine.timing import StageTimer


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def reanalyse(
    store: Store, model_dir: str, taxonomy: str | None, docs: list, run_id: str, pii: list[str] | None = None
) -> StageTimer:
    model = load_model(model_dir, taxonomy)
    analyzer = Analyzer(model, pii_kinds=pii, reuse=store.lookup_encoder_outputs)
    batch = analyzer.analyse(docs)
    with analyzer.timer.stage("store", len(batch)):
        store.write_reanalysis(batch, run_id, jobs.model_info(model))
    return analyzer.timer


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def store_reanalysis(
    store: Store, model_dir: str, taxonomy: str | None, batch: AnalysisBatch, run_id: str
) -> StageTimer:
    """A batch re-analysed on the Dask workers, written by the flow process (the single writer)."""
    timer = StageTimer()
    with timer.stage("store", len(batch)):
        store.write_reanalysis(batch, run_id, jobs.model_info(load_model(model_dir, taxonomy)))
    return timer


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def refresh_journeys(store: Store, run_id: str) -> int:
    """Rebuild the customer journeys with the re-labelled predictions."""
    return store.refresh_journeys(run_id)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_snapshot(store: Store) -> str:
    """Last step: copy the committed state to the readers' snapshot (atomic rename)."""
    return str(store.publish_snapshot())


def check_selection(
    store: Store,
    date_from: str | None,
    date_to: str | None,
    sources: Sequence[str] | None,
    languages: Sequence[str] | None,
) -> None:
    """Refuse a selection that names what is not stored, rather than re-analysing 0 documents."""
    for flag, value in (("--from", date_from), ("--to", date_to)):
        if value:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise UsageError(f"{flag} {value!r} is not a date", "write it YYYY-MM-DD") from None
    for flag, column, asked in (("--source", "source", sources), ("--language", "lang", languages)):
        if not asked:
            continue
        known = list(store.query(f"SELECT DISTINCT {column} FROM documents ORDER BY 1")[column].dropna())
        unknown = [v for v in asked if v not in known]
        if unknown:
            raise UsageError(
                f"no stored documents with {flag} {', '.join(unknown)}",
                f"stored: {', '.join(known)}" if known else "the database holds no documents yet",
            )


@flow(name="reprocess", log_prints=True)
def reprocess(
    date_from: str | None = None,
    date_to: str | None = None,
    sources: list[str] | None = None,
    languages: list[str] | None = None,
    touchpoints: list[str] | None = None,
    model_versions: list[str] | None = None,
    db: str = str(settings.DEFAULT_DB),
    model: str = str(settings.DEFAULT_MODEL_DIR),
    taxonomy: str | None = None,
    force: bool = False,
    batch_size: int = 256,
    pii: list[str] | None = None,
    task_runner: str = runners.LOCAL,
    dask_workers: int = 2,
) -> dict:
    """Re-run analysis over a selection; without ``force``, documents already current under this model are skipped.

    The selection: created_at in [date_from, date_to), sources, languages, and documents whose current
    predictions mention one of ``touchpoints`` or are under one of ``model_versions`` (all combined with AND).

    The analyst views switch to the new predictions in one transaction when the run commits.
    ``task_runner``: ``local``, ``dask`` (a local cluster of ``dask_workers`` processes) or a Dask scheduler
    address; with Dask the analysis runs on the workers and this process writes (see ``vocmine.runners``).
    """
    logger = get_run_logger()
    store = Store(db)
    if not store.path.exists():  # reprocessing never creates a database
        raise InputError(f"no vocmine database at {db}", "give --db, or run `vocmine run` first")
    store.migrate()
    check_selection(store, date_from, date_to, sources, languages)  # before the model is loaded
    store.repair()  # runs a killed process left 'running', snapshot temporaries
    vm = load_model(model, taxonomy)
    params = {
        "date_from": date_from,
        "date_to": date_to,
        "sources": sources,
        "languages": languages,
        "touchpoints": touchpoints,
        "model_versions": model_versions,
        "model": model,
        "taxonomy": taxonomy,
        "force": force,
    }
    timer = StageTimer()
    run_id = store.start_run("reprocess", params, vm.version)
    try:
        docs = jobs.stored_documents(
            store,
            date_from,
            date_to,
            sources,
            languages,
            touchpoints=touchpoints,
            model_versions=model_versions,
        )
        if not force:
            current = set(
                store.query("SELECT doc_id FROM doc_model WHERE model_version = ?", [vm.version])["doc_id"]
            )
            if (
                vm.affect is not None
            ):  # current, but without this model's affect rows (e.g. stored before v10)
                current -= set(
                    store.query(
                        """SELECT DISTINCT s.doc_id FROM segments s
                           JOIN doc_model m ON m.doc_id = s.doc_id AND m.model_version = ?
                           LEFT JOIN segment_affect a ON a.doc_id = s.doc_id AND a.seg_idx = s.seg_idx
                            AND a.model_version = m.model_version AND a.affect_version = ?
                           WHERE a.doc_id IS NULL""",
                        [vm.version, vm.affect.version],
                    )["doc_id"]
                )
            docs = [d for d in docs if d.doc_id not in current]
        logger.info("re-analysing %d documents with %s", len(docs), vm.version)
        store.add_counts(run_id, read=len(docs))
        with runners.model_runner(task_runner, dask_workers) as runner, store.writing():
            if runner is None:
                for chunk in jobs.batches(docs, batch_size):
                    timer.merge(reanalyse(store, model, taxonomy, list(chunk), run_id, pii))
            else:
                batches = jobs.batches(docs, batch_size)
                lookup = store.lookup_encoder_outputs
                for batch in runners.analyse_on(runner, batches, model, taxonomy, vm, lookup, pii, timer):
                    timer.merge(store_reanalysis(store, model, taxonomy, batch, run_id))
        n = store.publish_run(run_id, vm.version)
        run = store.finish_run(run_id, "completed")
    except BaseException as e:
        store.finish_run(run_id, "failed", message=repr(e)[:2000])
        raise
    with timer.stage("report"):
        refresh_journeys(store, run_id)
        track_themes(store, run_id)  # the relabelled themes keep their ids (matched to the stored ones)
        publish_snapshot(store)
    stages = timer.as_dict()
    logger.info("stage seconds: %s", stages)
    return {
        "run_id": run_id,
        "published": n,
        **{k: run[k] for k in run if k.startswith("n_")},
        "stages": stages,
    }


if __name__ == "__main__":
    reprocess()
