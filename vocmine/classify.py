"""Score an ad-hoc CSV/JSONL export: the input rows plus language, sentiment, touchpoints and pain points."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from vocmine.errors import InputError, UsageError
from vocmine.jobs import batches
from vocmine.nlp.model import VocModel
from vocmine.pipeline import Analyzer, RecentEncoderOutputs
from vocmine.records import Document

SPAN = {"start_char": "start", "end_char": "end"}  # the output's names for character offsets
OUTPUT_COLUMNS = [
    "language",
    "sentiment",
    "sentiment_score",
    "touchpoints",
    "primary_touchpoint",
    "pain_points",
    "segments",
]


TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl")


def check_suffix(path: Path, role: str) -> str:
    """The table format of ``path`` from its extension; anything else is refused (not written as CSV)."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UsageError(
            f"{role} {path} has the extension {suffix or '(none)'!r}", "use a .csv, .tsv or .jsonl file"
        )
    return suffix


def read_table(path: Path) -> pd.DataFrame:
    """A CSV/TSV (every value a string) or JSONL file; a missing or malformed one is an ``InputError``."""
    suffix = check_suffix(path, "input")
    if not path.is_file():
        raise InputError(f"input {path} does not exist", "check the path")
    try:
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except UnicodeDecodeError as e:
        raise InputError(f"input {path} is not UTF-8 text: {e.reason} at byte {e.start}") from None
    except (ValueError, pd.errors.ParserError) as e:  # pandas' message names the line
        reason = " ".join(str(e).split())
        raise InputError(f"input {path} is not valid {suffix[1:].upper()}: {reason}") from None


def write_table(df: pd.DataFrame, path: Path) -> None:
    suffix = check_suffix(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        df.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")


def _by_doc(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows grouped by their ``doc_id`` (popped), in their order."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r.pop("doc_id"), []).append(r)
    return out


def classify_frame(
    df: pd.DataFrame,
    model: VocModel,
    text_column: str = "text",
    batch_size: int = 256,
    progress: bool = False,
) -> pd.DataFrame:
    """Append the output columns (see README "classify") to ``df``; rows keep their order."""
    if text_column not in df.columns:
        raise ValueError(f"no column {text_column!r}; columns are {list(df.columns)} (use --text-column)")
    recent = RecentEncoderOutputs()
    analyzer = Analyzer(model, reuse=recent)
    now = datetime.now(UTC)
    texts = df[text_column].fillna("").astype(str).tolist()
    docs = [Document("adhoc", "review", str(i), now, t) for i, t in enumerate(texts)]
    out = {c: [None] * len(df) for c in OUTPUT_COLUMNS}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(docs), desc="classifying", unit="doc")
    for chunk in batches(docs, batch_size):
        b = analyzer.analyse(chunk)
        recent.add(b.encoder_outputs)
        pos = {d.doc_id: int(d.external_id) for d in chunk}
        # plain row dicts, not groupby + itertuples per document: that took as long as the encoder (bench/README)
        for r in b.documents[["doc_id", "lang"]].to_dict("records"):
            out["language"][pos[r["doc_id"]]] = r["lang"]
        for r in b.document_predictions[["doc_id", "sentiment", "score"]].to_dict("records"):
            out["sentiment"][pos[r["doc_id"]]] = r["sentiment"]
            out["sentiment_score"][pos[r["doc_id"]]] = r["score"]
        tps: dict[tuple[str, int], list[str]] = {}
        for r in b.segment_touchpoints[["doc_id", "seg_idx", "touchpoint"]].to_dict("records"):
            tps.setdefault((r["doc_id"], r["seg_idx"]), []).append(r["touchpoint"])
        seg = b.segments.merge(b.segment_predictions, on=["doc_id", "seg_idx"]).rename(columns=SPAN)
        cols = ["doc_id", "seg_idx", "text", "start", "end", "sentiment", "score"]
        for doc_id, segments in _by_doc(seg[cols].to_dict("records")).items():
            for s in segments:
                s["touchpoints"] = tps.get((doc_id, s.pop("seg_idx")), [])
            out["segments"][pos[doc_id]] = json.dumps(segments, ensure_ascii=False)
            out["touchpoints"][pos[doc_id]] = "|".join(
                dict.fromkeys(t for s in segments for t in s["touchpoints"])
            )
        cols = ["doc_id", "touchpoint", "stage", "evidence", "start", "end", "severity"]
        for doc_id, items in _by_doc(b.pain_points.rename(columns=SPAN)[cols].to_dict("records")).items():
            out["pain_points"][pos[doc_id]] = json.dumps(items, ensure_ascii=False)
        for r in b.document_causes[["doc_id", "touchpoint"]].to_dict("records"):
            out["primary_touchpoint"][pos[r["doc_id"]]] = r["touchpoint"]
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    res = df.copy()
    for c in OUTPUT_COLUMNS:
        res[c] = out[c]
    res["touchpoints"] = res["touchpoints"].fillna("")
    res["primary_touchpoint"] = res["primary_touchpoint"].fillna("")
    res["pain_points"] = res["pain_points"].fillna("[]")
    res["segments"] = res["segments"].fillna("[]")
    return res
