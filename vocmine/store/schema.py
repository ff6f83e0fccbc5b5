"""DuckDB schema of vocmine: tables with lineage and analyst views (upgrades: ``migrations.py``).

The column meanings live in ``dictionary.py``; a new table or column needs an entry there and a migration.
"""

from __future__ import annotations

SCHEMA_VERSION = 11

TABLES = r"""
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    flow VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    status VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    params JSON,
    model_version VARCHAR,
    n_read INTEGER DEFAULT 0,
    n_stored INTEGER DEFAULT 0,
    n_updated INTEGER DEFAULT 0,
    n_duplicates INTEGER DEFAULT 0,
    n_quarantined INTEGER DEFAULT 0,
    n_segments INTEGER DEFAULT 0,
    n_pain_points INTEGER DEFAULT 0,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('review', 'chat', 'survey')),
    location VARCHAR,
    watermark TIMESTAMPTZ,
    last_run_id VARCHAR,
    updated_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('review', 'chat', 'survey')),
    external_id VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    lang VARCHAR,
    lang_confidence REAL,
    text VARCHAR NOT NULL,
    n_chars INTEGER,
    rating TINYINT CHECK (rating BETWEEN 1 AND 5),
    nps TINYINT CHECK (nps BETWEEN 0 AND 10),
    csat TINYINT CHECK (csat BETWEEN 1 AND 5),
    ces TINYINT CHECK (ces BETWEEN 1 AND 7),
    channel VARCHAR,
    product VARCHAR,
    extra JSON,
    pii_masked INTEGER DEFAULT 0,
    content_hash VARCHAR NOT NULL,
    location VARCHAR,
    ingest_run_id VARCHAR NOT NULL,
    updated_run_id VARCHAR NOT NULL,
    customer_id VARCHAR,
    UNIQUE (source, external_id)
);
-- v7: a customer's documents across sources are found by this index (journeys, `WHERE customer_id = ?`)
CREATE INDEX IF NOT EXISTS documents_customer_id ON documents (customer_id);
CREATE TABLE IF NOT EXISTS document_history (
    doc_id VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    text VARCHAR,
    replaced_by_run_id VARCHAR NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    doc_id VARCHAR NOT NULL,
    turn_idx INTEGER NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('customer', 'agent', 'bot')),
    ts TIMESTAMPTZ,
    text VARCHAR,
    PRIMARY KEY (doc_id, turn_idx)
);
CREATE TABLE IF NOT EXISTS segments (
    doc_id VARCHAR NOT NULL,
    seg_idx INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    lang VARCHAR,
    lemmas VARCHAR[],
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_idx),
    CHECK (start_char >= 0 AND end_char > start_char)
);
CREATE TABLE IF NOT EXISTS segment_predictions (
    doc_id VARCHAR NOT NULL,
    seg_idx INTEGER NOT NULL,
    model_version VARCHAR NOT NULL,
    sentiment VARCHAR NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    score REAL NOT NULL,
    p_negative REAL NOT NULL,
    p_neutral REAL NOT NULL,
    p_positive REAL NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_idx, model_version)
);
CREATE TABLE IF NOT EXISTS segment_touchpoints (
    doc_id VARCHAR NOT NULL,
    seg_idx INTEGER NOT NULL,
    model_version VARCHAR NOT NULL,
    touchpoint VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    score REAL NOT NULL,
    similarity REAL,
    keyword VARCHAR,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_idx, model_version, touchpoint)
);
CREATE TABLE IF NOT EXISTS document_predictions (
    doc_id VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    sentiment VARCHAR NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    score REAL NOT NULL,
    p_negative REAL NOT NULL,
    p_neutral REAL NOT NULL,
    p_positive REAL NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, model_version)
);
CREATE TABLE IF NOT EXISTS segment_affect (
    doc_id VARCHAR NOT NULL,
    seg_idx INTEGER NOT NULL,
    model_version VARCHAR NOT NULL,
    affect_version VARCHAR NOT NULL,
    effort_score REAL,
    effort VARCHAR CHECK (effort IN ('easy', 'neutral', 'hard')),
    p_joy REAL,
    p_sadness REAL,
    p_surprise REAL,
    p_fear REAL,
    p_anger REAL,
    emotions VARCHAR[] NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_idx, model_version)
);
CREATE TABLE IF NOT EXISTS pain_points (
    doc_id VARCHAR NOT NULL,
    seg_idx INTEGER NOT NULL,
    model_version VARCHAR NOT NULL,
    touchpoint VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    severity REAL NOT NULL,
    evidence VARCHAR NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_idx, model_version, touchpoint)
);
CREATE TABLE IF NOT EXISTS document_causes (
    doc_id VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    touchpoint VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    score REAL NOT NULL,
    share REAL NOT NULL,
    seg_idx INTEGER NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, model_version)
);
CREATE TABLE IF NOT EXISTS encoder_outputs (
    encoder VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    embedding BLOB NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (encoder, text_hash)
);
-- look-ups by text hash alone use this index (an index scan per batch, not a scan of every stored embedding)
CREATE INDEX IF NOT EXISTS encoder_outputs_text_hash ON encoder_outputs (text_hash);
CREATE TABLE IF NOT EXISTS doc_model (
    doc_id VARCHAR PRIMARY KEY,
    model_version VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS source_files (
    source VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size BIGINT,
    run_id VARCHAR NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    encoding VARCHAR,
    PRIMARY KEY (source, path)
);
CREATE TABLE IF NOT EXISTS quarantine (
    quarantine_id VARCHAR PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    location VARCHAR,
    payload VARCHAR,
    reason VARCHAR NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL,
    path VARCHAR,
    last_seen_run_id VARCHAR,
    resolved_run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS model_versions (
    model_version VARCHAR PRIMARY KEY,
    name VARCHAR,
    encoder VARCHAR,
    taxonomy_version VARCHAR,
    taxonomy JSON,
    first_run_id VARCHAR,
    created_at TIMESTAMPTZ
);
-- v7: per customer, the feedback events across sources in time order (rebuilt by the flows)
CREATE TABLE IF NOT EXISTS journeys (
    customer_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    doc_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    channel VARCHAR,
    product VARCHAR,
    lang VARCHAR,
    touchpoints VARCHAR[],
    pain_touchpoints VARCHAR[],
    first_pain VARCHAR,
    sentiment VARCHAR,
    sentiment_score REAL,
    rating TINYINT,
    nps TINYINT,
    csat TINYINT,
    ces TINYINT,
    outcome VARCHAR,
    days_since_previous DOUBLE,
    model_version VARCHAR,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (customer_id, step)
);
-- v2: the documents' masked text as the full-text indexes see it, one table per stemmer
CREATE TABLE IF NOT EXISTS search_ru (
    doc_id VARCHAR PRIMARY KEY,
    lang VARCHAR,
    text VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS search_en (
    doc_id VARCHAR PRIMARY KEY,
    lang VARCHAR,
    text VARCHAR NOT NULL
);
-- v8: the alerts the runs sent (or failed to send), one per week, touchpoint and recipient
CREATE TABLE IF NOT EXISTS alerts_sent (
    week DATE NOT NULL,
    touchpoint VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL,
    rules VARCHAR[] NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
    attempts INTEGER NOT NULL,
    subject VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    error VARCHAR,
    first_tried_at TIMESTAMPTZ NOT NULL,
    last_tried_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    run_id VARCHAR,
    PRIMARY KEY (week, touchpoint, recipient)
);

-- v9: new themes with ids that last from one run to the next (vocmine/report/tracking.py)
CREATE TABLE IF NOT EXISTS themes (
    theme_id VARCHAR PRIMARY KEY,
    encoder VARCHAR NOT NULL,
    centroid FLOAT[] NOT NULL,
    label VARCHAR NOT NULL,
    labels JSON NOT NULL,
    words VARCHAR[] NOT NULL,
    examples JSON NOT NULL,
    size INTEGER NOT NULL,
    first_week DATE NOT NULL,
    last_week DATE NOT NULL,
    first_run_id VARCHAR,
    last_run_id VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);
"""

