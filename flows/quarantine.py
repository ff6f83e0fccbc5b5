"""Re-read the files behind quarantined records after the source config (or the file) was fixed."""

from __future__ import annotations

from prefect import flow

from vocmine import settings
from vocmine.errors import InputError
from vocmine.flows.nightly import nightly
from vocmine.ingest.config import load_sources
from vocmine.store.db import Store


@flow(name="retry-quarantine", log_prints=True)
def retry_quarantine(
    sources: str = str(settings.SAMPLES_DIR / "sources.yaml"),
    db: str = str(settings.DEFAULT_DB),
    only: list[str] | None = None,
    model: str = str(settings.DEFAULT_MODEL_DIR),
    taxonomy: str | None = None,
) -> dict:
    """Forget the fingerprints of files with open quarantine rows, run the nightly flow, close what now passes."""
    load_sources(sources)  # a bad sources file fails before anything is touched
    store = Store(db)
    if not store.path.exists():  # nothing can be quarantined in a database that does not exist
        raise InputError(f"no vocmine database at {db}", "give --db, or run `vocmine run` first")
    store.migrate()
    paths = store.open_quarantine_files(only)
    store.forget_files(paths)
    result = nightly(sources=sources, db=db, model=model, taxonomy=taxonomy)
    resolved = store.resolve_quarantine(result["run_id"], paths)
    store.publish_snapshot()  # the nightly run published before the rows were closed
    print(f"re-read {len(paths)} file(s); {resolved} quarantined record(s) now resolved")
    return {**result, "files": len(paths), "resolved": resolved}
