"""``vocmine taxonomy check``: what a taxonomy writer should fix before the touchpoints go live.

Checks, each a ``Finding`` at level "error" (the classifier will get it wrong: fix before use) or "warning"
(weaker labels; worth a look):

* overlap: a touchpoint's examples that sit closer to another touchpoint's centroid than to their own (each
  example against its own touchpoint's centroid without it), which one and how many; a warning from a fifth of
  its examples, an error when at least half of them do;
* languages: a touchpoint with examples in fewer languages than the taxonomy declares (a clause in the missing
  language is matched across languages only); warning;
* examples: fewer than ``min_examples`` examples in a declared language; warning;
* keywords: a keyword that fires on a large share of texts (the sample's clauses, or without a sample the
  other touchpoints' examples) labels clauses on its own; error from ``keyword_error`` of the sample's clauses;
* with a sample: the share of clauses each touchpoint takes and the share with none (a figure, and a warning
  for a touchpoint that takes none or more than ``max_share``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vocmine.errors import InputError
from vocmine.nlp.model import VocModel
from vocmine.nlp.touchpoints import TouchpointClassifier
from vocmine.records import Document
from vocmine.taxonomy import Taxonomy

ERROR, WARNING = "error", "warning"


@dataclass
class CheckParams:
    min_examples: int = 5  # per declared language
    overlap_warning: float = 0.2  # share of a touchpoint's examples closer to another one worth a warning
    overlap_error: float = 0.5  # ... and the share that makes it an error
    keyword_warning: float = 0.15  # share of texts a keyword fires on that is worth a warning
    keyword_error: float = 0.5  # ... and, on sample clauses, an error ("fires on most texts")
    max_share: float = 0.4  # a touchpoint taking more of the sample's clauses is worth a warning
    sample_limit: int = 2000  # documents read from the sample


@dataclass
class Finding:
    level: str  # "error" | "warning"
    check: str  # overlap | languages | examples | keywords | sample
    touchpoint: str | None
    message: str
    detail: dict = field(default_factory=dict)


@dataclass
class SampleShares:
    documents: int
    clauses: int
    share_none: float  # of the clauses: no touchpoint
    shares: dict[str, float]  # touchpoint → share of the clauses it labels (a clause may have two)


@dataclass
class CheckReport:
    path: str
    touchpoints: int
    languages: list[str]
    findings: list[Finding]
    sample: SampleShares | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["errors"], d["warnings"] = len(self.errors), len(self.warnings)
        return d


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def overlap_findings(
    taxonomy: Taxonomy,
    example_emb: dict[str, np.ndarray],
    desc_emb: dict[str, np.ndarray],
    params: CheckParams,
    ex_texts: dict[str, list[str]],
) -> list[Finding]:
    """Examples nearer another touchpoint's centroid (mean of its examples and descriptions) than their own
    touchpoint's centroid computed without them."""
    ids = [t.id for t in taxonomy.touchpoints]
    sums = {t: example_emb[t].sum(0) + desc_emb[t].sum(0) for t in ids}
    counts = {t: len(example_emb[t]) + len(desc_emb[t]) for t in ids}
    cent = _unit(np.stack([sums[t] / counts[t] for t in ids]))
    out = []
    for j, t in enumerate(ids):
        ex = example_emb[t]
        if not len(ex) or len(ids) < 2:
            continue
        n_rest = counts[t] - 1
        own = _unit((sums[t][None, :] - ex) / max(n_rest, 1)) if n_rest else _unit(ex)
        own_sim = (ex * own).sum(1)
        other = ex @ cent.T
        other[:, j] = -np.inf
        nearest = other.argmax(1)
        closer = other[np.arange(len(ex)), nearest] > own_sim
        if not closer.any():
            continue
        by = {ids[k]: int((nearest[closer] == k).sum()) for k in np.unique(nearest[closer])}
        by = dict(sorted(by.items(), key=lambda kv: -kv[1]))
        share = float(closer.mean())
        if share < params.overlap_warning:
            continue
        stray = [(ex_texts[t][i], ids[nearest[i]]) for i in np.flatnonzero(closer)]
        names = ", ".join(f"{k} ({v})" for k, v in by.items())
        level = ERROR if share >= params.overlap_error else WARNING
        out.append(
            Finding(
                level,
                "overlap",
                t,
                f"{int(closer.sum())} of its {len(ex)} examples sit closer to another touchpoint: {names}; "
                f"e.g. {stray[0][0][:70]!r} ({stray[0][1]})",
                {"closer": int(closer.sum()), "examples": len(ex), "to": by, "which": stray},
            )
        )
    return out


