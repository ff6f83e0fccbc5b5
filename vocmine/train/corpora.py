"""Loaders for the public labeled corpora in ``../shared/data`` (read in place, never copied).

Each loader returns a DataFrame with ``text``, ``label`` and ``lang``; labels are mapped to vocmine's
negative / neutral / positive where the corpus is about sentiment.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from vocmine import settings

Loader = Callable[[Path], pd.DataFrame]


def read_corpus(root: Path, rel: str) -> pd.DataFrame:
    path = root / rel
    if not path.exists():
        raise FileNotFoundError(f"corpus file {path} not found (set VOCMINE_SHARED_DATA or --data)")
    return pd.read_csv(path, keep_default_na=False)


def _three(
    df: pd.DataFrame, lang: str, keep=("negative", "neutral", "positive"), mapping=None
) -> pd.DataFrame:
    df = df.copy()
    if mapping:
        df["label"] = df["label"].replace(mapping)
    df = df[df["label"].isin(keep)]
    df["lang"] = lang
    return df[["text", "label", "lang"]].reset_index(drop=True)


def sentirueval(root: Path, split: str) -> pd.DataFrame:
    parts = [read_corpus(root, f"sentirueval2015/{split}_{d}.csv") for d in ("banks", "telecom")]
    return _three(pd.concat(parts, ignore_index=True), "ru")


def rusentitweet(root: Path, split: str) -> pd.DataFrame:
    return _three(read_corpus(root, f"rusentitweet/{split}.csv"), "ru")  # skip/speech dropped


def semeval_sentences(root: Path, lang: str, split: str, none_as_neutral: bool) -> pd.DataFrame:
    name = "semeval2016_absa_ru_restaurants" if lang == "ru" else "semeval2016_absa_en_restaurants"
    df = read_corpus(root, f"{name}/{split}_sentences.csv")
    return _three(df, lang, mapping={"none": "neutral"} if none_as_neutral else None)


def review_sentences(root: Path, split: str) -> pd.DataFrame:
    """SentiRuEval-2015 restaurant and car reviews as sentence polarity: a sentence whose opinion terms (explicit or
    implicit, not bare facts) all carry one polarity takes it; sentences with mixed polarities are dropped."""
    parts = [read_corpus(root, f"sentirueval2015_absa/{d}_{split}_aspect_terms.csv") for d in ("rest", "car")]
    df = pd.concat(parts, ignore_index=True)
    df = df[df["label"].isin(["negative", "neutral", "positive"]) & (df["type"] != "fct")]
    return _one_polarity(df, "ru")


def review_facts(root: Path, split: str) -> pd.DataFrame:
    """SentiRuEval-2015 restaurant and car reviews' *fact* spans — phrases that state a fact with a polarity and
    no opinion word («не надо было ждать», «свободный столик», «забыли», «Быстро разгоняется») — as short texts with
    it. The tweet corpora read such phrases as neutral; customers mean them as praise or complaint. Positive and
    negative only; a span labelled both ways is dropped."""
    parts = [read_corpus(root, f"sentirueval2015_absa/{d}_{split}_aspect_terms.csv") for d in ("rest", "car")]
    df = pd.concat(parts, ignore_index=True)
    df = df[(df["type"] == "fct") & df["label"].isin(["negative", "positive"])]
    return _one_polarity(df.assign(text=df["aspect_term"].str.strip()), "ru")


def _one_polarity(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per text whose rows (opinion terms, quads) all carry one label; texts with mixed labels dropped."""
    pol = df.groupby("text", sort=False)["label"].agg(set)
    one = pol[pol.map(len) == 1]
    return _three(pd.DataFrame({"text": one.index, "label": one.map(min).to_numpy()}), lang)


def tweeteval(root: Path, split: str = "val") -> pd.DataFrame:
    return _three(read_corpus(root, "tweeteval_sentiment/val.csv"), "en")


def semeval2017(root: Path, split: str = "train") -> pd.DataFrame:
    """SemEval-2017 Task 4A training tweets (the 2013–2016 files; CC BY 3.0, Twitter's terms apply): English tweets
    with their neutral announcements, headlines and questions, which no other English set has. Rows that are also in
    TweetEval's validation split were dropped by the data set itself."""
    return _three(read_corpus(root, "semeval2017_sentiment_en/train.csv"), "en")


def sst2(root: Path, split: str) -> pd.DataFrame:
    return _three(read_corpus(root, f"sst2/{split}.csv"), "en")


