"""The data dictionary: one source for ``docs/schema.md`` and the ``COMMENT ON`` text inside the database.

Regenerate the document after any change here or in the schema::

    python -m vocmine.store.dictionary > docs/schema.md

(a test fails while the committed file is stale, and another while any table or view column lacks a comment).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Literal

import duckdb


@dataclass(frozen=True)
class Relation:
    kind: Literal["table", "view"]
    description: str
    lineage: str
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def comment(self) -> str:
        return f"{self.description} Lineage: {self.lineage}"


# Columns that mean the same wherever they appear; a relation names them and may override the wording.
COMMON: dict[str, str] = {
    "doc_id": "Document key: '<source>:<external_id>'.",
    "source": "Source name from the sources YAML.",
    "kind": "Kind of source: review, chat or survey.",
    "external_id": "The record's id in its source file.",
    "created_at": "When the customer wrote it (source timestamp, UTC).",
    "week": "Monday of the ISO week of created_at (date), for weekly trends.",
    "lang": "ISO 639-1 language code of the masked text ('und' when undeterminable).",
    "text": "Normalised, PII-masked text (placeholders such as [PHONE]); chats: the customer turns only.",
    "rating": "Star rating 1-5, if the source has one.",
    "nps": "Net Promoter Score answer 0-10, if any.",
    "csat": "Customer satisfaction score 1-5, if any.",
    "ces": "Customer effort score 1-7, if any.",
    "channel": "Channel from the source (e.g. app, web, store), if mapped.",
    "product": "Product or service from the source, if mapped.",
    "seg_idx": "Position of the segment (sentence or clause) in its document, from 0.",
    "start_char": "Start offset (characters, inclusive) into the document's masked text.",
    "end_char": "End offset (characters, exclusive) into the document's masked text.",
    "model_version": "Model that made the prediction: '<model>@<config+heads hash>+tax@<taxonomy hash>'.",
    "run_id": "Run (table runs) that wrote the row.",
    "touchpoint": "Customer-journey touchpoint id from the taxonomy.",
    "stage": "Journey stage of the touchpoint, from the taxonomy.",
    "sentiment": "Predicted sentiment: negative, neutral or positive.",
    "sentiment_score": "Calibrated probability of the predicted sentiment.",
    "score": "Calibrated probability of the predicted sentiment.",
    "p_negative": "Calibrated probability of negative.",
    "p_neutral": "Calibrated probability of neutral.",
    "p_positive": "Calibrated probability of positive.",
    "severity": "Pain-point severity 0-1: p(negative) of the segment times the touchpoint confidence.",
    "evidence": "The segment text that is the evidence of the pain point (= text[start_char:end_char]).",
    "keyword": "Taxonomy keyword found in the segment's lemmas, if the match used one.",
    "ingest_run_id": "Run that first stored the document.",
    "customer_id": (
        "The customer's id from the source (the field customer_id maps), or its salted HMAC-SHA256 hash when "
        "the source sets hash_customer_id; NULL without one. The same customer has the same value in every "
        "source, so it joins a customer's feedback across them."
    ),
    "affect_version": (
        "Affect heads that scored the row: 'affect@<hash of the effort prototypes, the emotion head weights and the "
        "encoder>'; the model's own model_version does not include them."
    ),
    "effort_score": (
        "Effort the clause expresses, -1 (easy: 'worked the first time') to 1 (hard: 'had to call three times'): "
        "p(hard) - p(easy) from its similarity to the effort prototype phrases; near 0 when it says nothing about "
        "effort. NULL when the model has no effort prototypes."
    ),
    "effort": "Effort label from effort_score: hard (>= 0.2), easy (<= -0.2), else neutral.",
    "emotions": (
        "Emotions over their threshold (joy, sadness, surprise, fear, anger; several or none), from the emotion "
        "head trained on CEDR (Russian; English by cross-lingual transfer)."
    ),
    "p_joy": "Probability of joy (emotion head, one-vs-rest).",
    "p_sadness": "Probability of sadness (emotion head, one-vs-rest).",
    "p_surprise": "Probability of surprise (emotion head, one-vs-rest).",
    "p_fear": "Probability of fear (emotion head, one-vs-rest).",
    "p_anger": "Probability of anger (emotion head, one-vs-rest).",
}

_AFFECT = ("effort_score", "effort", "emotions", "p_joy", "p_sadness", "p_surprise", "p_fear", "p_anger")


def _cols(*names: str, **specific: str) -> dict[str, str]:
    return {**{n: COMMON[n] for n in names}, **specific}


_SENT = ("sentiment", "sentiment_score", "p_negative", "p_neutral", "p_positive")
_CAUSE_SCORE = "The touchpoint's summed severity over the document's negative segments (the first one x1.5)."
_CAUSE_SHARE = "Its part 0-1 of the document's summed severity over all its touchpoints (1: the only one)."
_CURRENT = "Current predictions only: the model version doc_model records for each document."

RELATIONS: dict[str, Relation] = {
    # -- analyst views ----------------------------------------------------------------------------------
    "v_current_model": Relation(
        "view",
        "The model version the latest nightly or reprocessing run published.",
        "meta key current_model_version, set by Store.publish_run.",
        _cols("model_version"),
    ),
    "v_documents": Relation(
        "view",
        f"One row per document with its document-level sentiment. {_CURRENT}",
        "documents + doc_model + document_predictions.",
        _cols(
            "doc_id",
            "source",
            "kind",
            "external_id",
            "created_at",
            "week",
            "lang",
            "text",
            "rating",
            "nps",
            "csat",
            "ces",
            "channel",
            "product",
            *_SENT,
            "model_version",
            "ingest_run_id",
            "customer_id",
            sentiment="Document sentiment (NULL for a text-less survey answer).",
            outcome=(
                "Chat outcome from the source's outcome field, lower case (resolved, unresolved, escalated, "
                "...); NULL for reviews, surveys and chats without one."
            ),
        ),
    ),
    "v_segments": Relation(
        "view",
        f"One row per segment (sentence or clause) with its sentiment and document context. {_CURRENT}",
        "segments + documents + doc_model + segment_predictions.",
        _cols(
            "doc_id",
            "seg_idx",
            "start_char",
            "end_char",
            "lang",
            "source",
            "kind",
            "created_at",
            "week",
            "channel",
            "product",
            *_SENT,
            "model_version",
            text="Segment text (= document text[start_char:end_char]).",
        ),
    ),
    "v_segment_touchpoints": Relation(
        "view",
        f"One row per (segment, touchpoint it mentions), whatever the sentiment. {_CURRENT}",
        "segment_touchpoints + doc_model + v_segments.",
        _cols(
            "doc_id",
            "seg_idx",
            "touchpoint",
            "stage",
            "keyword",
            "sentiment",
            "sentiment_score",
            "created_at",
            "week",
            "source",
            "kind",
            "channel",
            "product",
            "lang",
            "model_version",
            touchpoint_score="Touchpoint confidence 0-1 (similarity to the taxonomy examples, plus a keyword bonus).",
            text="Segment text.",
        ),
    ),
    "v_segment_affect": Relation(
        "view",
        "One row per segment with its effort and emotions, beside its text, touchpoints and sentiment (e.g. angry "
        f"complaints about delivery: docs/report.md). {_CURRENT}",
        "segment_affect + doc_model + v_segments + segment_touchpoints.",
        _cols(
            "doc_id",
            "seg_idx",
            "lang",
            "source",
            "kind",
            "created_at",
            "week",
            "channel",
            "product",
            "sentiment",
            "sentiment_score",
            "p_negative",
            *_AFFECT,
            "model_version",
            "affect_version",
            text="Segment text (PII-masked).",
            touchpoint="The segment's most confident touchpoint; NULL when it mentions none.",
            touchpoints="Every touchpoint the segment mentions, most confident first (empty list: none).",
        ),
    ),
    "v_pain_points": Relation(
        "view",
        f"One row per (negative segment, touchpoint that caused it), with the evidence span. {_CURRENT}",
        "pain_points + doc_model + documents.",
        _cols(
            "doc_id",
            "seg_idx",
            "touchpoint",
            "stage",
            "severity",
            "evidence",
            "start_char",
            "end_char",
            "source",
            "kind",
            "created_at",
            "week",
            "lang",
            "channel",
            "product",
            "rating",
            "nps",
            "csat",
            "ces",
            "model_version",
            "run_id",
            document_text="The whole masked document text (evidence offsets point into it).",
        ),
    ),
    "v_document_causes": Relation(
        "view",
        "One row per complaint: each document with a pain point and its primary touchpoint, the one cause a CX "
        f"team would file it under, with the evidence clause. {_CURRENT}",
        "document_causes + doc_model + documents + segments.",
        _cols(
            "doc_id",
            "touchpoint",
            "stage",
            "seg_idx",
            "evidence",
            "start_char",
            "end_char",
            "source",
            "kind",
            "created_at",
            "week",
            "lang",
            "channel",
            "product",
            "rating",
            "nps",
            "csat",
            "ces",
            "model_version",
            "run_id",
            score=_CAUSE_SCORE,
            share=_CAUSE_SHARE,
            document_text="The whole masked document text (evidence offsets point into it).",
        ),
    ),
    "v_pain_points_weekly": Relation(
        "view",
        "Pain points per touchpoint and week (the summary's trend input).",
        "aggregate of v_pain_points.",
        _cols(
            "touchpoint",
            "stage",
            "week",
            pain_points="Number of pain points (segments) that week.",
            documents="Number of distinct documents with such a pain point.",
            avg_severity="Mean severity.",
        ),
    ),
    "v_touchpoint_sentiment": Relation(
        "view",
        "Sentiment mix of every segment that mentions a touchpoint, over all time.",
        "aggregate of v_segment_touchpoints.",
        _cols(
            "touchpoint",
            "stage",
            mentions="Segments mentioning the touchpoint.",
            negative="Of which negative.",
            neutral="Of which neutral.",
            positive="Of which positive.",
            share_negative="negative / mentions, rounded to 4 decimals.",
        ),
    ),
    "v_survey_scores": Relation(
        "view",
        "Survey answers (any NPS, CSAT or CES) with NPS group and whether the answer had text.",
        "v_documents.",
        _cols(
            "doc_id",
            "source",
            "created_at",
            "week",
            "channel",
            "product",
            "nps",
            "csat",
            "ces",
            nps_group="promoter (9-10), passive (7-8) or detractor (0-6); NULL without an NPS.",
            silent="True when the answer has a score but no text.",
            sentiment="Document sentiment of the answer text (NULL when silent).",
        ),
    ),
    "v_scores_by_touchpoint": Relation(
        "view",
        "Survey scores by touchpoint and week: NPS, CSAT and CES of the survey answers whose text mentions "
        f"the touchpoint in any segment (an answer mentioning two touchpoints counts for both). {_CURRENT}",
        "v_segment_touchpoints (kind = 'survey') + v_documents.",
        _cols(
            "touchpoint",
            "stage",
            "week",
            respondents="Survey answers mentioning the touchpoint that week.",
            nps_respondents="Of which with an NPS answer.",
            nps="Net Promoter Score: promoters % (9-10) minus detractors % (0-6) of nps_respondents, "
            "rounded to 0.1; NULL without NPS answers.",
            csat_respondents="Of which with a CSAT answer.",
            csat_avg="Mean CSAT (1-5); NULL without CSAT answers.",
            ces_respondents="Of which with a CES answer.",
            ces_avg="Mean CES (1-7); NULL without CES answers.",
        ),
    ),
    "v_verbatims": Relation(
        "view",
        "Negative segments (customer verbatims) with the touchpoint they mention, one row per touchpoint "
        f"(touchpoint NULL when none), the masked evidence and the masked document text. {_CURRENT}",
        "v_segments (sentiment = 'negative') + segment_touchpoints + documents.",
        _cols(
            "doc_id",
            "seg_idx",
            "touchpoint",
            "stage",
            "start_char",
            "end_char",
            "sentiment_score",
            "created_at",
            "week",
            "source",
            "kind",
            "channel",
            "product",
            "lang",
            "model_version",
            evidence="The negative segment's masked text (= document_text[start_char:end_char]).",
            document_text="The whole masked document text (evidence offsets point into it).",
            touchpoint="Touchpoint id the segment mentions; NULL when it mentions none.",
            stage="Journey stage of the touchpoint; NULL when the segment mentions none.",
        ),
    ),
    "v_customer_journeys": Relation(
        "view",
        "Customer journeys: per customer (customer_id), the feedback events across sources (reviews, chats, "
        "surveys) in time order, each with its touchpoints, pain points, sentiment, scores and chat outcome. "
        f"{_CURRENT} As of the last rebuild of the journeys table (see docs/report.md, the journey queries).",
        "journeys + documents.",
        _cols(
            "customer_id",
            "doc_id",
            "source",
            "kind",
            "created_at",
            "week",
            "channel",
            "product",
            "lang",
            "sentiment",
            "sentiment_score",
            "rating",
            "nps",
            "csat",
            "ces",
            "text",
            "model_version",
            steps="Number of events in the customer's journey.",
            nps_group="promoter (9-10), passive (7-8) or detractor (0-6); NULL without an NPS answer.",
            step="Position of the event in the customer's journey, from 1 (by created_at, then doc_id).",
            touchpoints="Every touchpoint the document's segments mention (sorted; empty when none).",
            pain_touchpoints="The touchpoints of the document's pain points: negative segments linked to them (sorted).",
            first_pain=(
                "The touchpoint of the document's first pain point (earliest segment; of its pain points the most "
                "severe): where the customer first complained. NULL without one."
            ),
            outcome="Chat outcome (as in v_documents.outcome); NULL for reviews and surveys.",
            days_since_previous="Days since the customer's previous event; NULL for the first.",
        ),
    ),
    # -- tables -----------------------------------------------------------------------------------------
    "meta": Relation(
        "table",
        "Key-value settings of the database file.",
        "schema_version by Store.migrate; current_model_version by Store.publish_run; "
        "search_indexed_at by Store.refresh_search_index.",
        {"key": "Setting name.", "value": "Setting value (text)."},
    ),
    "runs": Relation(
        "table",
        "One row per flow run (nightly or reprocess) with its counts.",
        "Store.start_run / add_counts / finish_run.",
        _cols(
            "run_id",
            "model_version",
            flow="Flow name: nightly, reprocess (or test).",
            started_at="Start time (UTC).",
            ended_at="End time (UTC); NULL while running.",
            status="running, completed or failed.",
            params="Flow parameters (JSON).",
            n_read="Records read from the sources.",
            n_stored="New documents stored.",
            n_updated="Documents edited at the source (or re-analysed by reprocess).",
            n_duplicates="Records skipped because their content was already stored.",
            n_quarantined="Records rejected into quarantine.",
            n_segments="Segments written.",
            n_pain_points="Pain points written.",
            message="Error of a failed run ('abandoned: …' if it was killed); its pid and host while running.",
        ),
    ),
    "sources": Relation(
        "table",
        "One row per declared source with its incremental watermark.",
        "Store.set_watermark after a source's records are stored.",
        _cols(
            "source",
            "kind",
            location="File, folder or glob the source reads.",
            watermark="Latest created_at stored from this source.",
            last_run_id="Last run that read the source.",
            updated_at="When the row was last written (UTC).",
        ),
    ),
    "encoder_outputs": Relation(
        "table",
        "Sentence embeddings already computed, keyed by encoder and text, so re-labelling (new taxonomy or head) "
        "and re-runs reuse them instead of running the encoder again.",
        "nlp (Analyzer) -> Store.write_batch / write_reanalysis.",
        _cols(
            "run_id",
            encoder="Encoder identity: name, weights hash, input prefix, max length, number format and the "
            "layers pooled besides the last.",
            text_hash="Hash of the exact text that was encoded (a segment or a whole document).",
            embedding="float32 little-endian values: the L2-normalised embedding (384 for e5-small), then a block "
            "as wide for each extra layer the sentiment head reads, each L2-normalised (the default model: layer 8, "
            "768 values in all).",
        ),
    ),
    "source_files": Relation(
        "table",
        "Fingerprint of every ingested file, so an unchanged file is skipped next time.",
        "Store.mark_file at the end of a source's intake.",
        _cols(
            "source",
            "run_id",
            path="File path.",
            sha256="SHA-256 of the file content.",
            size="File size in bytes.",
            seen_at="When it was fingerprinted (UTC).",
            encoding="Text encoding the file was read with (detected unless declared); empty for Parquet/XLSX.",
        ),
    ),
    "documents": Relation(
        "table",
        "One row per feedback record (review, chat, survey answer): the analysed text and its scores.",
        "ingest (source file) -> text (normalise, mask PII, detect language) -> Store.write_batch.",
        _cols(
            "doc_id",
            "source",
            "kind",
            "external_id",
            "created_at",
            "lang",
            "text",
            "rating",
            "nps",
            "csat",
            "ces",
            "channel",
            "product",
            "ingest_run_id",
            "customer_id",
            lang_confidence="Language-ID confidence 0-1.",
            n_chars="Length of the masked text in characters.",
            extra=(
                "Source columns not mapped to a canonical field, PII-masked like the text, and language, "
                "outcome as they are (JSON); none with the source setting extra: drop. (Files upgraded from "
                "schema v6 keep their customer_id here too.)"
            ),
            pii_masked="Number of PII spans masked in the text.",
            content_hash="Hash of text, turns, scores and customer id; a change means the record was edited.",
            location="'file:line' the record came from.",
            updated_run_id="Run that last (re)wrote the document.",
        ),
    ),
    "journeys": Relation(
        "table",
        "One row per document with a customer id: the customer's feedback events across sources in time "
        "order, with the current predictions (doc_model). Rebuilt whole by the nightly and reprocessing flows.",
        "documents + doc_model + document_predictions + segment_touchpoints + pain_points -> "
        "Store.refresh_journeys (vocmine/store/journeys.py).",
        _cols(
            "customer_id",
            "doc_id",
            "source",
            "kind",
            "created_at",
            "channel",
            "product",
            "lang",
            "sentiment",
            "sentiment_score",
            "rating",
            "nps",
            "csat",
            "ces",
            "model_version",
            run_id="Run that rebuilt the journeys.",
            step="Position of the event in the customer's journey, from 1 (by created_at, then doc_id).",
            touchpoints="Every touchpoint the document's segments mention (sorted; empty when none).",
            pain_touchpoints="The touchpoints of the document's pain points: negative segments linked to them (sorted).",
            first_pain=(
                "The touchpoint of the document's first pain point (earliest segment; of its pain points the most "
                "severe): where the customer first complained. NULL without one."
            ),
            outcome="Chat outcome (as in v_documents.outcome); NULL for reviews and surveys.",
            days_since_previous="Days since the customer's previous event; NULL for the first.",
        ),
    ),
    "document_history": Relation(
        "table",
        "Previous texts of documents edited at the source.",
        "Store.write_batch, before it replaces an edited document.",
        _cols(
            "doc_id",
            content_hash="Hash of the replaced version.",
            text="The replaced masked text.",
            replaced_by_run_id="Run that stored the new version.",
            replaced_at="When it was replaced (UTC).",
        ),
    ),
    "turns": Relation(
        "table",
        "Chat turns of every role; only customer turns make up the document text.",
        "ingest (chat sources) -> Store.write_batch.",
        _cols(
            "doc_id",
            turn_idx="Position of the turn in the chat, from 0.",
            role="customer, agent or bot.",
            ts="Turn timestamp, if the source has one.",
            text="Turn text as ingested.",
        ),
    ),
    "segments": Relation(
        "table",
        "Sentences and clauses of each document, with offsets into its masked text.",
        "text.segment (spaCy) -> Store.write_batch; replaced on re-analysis.",
        _cols(
            "doc_id",
            "seg_idx",
            "start_char",
            "end_char",
            "lang",
            "run_id",
            text="Segment text.",
            lemmas="Lemmas of the segment (pymorphy3 for Russian), used for keyword matching.",
        ),
    ),
    "segment_predictions": Relation(
        "table",
        "Sentiment of each segment, per model version (old versions are kept).",
        "nlp sentiment head -> Store.write_batch / write_reanalysis.",
        _cols(
            "doc_id",
            "seg_idx",
            "model_version",
            "sentiment",
            "score",
            "p_negative",
            "p_neutral",
            "p_positive",
            "run_id",
        ),
    ),
    "segment_touchpoints": Relation(
        "table",
        "Touchpoints each segment mentions, per model version.",
        "nlp zero-shot touchpoint classifier -> Store.write_batch / write_reanalysis.",
        _cols(
            "doc_id",
            "seg_idx",
            "model_version",
            "touchpoint",
            "stage",
            "keyword",
            "run_id",
            score="Touchpoint confidence 0-1 (similarity to the taxonomy examples, plus a keyword bonus).",
            similarity="Raw cosine similarity to the touchpoint's examples.",
        ),
    ),
    "document_predictions": Relation(
        "table",
        "Sentiment of each document as a whole, per model version.",
        "nlp sentiment head -> Store.write_batch / write_reanalysis.",
        _cols(
            "doc_id", "model_version", "sentiment", "score", "p_negative", "p_neutral", "p_positive", "run_id"
        ),
    ),
    "segment_affect": Relation(
        "table",
        "Effort and emotions of each segment, per model version (written with its other predictions).",
        "nlp affect heads (vocmine/nlp/affect.py) on the segment embeddings of the run -> Store.write_batch / "
        "write_reanalysis.",
        _cols("doc_id", "seg_idx", "model_version", "affect_version", *_AFFECT, "run_id"),
    ),
    "pain_points": Relation(
        "table",
        "Each negative segment linked to the touchpoint(s) that caused it, per model version.",
        "link (negative segments x touchpoints) -> Store.write_batch / write_reanalysis.",
        _cols(
            "doc_id",
            "seg_idx",
            "model_version",
            "touchpoint",
            "stage",
            "severity",
            "evidence",
            "start_char",
            "end_char",
            "run_id",
        ),
    ),
    "document_causes": Relation(
        "table",
        "The primary touchpoint of each document with a pain point (one per document and model version): its "
        "negative segments' severities summed per touchpoint, the first negative segment's counted x1.5.",
        "link.document_causes (pain points -> one cause per document) -> Store.write_batch / write_reanalysis.",
        _cols(
            "doc_id",
            "model_version",
            "touchpoint",
            "stage",
            "run_id",
            score=_CAUSE_SCORE,
            share=_CAUSE_SHARE,
            seg_idx="The evidence: the document's most severe negative segment about this touchpoint.",
        ),
    ),
    "doc_model": Relation(
        "table",
        "The current model version of each document: the views show only its predictions.",
        "Store.write_batch (nightly, same transaction as the predictions); "
        "Store.publish_run (reprocess, all documents of the run in one transaction).",
        _cols("doc_id", "model_version", run_id="Run that made this version current."),
    ),
    "model_versions": Relation(
        "table",
        "Every model version that has written predictions, with its taxonomy.",
        "Store.write_batch / write_reanalysis, on first use of the version.",
        _cols(
            "model_version",
            name="Model name.",
            encoder="Base encoder name or path.",
            taxonomy_version="Hash of the taxonomy.",
            taxonomy="The taxonomy itself (JSON).",
            first_run_id="First run that used the version.",
            created_at="When it was first used (UTC).",
        ),
    ),
    "quarantine": Relation(
        "table",
        "Input records rejected at ingest, with the reason; each kept once however often re-read.",
        "ingest -> Store.quarantine.",
        _cols(
            "run_id",
            "source",
            quarantine_id="Hash of source, location, payload and reason.",
            location="'file:line' of the record.",
            payload="The raw record, PII-masked (first 10,000 characters); empty with quarantine_payload: drop.",
            reason="Why it was rejected.",
            quarantined_at="When (UTC).",
            path="Full path of the file it came from (what `vocmine quarantine retry` re-reads).",
            last_seen_run_id="The last run that read the record and rejected it again.",
            resolved_run_id="The retry run after which the record was no longer rejected (NULL while open).",
        ),
    ),
    "search_ru": Relation(
        "table",
        "Russian documents as the full-text index sees them (Russian Snowball stemmer).",
        "documents with lang 'ru' and non-empty text, copied by Store.refresh_search_index, which then "
        "rebuilds the index in schema fts_main_search_ru.",
        _cols("doc_id", "lang", "text"),
    ),
    "search_en": Relation(
        "table",
        "All other documents (English and undetermined) for the full-text index (English Snowball stemmer).",
        "documents with lang other than 'ru' and non-empty text, copied by Store.refresh_search_index, "
        "which then rebuilds the index in schema fts_main_search_en.",
        _cols("doc_id", "lang", "text"),
    ),
    "alerts_sent": Relation(
        "table",
        'Alerts sent, or tried and failed, by the alerts runs (README "Alerts"): at most one message per '
        "week, touchpoint and recipient; a failed one is tried again by the next runs.",
        "vocmine.alerts.deliver, after the nightly report or from `vocmine alerts send`.",
        _cols(
            week="Monday of the reported week the alert is about.",
            touchpoint="Touchpoint id the alert is about, or theme:<id> for an emerging new theme (themes.theme_id).",
            recipient="Channel name from the alerts YAML, or 'channel:address' for e-mail.",
            rules="The rules that held for the touchpoint and this recipient ('emerging' or a threshold rule's name).",
            status="sent, or failed (tried again by the next runs, up to max_attempts).",
            attempts="Sends tried so far.",
            subject="The message's subject.",
            body="The message as sent (plain text; verbatims PII-masked as stored).",
            error="Why the last try failed (no secrets); NULL once sent.",
            first_tried_at="When the first try was made (UTC).",
            last_tried_at="When the last try was made (UTC).",
            sent_at="When it was delivered (UTC); NULL while failed.",
            run_id="Run (table runs) whose alerts step wrote the row; NULL from `vocmine alerts send`.",
        ),
    ),
    "themes": Relation(
        "table",
        "New themes (clusters of complaints that fit no touchpoint) with an id that lasts from one run to the "
        "next: a run's cluster takes the id of the stored theme whose centroid is nearest, if near enough "
        "(docs/report.md, 'New themes'). Rows are never deleted: a theme not seen again keeps its last week.",
        "nightly and reprocess runs (vocmine/report/tracking.py record_themes), before the snapshot is "
        "published; read by the report and `vocmine taxonomy promote`.",
        _cols(
            theme_id="Stable theme id, 'T' and a number (T0001, T0002, …), given in the order themes appear.",
            encoder="Encoder whose embeddings the centroid averages (only themes of the same encoder match).",
            centroid="L2-normalised mean embedding of the theme's segments when last seen.",
            label="Readable name: the theme's most representative phrase (clause nearest its centre, trimmed).",
            labels="The same per language of its segments, JSON {lang: phrase}.",
            words="Its most distinctive words (c-TF-IDF), the secondary label.",
            examples="Representative masked segments per language, nearest the centre first, JSON {lang: [...]}.",
            size="Segments in the theme in the window of the run that last saw it.",
            first_week="Reported week of the first run that found the theme.",
            last_week="Latest reported week of a run that found it.",
            first_run_id="Run that first found the theme.",
            last_run_id="Run that last found it.",
            updated_at="When the row was last written (UTC).",
        ),
    ),
}

ANALYST_VIEWS: tuple[str, ...] = tuple(n for n, r in RELATIONS.items() if r.kind == "view")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements() -> list[str]:
    """``COMMENT ON`` statements for every relation and column (names come from this module only)."""
    out = []
    for name, rel in RELATIONS.items():
        out.append(f"COMMENT ON {rel.kind.upper()} {name} IS {_literal(rel.comment)}")
        out += [f"COMMENT ON COLUMN {name}.{col} IS {_literal(text)}" for col, text in rel.columns.items()]
    return out


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    for sql in comment_statements():
        con.execute(sql)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")  # "<source>" would read as an HTML tag


INTRO = """\
# vocmine data dictionary

