"""The ``journeys`` table: per customer, their feedback events across sources in time order.

Rebuilt as a whole from the documents and their current predictions (``doc_model``) by the flows after they
store or re-label documents, in one transaction, so readers see the old journeys or the new ones. A full
rebuild can never drift from the predictions the way an incremental update could; it costs about 6 s for
43k events (sample scale 20, a shared 2-core machine), growing about linearly: an incremental rebuild of
only the customers a run touched is the next step for very large stores.
"""

from __future__ import annotations

import duckdb

# One row per document that has a customer id. touchpoints: every touchpoint its segments mention;
# pain_touchpoints: those with a pain point (a negative segment linked to them); first_pain: the touchpoint
# of the first one in the text (the earliest segment; of its pain points the most severe).
REBUILD = """
INSERT INTO journeys
WITH events AS (
    SELECT d.doc_id, d.customer_id, d.source, d.kind, d.created_at, d.channel, d.product, d.lang,
           d.rating, d.nps, d.csat, d.ces,
           CASE WHEN d.kind = 'chat' THEN nullif(lower(trim(d.extra ->> 'outcome')), '') END AS outcome,
           p.sentiment, p.score AS sentiment_score, m.model_version
    FROM documents d
    LEFT JOIN doc_model m ON m.doc_id = d.doc_id
    LEFT JOIN document_predictions p ON p.doc_id = d.doc_id AND p.model_version = m.model_version
    WHERE d.customer_id IS NOT NULL
), mentioned AS (
    SELECT t.doc_id, list(DISTINCT t.touchpoint ORDER BY t.touchpoint) AS touchpoints
    FROM segment_touchpoints t
    JOIN events e ON e.doc_id = t.doc_id AND e.model_version = t.model_version
    GROUP BY t.doc_id
), pains AS (
    SELECT pp.doc_id, list(DISTINCT pp.touchpoint ORDER BY pp.touchpoint) AS pain_touchpoints,
           first(pp.touchpoint ORDER BY pp.seg_idx, pp.severity DESC, pp.touchpoint) AS first_pain
    FROM pain_points pp
    JOIN events e ON e.doc_id = pp.doc_id AND e.model_version = pp.model_version
    GROUP BY pp.doc_id
)
SELECT e.customer_id,
       row_number() OVER w AS step,
       e.doc_id, e.source, e.kind, e.created_at, e.channel, e.product, e.lang,
       coalesce(t.touchpoints, []::VARCHAR[]), coalesce(p.pain_touchpoints, []::VARCHAR[]), p.first_pain,
       e.sentiment, e.sentiment_score, e.rating, e.nps, e.csat, e.ces, e.outcome,
       epoch(e.created_at - lag(e.created_at) OVER w) / 86400.0 AS days_since_previous,
       e.model_version, ? AS run_id
FROM events e
LEFT JOIN mentioned t ON t.doc_id = e.doc_id
LEFT JOIN pains p ON p.doc_id = e.doc_id
WINDOW w AS (PARTITION BY e.customer_id ORDER BY e.created_at, e.doc_id)
"""


def rebuild(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Replace the journeys with ones built from the current data (caller owns the transaction); the rows."""
    con.execute("DELETE FROM journeys")
    con.execute(REBUILD, [run_id])
    return con.execute("SELECT count(*) FROM journeys").fetchone()[0]


def lags(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the journeys miss documents or hold gone ones (an upgraded file, a run killed before its
    rebuild): then a run rebuilds them even when it stored nothing new."""
    return bool(
        con.execute(
            """SELECT (SELECT count(*) FROM documents WHERE customer_id IS NOT NULL)
                      <> (SELECT count(*) FROM journeys)
                   OR EXISTS (SELECT 1 FROM journeys j ANTI JOIN documents d ON d.doc_id = j.doc_id
                              AND d.customer_id = j.customer_id)"""
        ).fetchone()[0]
    )