def uci(root: Path, split: str = "all") -> pd.DataFrame:
    return _three(read_corpus(root, "uci_sentiment_sentences/all.csv"), "en")


#: Support requests that report something gone wrong: a customer's pain point, so *negative* for VoC.
BITEXT_PROBLEMS = {"complaint", "payment_issue", "registration_problems"}
BANKING77_PROBLEMS = {
    "Refund_not_showing_up", "balance_not_updated_after_bank_transfer",
    "balance_not_updated_after_cheque_or_cash_deposit", "beneficiary_not_allowed", "card_not_working",
    "card_payment_not_recognised", "card_payment_wrong_exchange_rate", "card_swallowed",
    "cash_withdrawal_not_recognised", "compromised_card", "contactless_not_working", "declined_card_payment",
    "declined_cash_withdrawal", "declined_transfer", "direct_debit_payment_not_recognised",
    "extra_charge_on_statement", "failed_transfer", "lost_or_stolen_card", "lost_or_stolen_phone", "pin_blocked",
    "reverted_card_payment?", "top_up_failed", "top_up_reverted", "transaction_charged_twice",
    "transfer_not_received_by_recipient", "unable_to_verify_identity", "virtual_card_not_working",
    "wrong_amount_of_cash_received", "wrong_exchange_rate_for_cash_withdrawal",
}  # fmt: skip


def _support(root: Path) -> pd.DataFrame:
    b = read_corpus(root, "bitext_customer_support_en/all.csv")
    k = read_corpus(root, "banking77/train.csv")
    b["problem"] = b["label"].isin(BITEXT_PROBLEMS)
    k["problem"] = k["label"].isin(BANKING77_PROBLEMS)
    df = pd.concat([b[["text", "problem"]], k[["text", "problem"]]], ignore_index=True)
    df["lang"] = "en"
    return df


def support_requests(root: Path, split: str = "all") -> pd.DataFrame:
    """Plain support requests (Bitext, Banking77) as *neutral* English examples: questions are not complaints."""
    df = _support(root)
    df = df[~df["problem"]].assign(label="neutral")
    return df[["text", "label", "lang"]].reset_index(drop=True)


def problem_reports(root: Path, split: str = "all") -> pd.DataFrame:
    """Support requests whose intent is a failure ("card declined", "charged twice") as *negative* examples,
    so that factual complaints without emotive words are not taken for neutral questions."""
    df = _support(root)
    df = df[df["problem"]].assign(label="negative")
    return df[["text", "label", "lang"]].reset_index(drop=True)


CEDR_POLARITY = {
    "no_emotion": "neutral",
    "joy": "positive",
    "sadness": "negative",
    "anger": "negative",
    "fear": "negative",
}


def cedr(root: Path, split: str) -> pd.DataFrame:
    """CEDR emotions as polarity: no emotion → neutral, joy → positive, sadness/anger/fear → negative.

    Surprise (either polarity) and sentences whose emotions disagree in polarity are dropped.
    """
    df = read_corpus(root, f"cedr/{split}.csv")
    pol = df["label"].map(lambda s: {CEDR_POLARITY.get(e, "?") for e in s.split("|")})
    df["label"] = [next(iter(p)) if len(p) == 1 else "?" for p in pol]
    return _three(df, "ru")


def rusentiment(root: Path, split: str) -> pd.DataFrame:
    """RuSentiment (VKontakte posts; CC BY-NC-SA: evaluation only, never in a shipped model's training)."""
    return _three(read_corpus(root, f"rusentiment/{split}.csv"), "ru")  # skip/speech dropped


def acos_sentences(root: Path, split: str) -> pd.DataFrame:
    """ACOS laptop reviews as sentence polarity: a sentence whose opinion quads all carry one polarity takes it."""
    return _one_polarity(read_corpus(root, f"acos_laptop/{split}.csv"), "en")


def twitter_complaints(root: Path, split: str = "all") -> pd.DataFrame:
    """Tweets to and about companies in 11 domains, labelled complaint / not_complaint (labels kept as they are)."""
    df = read_corpus(root, "complaints_twitter_en/all.csv")
    df = df[df["label"].isin(["complaint", "not_complaint"])].assign(lang="en")
    return df[["text", "label", "lang"]].reset_index(drop=True)


def category_id(name: str) -> str:
    """Corpus category → taxonomy id: ``FOOD#STYLE_OPTIONS`` → ``food_style_options``."""
    return name.lower().replace("#", "_")


