"""New themes: negative segments that fit no touchpoint, clustered on their stored embeddings, named by c-TF-IDF.

Input: the rows of the ``theme_candidates`` query (``queries.py``) with their stored embeddings
(``model.with_embeddings``). Clustering is SciPy's agglomerative
clustering (cosine distance, average linkage, cut at ``MAX_DISTANCE``): it needs no number of clusters up front
and leaves stray segments as singletons, which are dropped. Average linkage needs every pairwise distance (n²/2),
so past ``MAX_CLUSTERED`` candidates it clusters that many — the latest week's first, then a fixed-seed sample
of the earlier ones — and each other candidate joins the cluster whose members are on average nearest, if that
average is within ``MAX_DISTANCE`` (the rule average linkage applies); memory stays bounded. Names: class-based
TF-IDF (as in BERTopic) over the segments of each cluster, so a word is distinctive when it is frequent in one
cluster and rare in the others.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import CountVectorizer
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
from spacy.lang.ru.stop_words import STOP_WORDS as RU_STOP

from vocmine.report.model import Theme, verbatim, z_score
from vocmine.report.queries import Period

MAX_DISTANCE = 0.12  # cosine distance inside a cluster (e5 vectors of unrelated short texts are ~0.2 apart)
MIN_SIZE = 3  # segments in a theme
MAX_CLUSTERED = 6000  # candidates clustered directly: 6,000 need 18M pairwise distances (144 MB)
WORDS = 3  # distinctive words: a theme's secondary label
EXAMPLES = 3  # verbatims shown in the report
CLAUSES = 5  # representative segments kept per language (the examples of a promoted touchpoint)
LABEL_WORDS = 8  # a longer segment is cut to its first clause (or words) to name a theme
# where a clause ends inside a segment: punctuation, a dash, or a joining "and"/"but"
_CLAUSE_END = re.compile(r"\s*(?:[,;:.!?…()]|\s[-–—]\s)|\s(?:and|but|и|а|но)\s", re.IGNORECASE)
_TRAILING = re.compile(r"[^\w\]…\"'»”’)]+$")  # punctuation, emoji, spaces at the end (not closing ones)
_WORDING = re.compile(r"[\W_]+")  # what two segments of one wording may differ in
_NOISY = re.compile(r"\d{5,}|\[[A-Z]+\]")  # an order number or a PII placeholder: not in a name if avoidable
# words that open a segment only because it follows another one (or a greeting): not part of a name
_LEADING = re.compile(
    r"^(?:(?:but|and|also|so|plus|however|though|still|then|well|ugh|hi|hello|oh|at least|"
    r"но|а|и|ещё|еще|ну|да|зато|также|хотя|правда|здравствуйте|привет|вот|кстати)\b[\s,.!:;—–-]*)+",
    re.IGNORECASE,
)
# Letters only, 3+: drops numbers, order ids and the [PHONE]-style PII placeholders' brackets.
TOKEN = r"(?u)(?<!['’])\b[^\W\d_]{3,}\b(?!['’])"  # and not "wasn" of "wasn't"
PLACEHOLDERS = {"phone", "email", "card", "url", "iban", "passport", "snils", "person"}


def c_tf_idf(docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(class × word weights, vocabulary) for one concatenated document per class."""
    vec = CountVectorizer(
        token_pattern=TOKEN, lowercase=True, stop_words=sorted(EN_STOP | RU_STOP | PLACEHOLDERS)
    )
    counts = vec.fit_transform(docs).toarray().astype(float)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + (counts.sum() / len(docs)) / np.maximum(counts.sum(axis=0), 1))
    return tf * idf, vec.get_feature_names_out()


