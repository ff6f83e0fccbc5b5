"""New themes on the sample run: praise that enters themes, how names read, how stable the ids are (CPU).

    vocmine run --db /tmp/s.duckdb                        # the sample data's nightly run
    python bench/themes.py praise /tmp/s.duckdb           # truth-positive clauses in themes, by p(negative) cut
    python bench/themes.py names /tmp/s.duckdb            # nearest-centre phrase vs key phrase (loads the model)
    python bench/themes.py stability /tmp/s.duckdb        # consecutive weekly runs: same clusters, same ids?

Each also runs on "every negative segment" (``theme_max_score`` above 1, so touchpoint-bound complaints
cluster too): the sample's real theme candidates are few (about 40 in the window), the wider set gives ~160
clusters in both languages to measure names and matching on. The truth is the sample generator's per-clause
polarity (``truth.csv``, see bench/sample_truth.py); a stored segment takes the polarities of the truth
clauses of its document that it contains or that contain it (or read 70% alike, for typos and PII masks).
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import warnings  # noqa: E402

from sample_truth import truth  # noqa: E402

from vocmine.report import queries as q  # noqa: E402
from vocmine.report import themes as th  # noqa: E402
from vocmine.report import tracking  # noqa: E402
from vocmine.report.model import resolve_period, with_embeddings  # noqa: E402
from vocmine.report.queries import Filters, Rules  # noqa: E402
from vocmine.report.tracking import MATCH_SIMILARITY, record_themes  # noqa: E402
from vocmine.store.db import Store  # noqa: E402

WIDE = 1.01  # theme_max_score above any confidence: every negative segment is a candidate
warnings.filterwarnings("ignore", "The inplace keyword")  # pandas 3.1 about duckdb's .df()


def candidates(db: str, rules: Rules, week: date | None = None) -> tuple[pd.DataFrame, object]:
    store = Store(db)
    with store.connect(read_only=True) as con:
        period = resolve_period(con, week, 8, Filters(), rules)
        q.set_variables(con, period)
        c = con.execute(q.THEME_CANDIDATES).df()
    return with_embeddings(store, c).reset_index(drop=True), period


def clusters(c: pd.DataFrame, period) -> list[np.ndarray]:
    """Row numbers of each theme's members, as find_themes forms them."""
    if len(c) < th.MIN_SIZE:
        return []
    emb = np.stack(c["embedding"].to_list())
    week = pd.to_datetime(c["week"]) == pd.Timestamp(period.week_start)
    labels = th.cluster(emb, week.to_numpy())
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    return th._members(labels, ids[sizes >= th.MIN_SIZE])


def _norm(s: str) -> str:
    return re.sub(r"[^\w]+", " ", str(s).lower()).strip()


def polarity(c: pd.DataFrame, t: pd.DataFrame) -> list[str]:
    """pos / neg / mixed / neu / none: the truth of each candidate segment."""
    t = t[t["text"].notna()]
    by_doc = {k: list(zip(g["text"].map(_norm), g["polarity"], strict=True)) for k, g in t.groupby("doc_id")}
    out = []
    for doc, text in zip(c["doc_id"], c["text"], strict=True):
        n, got = _norm(text), set()
        for tt, p in by_doc.get(doc.split(":")[-1], []):
            if tt and (tt in n or n in tt or difflib.SequenceMatcher(None, tt, n).ratio() > 0.7):
                got.add(p)
        if not got:
            out.append("none")
        elif "pos" in got and "neg" in got:
            out.append("mixed")
        else:
            out.append("pos" if "pos" in got else "neg" if "neg" in got else "neu")
    return out


def praise(db: str) -> None:
    t = truth()
    rows = []
    for wide in (False, True):
        for cut in (0.0, 0.5, 0.6, 0.7, 0.8):
            rules = Rules(theme_min_negative=cut, **({"theme_max_score": WIDE} if wide else {}))
            c, period = candidates(db, rules)
            pol = np.array(polarity(c, t))
            members = clusters(c, period)
            inside = np.concatenate(members) if members else np.zeros(0, int)
            mostly_praise = sum((pol[m] == "pos").mean() > 0.5 for m in members)
            rows.append(
                (
                    "every negative segment" if wide else "theme candidates",
                    cut,
                    len(c),
                    int((pol == "pos").sum()),
                    len(members),
                    len(inside),
                    int((pol[inside] == "pos").sum()),
                    int((pol[inside] == "neg").sum()),
                    mostly_praise,
                )
            )
    cols = [
        "set",
        "p_neg >=",
        "candidates",
        "praise",
        "themes",
        "in themes",
        "praise in",
        "neg in",
        "praise themes",
    ]
    print(pd.DataFrame(rows, columns=cols).to_string(index=False))