# Analyst views show the *current* predictions: per document, the model version recorded in doc_model.
# The nightly flow sets it in the same transaction as a batch's predictions; a reprocessing run switches all
# of its documents in one transaction at the end, so readers never see a half-relabelled state.
VIEWS = r"""
CREATE OR REPLACE VIEW v_current_model AS
    SELECT value AS model_version FROM meta WHERE key = 'current_model_version';

CREATE OR REPLACE VIEW v_documents AS
    SELECT d.doc_id, d.source, d.kind, d.external_id, d.created_at,
           date_trunc('week', d.created_at)::DATE AS week,
           d.lang, d.text, d.rating, d.nps, d.csat, d.ces, d.channel, d.product,
           p.sentiment, p.score AS sentiment_score, p.p_negative, p.p_neutral, p.p_positive,
           p.model_version, d.ingest_run_id, d.customer_id,
           CASE WHEN d.kind = 'chat' THEN nullif(lower(trim(d.extra ->> 'outcome')), '') END AS outcome
    FROM documents d
    LEFT JOIN doc_model m ON m.doc_id = d.doc_id
    LEFT JOIN document_predictions p
      ON p.doc_id = d.doc_id AND p.model_version = m.model_version;

CREATE OR REPLACE VIEW v_segments AS
    SELECT s.doc_id, s.seg_idx, s.start_char, s.end_char, s.text, s.lang,
           d.source, d.kind, d.created_at, date_trunc('week', d.created_at)::DATE AS week,
           d.channel, d.product,
           p.sentiment, p.score AS sentiment_score, p.p_negative, p.p_neutral, p.p_positive, p.model_version
    FROM segments s
    JOIN documents d ON d.doc_id = s.doc_id
    LEFT JOIN doc_model m ON m.doc_id = s.doc_id
    LEFT JOIN segment_predictions p
      ON p.doc_id = s.doc_id AND p.seg_idx = s.seg_idx
     AND p.model_version = m.model_version;

CREATE OR REPLACE VIEW v_segment_touchpoints AS
    SELECT t.doc_id, t.seg_idx, t.touchpoint, t.stage, t.score AS touchpoint_score, t.keyword,
           s.text, s.sentiment, s.sentiment_score, s.created_at, s.week, s.source, s.kind, s.channel,
           s.product, s.lang, t.model_version
    FROM segment_touchpoints t
    JOIN doc_model m ON m.doc_id = t.doc_id AND m.model_version = t.model_version
    JOIN v_segments s ON s.doc_id = t.doc_id AND s.seg_idx = t.seg_idx;

CREATE OR REPLACE VIEW v_segment_affect AS
    SELECT s.doc_id, s.seg_idx, s.text, s.lang, s.source, s.kind, s.created_at, s.week, s.channel, s.product,
           t.touchpoints[1] AS touchpoint, coalesce(t.touchpoints, []) AS touchpoints,
           s.sentiment, s.sentiment_score, s.p_negative,
           a.effort, a.effort_score, a.emotions, a.p_joy, a.p_sadness, a.p_surprise, a.p_fear, a.p_anger,
           a.model_version, a.affect_version
    FROM segment_affect a
    JOIN doc_model m ON m.doc_id = a.doc_id AND m.model_version = a.model_version
    JOIN v_segments s ON s.doc_id = a.doc_id AND s.seg_idx = a.seg_idx
    LEFT JOIN (
        SELECT doc_id, seg_idx, model_version, list(touchpoint ORDER BY score DESC, touchpoint) AS touchpoints
        FROM segment_touchpoints
        GROUP BY ALL
    ) t ON t.doc_id = a.doc_id AND t.seg_idx = a.seg_idx AND t.model_version = a.model_version;

CREATE OR REPLACE VIEW v_pain_points AS
    SELECT pp.doc_id, pp.seg_idx, pp.touchpoint, pp.stage, pp.severity, pp.evidence,
           pp.start_char, pp.end_char, d.source, d.kind, d.created_at,
           date_trunc('week', d.created_at)::DATE AS week, d.lang, d.channel, d.product,
           d.rating, d.nps, d.csat, d.ces, d.text AS document_text, pp.model_version, pp.run_id
    FROM pain_points pp
    JOIN doc_model m ON m.doc_id = pp.doc_id AND m.model_version = pp.model_version
    JOIN documents d ON d.doc_id = pp.doc_id;

CREATE OR REPLACE VIEW v_document_causes AS
    SELECT c.doc_id, c.touchpoint, c.stage, c.score, c.share, c.seg_idx, s.text AS evidence,
           s.start_char, s.end_char, d.source, d.kind, d.created_at,
           date_trunc('week', d.created_at)::DATE AS week, d.lang, d.channel, d.product,
           d.rating, d.nps, d.csat, d.ces, d.text AS document_text, c.model_version, c.run_id
    FROM document_causes c
    JOIN doc_model m ON m.doc_id = c.doc_id AND m.model_version = c.model_version
    JOIN documents d ON d.doc_id = c.doc_id
    LEFT JOIN segments s ON s.doc_id = c.doc_id AND s.seg_idx = c.seg_idx;

CREATE OR REPLACE VIEW v_pain_points_weekly AS
    SELECT touchpoint, stage, week, count(*) AS pain_points, count(DISTINCT doc_id) AS documents,
           avg(severity) AS avg_severity
    FROM v_pain_points
    GROUP BY ALL;

CREATE OR REPLACE VIEW v_touchpoint_sentiment AS
    SELECT touchpoint, stage,
           count(*) AS mentions,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive,
           round(count(*) FILTER (WHERE sentiment = 'negative') / count(*), 4) AS share_negative
    FROM v_segment_touchpoints
    GROUP BY ALL;

CREATE OR REPLACE VIEW v_survey_scores AS
    SELECT doc_id, source, created_at, week, channel, product, nps, csat, ces,
           CASE WHEN nps >= 9 THEN 'promoter' WHEN nps >= 7 THEN 'passive'
                WHEN nps IS NOT NULL THEN 'detractor' END AS nps_group,
           length(trim(text)) = 0 AS silent, sentiment
    FROM v_documents
    WHERE nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL;

CREATE OR REPLACE VIEW v_scores_by_touchpoint AS
    WITH mentions AS (
        SELECT DISTINCT doc_id, touchpoint, stage FROM v_segment_touchpoints WHERE kind = 'survey'
    )
    SELECT m.touchpoint, m.stage, d.week,
           count(*) AS respondents,
           count(d.nps) AS nps_respondents,
           round(100.0 * (count(*) FILTER (WHERE d.nps >= 9) - count(*) FILTER (WHERE d.nps <= 6))
                 / nullif(count(d.nps), 0), 1) AS nps,
           count(d.csat) AS csat_respondents, avg(d.csat) AS csat_avg,
           count(d.ces) AS ces_respondents, avg(d.ces) AS ces_avg
    FROM mentions m
    JOIN v_documents d ON d.doc_id = m.doc_id
    GROUP BY ALL;

CREATE OR REPLACE VIEW v_verbatims AS
    SELECT s.doc_id, s.seg_idx, t.touchpoint, t.stage, s.text AS evidence, s.start_char, s.end_char,
           s.sentiment_score, d.text AS document_text, s.created_at, s.week, s.source, s.kind, s.channel,
           s.product, s.lang, s.model_version
    FROM v_segments s
    JOIN documents d ON d.doc_id = s.doc_id
    LEFT JOIN segment_touchpoints t
      ON t.doc_id = s.doc_id AND t.seg_idx = s.seg_idx AND t.model_version = s.model_version
    WHERE s.sentiment = 'negative';

CREATE OR REPLACE VIEW v_customer_journeys AS
    SELECT j.customer_id, j.step, count(*) OVER (PARTITION BY j.customer_id) AS steps,
           j.doc_id, j.source, j.kind, j.created_at, date_trunc('week', j.created_at)::DATE AS week,
           j.channel, j.product, j.lang, j.touchpoints, j.pain_touchpoints, j.first_pain,
           j.sentiment, j.sentiment_score, j.rating, j.nps,
           CASE WHEN j.nps >= 9 THEN 'promoter' WHEN j.nps >= 7 THEN 'passive'
                WHEN j.nps IS NOT NULL THEN 'detractor' END AS nps_group,
           j.csat, j.ces, j.outcome, j.days_since_previous, d.text, j.model_version
    FROM journeys j
    JOIN documents d ON d.doc_id = j.doc_id;
"""
