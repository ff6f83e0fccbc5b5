"""Re-analyse stored feedback with a new model or taxonomy; old predictions stay queryable."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from vocmine import jobs, settings
from vocmine.nlp.model import load_model
from vocmine.pipeline import Analyzer
from vocmine.store.db import Store


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def reanalyse(
    store: Store, model_dir: str, taxonomy: str | None, docs: list, run_id: str, pii: list[str] | None = None
) -> int:
    model = load_model(model_dir, taxonomy)
    return store.write_reanalysis(
        Analyzer(model, pii_kinds=pii, reuse=store.lookup_encoder_outputs).analyse(docs),
        run_id,
        jobs.model_info(model),
    )


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_snapshot(store: Store) -> str:
    """Last step: copy the committed state to the readers' snapshot (atomic rename)."""
    return str(store.publish_snapshot())


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
) -> dict:
    """Re-run analysis over a selection; without ``force``, documents already current under this model are skipped.

    The selection: created_at in [date_from, date_to), sources, languages, and documents whose current
    predictions mention one of ``touchpoints`` or are under one of ``model_versions`` (all combined with AND).

    The analyst views switch to the new predictions in one transaction when the run commits.
    """
    logger = get_run_logger()
    store = Store(db)
    store.migrate()
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
            docs = [d for d in docs if d.doc_id not in current]
        logger.info("re-analysing %d documents with %s", len(docs), vm.version)
        store.add_counts(run_id, read=len(docs))
        for chunk in jobs.batches(docs, batch_size):
            reanalyse(store, model, taxonomy, list(chunk), run_id, pii)
        n = store.publish_run(run_id, vm.version)
        run = store.finish_run(run_id, "completed")
    except BaseException as e:
        store.finish_run(run_id, "failed", message=repr(e)[:2000])
        raise
    publish_snapshot(store)
    return {"run_id": run_id, "published": n, **{k: run[k] for k in run if k.startswith("n_")}}


if __name__ == "__main__":
    reprocess()
