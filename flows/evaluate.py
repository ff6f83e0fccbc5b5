"""Evaluate a model on the public corpora and write ``models/EVAL.md`` (+ ``eval.json``): a thin recipe."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from vocmine import evaluate as ev
from vocmine import settings
from vocmine.nlp.model import load_model


@task(cache_policy=NO_CACHE)
def run_suite(name: str, model_dir: str, data: str, errors: int = 0) -> ev.SuiteResult:
    # no retries: a suite is deterministic, and its failure is reported in EVAL.md instead
    return ev.run_suite(name, load_model(model_dir), Path(data), errors)


@task(cache_policy=NO_CACHE)
def write_report(results: list[ev.SuiteResult], model_dir: str, data: str, out: str) -> ev.EvalReport:
    path, model = Path(out), load_model(model_dir)
    old = ev.read_report(ev.json_twin(path))
    suites = {r.suite for r in results} | ({f.suite for f in old.figures} | set(old.errors) if old else set())
    inputs = ev.suite_inputs(model, sorted(suites))
    report = ev.assemble(results, model.version, model_dir, data, old, model.encoder.describe(), inputs)
    ev.write_report(report, path)
    return report


@flow(name="evaluate", log_prints=True)
def evaluate(
    model: str = str(settings.DEFAULT_MODEL_DIR),
    data: str = str(settings.SHARED_DATA_DIR),
    suites: list[str] | None = None,
    out: str = str(settings.MODELS_DIR / "EVAL.md"),
    errors: int = 0,
) -> ev.EvalReport:
    """Run the named suites (default: all in ``vocmine.evaluate.SUITES``) and write the report; with ``errors``,
    also each set's ``errors`` most confident mistakes per gold class, in ``errors.csv`` beside the report."""
    logger = get_run_logger()
    results = []
    for name in suites or list(ev.SUITES):
        r = run_suite(name, model, data, errors)
        if r.error:
            logger.warning("suite %s did not run: %s", name, r.error)
        results.append(r)
    report = write_report(results, model, data, out)
    if errors:
        path = Path(out).with_name("errors.csv")
        logger.info("%d mistakes written to %s", ev.write_mistakes(results, path), path)
    create_markdown_artifact(ev.render_markdown(report), key="evaluation", description="vocmine evaluate")
    return report


if __name__ == "__main__":
    evaluate()
