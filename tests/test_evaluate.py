"""`vocmine evaluate`: the flow and the CLI on tiny corpora laid out like ``../shared/data``, with the real model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from vocmine import settings
from vocmine.evaluate import EvalReport, Figure, SuiteResult, assemble, render_markdown, write_report
from vocmine.pipeline import Analyzer
from vocmine.records import Document
from vocmine.train import corpora
from vocmine.train.sentiment import NEUTRAL_TARGETS, TARGETS, domain_figures

RU = {
    "positive": ["Отличный сервис, всё понравилось", "Спасибо, банк молодцы", "Связь стала лучше, доволен"],
    "negative": [
        "Ужасное обслуживание, больше не приду",
        "Деньги списали дважды",
        "Связь пропадает весь день",
    ],
    "neutral": ["Отделение работает с девяти", "Сегодня вышел новый тариф", "Курс валют на завтра"],
}
EN = {
    "positive": ["Great food and friendly staff", "I love this phone", "Fast delivery, thank you"],
    "negative": ["Terrible service, never again", "The app crashes every time", "Cold food and rude waiter"],
    "neutral": ["The shop opens at nine", "They released a new model today", "Where is the nearest branch"],
}


def _write(path, rows: list[tuple[str, str]], **extra) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows, columns=["text", "label"])
    for k, v in extra.items():
        df[k] = v
    df.to_csv(path, index=False)


def _rows(lex: dict, labels=("positive", "negative", "neutral"), tag: str = "") -> list[tuple[str, str]]:
    return [(f"{t}{tag}", lab) for lab in labels for t in lex[lab]]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Every file the sentiment and domains suites read, a few rows each (distinct texts per split)."""
    root = tmp_path_factory.mktemp("shared")
    for split in ("train", "test"):
        for d in ("banks", "telecom"):
            _write(root / f"sentirueval2015/{split}_{d}.csv", _rows(RU, tag=f" ({split} {d})"))
        _write(root / f"rusentitweet/{split}.csv", _rows(RU, tag=f" #{split}") + [("lol", "skip")])
    for lang, lex in (("ru", RU), ("en", EN)):
        for split in ("train", "dev"):
            rows = _rows(lex, tag=f" [{split}]") + [(f"Мы пришли в восемь [{split}]", "none")]
            _write(root / f"semeval2016_absa_{lang}_restaurants/{split}_sentences.csv", rows)
    _write(root / "tweeteval_sentiment/val.csv", _rows(EN, tag=" #tw"))
    _write(root / "semeval2017_sentiment_en/train.csv", _rows(EN, tag=" #se17"))
    for split in ("train", "test"):
        _write(root / f"sst2/{split}.csv", _rows(EN, ("positive", "negative"), tag=f" ({split})"))
    _write(root / "uci_sentiment_sentences/all.csv", _rows(EN, ("positive", "negative"), tag=" (uci)"))
    _write(
        root / "bitext_customer_support_en/all.csv",
        [("How do I create an account?", "create_account"), ("I got an error when I paid", "payment_issue")],
        category="X",
        flags="B",
    )
    _write(root / "banking77/train.csv", [("What is the exchange rate?", "exchange_rate")] * 2)
    _write(
        root / "cedr/train.csv", [("Я так рад", "joy"), ("Мне страшно", "fear"), ("Идёт дождь", "no_emotion")]
    )
    for d in ("rest", "car"):
        rows = [(f"{t} ({d})", lab) for t, lab, _, _ in REVIEW_TERMS]
        if (
            d == "rest"
        ):  # SemEval-2016 ru reuses SentiRuEval-2015's reviews: a dev sentence among the training's
            rows.append((SEMEVAL_RU_DEV, "positive"))
        kinds = [k for _, _, k, _ in REVIEW_TERMS] + ["explicit"] * (len(rows) - len(REVIEW_TERMS))
        spans = [a for _, _, _, a in REVIEW_TERMS] + ["сервис"] * (len(rows) - len(REVIEW_TERMS))
        _write(root / f"sentirueval2015_absa/{d}_train_aspect_terms.csv", rows, type=kinds, aspect_term=spans)
    # the domains suite's sets
    _write(
        root / "rusentiment/test.csv",
        _rows(RU, tag=" (vk)") + [("Ахаха", "skip"), ("С днём рождения!", "speech")],
    )
    acos = _rows(EN, tag=" (laptop)") + [
        ("Good screen but the battery dies fast", lab) for lab in ("positive", "negative")
    ]
    _write(root / "acos_laptop/test.csv", acos, aspect="laptop general")
    complaints = [(t, "complaint") for t in EN["negative"]] + [
        (t, "not_complaint") for t in EN["positive"] + EN["neutral"]
    ]
    _write(root / "complaints_twitter_en/all.csv", complaints, domain="retail")
    return root