def language_findings(taxonomy: Taxonomy, params: CheckParams) -> list[Finding]:
    langs = list(taxonomy.languages)
    out = []
    for tp in taxonomy.touchpoints:
        have = [lang for lang in langs if tp.examples.get(lang)]
        if len(langs) > 1 and len(have) < len(langs):
            missing = [lang for lang in langs if lang not in have]
            out.append(
                Finding(
                    WARNING,
                    "languages",
                    tp.id,
                    f"examples only in {', '.join(have) or 'no declared language'}; none in "
                    f"{', '.join(missing)}: clauses in {', '.join(missing)} are matched across languages only",
                    {"have": have, "missing": missing},
                )
            )
        few = {
            lang: len(tp.examples.get(lang, []))
            for lang in have
            if len(tp.examples[lang]) < params.min_examples
        }
        if few:
            counts = ", ".join(f"{n} in {lang}" for lang, n in few.items())
            out.append(
                Finding(
                    WARNING,
                    "examples",
                    tp.id,
                    f"few examples ({counts}; at least {params.min_examples} per language recommended)",
                    {"examples": few, "min": params.min_examples},
                )
            )
    return out


def keyword_findings(
    classifier: TouchpointClassifier,
    lemmas: Sequence[list[str]],
    texts: Sequence[str],
    owners: Sequence[str | None],
    on: str,
    params: CheckParams,
) -> list[Finding]:
    """Keywords firing on a large share of ``texts`` (their ``lemmas``); a text owned by the keyword's own
    touchpoint (``owners``: the taxonomy's examples) does not count."""
    if not len(texts):
        return []
    hits = classifier.keyword_hits(list(lemmas))
    out = []
    for j, tid in enumerate(classifier.ids):
        fired: dict[str, list[int]] = {}
        pool = [i for i, o in enumerate(owners) if o != tid]
        for i in pool:
            kw = hits[i][j]
            if kw is not None:
                fired.setdefault(kw, []).append(i)
        for kw, rows in fired.items():
            share = len(rows) / max(len(pool), 1)
            if share < params.keyword_warning:
                continue
            level = ERROR if on == "sample" and share >= params.keyword_error else WARNING
            out.append(
                Finding(
                    level,
                    "keywords",
                    tid,
                    f"keyword {kw!r} fires on {share:.0%} of the {len(pool)} {on} texts, "
                    f"e.g. {texts[rows[0]][:80]!r}",
                    {
                        "keyword": kw,
                        "share": round(share, 4),
                        "texts": len(pool),
                        "on": on,
                        "e.g.": texts[rows[0]],
                    },
                )
            )
    return out


def read_sample(path: Path, text_column: str = "text", limit: int = 2000) -> list[Document]:
    """Documents of a sample: a sources YAML (or a folder holding ``sources.yaml``) read by the ingest readers,
    or a CSV/TSV/JSONL file (or a folder of them) with a ``text_column``; the first ``limit``."""
    from vocmine.classify import TABLE_SUFFIXES, read_table

    sources = path / "sources.yaml" if path.is_dir() else path
    if sources.suffix in (".yaml", ".yml") and sources.is_file():
        from vocmine.ingest.config import load_sources
        from vocmine.ingest.readers import raw_records, source_files, to_records

        docs: list[Document] = []
        for src in load_sources(sources):
            for f in source_files(src):
                for rec in to_records(src, raw_records(src, f)[1]):
                    if isinstance(rec, Document) and rec.text.strip():
                        docs.append(rec)
                        if len(docs) >= limit:
                            return docs
        return docs
    files = (
        sorted(f for f in path.iterdir() if f.suffix.lower() in TABLE_SUFFIXES) if path.is_dir() else [path]
    )
    if not files:
        raise InputError(f"sample {path}: no sources.yaml and no .csv, .tsv or .jsonl file", "give one")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    docs = []
    for f in files:
        df = read_table(f)
        if text_column not in df.columns:
            raise InputError(f"sample {f} has no column {text_column!r}", f"columns: {', '.join(df.columns)}")
        for i, t in enumerate(df[text_column].fillna("").astype(str)):
            if t.strip():
                docs.append(Document("sample", "review", f"{f.name}:{i}", epoch, t))
                if len(docs) >= limit:
                    return docs
    return docs