def cluster(emb: np.ndarray, first: np.ndarray | None = None, limit: int | None = None) -> np.ndarray:
    """Cluster label per row of ``emb`` (-1: joined no cluster). Above ``limit`` rows, the rows flagged in
    ``first`` and then a fixed-seed sample are clustered, and the others join the nearest cluster on average."""
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    n, limit = len(emb), limit or MAX_CLUSTERED
    if n <= limit:
        return _agglomerative(emb)
    first = np.zeros(n, dtype=bool) if first is None else first
    head = np.flatnonzero(first)[:limit]
    rest = np.flatnonzero(~first)
    rng = np.random.default_rng(0)
    picked = np.sort(np.concatenate([head, rng.choice(rest, limit - len(head), replace=False)]))
    labels = np.full(n, -1)
    labels[picked] = _agglomerative(emb[picked])
    # for unit vectors, the mean cosine distance to a cluster's members is 1 - x · (their mean vector);
    # one pass over the sample for all the means (most clusters are singletons: thousands of them)
    ids, member_of = np.unique(labels[picked], return_inverse=True)
    means = np.zeros((len(ids), emb.shape[1]), dtype=emb.dtype)
    np.add.at(means, member_of, emb[picked])
    means /= np.bincount(member_of)[:, None]
    others = np.setdiff1d(np.arange(n), picked)
    for i in range(0, len(others), 4096):  # bounded: 4,096 rows × clusters at a time
        rows = others[i : i + 4096]
        dist = 1.0 - emb[rows] @ means.T
        best = dist.argmin(axis=1)
        ok = dist[np.arange(len(rows)), best] <= MAX_DISTANCE
        labels[rows[ok]] = ids[best[ok]]
    return labels


