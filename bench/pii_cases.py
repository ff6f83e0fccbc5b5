"""PII detectors: precision/recall per kind on the hand-written cases, spans found on a public corpus, speed.

    PYTHONPATH=$PWD .venv/bin/python bench/pii_cases.py                       # this checkout
    PYTHONPATH=/tmp/base .venv/bin/python bench/pii_cases.py                  # another version's vocmine

Scores tests/data/pii_cases.yaml and pii_cases_heldout.yaml (exact offsets, as tests/test_pii_names.py),
times masking over the bundled sample texts (data/samples), and, if the shared data (settings.SHARED_DATA_DIR) is there, counts the
[PERSON] spans on complaints_twitter_en (English tweets) with the most frequent ones.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from vocmine import settings
from vocmine.text import mask_pii, mask_pii_many, normalize

ROOT = Path(__file__).resolve().parent.parent
CASES = [ROOT / "tests" / "data" / "pii_cases.yaml", ROOT / "tests" / "data" / "pii_cases_heldout.yaml"]
TWEETS = settings.SHARED_DATA_DIR / "complaints_twitter_en" / "all.csv"


def score(path: Path) -> None:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for c in cases:
        text, want, pos = c["text"], set(), 0
        for kind, sub in c["spans"]:
            i = text.index(str(sub), pos)
            want.add((kind, i, i + len(str(sub))))
            pos = i + len(str(sub))
        got = {(m.kind, m.start, m.end) for m in mask_pii(text)[1]}
        for counter, spans in ((tp, got & want), (fp, got - want), (fn, want - got)):
            counter.update(k for k, _, _ in spans)
    print(f"{path.name}: {len(cases)} cases\n  {'kind':9}{'tp':>4}{'fp':>4}{'fn':>4}  precision recall")
    rows = [(k, tp[k], fp[k], fn[k]) for k in sorted(set(tp) | set(fp) | set(fn))]
    rows.append(("overall", sum(tp.values()), sum(fp.values()), sum(fn.values())))
    for k, a, b, d in rows:
        print(
            f"  {k:9}{a:4}{b:4}{d:4}  {a / (a + b) if a + b else 1:9.3f} {a / (a + d) if a + d else 1:6.3f}"
        )


def sample_texts() -> list[str]:
    samples = ROOT / "data" / "samples"
    texts = [r["text"] for r in csv.DictReader((samples / "reviews.csv").open(encoding="utf-8"))]
    texts += [r["answer"] for r in csv.DictReader((samples / "surveys.csv").open(encoding="utf-8"))]
    for line in (samples / "chats.jsonl").open(encoding="utf-8"):
        texts += [t["text"] for t in json.loads(line)["turns"]]
    return [normalize(t) for t in texts if t]


def main() -> None:
    for path in CASES:
        if path.exists():
            score(path)
    texts = sample_texts()
    mask_pii_many(texts[:50])  # loads the NER and morphology
    t0 = time.perf_counter()
    found = mask_pii_many(texts)
    dt = time.perf_counter() - t0
    kinds = Counter(m.kind for _, ms in found for m in ms)
    print(f"samples: {len(texts)} texts in {dt:.2f} s ({len(texts) / dt:.0f} texts/s); spans {dict(kinds)}")
    if TWEETS.exists():
        tweets = [normalize(r["text"]) for r in csv.DictReader(TWEETS.open(encoding="utf-8"))]
        spans = Counter(t[m.start : m.end] for t, (_, ms) in zip(tweets, mask_pii_many(tweets), strict=True)
                        for m in ms if m.kind == "person")  # fmt: skip
        top = ", ".join(f"{s} {n}" for s, n in spans.most_common(int(sys.argv[1]) if sys.argv[1:] else 15))
        print(
            f"complaints_twitter_en: {len(tweets)} tweets, {sum(spans.values())} [PERSON] spans; top: {top}"
        )


if __name__ == "__main__":
    main()
