"""Touchpoint label sets on the public corpora in ``../shared/data``: texts with their sets of touchpoint ids.

Each set is paired with an evaluation taxonomy in ``models/eval-taxonomies/`` (``LabelSource.taxonomy``) that holds
only the set's own category names with a description, examples and keywords written by hand (nothing copied from
the corpus). A text with no label is a text that names none of the taxonomy's touchpoints: what the matcher must
abstain on. Every source has a training split and an evaluation split that share no text.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vocmine.train.corpora import category_id, read_corpus


@dataclass
class LabeledSet:
    """Texts with their (possibly empty) sets of touchpoint ids."""

    name: str
    texts: list[str]
    labels: list[list[str]]
    lang: str

    def __len__(self) -> int:
        return len(self.texts)

    def without(self, texts: set[str]) -> LabeledSet:
        """The set less ``texts`` (another set's evaluation texts: corpora share sentences)."""
        keep = [i for i, t in enumerate(self.texts) if t not in texts]
        return LabeledSet(self.name, [self.texts[i] for i in keep], [self.labels[i] for i in keep], self.lang)

    def head(self, n: int, seed: int = 13) -> LabeledSet:
        """A fixed-seed random sample of at most ``n`` texts."""
        if len(self) <= n:
            return self
        import numpy as np

        keep = sorted(np.random.default_rng(seed).choice(len(self), n, replace=False))
        return LabeledSet(self.name, [self.texts[i] for i in keep], [self.labels[i] for i in keep], self.lang)


def _grouped(
    name: str, df: pd.DataFrame, col: str, lang: str, ids: Callable[[str], str | None]
) -> LabeledSet:
    """One text per row group; its labels: the ``ids`` of its ``col`` values (None: the value is no touchpoint)."""
    groups = df.groupby("text", sort=False)[col].agg(lambda s: sorted({i for v in s if (i := ids(v))}))
    return LabeledSet(name, groups.index.tolist(), groups.tolist(), lang)


def semeval(root: Path, lang: str, split: str) -> LabeledSet:
    """SemEval-2016 restaurants (ru: train/dev; en: train/test), sentence level; 12 categories, many sentences
    have none."""
    folder = "semeval2016_absa_ru_restaurants" if lang == "ru" else "semeval2016_absa_en_restaurants"
    df = read_corpus(root, f"{folder}/{split}_sentences.csv")
    labels = [sorted({category_id(a.rsplit(":", 1)[0]) for a in json.loads(x)}) for x in df["aspects"]]
    return LabeledSet(f"SemEval-2016 {lang} restaurants {split}", df["text"].tolist(), labels, lang)


def semeval_ru(root: Path, split: str) -> LabeledSet:
    return semeval(root, "ru", split)


def mams(root: Path, split: str) -> LabeledSet:
    """MAMS-ACSA: the aspect categories of each sentence (every sentence has two or more)."""
    return _grouped(f"MAMS-ACSA {split}", read_corpus(root, f"mams_acsa/{split}.csv"), "aspect", "en", str)


def bitext(root: Path, n: int = 2000, seed: int = 13, train: bool = False) -> LabeledSet:
    """Bitext customer support: one of 11 categories per request; a fixed-seed stratified sample of ``n`` (the
    evaluation sample), or with ``train`` the requests outside it."""
    from sklearn.model_selection import train_test_split

    df = read_corpus(root, "bitext_customer_support_en/all.csv")
    if n < len(df):
        ev, rest = train_test_split(df, train_size=n, random_state=seed, stratify=df["category"])
        df = rest if train else ev
    name = "Bitext customer support" + (" (training part)" if train else "")
    return LabeledSet(name, df["text"].tolist(), [[category_id(c)] for c in df["category"]], "en")


def banking77(root: Path, split: str) -> LabeledSet:
    """Banking77: one of 77 intents per banking question."""
    df = read_corpus(root, f"banking77/{split}.csv")
    return LabeledSet(
        f"Banking77 {split}", df["text"].tolist(), [[banking77_id(x)] for x in df["label"]], "en"
    )


def banking77_id(label: str) -> str:
    """``reverted_card_payment?`` → ``reverted_card_payment``; ``Refund_not_showing_up`` → lower case."""
    return label.lower().rstrip("?")


#: NLU++'s labels that name what a request is about (a touchpoint); the rest are acts (affirm, why, how_much…):
#: a text with only those names no touchpoint.
NLUPP_TOUCHPOINTS = {
    "banking": {
        "account", "appointment", "balance", "business", "card", "cheque", "contactless", "credit", "debit",
        "direct_debit", "fees_interests", "international", "limits", "loan", "lost_stolen", "mortgage", "overdraft",
        "pin", "refund", "savings", "standing_order", "transfer_payment_deposit", "withdrawal",
    },
    "hotels": {
        "accesibility", "booking", "check_in", "check_out", "gym", "housekeeping", "lost_stolen", "parking", "pets",
        "restaurant", "room_ammenities", "room_service", "spa", "swimming_pool", "wifi",
    },
}  # fmt: skip


def nlupp(root: Path, domain: str, split: str) -> LabeledSet:
    """NLU++ banking or hotels, multi-label; folds 0–15 train, 16–19 test."""
    df = read_corpus(root, f"nlupp/{domain}.csv")
    fold = df["fold"].astype(int)
    df = df[fold >= 16] if split == "test" else df[fold < 16]
    keep = NLUPP_TOUCHPOINTS[domain]
    labels = [sorted({x for x in v.split("|") if x in keep}) for v in df["label"]]
    return LabeledSet(f"NLU++ {domain} {split}", df["text"].tolist(), labels, "en")


#: ACOS laptop entities kept as touchpoints (the rare ones — optical drives, mouse… — are dropped with their texts)
ACOS_ENTITIES = {
    "laptop", "display", "keyboard", "battery", "software", "hardware", "os", "multimedia_devices", "support",
    "ports", "company", "power_supply", "cpu", "memory", "hard_disc", "shipping", "fans_cooling", "graphics",
    "warranty",
}  # fmt: skip


def acos(root: Path, split: str) -> LabeledSet:
    """ACOS laptop reviews: the aspect entities of each sentence (``display design_features`` → ``display``)."""
    df = read_corpus(root, f"acos_laptop/{split}.csv")
    ent = df["aspect"].str.split().str[0].str.replace("&", "_")
    df = df.assign(entity=ent)
    rare = set(df.loc[~ent.isin(ACOS_ENTITIES), "text"])
    return _grouped(f"ACOS laptop {split}", df[~df["text"].isin(rare)], "entity", "en", str)


def sentirueval_aspects(root: Path, domain: str, split: str) -> LabeledSet:
    """SentiRuEval-2015 restaurant or car reviews, sentence level: the categories of each sentence's aspect terms
    (every sentence listed has one)."""
    df = read_corpus(root, f"sentirueval2015_absa/{domain}_{split}_aspect_terms.csv")
    return _grouped(f"SentiRuEval-2015 {domain} {split}", df, "aspect", "ru", category_id)


def cfpb(root: Path, split: str) -> LabeledSet:
    """CFPB consumer complaints (stopwords stripped): one of 5 products per complaint."""
    df = read_corpus(root, f"cfpb_complaints_sample/{split}.csv")
    return LabeledSet(f"CFPB complaints {split}", df["text"].tolist(), [[x] for x in df["label"]], "en")


#: complaints_twitter_en's domains that are no industry: their tweets name no touchpoint
_NO_DOMAIN = {"random_reply", "random_tweet", "other"}


def complaint_domains(root: Path, split: str) -> LabeledSet:
    """Tweets to companies, labelled with the company's industry (8 domains); random tweets and replies, and the
    "other" domain, have none. Split by a hash of the tweet id: 1 in 4 is test."""
    df = read_corpus(root, "complaints_twitter_en/all.csv")
    test = df["id"].astype(str).map(lambda s: zlib.crc32(s.encode()) % 4 == 0)
    df = df[test] if split == "test" else df[~test]
    labels = [[] if d in _NO_DOMAIN else [d] for d in df["domain"]]
    return LabeledSet(f"Complaint tweets' domains {split}", df["text"].tolist(), labels, "en")


@dataclass(frozen=True)
class LabelSource:
    """One label set: its evaluation taxonomy, its training and evaluation splits, how it is scored."""

    key: str
    taxonomy: str  # file stem in models/eval-taxonomies/
    train: Callable[[Path], LabeledSet]
    test: Callable[[Path], LabeledSet]
    top1: bool = False  # one label per text: scored on the top label (accuracy)
    group: str = ""  # sources of one label set (SemEval en/ru) are left out together

    @property
    def left_out_with(self) -> str:
        return self.group or self.key


SOURCES: list[LabelSource] = [
    LabelSource("semeval_ru", "semeval2016_ru_restaurants", lambda r: semeval(r, "ru", "train"),
                lambda r: semeval(r, "ru", "dev"), group="semeval2016"),
    LabelSource("semeval_en", "semeval2016_en_restaurants", lambda r: semeval(r, "en", "train"),
                lambda r: semeval(r, "en", "test"), group="semeval2016"),
    LabelSource("mams", "mams", lambda r: mams(r, "train"), lambda r: mams(r, "test")),
    LabelSource("bitext", "bitext", lambda r: bitext(r, train=True), bitext, top1=True),
    LabelSource("banking77", "banking77", lambda r: banking77(r, "train"), lambda r: banking77(r, "test"),
                top1=True),
    LabelSource("nlupp_banking", "nlupp_banking", lambda r: nlupp(r, "banking", "train"),
                lambda r: nlupp(r, "banking", "test")),
    LabelSource("nlupp_hotels", "nlupp_hotels", lambda r: nlupp(r, "hotels", "train"),
                lambda r: nlupp(r, "hotels", "test")),
    LabelSource("acos", "acos_laptop", lambda r: acos(r, "train"), lambda r: acos(r, "test")),
    LabelSource("sentirueval_rest", "sentirueval2015_restaurants",
                lambda r: sentirueval_aspects(r, "rest", "train"), lambda r: sentirueval_aspects(r, "rest", "test")),
    LabelSource("sentirueval_car", "sentirueval2015_cars", lambda r: sentirueval_aspects(r, "car", "train"),
                lambda r: sentirueval_aspects(r, "car", "test")),
    LabelSource("cfpb", "cfpb_products", lambda r: cfpb(r, "train"), lambda r: cfpb(r, "test"), top1=True),
    LabelSource("complaint_domains", "complaint_domains", lambda r: complaint_domains(r, "train"),
                lambda r: complaint_domains(r, "test")),
]  # fmt: skip

#: texts per source for training the matcher, and evaluated per left-out source (fixed-seed samples): the
#: encoder runs on 2 shared CPU cores, and 500 texts of each of 12 sets already give ~100k (text, touchpoint) pairs
TRAIN_CAP = 500
TEST_CAP = 1000


def load_split(source: LabelSource, split: str, root: Path) -> LabeledSet:
    """``source``'s training or evaluation split, sampled to at most ``TRAIN_CAP`` / ``TEST_CAP`` texts."""
    ds = (source.train if split == "train" else source.test)(root)
    return ds.head(TRAIN_CAP if split == "train" else TEST_CAP)