#: (sentence, term polarity, term type, term) rows of SentiRuEval-2015 reviews' aspect terms
REVIEW_TERMS = [
    ("Кухня понравилась!", "positive", "explicit", "Кухня"),
    ("Кухня понравилась!", "positive", "implicit", "понравилась"),
    ("Официант грубил, но кофе отличный.", "negative", "explicit", "Официант"),
    ("Официант грубил, но кофе отличный.", "positive", "explicit", "кофе"),
    ("Заказали пасту.", "neutral", "explicit", "пасту"),
    ("Ждали недолго, суп холодный.", "negative", "explicit", "суп"),
    ("Ждали недолго, суп холодный.", "positive", "fct", "Ждали недолго"),
    ("Про заказ забыли, принесли через час.", "negative", "fct", "Про заказ забыли"),
    ("Про заказ забыли, принесли через час.", "neutral", "fct", "принесли через час"),
    ("Быстро, но не то.", "positive", "fct", "Быстро"),
    ("Быстро, но не то.", "negative", "fct", "Быстро"),
]
#: a SemEval-2016 ru restaurants dev sentence of the fixture
SEMEVAL_RU_DEV = f"{RU['positive'][0]} [dev]"


def test_review_sentences_take_their_terms_polarity_when_they_agree(shared):
    df = corpora.review_sentences(shared, "train")
    # mixed polarities dropped; a bare fact ("fct") does not vote; rest and car files both read
    expected = {
        "Кухня понравилась!": "positive",
        "Заказали пасту.": "neutral",
        "Ждали недолго, суп холодный.": "negative",
    }
    assert dict(zip(df["text"], df["label"], strict=True)) == {
        **{f"{t} ({d})": lab for d in ("rest", "car") for t, lab in expected.items()},
        SEMEVAL_RU_DEV: "positive",
    }
    assert len(df) == 7 and set(df["lang"]) == {"ru"}


def test_review_facts_are_the_fact_spans_with_one_polarity(shared):
    df = corpora.review_facts(shared, "train")
    # facts only (no opinion terms), neutral and two-way spans dropped, one row per span across both files
    assert dict(zip(df["text"], df["label"], strict=True)) == {
        "Ждали недолго": "positive",
        "Про заказ забыли": "negative",
    }
    assert set(df["lang"]) == {"ru"}


def test_no_evaluation_text_is_trained_on(shared):
    data = corpora.sentiment_training_set(shared)
    assert SEMEVAL_RU_DEV in set(corpora.review_sentences(shared, "train")["text"])
    assert SEMEVAL_RU_DEV not in set(data["text"])
    assert not set(data["text"]) & corpora.evaluation_texts(shared)
    assert {"review_sentences", "review_facts"} <= set(data["corpus"])


@pytest.fixture()
def emb_cache(tmp_path, monkeypatch):
    # fixture texts' embeddings go to a temporary cache, not the project's .cache/emb
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")


def test_a_suite_not_rerun_keeps_its_figures_while_its_inputs_are_unchanged():
    sent, tp = (
        Figure("sentiment", "TweetEval val", "macro-F1", 0.61),
        Figure("touchpoints", "MAMS", "micro-F1", 0.5),
    )
    old = EvalReport(
        "m@1", "models/x", "data", "2026-11-01T00:00:00+00:00", [sent, tp], seconds={"sentiment": 500.0}
    )
    old.inputs, old.runtime = {"sentiment": "s@1", "touchpoints": "m@1"}, "torch-bf16"
    # a new touchpoint matcher: the model version changes, the sentiment inputs do not
    new_tp = SuiteResult("touchpoints", [Figure("touchpoints", "MAMS", "micro-F1", 0.7)], seconds=60.0)
    r = assemble([new_tp], "m@2", "models/x", "data", old, inputs={"sentiment": "s@1", "touchpoints": "m@2"})
    assert [(f.suite, f.value) for f in r.figures] == [("sentiment", 0.61), ("touchpoints", 0.7)]  # in place
    assert r.previous_model == "m@1" and r.previous[tp.key] == 0.5
    assert r.inputs == {"sentiment": "s@1", "touchpoints": "m@2"} and r.seconds["sentiment"] == 500.0
    assert r.measured["sentiment"] == old.created_at and r.measured["touchpoints"] == r.created_at
    assert (
        "Carried from an earlier run (what their figures depend on is unchanged): sentiment (2026-11-01, torch-bf16)."
        in (render_markdown(r))
    )
    # new sentiment heads: the old sentiment figures are no longer this model's and are dropped
    r2 = assemble([new_tp], "m@3", "models/x", "data", r, inputs={"sentiment": "s@2", "touchpoints": "m@3"})
    assert [f.suite for f in r2.figures] == ["touchpoints"] and "Carried" not in render_markdown(r2)
    # a report that recorded no inputs carries figures only for the same model version
    legacy = EvalReport("m@1", "models/x", "data", "2026-11-01T00:00:00+00:00", [sent, tp])
    assert [f.suite for f in assemble([], "m@1", "x", "d", legacy, inputs={}).figures] == [
        "sentiment",
        "touchpoints",
    ]
    assert assemble([], "m@2", "x", "d", legacy, inputs={"sentiment": "s@1"}).figures == []


