"""Touchpoint labels and pain points against the sample data's own ground truth (CPU, seconds).

The sample generator knows each customer clause's touchpoint and polarity (``truth.csv``); the bundled sample
data is its default seed and scale. Two measurements:

    python bench/sample_truth.py clauses [relative_margin=0.03 ...]   # zero-shot labels of the distinct clauses
    vocmine run --db /tmp/s.duckdb && python bench/sample_truth.py pain-points /tmp/s.duckdb [more.duckdb ...]

``clauses`` embeds every distinct clause alone and reports, per touchpoint, the labels given, how many of them
were not the first, precision and recall (the generator gives a clause one touchpoint, so a second label counts
as wrong unless it is the true one), and the zero-shot dev figures of ``vocmine evaluate`` with the same
``TouchpointParams``. ``pain-points`` compares the stored pain points (``v_pain_points``) with the negative truth
clauses, per document and touchpoint: a pain point is right when its document has that many negative clauses
about its touchpoint.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine import settings  # noqa: E402
from vocmine.nlp.model import load_model  # noqa: E402
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointParams  # noqa: E402
from vocmine.sampledata import generate  # noqa: E402
from vocmine.train import touchpoints as tp  # noqa: E402
from vocmine.train.embcache import cached_encode  # noqa: E402


def truth() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as d:
        generate(Path(d), truth=True)
        return pd.read_csv(Path(d) / "truth.csv")


def scores(gold: Counter, pred: Counter, touchpoints: list[str]) -> pd.DataFrame:
    """Per touchpoint (and all): counts, precision and recall of ``pred`` against ``gold`` (key → count)."""
    rows = []
    for t in [*touchpoints, "all"]:
        g = {k: v for k, v in gold.items() if t in ("all", k[-1])}
        p = {k: v for k, v in pred.items() if t in ("all", k[-1])}
        hit = sum(min(v, g.get(k, 0)) for k, v in p.items())
        n_g, n_p = sum(g.values()), sum(p.values())
        rows.append((t, n_g, n_p, hit / max(n_p, 1), hit / max(n_g, 1), 2 * hit / max(n_g + n_p, 1)))
    return pd.DataFrame(rows, columns=["touchpoint", "truth", "predicted", "precision", "recall", "F1"])


def clauses(overrides: list[str]) -> None:
    params = TouchpointParams(**{k: float(v) for k, v in (o.split("=", 1) for o in overrides)})
    model = load_model()
    t = truth()
    t = t[t["edge"].isna()].drop_duplicates("text")
    texts = t["text"].tolist()
    emb = cached_encode(model.encoder, texts, "touchpoints", progress=False)
    lemmas = [
        tp.text_lemmas(x, "en" if lang == "en" else "ru") for x, lang in zip(texts, t["lang"], strict=True)
    ]
    clf = TouchpointClassifier(model.taxonomy, model.encoder, params)
    hits = clf.predict(emb, lemmas)
    gold = Counter((i, x) for i, x in enumerate(t["touchpoint"]) if isinstance(x, str))
    pred = Counter((i, h.touchpoint) for i, hs in enumerate(hits) for h in hs)
    table = scores(gold, pred, clf.ids)
    later = Counter(h.touchpoint for hs in hits for h in hs[1:])
    table.insert(3, "not first", [later.get(x, sum(later.values())) for x in table["touchpoint"]])
    print(
        f"{len(texts)} distinct clauses, {sum(1 for x in t['touchpoint'] if isinstance(x, str))} with a touchpoint"
    )
    print(table.round(3).to_string(index=False))
    for f in tp.figures(model, settings.SHARED_DATA_DIR, params=params, trained=False):
        print(f"zero-shot {f.dataset}: {f.value:.4f}")


def pain_points(dbs: list[str]) -> None:
    t = truth()
    neg = t[(t["polarity"] == "neg") & t["touchpoint"].notna()]
    gold = Counter(zip(neg["doc_id"], neg["touchpoint"], strict=True))
    touchpoints = sorted(neg["touchpoint"].unique())
    for db in dbs:
        with duckdb.connect(db, read_only=True) as con:
            pp = con.sql(
                "SELECT d.external_id, p.touchpoint FROM v_pain_points p JOIN documents d USING (doc_id)"
            ).df()
        pred = Counter(zip(pp["external_id"], pp["touchpoint"], strict=True))
        print(db)
        print(scores(gold, pred, touchpoints).round(3).to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("clauses", help="zero-shot touchpoint labels of the sample clauses")
    c.add_argument("params", nargs="*", help="TouchpointParams overrides, name=value")
    p = sub.add_parser("pain-points", help="a run's pain points against the truth")
    p.add_argument("dbs", nargs="+")
    args = ap.parse_args()
    if args.cmd == "clauses":
        clauses(args.params)
    else:
        pain_points(args.dbs)


if __name__ == "__main__":
    main()
