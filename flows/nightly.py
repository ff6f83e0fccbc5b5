"""The nightly VoC run: ingest what is new, analyse it, store it, summarise the pain points."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from tqdm import tqdm

from vocmine import jobs, settings
from vocmine.ingest.config import SourceConfig, load_sources
from vocmine.nlp.model import load_model
from vocmine.report.summary import build_summary, render_markdown
from vocmine.store.db import Store


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def prepare_store(db: str) -> Store:
    store = Store(db)
    store.migrate()
    return store


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def collect(store: Store, source: SourceConfig, force: bool) -> jobs.Intake:
    return jobs.collect_new(store, source, force=force)


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def analyse_and_store(store: Store, model_dir: str, taxonomy: str | None, docs: list, run_id: str) -> dict:
    return jobs.analyse_and_store(store, load_model(model_dir, taxonomy), docs, run_id)


@task(cache_policy=NO_CACHE)
def close_intake(store: Store, intake: jobs.Intake, run_id: str) -> None:
    """After the documents are stored: quarantine, file fingerprints and watermark (so a re-run adds nothing)."""
    store.quarantine(intake.quarantined, run_id)
    store.add_counts(run_id, read=intake.n_read, duplicates=intake.n_duplicates)
    for path, sha, size in intake.files:
        store.mark_file(intake.source, path, sha, size, run_id)
    store.set_watermark(intake.source, intake.kind, intake.location, intake.max_created_at, run_id)


@task(cache_policy=NO_CACHE)
def summarise(store: Store, model_dir: str, taxonomy: str | None, out_dir: str) -> str:
    model = load_model(model_dir, taxonomy)
    md = render_markdown(build_summary(store, model.taxonomy))
    path = Path(out_dir) / "summary.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(md, encoding="utf-8")
    create_markdown_artifact(markdown=md, key="pain-point-summary", description="vocmine pain-point summary")
    return md


@flow(name="nightly", log_prints=True)
def nightly(
    sources: str = str(settings.SAMPLES_DIR / "sources.yaml"),
    db: str = str(settings.DEFAULT_DB),
    model: str = str(settings.DEFAULT_MODEL_DIR),
    taxonomy: str | None = None,
    batch_size: int = 256,
    report_dir: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> dict:
    """Ingest → text → nlp → link → store → report, for everything new since the last successful run."""
    logger = get_run_logger()
    store = prepare_store(db)
    vm = load_model(model, taxonomy)
    run_id = store.start_run(
        "nightly", {"sources": sources, "model": model, "taxonomy": taxonomy}, vm.version
    )
    try:
        for source in load_sources(sources):
            intake = collect(store, source, force)
            logger.info(
                "%s: %d read, %d new or edited, %d duplicates, %d quarantined, %d files unchanged",
                source.name,
                intake.n_read,
                len(intake.documents),
                intake.n_duplicates,
                len(intake.quarantined),
                intake.n_files_skipped,
            )
            with tqdm(total=len(intake.documents), desc=source.name, unit="doc", disable=not progress) as bar:
                for docs in jobs.batches(intake.documents, batch_size):
                    analyse_and_store(store, model, taxonomy, list(docs), run_id)
                    bar.update(len(docs))
            close_intake(store, intake, run_id)
        store.publish_run(run_id, vm.version)
        run = store.finish_run(run_id, "completed")
    except BaseException as e:
        store.finish_run(run_id, "failed", message=repr(e)[:2000])
        raise
    summary = summarise(store, model, taxonomy, report_dir or str(Path(db).parent / "reports"))
    print(summary)
    return {"run_id": run_id, "db": str(db), **{k: run[k] for k in run if k.startswith("n_")}}


if __name__ == "__main__":
    nightly()