def test_flow_writes_figures_baseline_previous_and_errors(
    shared, emb_cache, model, prefect_harness, tmp_path
):
    from vocmine.flows.evaluate import evaluate

    out = tmp_path / "models" / "EVAL.md"
    key = Figure("sentiment", "TweetEval val", "macro-F1 (3-class)", 0.0, setting="document").key
    old = EvalReport("older@1234", "old", "old", "2026-01-01T00:00:00+00:00", [], previous={})
    old.figures = [Figure("sentiment", "TweetEval val", "macro-F1 (3-class)", 0.4321, setting="document")]
    write_report(old, out)

    report = evaluate(
        model=str(settings.DEFAULT_MODEL_DIR),
        data=str(shared),
        suites=["sentiment", "vocmine.no_such_suite:figures"],
        out=str(out),
    )

    data = json.loads((tmp_path / "models" / "eval.json").read_text())
    assert data["model_version"] == model.version and data["previous_model"] == "older@1234"
    assert data["runtime"] == model.encoder.describe()  # "auto" picks one per CPU: the report names it
    assert data["previous"][key] == 0.4321
    assert set(data["errors"]) == {"vocmine.no_such_suite:figures"}
    assert "ModuleNotFoundError" in data["errors"]["vocmine.no_such_suite:figures"]
    neutral = [f for f in data["figures"] if f["metric"] == "F1 of the neutral class"]
    figs = {f["dataset"]: f for f in data["figures"] if f not in neutral}
    sets = corpora.sentiment_eval_sets(shared)
    assert set(figs) == set(sets) and [f["dataset"] for f in neutral] == list(NEUTRAL_TARGETS)
    for name, f in figs.items():
        assert f["target"] == TARGETS[name] and f["n"] == len(sets[name])
        assert 0.0 <= f["value"] <= 1.0 and 0.0 <= f["baseline"] <= 1.0
        assert f["reached"] == (f["value"] >= f["target"])

    # the figure is the macro-F1 of the document labels a run gives these texts, recomputed with the Analyzer
    tw = sets["TweetEval val"]
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    docs = [Document("tw", "review", str(i), epoch, t) for i, t in enumerate(tw["text"])]
    got = Analyzer(model).analyse(docs).document_predictions
    assert got["doc_id"].tolist() == [d.doc_id for d in docs]
    assert figs["TweetEval val"]["value"] == pytest.approx(
        f1_score(tw["label"], got["sentiment"], average="macro"), abs=1e-4
    )
    assert neutral[0]["n"] == (tw["label"] == "neutral").sum() and neutral[0]["target"] == 0.60
    assert neutral[0]["value"] == pytest.approx(
        f1_score(tw["label"], got["sentiment"], labels=["neutral"], average="macro"), abs=1e-4
    )
    assert report.figures[0].value == data["figures"][0]["value"]

    md = out.read_text()
    assert f"`{model.version}`" in md and "Previous model: `older@1234`" in md
    assert f"encoder run in {model.encoder.describe()}." in md
    tw_row = next(line for line in md.splitlines() if line.startswith("| sentiment | TweetEval val |"))
    assert f"| {figs['TweetEval val']['value']:.3f} | 0.660 |" in tw_row and "| 0.432 |" in tw_row
    assert "## Suites that did not run" in md and "vocmine.no_such_suite:figures" in md

    # Re-evaluating the same model with another suite: the earlier suite's figures and the previous model stay.
    from vocmine.cli import app

    res = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--data",
            str(shared),
            "--suite",
            "vocmine.evaluate:no_such_function",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 1, res.output
    again = json.loads((tmp_path / "models" / "eval.json").read_text())
    assert again["previous_model"] == "older@1234" and again["previous"][key] == 0.4321
    assert [f["value"] for f in again["figures"]] == [f["value"] for f in data["figures"]]
    assert "AttributeError" in again["errors"]["vocmine.evaluate:no_such_function"]
    assert "vocmine.no_such_suite:figures" in again["errors"]  # not re-run: its earlier error is kept
    assert "TweetEval val" in out.read_text()


