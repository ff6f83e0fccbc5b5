"""The analysis façade: documents in, an ``AnalysisBatch`` out (text → nlp → link), ready for the store."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import pandas as pd

from vocmine.link import CauseParams, LinkParams, document_causes, link_pain_points
from vocmine.nlp.encoder import pool_segments
from vocmine.nlp.model import VocModel
from vocmine.records import SENTIMENT_LABELS, AnalysisBatch, Document, content_hash
from vocmine.text import Segmenter, detect_languages, mask_fields_many, mask_pii_many, normalize
from vocmine.text.segment import shared_segmenter
from vocmine.timing import StageTimer

#: Looks up stored embeddings: (encoder id, text hashes) -> {text hash: vector}. ``Store.lookup_encoder_outputs``.
EncoderOutputs = Callable[[str, Sequence[str]], dict[str, np.ndarray]]


class RecentEncoderOutputs:
    """An ``EncoderOutputs`` over the last ``max_texts`` texts encoded in this process, for runs with no store
    (``vocmine classify``): a text already encoded in an earlier batch is not encoded again. Its outputs are the
    ones a fresh encoding would give, since an embedding depends on its text alone (``encoder.WIDTH_STEP``)."""

    def __init__(self, max_texts: int = 20_000):
        self.max_texts = max_texts
        self._outputs: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, encoder: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return {h: v for h in text_hashes if (v := self._outputs.get((encoder, h))) is not None}

    def add(self, outputs: pd.DataFrame) -> None:
        """Remember a batch's ``encoder_outputs``; the oldest are forgotten beyond ``max_texts`` (memory stays
        flat)."""
        for enc, h, raw in zip(outputs["encoder"], outputs["text_hash"], outputs["embedding"], strict=True):
            self._outputs[(enc, h)] = np.frombuffer(raw, "<f4")
        for key in list(self._outputs)[: max(0, len(self._outputs) - self.max_texts)]:
            del self._outputs[key]


class Analyzer:
    """Runs every model stage over a batch of documents with one shared encoder pass.

    Swappable parts: the ``VocModel`` (encoder, sentiment head, touchpoint classifier over a taxonomy), the
    ``Segmenter``, the link parameters and the primary-touchpoint rule (``causes``). ``analyse`` = ``prepare``
    (text stage) → look-up of stored embeddings → ``finish`` (model stage); a distributed runner calls the two
    stages on workers and does the look-up in the process that owns the database. ``timer`` collects the seconds spent per stage.
    """

    def __init__(
        self,
        model: VocModel,
        segmenter: Segmenter | None = None,
        link: LinkParams | None = None,
        causes: CauseParams | None = None,
        pii_kinds: Sequence[str] | None = None,
        reuse: EncoderOutputs | None = None,
        timer: StageTimer | None = None,
    ):
        self.model = model
        self.timer = timer or StageTimer()
        self.segmenter = segmenter or shared_segmenter()
        self.link = link or LinkParams()
        self.causes = causes or CauseParams()
        self.pii_kinds = pii_kinds
        self.reuse = reuse

    def prepare_text(self, doc: Document) -> tuple[str, int, str, float]:
        """Normalised, PII-masked text; number of masked spans; language and its confidence."""
        return prepare_text(doc, self.pii_kinds)

    def analyse(self, docs: Sequence[Document], progress: bool = False) -> AnalysisBatch:
        """Text stage, stored-embedding look-up (``reuse``), then the model stage."""
        prepared = self.prepare(docs)
        with self.timer.stage("lookup", len(prepared.texts)):
            known = self.reuse(self.model.encoder_id, prepared.text_hashes) if self.reuse else {}
        return self.finish(prepared, known, progress)

    def prepare(self, docs: Sequence[Document]) -> Prepared:
        """Text stage: normalise, mask PII, detect language, segment; no model needed."""
        with self.timer.stage("text", len(docs)):
            return prepare_documents(docs, self.segmenter, self.pii_kinds)

    def finish(
        self, prepared: Prepared, known: dict[str, np.ndarray] | None = None, progress: bool = False
    ) -> AnalysisBatch:
        """Model stage: encode what ``known`` (stored embeddings by text hash) lacks, then heads and link."""
        mv = self.model.version
        p = prepared
        documents, segments = p.documents, p.segments
        n_segs = len(segments)
        seg_emb, encoder_outputs = self._embed(p.texts, p.text_hashes, dict(known or {}), progress)

        with self.timer.stage("heads", len(documents)):
            seg_p = self.model.sentiment_proba(seg_emb) if n_segs else np.zeros((0, 3))
            segment_predictions = _sentiment_frame(segments[["doc_id", "seg_idx"]], seg_p, self.model, mv)

            # a document's embedding is pooled from its segments' (no second encoder pass over the whole text)
            doc_emb, has_segments = p.pool(seg_emb, self.model.encoder.dim)
            idx = np.flatnonzero(has_segments)
            doc_p = (
                self.model.document_proba(doc_emb, seg_p, p.owner, p.weights)[idx]
                if len(idx)
                else np.zeros((0, 3))
            )
            document_predictions = _sentiment_frame(documents.iloc[idx][["doc_id"]], doc_p, self.model, mv)

            # the touchpoints read the embedding (the last layer), the first block of the features
            emb = seg_emb[:, : self.model.encoder.dim]
            hits = self.model.touchpoints.predict(emb, segments["lemmas"].tolist()) if n_segs else []
            tax = self.model.taxonomy
            segment_touchpoints = pd.DataFrame(
                [
                    {
                        "doc_id": doc_id,
                        "seg_idx": seg_idx,
                        "model_version": mv,
                        "touchpoint": h.touchpoint,
                        "stage": tax.touchpoint(h.touchpoint).stage,
                        "score": h.score,
                        "similarity": round(h.similarity, 4),
                        "keyword": h.keyword,
                    }
                    for doc_id, seg_idx, hs in zip(segments["doc_id"], segments["seg_idx"], hits, strict=True)
                    for h in hs
                ],
                columns=[
                    "doc_id",
                    "seg_idx",
                    "model_version",
                    "touchpoint",
                    "stage",
                    "score",
                    "similarity",
                    "keyword",
                ],
            )
            # effort and emotion from the same embeddings: no encoder call of their own
            affect = self.model.affect
            segment_affect = (
                affect.frame(segments, emb, seg_emb, mv) if affect is not None and n_segs else None
            )
        with self.timer.stage("link", len(documents)):
            pain_points = link_pain_points(segment_predictions, segment_touchpoints, segments, tax, self.link)
            causes = document_causes(segment_predictions, segment_touchpoints, tax, self.link, self.causes)
        return AnalysisBatch(
            documents=documents,
            turns=p.turns,
            segments=segments,
            segment_predictions=segment_predictions,
            segment_touchpoints=segment_touchpoints,
            document_predictions=document_predictions,
            pain_points=pain_points,
            model_version=mv,
            encoder_outputs=encoder_outputs,
            document_causes=causes,
            segment_affect=segment_affect,
        )

    def _embed(
        self, texts: list[str], keys: list[str], known: dict[str, np.ndarray], progress: bool
    ) -> tuple[np.ndarray, pd.DataFrame]:
        """Encoder outputs of ``texts`` (the embedding and the head's other layers: ``Encoder.encode``'s features):
        ``known`` ones reused, the rest encoded (once per distinct text) and returned."""
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        encoder = self.model.encoder
        with self.timer.stage("encoder", len(todo)):
            fresh = encoder.encode(list(todo.values()), progress=progress, features=True)
        known.update(zip(todo, fresh, strict=True))
        emb = np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder.width), np.float32)
        outputs = pd.DataFrame(
            {
                "encoder": self.model.encoder_id,
                "text_hash": list(todo),
                "embedding": [v.astype("<f4").tobytes() for v in fresh],
            }
        )
        return emb, outputs


#: The canonical fields kept in ``extra`` that are labels, stored as they are; every other extra value (the
#: source's unmapped columns) is PII-masked like the text. (The customer id has a column of its own.)
UNMASKED_EXTRA = ("language", "outcome")


def prepare_text(doc: Document, pii_kinds: Sequence[str] | None = None) -> tuple[str, int, str, float]:
    """Normalised, PII-masked text; number of masked spans; language and its confidence."""
    return prepare_texts([doc], pii_kinds)[0]


def prepare_texts(
    docs: Sequence[Document], pii_kinds: Sequence[str] | None = None
) -> list[tuple[str, int, str, float]]:
    """:func:`prepare_text` of each document, with batched PII detection and language ID."""
    masked = mask_pii_many([normalize(d.text) for d in docs], pii_kinds)
    langs = detect_languages([m for m, _ in masked], [d.extra.get("language") for d in docs])
    return [(m, len(matches), lang, conf) for (m, matches), (lang, conf) in zip(masked, langs, strict=True)]


def prepare_documents(
    docs: Sequence[Document], segmenter: Segmenter, pii_kinds: Sequence[str] | None = None
) -> Prepared:
    """The text stage (no model): normalise, mask PII, detect language, segment."""
    prepared = prepare_texts(docs, pii_kinds)
    documents = pd.DataFrame(
        {
            "doc_id": [d.doc_id for d in docs],
            "source": [d.source for d in docs],
            "kind": [d.kind for d in docs],
            "external_id": [d.external_id for d in docs],
            "created_at": pd.to_datetime([d.created_at for d in docs], utc=True),
            "lang": [p[2] for p in prepared],
            "lang_confidence": [round(p[3], 4) for p in prepared],
            "text": [p[0] for p in prepared],
            "n_chars": [len(p[0]) for p in prepared],
            "rating": pd.array([d.rating for d in docs], dtype="Int8"),
            "nps": pd.array([d.nps for d in docs], dtype="Int8"),
            "csat": pd.array([d.csat for d in docs], dtype="Int8"),
            "ces": pd.array([d.ces for d in docs], dtype="Int8"),
            "channel": [d.channel for d in docs],
            "product": [d.product for d in docs],
            "extra": [
                json.dumps(e, ensure_ascii=False, default=str)
                for e in mask_fields_many([d.extra for d in docs], pii_kinds, keep=UNMASKED_EXTRA)
            ],
            "pii_masked": [p[1] for p in prepared],
            "content_hash": [d.hash for d in docs],
            "location": [d.location for d in docs],
            "customer_id": [d.customer_id for d in docs],
        }
    )
    all_turns = [(d.doc_id, i, t) for d in docs for i, t in enumerate(d.turns)]
    masked_turns = mask_pii_many([normalize(t.text) for _, _, t in all_turns], pii_kinds)
    turns = pd.DataFrame(
        [
            {"doc_id": doc_id, "turn_idx": i, "role": t.role, "ts": t.ts, "text": text}
            for (doc_id, i, t), (text, _) in zip(all_turns, masked_turns, strict=True)
        ],
        columns=["doc_id", "turn_idx", "role", "ts", "text"],
    )
    if len(turns):
        turns["ts"] = pd.to_datetime(turns["ts"], utc=True)

    seg_lists = list(
        segmenter.segment_many((d.doc_id, p[0], p[2]) for d, p in zip(docs, prepared, strict=True))
    )
    segs = [s for lst in seg_lists for s in lst]
    segments = pd.DataFrame(
        {
            "doc_id": [s.doc_id for s in segs],
            "seg_idx": [s.idx for s in segs],
            "start_char": [s.start for s in segs],
            "end_char": [s.end for s in segs],
            "text": [s.text for s in segs],
            "lang": [s.lang for s in segs],
            "lemmas": [s.lemmas for s in segs],
        }
    )
    return Prepared(documents, turns, segments)


@dataclass
class Prepared:
    """The text stage's output for one batch: what the store keeps, and the texts the encoder must embed.

    Small and picklable, so the text and model stages can run on different processes or machines.
    """

    documents: pd.DataFrame
    turns: pd.DataFrame
    segments: pd.DataFrame  # with a ``lemmas`` column for the keyword matcher

    # Both read by the look-up and again by the model stage (maybe on another process): computed once.
    @cached_property
    def texts(self) -> list[str]:
        """What the encoder embeds: the segment texts (documents are pooled from them)."""
        return self.segments["text"].tolist()

    @cached_property
    def owner(self) -> np.ndarray:
        """Each segment's document (row of ``documents``)."""
        return pd.Index(self.documents["doc_id"]).get_indexer(self.segments["doc_id"])

    @cached_property
    def weights(self) -> np.ndarray:
        """Each segment's weight in its document's pooling: its length."""
        return np.array([len(t) for t in self.segments["text"]], np.float32)

    def pool(self, seg_emb: np.ndarray, block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Document embeddings pooled from ``seg_emb`` (rows of ``segments``; ``block``: see ``pool_segments``),
        and which documents have segments."""
        n = len(self.documents)
        emb = pool_segments(seg_emb, self.weights, self.owner, n, block)
        return emb, np.bincount(self.owner, minlength=n) > 0

    @cached_property
    def text_hashes(self) -> list[str]:
        return [content_hash(t) for t in self.texts]


@dataclass
class Clauses:
    """Documents as a run sees them, for training and evaluation: their clauses' encoder outputs and pooling."""

    doc_emb: np.ndarray  # pooled, one row per document (zero for a document without clauses)
    seg_emb: np.ndarray  # one row per clause
    owner: np.ndarray  # each clause's document
    weights: np.ndarray  # each clause's weight in the pooling (its length)
    texts: list[str]  # the clauses

    def proba(self, model) -> np.ndarray:
        """A model's document probabilities, as ``Pipeline.finish`` computes them (``model``: a ``VocModel``
        or anything with its ``sentiment_proba`` and ``document_proba``)."""
        seg_p = model.sentiment_proba(self.seg_emb) if len(self.seg_emb) else np.zeros((0, 3))
        return model.document_proba(self.doc_emb, seg_p, self.owner, self.weights)


def document_clauses(
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    segmenter: Segmenter | None = None,
    block: int | None = None,
) -> Clauses:
    """``texts`` through the text stage, their segments embedded by ``encode`` (e.g. a cached
    ``Encoder.encode``; features pooled per ``block``), pooled exactly as a run pools them."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    docs = [Document("eval", "review", str(i), epoch, t) for i, t in enumerate(texts)]
    p = prepare_documents(docs, segmenter or shared_segmenter())
    seg_emb = encode(p.texts)
    return Clauses(p.pool(seg_emb, block)[0], seg_emb, p.owner, p.weights, p.texts)


def document_embeddings(
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    segmenter: Segmenter | None = None,
    block: int | None = None,
) -> np.ndarray:
    """Document embeddings made exactly as a run makes them (text stage, segment embeddings, pooling).

    Rows of texts that have no segments are zero, and such texts get no document prediction in a run either.
    """
    return document_clauses(texts, encode, segmenter, block).doc_emb


def _sentiment_frame(keys: pd.DataFrame, proba: np.ndarray, model: VocModel, mv: str) -> pd.DataFrame:
    """Probabilities in the head's label order → a frame in vocmine's fixed label order."""
    order = [model.sentiment.labels.index(lab) for lab in SENTIMENT_LABELS]
    p = proba[:, order] if len(proba) else np.zeros((0, 3))
    best = p.argmax(axis=1) if len(p) else np.zeros(0, int)
    df = keys.reset_index(drop=True).copy()
    df["model_version"] = mv
    df["sentiment"] = [SENTIMENT_LABELS[i] for i in best]
    df["score"] = p.max(axis=1).round(4) if len(p) else []
    for k, lab in enumerate(SENTIMENT_LABELS):
        df[f"p_{lab}"] = p[:, k].round(4) if len(p) else []
    return df
