"""Typed records that cross stage boundaries: ingest → text → nlp → link → store → report."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SourceKind = Literal["review", "chat", "survey"]
Role = Literal["customer", "agent", "bot"]
SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")


def content_hash(*parts: object) -> str:
    """Stable short hash of the parts (None-safe); used for idempotent keys and change detection."""
    h = hashlib.sha256()
    for p in parts:
        h.update(b"\x1f" + ("" if p is None else str(p)).encode("utf-8"))
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class Turn:
    """One turn of a support chat."""

    role: Role
    text: str
    ts: datetime | None = None


@dataclass
class Document:
    """One unit of feedback: a review, a survey answer or a whole chat conversation.

    ``text`` is what is analysed: for chats, the customer turns joined by newlines
    (agent and bot turns are kept in ``turns`` for context only).
    """

    source: str
    kind: SourceKind
    external_id: str
    created_at: datetime
    text: str
    rating: int | None = None
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    channel: str | None = None
    product: str | None = None
    turns: list[Turn] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    location: str = ""  # file:line the record came from
    customer_id: str | None = None  # as the source gives it, or its salted hash (hash_customer_id)

    @property
    def doc_id(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def hash(self) -> str:
        turns = "\x1e".join(f"{t.role}:{t.text}" for t in self.turns)
        # a customer id joins the hash only when there is one: records without it keep their stored hashes
        who = (self.customer_id,) if self.customer_id else ()
        return content_hash(self.text, turns, self.rating, self.nps, self.csat, self.ces, *who)


@dataclass(frozen=True)
class Quarantined:
    """A record that could not be taken, with a reason an operator understands."""

    source: str
    location: str
    payload: str
    reason: str


@dataclass
class Segment:
    """A sentence or clause of a document's (masked) text, with character offsets into it."""

    doc_id: str
    idx: int
    start: int
    end: int
    text: str
    lang: str
    lemmas: list[str] = field(default_factory=list)


@dataclass
class AnalysisBatch:
    """The analysed form of a batch of documents, one DataFrame per stored table (see ``vocmine.store``)."""

    documents: Any  # pandas.DataFrame
    turns: Any
    segments: Any
    segment_predictions: Any
    segment_touchpoints: Any
    document_predictions: Any
    pain_points: Any
    model_version: str
    encoder_outputs: Any = None  # embeddings computed for this batch: encoder, text_hash, embedding
    document_causes: Any = None  # each complaint's primary touchpoint (``link.document_causes``)
    segment_affect: Any = None  # effort and emotions per segment (when the model has affect heads)

    def __len__(self) -> int:
        return len(self.documents)
