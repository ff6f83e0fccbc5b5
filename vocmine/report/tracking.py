"""Stable theme ids: a run's theme clusters matched to the themes stored by earlier runs (table ``themes``).

Each nightly (and reprocessing) run clusters the window of its latest week as the default report does and
records the themes before it publishes the snapshot (``record_themes``): a cluster whose centroid is within
``MATCH_SIMILARITY`` (cosine) of a stored theme's centroid of the same encoder takes that theme's id — one
cluster per stored theme, the most similar pairs first — and updates its centroid, names and last week; any
other cluster gets the next new id. Reports (any week or filters) read the stored themes from the snapshot
and give each of their clusters the id it matches (``identify``), or none. Rows are never deleted, so an
id is never reused and a theme that comes back after a quiet spell keeps its id.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from vocmine.report import queries as q
from vocmine.report.model import NoData, Theme, resolve_period, with_embeddings
from vocmine.report.queries import Filters, Rules
from vocmine.report.themes import find_themes
from vocmine.store.db import Store

# Cosine of two centroids of the same theme. The window moves by a week a run, so most of a cluster's members
# stay: on the sample data (bench/themes.py stability, four weekly runs over every negative segment) the same
# cluster a week later is 0.93-1.0 similar (5th percentile 0.974), clusters with no member in common reach 0.96
# (99.9th percentile 0.946); at 0.95, 390 of 399 themes kept their id, none took another's.
MATCH_SIMILARITY = 0.95
PREFIX = "T"


@dataclass(frozen=True)
class StoredThemes:
    """The stored themes' ids and unit centroids, per encoder."""

    ids: dict[str, list[str]]
    centroids: dict[str, np.ndarray]

    @classmethod
    def none(cls) -> StoredThemes:
        return cls({}, {})


def stored_themes(con: duckdb.DuckDBPyConnection) -> StoredThemes:
    """The themes table's centroids (none in a file from before schema v7, e.g. an old snapshot)."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'themes'"
    ).fetchone()[0]
    if not has:
        return StoredThemes.none()
    ids: dict[str, list[str]] = {}
    vecs: dict[str, list[np.ndarray]] = {}
    for theme_id, encoder, centroid in con.execute(
        "SELECT theme_id, encoder, centroid FROM themes ORDER BY theme_id"
    ).fetchall():
        ids.setdefault(encoder, []).append(theme_id)
        vecs.setdefault(encoder, []).append(np.asarray(centroid, dtype=np.float32))
    return StoredThemes(ids, {e: np.stack(v) for e, v in vecs.items()})


def match(themes: list[Theme], stored: StoredThemes) -> list[str | None]:
    """The stored id each theme takes (None: no stored theme of its encoder is near enough), one-to-one, the
    most similar pairs first."""
    out: list[str | None] = [None] * len(themes)
    for encoder in {t.encoder for t in themes if t.encoder in stored.ids}:
        rows = [i for i, t in enumerate(themes) if t.encoder == encoder and t.centroid is not None]
        known = stored.centroids[encoder]
        if not rows or known.shape[1] != len(themes[rows[0]].centroid):
            continue  # same encoder name, other width: never happens unless the table was edited by hand
        sims = np.stack([themes[i].centroid for i in rows]) @ known.T
        taken_rows, taken_ids = set(), set()
        for flat in np.argsort(-sims, axis=None, kind="stable"):
            r, k = divmod(int(flat), known.shape[0])
            if sims[r, k] < MATCH_SIMILARITY:
                break
            if r not in taken_rows and k not in taken_ids:
                taken_rows.add(r)
                taken_ids.add(k)
                out[rows[r]] = stored.ids[encoder][k]
    return out


def identify(themes: list[Theme], stored: StoredThemes) -> list[Theme]:
    """The themes with the ids of the stored themes they match (the report's: nothing is written)."""
    return [dataclasses.replace(t, id=i) for t, i in zip(themes, match(themes, stored), strict=True)]


def record_themes(
    store: Store, run_id: str | None = None, week: date | None = None, rules: Rules | None = None
) -> list[Theme]:
    """Cluster the window of the latest week (or of ``week``) of the live file, as the default report does, and
    store its themes: matched ones keep their id, new ones get the next. Returns the themes with their ids."""
    with store.connect(read_only=True) as con:
        try:
            period = resolve_period(con, week, 8, Filters(), rules or Rules())
        except NoData:
            return []
        q.set_variables(con, period)
        candidates = con.execute(q.THEME_CANDIDATES).df()
    return store_themes(
        store, find_themes(with_embeddings(store, candidates), period), period.week_start, run_id
    )


def store_themes(store: Store, themes: list[Theme], week: date, run_id: str | None = None) -> list[Theme]:
    """Write one run's themes (reported week ``week``) to the themes table in one transaction: a theme that
    matches a stored one takes its id and updates it, any other is inserted with the next id."""
    if not themes:
        return []
    with store.transaction() as con:
        stored = stored_themes(con)  # inside the transaction: the ids given next are this file's
        ids = match(themes, stored)
        (top,) = con.execute(
            f"SELECT coalesce(max(try_cast(substr(theme_id, {len(PREFIX) + 1}) AS INTEGER)), 0) FROM themes"
        ).fetchone()
        for k, i in enumerate(ids):
            if i is None:
                top += 1
                ids[k] = f"{PREFIX}{top:04d}"
        themes = [dataclasses.replace(t, id=i) for t, i in zip(themes, ids, strict=True)]
        rows = pd.DataFrame(
            {
                "theme_id": [t.id for t in themes],
                "encoder": [t.encoder for t in themes],
                "centroid": [t.centroid.astype(float).tolist() for t in themes],
                "label": [t.labels[next(iter(t.clauses))] for t in themes],  # its most frequent language's
                "labels": [json.dumps(t.labels, ensure_ascii=False) for t in themes],
                "words": [list(t.words) for t in themes],
                "examples": [json.dumps(t.clauses, ensure_ascii=False) for t in themes],
                "size": [t.size for t in themes],
                "week": week,
            }
        )
        con.register("new_themes", rows)
        con.execute(
            """
            INSERT INTO themes
            SELECT theme_id, encoder, centroid::FLOAT[], label, labels::JSON, words, examples::JSON, size,
                   week, week, ?, ?, ?
            FROM new_themes
            ON CONFLICT (theme_id) DO UPDATE SET
                centroid = excluded.centroid, label = excluded.label, labels = excluded.labels,
                words = excluded.words, examples = excluded.examples, size = excluded.size,
                first_week = least(first_week, excluded.first_week),
                last_week = greatest(last_week, excluded.last_week),
                last_run_id = excluded.last_run_id, updated_at = excluded.updated_at
            """,
            [run_id, run_id, datetime.now(UTC)],
        )
        con.unregister("new_themes")
    return themes


def normalise_id(value: str) -> str:
    """``T0007`` from what a person types: ``T7``, ``t0007`` or ``7``."""
    v = value.strip().upper().removeprefix(PREFIX)
    return f"{PREFIX}{int(v):04d}" if v.isdigit() else value.strip()