def key_phrases(texts: list[list[str]]) -> list[str]:
    """The alternative name: per cluster the 2-4 word n-gram (no stop word at either end) in most of its
    segments, weighted like c-TF-IDF by how rare it is in the other clusters."""
    stop = th.EN_STOP | th.RU_STOP | th.PLACEHOLDERS
    vec = CountVectorizer(token_pattern=th.TOKEN, ngram_range=(2, 4), lowercase=True, binary=True)
    vec.fit([x for ts in texts for x in ts])
    vocab = vec.get_feature_names_out()
    ok = np.array([g.split()[0] not in stop and g.split()[-1] not in stop for g in vocab])
    share = np.vstack([np.asarray(vec.transform(ts).mean(axis=0)).ravel() for ts in texts])
    idf = np.log(1 + share.sum() / len(texts) / np.maximum(share.sum(axis=0), 1e-9))
    score = share * idf * ok + 1e-6 * np.array([len(g.split()) for g in vocab])  # ties: the longer
    out = []
    for row, ts in zip(score, texts, strict=True):
        best = int(row.argmax())
        out.append(vocab[best].capitalize() if row[best] > 1e-3 else th.phrase(ts[0]))
    return out


def names(db: str) -> None:
    from vocmine.nlp.model import load_model

    encoder = load_model().encoder
    for wide in (False, True):
        c, period = candidates(db, Rules(theme_max_score=WIDE) if wide else Rules())
        members = clusters(c, period)
        if not members:
            continue
        emb = np.stack(c["embedding"].to_list())
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        centres = np.stack([th._centre(emb[m]) for m in members])
        texts, langs = c["text"].tolist(), c["lang"].tolist()
        by_lang = [
            th._by_language(m[np.argsort(-(emb[m] @ k))], texts, langs)
            for m, k in zip(members, centres, strict=True)
        ]
        main = [next(iter(b)) for b in by_lang]
        nearest = [th.name(b[lang]) for b, lang in zip(by_lang, main, strict=True)]
        ranked = [
            [texts[i] for i in m[np.argsort(-(emb[m] @ k))]] for m, k in zip(members, centres, strict=True)
        ]
        keys = key_phrases(ranked)
        print(f"\n{'every negative segment' if wide else 'theme candidates'}: {len(members)} themes")
        for method, labels in (("nearest-centre phrase", nearest), ("key phrase", keys)):
            vecs = encoder.encode(labels, features=True)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            own = (vecs @ centres.T).argmax(axis=1) == np.arange(len(labels))
            for lang in ("en", "ru"):
                sel = np.array(main) == lang
                if sel.any():
                    words = np.median([len(x.split()) for x, s in zip(labels, sel, strict=True) if s])
                    print(
                        f"  {method:22s} {lang}: {sel.sum():3d} themes, the name finds its own theme "
                        f"{own[sel].mean():.0%}, median {words:.0f} words"
                    )
        shown = sorted(range(len(members)), key=lambda i: -len(members[i]))
        for lang in ("en", "ru"):
            for i in [i for i in shown if main[i] == lang][:6]:
                print(f"    [{lang}] {nearest[i]!r:60s} | {keys[i]!r}")