def test_domains_suite_scores_sources_no_training_saw(shared, emb_cache, model):
    sets = corpora.sentiment_domain_sets(shared)
    # RuSentiment's skip/speech and ACOS sentences whose opinions disagree are dropped
    assert len(sets["RuSentiment test (VK posts)"]) == 9
    assert set(sets["ACOS laptop reviews test"]["text"]) == {f"{t} (laptop)" for v in EN.values() for t in v}
    figs = {f.dataset: f for f in domain_figures(model, shared).figures}
    assert set(figs) == set(sets)
    for name, f in figs.items():
        assert f.suite == "domains" and f.setting == "unseen domain" and f.target == TARGETS[name]
        assert f.n == len(sets[name]) and 0.0 <= f.value <= 1.0 and 0.0 <= f.baseline <= 1.0

    # a complaint is what a run reads as negative: the figure is recomputed from a run's document labels
    tw = sets["Complaints on Twitter (11 domains)"]
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    docs = [Document("tw", "review", str(i), epoch, t) for i, t in enumerate(tw["text"])]
    got = Analyzer(model).analyse(docs).document_predictions
    pred = ["complaint" if s == "negative" else "not_complaint" for s in got["sentiment"]]
    fig = figs["Complaints on Twitter (11 domains)"]
    assert fig.metric == "macro-F1 (complaint = negative)"
    assert fig.value == pytest.approx(f1_score(tw["label"], pred, average="macro"), abs=1e-4)


def test_leave_one_corpus_out_refits_the_heads_without_each_corpus(shared, emb_cache, model):
    from vocmine.train.sentiment import LEFT_OUT, loco_figures

    out = loco_figures(model, shared, errors=1)
    figs = {f.dataset: f for f in out.figures}
    assert set(LEFT_OUT) < set(figs)
    for name, drop in LEFT_OUT.items():
        f = figs[name]
        assert f.suite == "loco" and f.setting == "left out" and 0.0 <= f.value <= 1.0
        assert f.note.startswith(f"trained without {', '.join(drop)} (")
    values = [figs[n].value for n in LEFT_OUT]
    mean = figs[f"mean of {len(LEFT_OUT)} left-out sets"]
    assert mean.value == pytest.approx(np.mean(values), abs=1e-4) and mean.target == 0.65
    worst = figs["worst left-out set"]
    assert worst.value == min(values) and worst.target == 0.55 and figs[worst.note].value == worst.value
    for m in out.mistakes:  # at most one per set and gold class, and each a mistake
        assert m["predicted"] != m["gold"] and m["set"].endswith("(left out)")
    assert len({(m["set"], m["gold"]) for m in out.mistakes}) == len(out.mistakes)


def test_errors_option_writes_the_most_confident_mistakes(
    shared, emb_cache, model, prefect_harness, tmp_path
):
    from vocmine.flows.evaluate import evaluate

    out = tmp_path / "EVAL.md"
    evaluate(
        model=str(settings.DEFAULT_MODEL_DIR), data=str(shared), suites=["sentiment"], out=str(out), errors=2
    )
    rows = pd.read_csv(tmp_path / "errors.csv", keep_default_na=False)
    assert list(rows.columns) == ["suite", "set", "gold", "predicted", "confidence", "text"]
    assert (rows["suite"] == "sentiment").all() and (rows["gold"] != rows["predicted"]).all()
    assert rows.groupby(["set", "gold"]).size().max() <= 2
    sets = corpora.sentiment_eval_sets(shared)
    for _, r in rows.iterrows():  # each row is a text of its set with that gold label
        df = sets[r["set"]]
        assert r["gold"] in set(df.loc[df["text"] == r["text"], "label"])
    # within a set and class, the most confident first
    for _, g in rows.groupby(["set", "gold"], sort=False):
        assert list(g["confidence"]) == sorted(g["confidence"], reverse=True)


def test_a_partial_run_keeps_the_other_suites_in_place_with_their_run_times_and_runtime():
    from vocmine.evaluate import EvalReport, Figure, SuiteResult, assemble

    def fig(suite, v):
        return Figure(suite, "d", "m", v)

    old = EvalReport(
        "mv",
        "m",
        "d",
        "t",
        [fig("a", 1), fig("b", 2), fig("c", 3)],
        seconds={"a": 10, "b": 20, "c": 30},
        runtime="torch-bf16",
    )
    new = assemble(
        [SuiteResult("b", [fig("b", 5)], seconds=2), SuiteResult("z", [fig("z", 9)], seconds=1)],
        "mv",
        "m",
        "d",
        old,
        runtime="onnx (fp32)",
    )
    assert [(f.suite, f.value) for f in new.figures] == [("a", 1), ("b", 5), ("c", 3), ("z", 9)]
    assert new.seconds == {"a": 10, "c": 30, "b": 2, "z": 1}
    assert new.runtime == "onnx (fp32)"
    assert new.runtimes == {"a": "torch-bf16", "b": "onnx (fp32)", "c": "torch-bf16", "z": "onnx (fp32)"}
    assert "a (t, torch-bf16), c (t, torch-bf16)." in render_markdown(new)