def sample_shares(
    classifier: TouchpointClassifier, docs: list[Document], encode
) -> tuple[SampleShares, list[str], list[list[str]]]:
    """The share of the sample's clauses (the real text stage) each touchpoint takes, and the share with none;
    also the clauses and their lemmas."""
    from vocmine.pipeline import prepare_documents
    from vocmine.text.segment import shared_segmenter

    p = prepare_documents(docs, shared_segmenter())
    texts, lemmas = p.segments["text"].tolist(), p.segments["lemmas"].tolist()
    hits = classifier.predict(encode(texts), lemmas) if texts else []
    n = max(len(texts), 1)
    counts = {t: 0 for t in classifier.ids}
    for hs in hits:
        for h in hs:
            counts[h.touchpoint] += 1
    shares = {t: round(c / n, 4) for t, c in counts.items()}
    none = round(sum(1 for hs in hits if not hs) / n, 4)
    return SampleShares(len(docs), len(texts), none, shares), texts, lemmas


def check(
    path: Path,
    model: VocModel,
    sample: Path | None = None,
    text_column: str = "text",
    params: CheckParams | None = None,
) -> CheckReport:
    """Every check of the module docstring on the taxonomy file at ``path`` (loaded and validated first)."""
    from vocmine.train.embcache import cached_encode
    from vocmine.train.touchpoints import text_lemmas

    params = params or CheckParams()
    tax = Taxonomy.load(path)
    enc = model.encoder

    def encode(texts: list[str]) -> np.ndarray:
        return cached_encode(enc, texts, "taxonomy-check", progress=len(texts) > 2000)[:, : enc.dim]

    clf = TouchpointClassifier(tax, enc, model.touchpoints.params)
    ex_texts, ex_owner, ex_lang = [], [], []
    for tp in tax.touchpoints:
        for lang, exs in tp.examples.items():
            ex_texts += exs
            ex_owner += [tp.id] * len(exs)
            ex_lang += [lang] * len(exs)
    desc = [(tp.id, d) for tp in tax.touchpoints for d in tp.description.values()]
    emb = encode(ex_texts + [d for _, d in desc])
    owner = np.array(ex_owner + [t for t, _ in desc])
    n_ex = len(ex_texts)
    example_emb = {t.id: emb[:n_ex][owner[:n_ex] == t.id] for t in tax.touchpoints}
    desc_emb = {t.id: emb[n_ex:][owner[n_ex:] == t.id] for t in tax.touchpoints}

    by_tp = {t.id: [x for x, o in zip(ex_texts, ex_owner, strict=True) if o == t.id] for t in tax.touchpoints}
    findings = overlap_findings(tax, example_emb, desc_emb, params, by_tp) + language_findings(tax, params)
    shares = None
    if sample is not None:
        docs = read_sample(sample, text_column, params.sample_limit)
        shares, texts, lemmas = sample_shares(clf, docs, encode)
        findings += keyword_findings(clf, lemmas, texts, [None] * len(texts), "sample", params)
        for t, s in shares.shares.items():
            if s == 0:
                findings.append(
                    Finding(WARNING, "sample", t, "labels none of the sample's clauses", {"share": 0.0})
                )
            elif s > params.max_share:
                findings.append(
                    Finding(WARNING, "sample", t, f"labels {s:.0%} of the sample's clauses", {"share": s})
                )
    else:
        lemmas = [text_lemmas(x, lang) for x, lang in zip(ex_texts, ex_lang, strict=True)]
        findings += keyword_findings(clf, lemmas, ex_texts, ex_owner, "example", params)
    order = {t.id: i for i, t in enumerate(tax.touchpoints)}
    findings.sort(key=lambda f: (f.level != ERROR, order.get(f.touchpoint or "", -1), f.check))
    return CheckReport(str(path), len(tax.touchpoints), list(tax.languages), findings, shares)


def render(report: CheckReport) -> str:
    """The report as a terminal reads it: errors, then warnings, then the sample's shares."""
    lines = [
        f"{report.path}: {report.touchpoints} touchpoints, languages {', '.join(report.languages)}",
    ]
    for level, items in (("ERROR", report.errors), ("warning", report.warnings)):
        for f in items:
            lines.append(f"  {level:<7} {f.check:<9} {f.touchpoint or '-'}: {f.message}")
    s = report.sample
    if s is not None:
        lines.append(
            f"sample: {s.documents} documents, {s.clauses} clauses; share of the clauses per touchpoint:"
        )
        width = max((len(t) for t in s.shares), default=10)
        for t, v in sorted(s.shares.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {t:<{width}} {v:6.1%}  {'#' * round(v * 50)}")
        lines.append(f"  {'(none)':<{width}} {s.share_none:6.1%}  {'#' * round(s.share_none * 50)}")
    n_e, n_w = len(report.errors), len(report.warnings)
    verdict = "clean" if not report.findings else f"{n_e} error(s), {n_w} warning(s)"
    lines.append(f"{verdict}" + (" - errors must be fixed before use" if n_e else ""))
    return "\n".join(lines)