def _agglomerative(emb: np.ndarray) -> np.ndarray:
    """Average-linkage clusters of unit rows. The condensed cosine distances come from matrix products (BLAS),
    a block of rows at a time: SciPy's own ``pdist(metric="cosine")`` takes ~8× as long (1.9 s for 4,300 rows)."""
    n = len(emb)
    if n < 2:
        return np.zeros(n, dtype=int)
    x = emb.astype(np.float64)
    # condensed: row i's distances to rows i+1.. follow each other, as linkage reads them
    dist = np.empty(n * (n - 1) // 2)
    at = 0
    for i in range(0, n - 1, 512):
        block = 1.0 - x[i : i + 512] @ x[i:].T
        for r, row in enumerate(block):
            m = n - i - r - 1
            dist[at : at + m] = row[r + 1 :]
            at += m
    np.clip(dist, 0.0, 2.0, out=dist)
    # merges below the cut join a cluster: scikit-learn's distance_threshold, on the same SciPy linkage
    return fcluster(linkage(dist, method="average"), t=MAX_DISTANCE, criterion="distance") - 1


def find_themes(candidates: pd.DataFrame, period: Period, lang: str = "en") -> list[Theme]:
    """Clusters of at least ``MIN_SIZE`` candidates with weekly counts and the emerging rule, named in ``lang``
    where they have segments in it: emerging first, then by complaints this week and size."""
    if len(candidates) < MIN_SIZE:
        return []
    candidates = candidates.reset_index(drop=True)
    emb = np.stack(candidates["embedding"].to_list())
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    week = pd.to_datetime(candidates["week"])
    labels = cluster(emb, (week == pd.Timestamp(period.week_start)).to_numpy())
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    keep = ids[sizes >= MIN_SIZE]
    if not len(keep):
        return []
    members = _members(labels, keep)
    texts, langs = candidates["text"].tolist(), candidates["lang"].fillna("und").tolist()
    try:
        weights, vocab = c_tf_idf([" ".join(texts[i] for i in m) for m in members])
    except ValueError:  # nothing but stop words and numbers
        return []
    weeks, rules = [pd.Timestamp(w) for w in period.all_weeks], period.rules
    # weekly counts of every cluster at once: clusters × weeks of the period
    counts = pd.crosstab(labels, week).reindex(index=keep, columns=weeks, fill_value=0).to_numpy()
    centres = [_centre(emb[m]) for m in members]
    ranked = [m[np.argsort(-(emb[m] @ c), kind="stable")] for m, c in zip(members, centres, strict=True)]
    picked = [_distinct(r, texts, EXAMPLES) for r in ranked]
    rows = list(candidates.drop(columns="embedding").iloc[np.concatenate(picked)].itertuples())
    encoder = candidates["encoder"].iloc[0] if "encoder" in candidates else None
    themes, at = [], 0
    for w, weekly, m, ex, centre in zip(weights, counts.tolist(), ranked, picked, centres, strict=True):
        examples, at = [verbatim(r) for r in rows[at : at + len(ex)]], at + len(ex)
        words = [vocab[i] for i in np.argsort(-w)[:WORDS] if w[i] > 0]
        if not words:
            continue
        clauses = _by_language(m, texts, langs)
        names = {k: name(v) for k, v in clauses.items()}
        mean, z = z_score(weekly)
        themes.append(
            Theme(
                words=words,
                size=len(m),
                complaints=weekly[-1],
                baseline_mean=round(mean, 2),
                z=round(z, 2),
                emerging=weekly[-1] >= rules.min_volume and z >= rules.z_threshold,
                weekly=weekly,
                examples=examples,
                # the report's language if the theme has segments in it, else its most frequent language
                label=names.get(lang) or names[next(iter(clauses))],
                labels=names,
                clauses=clauses,
                encoder=encoder,
                centroid=centre,
            )
        )
    return sorted(themes, key=lambda t: (not t.emerging, -t.complaints, -t.size))


def name(ranked: list[str]) -> str:
    """A theme's name from its segments nearest the centre first: the nearest as a phrase, unless one of the
    next two is as close to the point without an order number or a PII placeholder."""
    return phrase(next((x for x in ranked[:3] if not _NOISY.search(x)), ranked[0]))


def phrase(text: str) -> str:
    """A segment as a short readable name: without a leading "but"/"а ещё"/"hi," (they lean on a sentence
    before), cut at its last clause boundary within ``LABEL_WORDS`` words when it is longer (else after
    them, with "…"), without trailing punctuation and emoji, capitalised."""
    text = " ".join(text.split())
    rest = _LEADING.sub("", text)
    if len(rest.split()) >= 2:
        text = rest
    words = text.split(" ")
    if len(words) > LABEL_WORDS:
        head = " ".join(words[:LABEL_WORDS])
        cuts = [m.start() for m in _CLAUSE_END.finditer(head) if len(head[: m.start()].split()) >= 3]
        text = head[: cuts[-1]] if cuts else _TRAILING.sub("", head) + "…"
    text = _TRAILING.sub("", text) or text
    if text.count('"') % 2:  # a cut through a quotation
        at = text.rfind('"')
        text = text[:at] + text[at + 1 :]
    return text[:1].upper() + text[1:]


def _centre(vecs: np.ndarray) -> np.ndarray:
    """The unit mean of unit rows: its dot product with a row is that row's cosine to the centre."""
    c = vecs.mean(axis=0)
    return (c / max(float(np.linalg.norm(c)), 1e-12)).astype(np.float32)


def _by_language(ranked: np.ndarray, texts: list[str], langs: list[str]) -> dict[str, list[str]]:
    """Up to ``CLAUSES`` distinct segments per language, nearest the centre first (most frequent language
    first)."""
    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    for i in ranked:
        got = out.setdefault(langs[i], [])
        key = _WORDING.sub(" ", texts[i]).casefold().strip()  # "…step!" and "…step 😡" are one wording
        if len(got) < CLAUSES and key not in seen:
            seen.add(key)
            got.append(" ".join(texts[i].split()))
    share = {k: sum(x == k for x in (langs[i] for i in ranked)) for k in out}
    return dict(sorted(out.items(), key=lambda kv: -share[kv[0]]))


def _members(labels: np.ndarray, keep: np.ndarray) -> list[np.ndarray]:
    """Row numbers of each kept cluster, from one sort instead of one scan per cluster."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.concatenate([keep, keep + 1]))
    return [order[a:b] for a, b in zip(bounds[: len(keep)], bounds[len(keep) :], strict=True)]


def _distinct(ranked: np.ndarray, texts: list[str], n: int) -> np.ndarray:
    """The first ``n`` rows of ``ranked`` of one wording each: nearest the centre, they show what it is about."""
    out, seen = [], set()
    for i in ranked:
        if texts[i] not in seen:
            seen.add(texts[i])
            out.append(i)
            if len(out) == n:
                break
    return np.array(out, dtype=int)
