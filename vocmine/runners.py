"""Where the model work of a flow runs: in the flow process (``local``) or on Dask workers.

With Dask, each batch goes through two tasks on the workers: the text stage (``Analyzer.prepare``) and the model
stage (``Analyzer.finish``). Between them the flow process looks up the embeddings already stored for the
batch's texts, because only the flow process opens the database: the workers never see it, and the results come
back to the flow, which stores them in order, one transaction per batch, exactly as the local runner does.
Each worker process loads the model once (``load_model`` is a per-process cache).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prefect import task
from prefect.cache_policies import NO_CACHE

from vocmine.nlp.model import VocModel, load_model
from vocmine.pipeline import Analyzer, EncoderOutputs, Prepared
from vocmine.records import AnalysisBatch, Document
from vocmine.timing import StageTimer

if TYPE_CHECKING:  # prefect-dask imports distributed: only loaded when a Dask runner is asked for
    from prefect_dask import DaskTaskRunner

LOCAL = "local"


def dask_runner(spec: str, workers: int | None = None) -> DaskTaskRunner:
    """Prefect's ``DaskTaskRunner`` for ``spec``: ``"dask"`` starts a local cluster of ``workers`` processes
    (one thread each, the CPU threads split between them); ``tcp://host:8786`` connects to a running scheduler.
    """
    from prefect_dask import DaskTaskRunner

    if spec == "dask":
        n = workers or 2
        # one task per worker process at a time: the encoder already uses several threads, and two tasks
        # loading the model at once in one process would load it twice
        threads = max(1, (os.cpu_count() or 1) // n)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": n,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
                "env": {"VOCMINE_THREADS": str(threads)},
            }
        )
    if "://" in spec:
        return DaskTaskRunner(address=spec)
    raise ValueError(f"task runner must be 'local', 'dask' or a Dask scheduler address, not {spec!r}")


@contextmanager
def model_runner(spec: str = LOCAL, workers: int | None = None) -> Iterator[DaskTaskRunner | None]:
    """The started task runner for the model work, or None for ``local`` (tasks are then called in-process)."""
    if spec == LOCAL:
        yield None
        return
    with dask_runner(spec, workers) as runner:
        yield runner


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def text_stage(
    model_dir: str, taxonomy: str | None, docs: list[Document], pii: list[str] | None
) -> tuple[Prepared, StageTimer]:
    """On a worker: normalise, mask, segment one batch."""
    analyzer = Analyzer(load_model(model_dir, taxonomy), pii_kinds=pii)
    return analyzer.prepare(docs), analyzer.timer


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def model_stage(
    model_dir: str, taxonomy: str | None, version: str, prepared: Prepared, known: dict, pii: list[str] | None
) -> tuple[AnalysisBatch, StageTimer]:
    """On a worker: encode the texts without a stored embedding, then heads and link."""
    model = load_model(model_dir, taxonomy)
    if model.version != version:  # another model folder or taxonomy file at that path on this worker
        raise RuntimeError(f"worker has model {model.version} at {model_dir}, the flow has {version}")
    analyzer = Analyzer(model, pii_kinds=pii)
    return analyzer.finish(prepared, known), analyzer.timer


def analyse_on(
    runner: DaskTaskRunner,
    batches: Iterable[Sequence[Document]],
    model_dir: str,
    taxonomy: str | None,
    model: VocModel,
    lookup: EncoderOutputs,
    pii: list[str] | None = None,
    timer: StageTimer | None = None,
) -> Iterator[AnalysisBatch]:
    """Analyse ``batches`` on the runner's workers; yields the results in input order.

    ``model`` is the flow's own copy of the model: its encoder id keys the look-up, and every worker must
    have the same version (same model folder and taxonomy at the same paths), or its model stage fails.

    Up to two batches per worker thread are in flight, so the workers stay busy while the caller stores.
    A text that two in-flight batches share is encoded by both (the first stored copy is kept).
    """
    timer = timer if timer is not None else StageTimer()
    window = 2 * max(1, sum(runner.client.nthreads().values()))
    todo = iter(batches)
    texts: deque = deque()  # futures of the text stage, in order
    models: deque = deque()  # futures of the model stage, in order

    def fill() -> None:
        while len(texts) + len(models) < window and (docs := next(todo, None)) is not None:
            texts.append(
                runner.submit(
                    text_stage, {"model_dir": model_dir, "taxonomy": taxonomy, "docs": list(docs), "pii": pii}
                )
            )

    def advance() -> None:
        prepared, t = texts.popleft().result()
        timer.merge(t)
        with timer.stage("lookup", len(prepared.texts)):
            known = lookup(model.encoder_id, prepared.text_hashes)
        params = {
            "model_dir": model_dir,
            "taxonomy": taxonomy,
            "version": model.version,
            "prepared": prepared,
            "known": known,
            "pii": pii,
        }
        models.append(runner.submit(model_stage, params))

    fill()
    while texts or models:
        # hand every finished text stage on to the model stage before waiting for the oldest result
        while texts and (not models or texts[0].wrapped_future.done()):
            advance()
            fill()
        batch, t = models.popleft().result()
        timer.merge(t)
        fill()
        yield batch