<!-- Generated by `python -m vocmine.store.dictionary > docs/schema.md` from vocmine/store/dictionary.py;
     do not edit by hand (a test compares). -->

Schema version **{version}**. The same descriptions are stored in the database as comments:

```sql
SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main';
SELECT table_name, comment FROM duckdb_tables() UNION ALL SELECT view_name, comment FROM duckdb_views();
```

## Current predictions and lineage

Every prediction table (`segment_predictions`, `segment_touchpoints`, `document_predictions`, `pain_points`,
`segment_affect`) is
keyed by `model_version`, so predictions of a new model or taxonomy are stored *beside* the old ones. The table
`doc_model` says which version is **current** for each document; every `v_*` view joins through it and so shows
exactly one version per document. The nightly flow sets `doc_model` in the same transaction as a batch's
predictions; `vocmine reprocess` writes its predictions first and switches all its documents in one transaction
at the end (`Store.publish_run`), so readers never see a half-relabelled state. To compare models, query the
prediction tables directly with a `model_version` filter.

Lineage: every row written by a run carries its `run_id` (table `runs`); documents carry `ingest_run_id` (first
stored) and `updated_run_id` (last rewritten), `location` (`file:line`) and `content_hash`; edited texts are kept
in `document_history`; rejected input is in `quarantine`.