def semeval_ru_aspects(root: Path, split: str) -> pd.DataFrame:
    """SemEval-2016 Russian restaurants as (sentence, category, polarity) rows, like MAMS-ACSA's; a category with
    opinions of two polarities in one sentence is dropped. Categories as ids of
    ``models/eval-taxonomies/semeval2016_ru_restaurants.yaml``."""
    df = read_corpus(root, f"semeval2016_absa_ru_restaurants/{split}_sentences.csv")
    rows = []
    for text, aspects in zip(df["text"], df["aspects"], strict=True):
        polarities: dict[str, set[str]] = {}
        for opinion in json.loads(aspects):
            category, polarity = opinion.rsplit(":", 1)
            polarities.setdefault(category_id(category), set()).add(polarity)
        rows += [(text, c, next(iter(p))) for c, p in polarities.items() if len(p) == 1]
    return pd.DataFrame(rows, columns=["text", "aspect", "label"]).assign(lang="ru")


def mams(root: Path, split: str) -> pd.DataFrame:
    df = read_corpus(root, f"mams_acsa/{split}.csv")
    df["lang"] = "en"
    return df[["text", "aspect", "label", "lang"]]


def _at_most(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df.sample(n=min(n, len(df)), random_state=seed)


def sentiment_training_set(root: Path | None = None, seed: int = 13) -> pd.DataFrame:
    """The mix the shipped sentiment head is trained on (licences permitting a shipped model; no NC sets)."""
    root = root or settings.SHARED_DATA_DIR
    parts = {
        "sentirueval2015": sentirueval(root, "train"),
        "rusentitweet": rusentitweet(root, "train"),
        "semeval2016_ru": semeval_sentences(root, "ru", "train", none_as_neutral=True),
        "semeval2016_en": semeval_sentences(root, "en", "train", none_as_neutral=True),
        "review_sentences": review_sentences(root, "train"),
        "review_facts": review_facts(root, "train"),
        "cedr": cedr(root, "train"),
        "uci_sentiment": uci(root),
        "sst2": _at_most(sst2(root, "train"), 8000, seed),
        # 47.5k tweets would be half the mix: a sample as large as the Russian tweet sets together
        "semeval2017_en": _at_most(semeval2017(root), 18000, seed),
        "support_requests": _at_most(support_requests(root), 3000, seed),
        "problem_reports": _at_most(problem_reports(root), 1500, seed),
    }
    frames = []
    for name, df in parts.items():
        df = df.copy()
        df["corpus"] = name
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)
    # Sets share texts across corpora: SemEval-2016 ru restaurants reuses SentiRuEval-2015's reviews (52 of its 258
    # dev sentences were training review sentences; 75 rows in all). Dropped, so no figure reads a trained-on text.
    return data[~data["text"].isin(evaluation_texts(root))].reset_index(drop=True)


def evaluation_texts(root: Path) -> set[str]:
    """Every text of the sets ``vocmine evaluate`` scores sentiment on (those present under ``root``)."""
    texts: set[str] = set()
    for sets in (sentiment_eval_sets, sentiment_domain_sets):
        # a suite whose data is absent reads nothing, so nothing of it can leak
        with contextlib.suppress(FileNotFoundError):
            texts.update(*(df["text"] for df in sets(root).values()))
    return texts


def sentiment_eval_sets(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """The dev figures of issue #3 (each set's own test/dev split)."""
    root = root or settings.SHARED_DATA_DIR
    return {
        "SentiRuEval-2015 test (banks+telecom)": sentirueval(root, "test"),
        "RuSentiTweet test": rusentitweet(root, "test"),
        "SemEval-2016 ru restaurants dev": semeval_sentences(root, "ru", "dev", none_as_neutral=False),
        "TweetEval val": tweeteval(root),
        "SST-2 test (binary acc.)": sst2(root, "test"),
    }


def sentiment_domain_sets(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Feedback from domains and sources the head never sees in training or selection (VK posts, laptop reviews,
    complaints to companies on Twitter): how the sentiment generalises beyond the dev sets."""
    root = root or settings.SHARED_DATA_DIR
    return {
        "RuSentiment test (VK posts)": rusentiment(root, "test"),
        "ACOS laptop reviews test": acos_sentences(root, "test"),
        "Complaints on Twitter (11 domains)": twitter_complaints(root),
    }
