"""Hashtags split into words before the encoder: the sentiment dev and domain sets' figures with and without,
the shipped model's heads unchanged (issue #24, "hashtags that carry the sentiment are ignored").

    .venv/bin/pip install wordfreq==3.1.1 && .venv/bin/python bench/hashtags.py    # ../shared/data

A hashtag's body is cut at its case changes, digits and underscores, and each run of letters into the most
likely sequence of words by their frequency in the language of its script (``wordfreq``: Russian for Cyrillic,
English for Latin; a word costs 8 minus its Zipf frequency plus ``WORD_COST``), kept whole where it is a word
itself or no split is cheaper: #яненавижу → я ненавижу, #worstairline → worst airline, #lostluggage → lost
luggage, #неработает → не работает; #delayed, #сбербанк, #impressed stay. Each set is scored as ``vocmine
evaluate`` scores it (segmented, clause and document heads); "after" rewrites every text's hashtags before the
text stage. Also: how many texts of each set have a hashtag, and the figure on those texts alone.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine.nlp.model import VocModel  # noqa: E402
from vocmine.train import corpora  # noqa: E402
from vocmine.train.scoring import dev_score  # noqa: E402
from vocmine.train.sentiment import predict_sets  # noqa: E402

HASHTAG = re.compile(r"(?<![\w#])#(\w{2,60})")
# case changes (WorstAirline, SBERbank), then runs of letters and of digits (underscores go)
_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])|(?<=[A-ZА-ЯЁ])(?=[A-ZА-ЯЁ][a-zа-яё])")
_RUNS = re.compile(r"[^\W\d_]+|\d+")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
MAX_WORD = 20  # letters of the longest word tried
TOP_ZIPF = 8.0  # a word costs TOP_ZIPF - its Zipf frequency (e.g. "не" 7.2 → 0.8, "ненавижу" 4.7 → 3.3) ...
WORD_COST = 1.0  # ... plus this: fewer words are preferred
MIN_ZIPF = 1.0  # rarer strings are no words
MIN_SHORT_ZIPF = 5.0  # and words of one or two letters must be common ones (я, не, in, no), not "ay" or "й"


def split_hashtags(text: str) -> str:
    """``text`` with each hashtag replaced by the words it runs together (see the module's docstring)."""
    if "#" not in text:
        return text
    return HASHTAG.sub(lambda m: split_body(m.group(1)), text)


def split_body(body: str) -> str:
    """The words of one hashtag's body (without its ``#``)."""
    out: list[str] = []
    for run in _RUNS.findall(body):
        for part in _CAMEL.split(run):
            out += _words(part) if part.isalpha() else [part]
    return " ".join(w for w in out if w)


@functools.lru_cache(maxsize=8192)
def _words(part: str) -> list[str]:
    low = part.lower()
    n = len(low)
    if n < 4:
        return [part]
    lang = "ru" if _CYRILLIC.search(low) else "en"
    whole = _cost(low, lang)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for i in range(1, n + 1):
        for j in range(max(0, i - MAX_WORD), i):
            c = best[j] + _cost(low[j:i], lang)
            if c < best[i]:
                best[i], back[i] = c, j
    if best[n] >= whole:
        return [part]
    cuts, i = [], n
    while i > 0:
        cuts.append((back[i], i))
        i = back[i]
    return [part[a:b] for a, b in reversed(cuts)]


@functools.lru_cache(maxsize=200_000)
def _cost(word: str, lang: str) -> float:
    from wordfreq import zipf_frequency

    z = zipf_frequency(word, lang)
    if z < (MIN_SHORT_ZIPF if len(word) <= 2 else MIN_ZIPF):
        return float("inf")
    return TOP_ZIPF - z + WORD_COST


def main() -> None:
    model = VocModel.from_pretrained()
    sets = {**corpora.sentiment_eval_sets(), **corpora.sentiment_domain_sets()}
    split = {k: df.assign(text=df["text"].map(split_hashtags)) for k, df in sets.items()}
    before = predict_sets(model.heads, model.encoder, sets=sets, features=True)
    after = predict_sets(model.heads, model.encoder, sets=split, features=True)
    labels = model.heads.labels
    print(
        f"{'set':45} {'texts':>6} {'with #':>6} {'before':>7} {'after':>7} {'# only: before':>15} {'after':>7}"
    )
    for name, (df, p0) in before.items():
        p1 = after[name][1]
        has = df["text"].str.contains(HASHTAG).to_numpy()
        y = df["label"]
        sub = (
            f"{dev_score(name, y[has], p0[has], labels):15.3f} {dev_score(name, y[has], p1[has], labels):7.3f}"
            if has.sum() >= 20
            else f"{'—':>15} {'—':>7}"
        )
        print(
            f"{name:45} {len(df):6d} {int(has.sum()):6d} {dev_score(name, y, p0, labels):7.3f} "
            f"{dev_score(name, y, p1, labels):7.3f} {sub}"
        )


if __name__ == "__main__":
    main()