## Full-text search

`Store.refresh_search_index()` copies the masked text of every non-empty document into `search_ru` (language
`ru`, Russian stemmer) or `search_en` (everything else, English stemmer) and rebuilds a DuckDB `fts` index on
each (schemas `fts_main_search_ru`, `fts_main_search_en`). Use `vocmine search "QUERY"` or, in SQL,
`fts_main_search_ru.match_bm25(doc_id, 'доставка')`. The index is as of the last refresh (`meta` key
`search_indexed_at`).

## Schema versions

`Store.migrate()` creates a new file at the current version or upgrades an older one step by step
(`vocmine/store/migrations.py`), in one transaction; a file from a newer vocmine is refused.

{versions}
"""


def render_markdown() -> str:
    """``docs/schema.md``: every view and table with column types (read from a fresh in-memory schema)."""
    from vocmine.store.migrations import MIGRATIONS, upgrade  # migrations imports this module
    from vocmine.store.schema import SCHEMA_VERSION

    con = duckdb.connect()
    upgrade(con, "in-memory")
    types = {}
    for table, col, typ in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall():
        types.setdefault(table, {})[col] = typ
    con.close()

    # the steps' own docstrings: the list cannot fall behind the schema
    steps = [
        f"- v{i + 2}: {' '.join(m.__doc__.split()).replace('``', '`')}" for i, m in enumerate(MIGRATIONS)
    ]
    versions = "\n".join(["- v1: the initial schema (with these comments).", *steps])
    parts = [INTRO.format(version=SCHEMA_VERSION, versions=versions)]
    for kind, title in (("view", "Analyst views"), ("table", "Tables")):
        parts.append(f"## {title}\n")
        for name, rel in RELATIONS.items():
            if rel.kind != kind:
                continue
            rows = [f"| `{c}` | {t} | {_cell(rel.columns[c])} |" for c, t in types[name].items()]
            parts.append(
                f"### `{name}`\n\n{rel.description}\n\n*Lineage:* {rel.lineage}\n\n"
                "| column | type | meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n"
            )
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
