"""The pain-point report: HTML + Markdown files and a Prefect markdown artifact, from the published snapshot."""

from __future__ import annotations

import hashlib
from html import escape
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment
from prefect.utilities.slugify import slugify

from vocmine import settings
from vocmine.report.html import render_html
from vocmine.report.markdown import render_markdown
from vocmine.report.model import NoData, Report, build_report, parse_week
from vocmine.report.queries import Filters
from vocmine.report.tracking import record_themes
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy


def _taxonomy(taxonomy: str | None, model: str | None) -> Taxonomy:
    if taxonomy or not model:
        return Taxonomy.load(taxonomy or settings.DEFAULT_TAXONOMY)
    from vocmine.nlp.model import load_model  # the model's own taxonomy (cached: free inside the nightly run)

    return load_model(model).taxonomy


@task(cache_policy=NO_CACHE)
def build(
    db: str,
    taxonomy: str | None,
    model: str | None,
    week: str | None,
    weeks: int,
    filters: Filters,
    lang: str,
) -> Report:
    return build_report(
        Store(db).reader(),
        _taxonomy(taxonomy, model),
        week=parse_week(week) if week else None,
        weeks=weeks,
        filters=filters,
        lang=lang,
    )


@task(cache_policy=NO_CACHE)
def track_themes(store: Store, run_id: str) -> int:
    """Store the latest window's themes with their lasting ids (table themes), before the run publishes the
    snapshot that reports and `vocmine taxonomy promote` read. A failure costs only this run's new ids (the
    report still shows its themes), so it is logged, not raised: the run's data must still be published."""
    try:
        return len(record_themes(store, run_id))
    except Exception as e:  # noqa: BLE001
        get_run_logger().warning(
            "themes not recorded (reports keep the last run's ids): %s: %s", type(e).__name__, e
        )
        return 0


#: The nightly run's summary keeps the key it always had; every other report gets its own (report_key).
NIGHTLY_KEY = "pain-point-summary"
MAX_KEY = 96


def report_key(week: str | None, weeks: int, filters: Filters, lang: str, made_by: str | None = None) -> str:
    """``report-2026-10-12-8w-ru-sources-reviews``: the deployment (or ``report``) and the parameters.

    The same parameters give the same key (a re-run replaces its own report, never another's); an over-long
    key is cut and ends in a hash of the whole, so two long ones still differ.
    """
    parts = [made_by or "report", week or "latest", f"{weeks}w", lang]
    for name, values in filters.describe().items():
        parts += [name, *sorted(values)]
    key = slugify("-".join(parts), lowercase=True)  # artifact keys: lowercase letters, digits and dashes
    if len(key) > MAX_KEY:
        key = f"{key[: MAX_KEY - 11].rstrip('-')}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    return key


@task(cache_policy=NO_CACHE)
def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report
    return str(path)


@flow(name="report", log_prints=True)
def report(
    db: str = str(settings.DEFAULT_DB),
    taxonomy: str | None = None,
    model: str | None = None,
    week: str | None = None,
    weeks: int = 8,
    sources: list[str] | None = None,
    channels: list[str] | None = None,
    products: list[str] | None = None,
    languages: list[str] | None = None,
    lang: str = "en",
    out_dir: str | None = None,
    html_name: str = "report.html",
    md_name: str = "summary.md",
    key: str | None = None,
) -> dict:
    """Report the week containing ``week`` (default: the latest begun by today) against the ``weeks`` before it.

    Writes ``report.html`` and ``summary.md`` and publishes the Markdown as a Prefect artifact. ``key`` names
    both the artifact and, unless ``out_dir`` is given, the folder ``reports/<key>/`` beside the database;
    by default it says which deployment and parameters made the report (``report_key``), so an ad-hoc report
    never replaces the nightly's (``pain-point-summary`` in ``reports/``) or another ad-hoc one.
    """
    filters = Filters(*(tuple(v or ()) for v in (sources, channels, products, languages)))
    try:
        r = build(db, taxonomy, model, week, weeks, filters, lang)
        md, html, week_start = render_markdown(r), render_html(r), f"{r.period.week_start:%Y-%m-%d}"
    except NoData as e:
        if week:  # a week asked for that holds nothing: fail, not overwrite the last report with an empty one
            raise
        md = f"# Pain-point report\n\n{e}."
        html = (
            f"<!DOCTYPE html><meta charset='utf-8'><title>Pain-point report</title><p>{escape(str(e))}.</p>"
        )
        week_start = None
    key = key or report_key(week_start or week, weeks, filters, lang, deployment.name)
    out = Path(out_dir) if out_dir else Path(db).parent / "reports" / key
    html_path = write(out / html_name, html)
    md_path = write(out / md_name, md)
    create_markdown_artifact(markdown=md, key=key, description="vocmine pain-point report")
    return {"week": week_start, "html": html_path, "md": md_path, "key": key}


if __name__ == "__main__":
    report()
