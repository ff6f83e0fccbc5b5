"""Primary touchpoint per complaint (``vocmine.link.document_causes``) against document-level labels (CPU).

Ways of choosing a document's one cause from its negative clauses' touchpoints are compared (``CauseParams``):

    VOCMINE_SHARED_DATA=../shared/data python bench/primary_touchpoint.py corpora   # Banking77, Bitext, CFPB
    vocmine run --db /tmp/s.duckdb && python bench/primary_touchpoint.py sample /tmp/s.duckdb

``corpora``: each text goes through the real text stage (segmenter) and the model's sentiment and zero-shot
touchpoint heads on the eval taxonomy (``models/eval-taxonomies/{banking77,bitext,cfpb_products}.yaml``), clause
embeddings cached (``.cache/emb``); scored twice: "as a run" (only the clauses the model calls negative vote,
with their p(negative)) and "every clause" (each clause votes with weight 1: the aggregation alone, on every
document). ``sample``: a run's stored clause predictions against the sample generator's truth (the negative
clauses' touchpoints per document, ``truth.csv``). Columns: documents with a cause, accuracy among them, and
the same on the "contested" ones (their clauses name two or more touchpoints: where the choice matters).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine import settings  # noqa: E402
from vocmine.link import CauseParams, primary_causes, severities  # noqa: E402
from vocmine.nlp.model import load_model  # noqa: E402
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointParams  # noqa: E402
from vocmine.pipeline import _sentiment_frame  # noqa: E402
from vocmine.sampledata import PAIN_POINTS, generate  # noqa: E402
from vocmine.taxonomy import Taxonomy  # noqa: E402
from vocmine.train import touchpoints as tp  # noqa: E402
from vocmine.train.corpora import read_corpus  # noqa: E402
from vocmine.train.embcache import cached_clauses  # noqa: E402

VARIANTS = {
    "first negative clause": CauseParams(aggregate="max", lead_bonus=1000.0),
    "max severity": CauseParams(aggregate="max", lead_bonus=0.0),
    "sum of severities": CauseParams(aggregate="sum", lead_bonus=0.0),
    "sum, lead x1.5 (default)": CauseParams(aggregate="sum", lead_bonus=0.5),
    "sum, lead x2": CauseParams(aggregate="sum", lead_bonus=1.0),
    "sum, lead x3": CauseParams(aggregate="sum", lead_bonus=2.0),
    "sum, lead x1.5, every label votes": CauseParams(aggregate="sum", all_labels=True),
    "max, every label votes": CauseParams(aggregate="max", lead_bonus=0.0, all_labels=True),
}


def _label_id(label: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", label.lower())


def corpora_sets(root: Path) -> list[tuple[str, str, list[str], list[str]]]:
    """(name, eval taxonomy, texts, gold touchpoint per text)."""
    b77 = read_corpus(root, "banking77/test.csv")
    cfpb = read_corpus(root, "cfpb_complaints_sample/test.csv")
    bt = tp.bitext(root)
    return [
        ("Banking77 test", "banking77", b77["text"].tolist(), [_label_id(x) for x in b77["label"]]),
        ("Bitext (2,000)", "bitext", bt.texts, [x[0] for x in bt.labels]),
        ("CFPB products test", "cfpb_products", cfpb["text"].tolist(), cfpb["label"].tolist()),
    ]


def clause_frames(model, tax: Taxonomy, texts: list[str], tag: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """segment_predictions and segment_touchpoints of ``texts`` as a run makes them (doc_id = row number)."""
    c = cached_clauses(model.encoder, texts, tag)
    params = TouchpointParams(**(model.config.touchpoints or {}))
    # as a run: the model's matcher (when it ships one) decides whether a clause names a touchpoint at all
    clf = TouchpointClassifier(tax, model.encoder, params, matcher=model.touchpoints.matcher)
    keys = pd.DataFrame({"doc_id": c.owner.astype(str)})
    keys["seg_idx"] = keys.groupby("doc_id").cumcount()
    sp = _sentiment_frame(keys, model.sentiment_proba(c.seg_emb), model, "eval")
    lemmas = [tp.text_lemmas(t, "en") for t in c.texts]
    hits = clf.predict(c.seg_emb[:, : model.encoder.dim], lemmas)
    st = pd.DataFrame(
        [
            (d, s, "eval", h.touchpoint, tax.touchpoint(h.touchpoint).stage, h.score)
            for d, s, hs in zip(keys["doc_id"], keys["seg_idx"], hits, strict=True)
            for h in hs
        ],
        columns=["doc_id", "seg_idx", "model_version", "touchpoint", "stage", "score"],
    )
    return sp, st


def score(causes: pd.DataFrame, right, contested: set[str]) -> tuple[int, float, int, float]:
    ok = np.array([right(d, t) for d, t in zip(causes["doc_id"], causes["touchpoint"], strict=True)], bool)
    is_c = causes["doc_id"].isin(contested).to_numpy()
    return (
        len(causes),
        float(ok.mean()) if len(ok) else 0.0,
        int(is_c.sum()),
        float(ok[is_c].mean()) if is_c.any() else 0.0,
    )


def table(sev: pd.DataFrame, right, n_docs: int) -> pd.DataFrame:
    contested = set(
        sev[sev["rank"] == 0].groupby("doc_id")["touchpoint"].nunique().loc[lambda s: s > 1].index
    )
    rows = []
    for name, params in VARIANTS.items():
        n, acc, nc, acc_c = score(primary_causes(sev, params), right, contested)
        rows.append((name, n, n / max(n_docs, 1), acc, nc, acc_c))
    cols = ["variant", "with a cause", "coverage", "accuracy", "contested", "accuracy (contested)"]
    return pd.DataFrame(rows, columns=cols)


def corpora() -> None:
    model = load_model()
    for name, tax_name, texts, gold in corpora_sets(settings.SHARED_DATA_DIR):
        tax = Taxonomy.load(tp.EVAL_TAXONOMIES / f"{tax_name}.yaml")
        sp, st = clause_frames(model, tax, texts, f"primary-{tax_name}")
        right = lambda d, t, gold=gold: gold[int(d)] == t  # noqa: E731
        n_multi = int((sp.groupby("doc_id").size() > 1).sum())
        print(f"\n## {name}: {len(texts)} documents, {n_multi} with two or more clauses")
        print("as a run (negative clauses, weight p(negative)):")
        print(table(severities(sp, st, tax), right, len(texts)).round(3).to_string(index=False))
        every = sp.assign(sentiment="negative", p_negative=1.0)
        print("every clause (weight 1):")
        print(table(severities(every, st, tax), right, len(texts)).round(3).to_string(index=False))


def sample(dbs: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        generate(Path(d), truth=True)
        t = pd.read_csv(Path(d) / "truth.csv")
    neg = t[(t["polarity"] == "neg") & t["touchpoint"].notna()].sort_values(["doc_id", "clause"])
    negative = neg.groupby("doc_id")["touchpoint"].agg(set).to_dict()
    lead = neg.groupby("doc_id")["touchpoint"].first().to_dict()
    planted = {
        r.doc_id: PAIN_POINTS[r.planted]["touchpoint"]
        for r in t[t["planted"].notna() & (t["clause"] == 0)].itertuples()
    }
    tax = Taxonomy.load(settings.DEFAULT_TAXONOMY)
    for db in dbs:
        with duckdb.connect(db, read_only=True) as con:
            ext = dict(con.sql("SELECT doc_id, external_id FROM documents").fetchall())
            sp = con.sql(
                "SELECT p.* FROM segment_predictions p JOIN doc_model m USING (doc_id, model_version)"
            ).df()
            st = con.sql(
                "SELECT t.* FROM segment_touchpoints t JOIN doc_model m USING (doc_id, model_version)"
            ).df()
        sev = severities(sp, st, tax)
        print(f"\n## {db}: {len(negative)} documents with a negative truth clause, {len(planted)} planted")
        checks = {
            "one of its negative truth touchpoints": lambda d, x, ext=ext: x in negative.get(ext[d], ()),
            "its first negative truth clause's touchpoint": lambda d, x, ext=ext: lead.get(ext[d]) == x,
        }
        for what, right in checks.items():
            print(f"right = {what}:")
            print(table(sev, right, len(negative)).round(3).to_string(index=False))
        planted_sev = sev[sev["doc_id"].map(ext).isin(planted)]
        print("planted documents, right = the planted touchpoint:")
        rows = table(planted_sev, lambda d, x, ext=ext: planted[ext[d]] == x, len(planted))
        print(rows.round(3).to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("corpora", help="Banking77, Bitext, CFPB products")
    s = sub.add_parser("sample", help="a run's stored predictions against the sample data's truth")
    s.add_argument("dbs", nargs="+")
    args = ap.parse_args()
    if args.cmd == "corpora":
        corpora()
    else:
        sample(args.dbs)


if __name__ == "__main__":
    main()