def stability(db: str) -> None:
    """Four weekly runs (the window ending in each of the last four weeks): clusters of two consecutive runs
    are the same theme when at least half of the smaller one's members are in the other, different when they
    share none; their centroids' cosine against MATCH_SIMILARITY, and what record_themes does with them."""
    for wide in (False, True):
        rules = Rules(theme_max_score=WIDE) if wide else Rules()
        last = candidates(db, rules)[1].week_start
        weeks = [last - timedelta(weeks=k) for k in (3, 2, 1, 0)]
        prev = None
        same_cos, other_cos = [], []
        for w in weeks:
            c, period = candidates(db, rules, w)
            members = clusters(c, period)
            emb = np.stack(c["embedding"].to_list())
            emb /= np.linalg.norm(emb, axis=1, keepdims=True)
            keys = [set(zip(c["doc_id"].iloc[m], c["seg_idx"].iloc[m], strict=True)) for m in members]
            cent = np.stack([th._centre(emb[m]) for m in members]) if members else np.zeros((0, emb.shape[1]))
            if prev is not None:
                pk, pc = prev
                sims = cent @ pc.T
                for i, k in enumerate(keys):
                    for j, k2 in enumerate(pk):
                        shared = len(k & k2) / min(len(k), len(k2))
                        if shared >= 0.5:
                            same_cos.append(sims[i, j])
                        elif not shared:
                            other_cos.append(sims[i, j])
            prev = (keys, cent)
        same, other = np.array(same_cos), np.array(other_cos)
        print(
            f"\n{'every negative segment' if wide else 'theme candidates'}: weeks {weeks[0]} .. {weeks[-1]}"
        )
        print(
            f"  same cluster one week apart (half its members or more): {len(same)} pairs, cosine min {same.min():.3f}, "
            f"5th percentile {np.percentile(same, 5):.3f}; below {MATCH_SIMILARITY}: {(same < MATCH_SIMILARITY).sum()}"
        )
        print(
            f"  clusters with no member in common: {len(other)} pairs, cosine max {other.max():.3f}, "
            f"99.9th percentile {np.percentile(other, 99.9):.3f}; at or above {MATCH_SIMILARITY}: "
            f"{(other >= MATCH_SIMILARITY).sum()}"
        )
        for cut in (0.93, 0.94, 0.95, 0.96, 0.97):
            print(
                f"  cut {cut}: same pairs below it {(same < cut).sum()}, "
                f"pairs with nothing in common at or above it {(other >= cut).sum()}"
            )
        for cut in (0.93, 0.95, 0.96, 0.97):
            print(f"  record_themes with MATCH_SIMILARITY {cut}: " + _runs(db, rules, weeks, cut))


def _runs(db: str, rules: Rules, weeks: list[date], cut: float) -> str:
    """Ids given by four consecutive record_themes runs, checked against the members: a theme that takes the
    id of a cluster sharing half its members or more is right; one that takes the id of a cluster sharing none
    is a wrong match; a new id where such a predecessor existed is a missed match."""
    tally = {"kept": 0, "wrong": 0, "partial": 0, "missed": 0, "new": 0}
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / "v.duckdb"
        shutil.copy2(db, copy)
        store = Store(copy)
        store.migrate()
        with store.transaction() as con:
            con.execute("DELETE FROM themes")
        tracking.MATCH_SIMILARITY, before = cut, tracking.MATCH_SIMILARITY
        prev: dict[str, set] = {}
        try:
            for w in weeks:
                found = record_themes(store, f"run-{w}", w, rules)
                c, period = candidates(str(copy), rules, w)
                members = clusters(c, period)
                emb = np.stack(c["embedding"].to_list())
                emb /= np.linalg.norm(emb, axis=1, keepdims=True)
                cent = np.stack([th._centre(emb[m]) for m in members])
                now: dict[str, set] = {}
                for t in found:  # the cluster each theme is (the same centroid)
                    m = members[int((cent @ t.centroid).argmax())]
                    now[t.id] = set(zip(c["doc_id"].iloc[m], c["seg_idx"].iloc[m], strict=True))
                if prev:
                    for i, k in now.items():
                        share = {j: len(k & k2) / min(len(k), len(k2)) for j, k2 in prev.items()}
                        if i in prev:
                            tally["kept" if share[i] >= 0.5 else "wrong" if not share[i] else "partial"] += 1
                        else:
                            tally["missed" if max(share.values(), default=0) >= 0.5 else "new"] += 1
                prev = now
        finally:
            tracking.MATCH_SIMILARITY = before
    return ", ".join(f"{k} {v}" for k, v in tally.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["praise", "names", "stability"])
    ap.add_argument("db")
    args = ap.parse_args()
    {"praise": praise, "names": names, "stability": stability}[args.what](args.db)


if __name__ == "__main__":
    main()
