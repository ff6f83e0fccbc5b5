"""The bundled sample-data generator: formats, ranges, determinism and the planted pain points."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from vocmine import sampledata
from vocmine.sampledata import END, START, TOUCHPOINTS, generate, luhn_ok

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
REVIEW_COLS = ["review_id", "customer_id", "created_at", "rating", "channel", "product", "text"]
SURVEY_COLS = ["respondent_id", "customer_id", "submitted_at", "survey", "nps", "csat", "ces", "answer"]
CRASH_WEEKS = [date(2026, 10, 26), date(2026, 11, 2)]
DELAY_WEEK = date(2026, 10, 12)
LAST_WEEK = date(2026, 11, 2)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples_small")
    counts = generate(out, scale=0.2, seed=7, truth=True)
    assert set(counts) == {"reviews.csv", "chats.jsonl", "surveys.csv", "truth.csv"}
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples_full")
    generate(out, scale=1.0, seed=7, truth=True)
    return out


def _reviews(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "reviews.csv", dtype=str, keep_default_na=False)


def _surveys(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "surveys.csv", dtype=str, keep_default_na=False)


def _chats(d: Path) -> list[dict]:
    with open(d / "chats.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _truth(d: Path) -> pd.DataFrame:
    t = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    t["week"] = pd.to_datetime(t["date"]).dt.date.map(lambda x: x - timedelta(days=x.weekday()))
    return t


def _neg_by_week(t: pd.DataFrame) -> pd.DataFrame:
    """Negative clause mentions per (week, touchpoint), like the pipeline's summary would count them."""
    neg = t[(t.polarity == "neg") & (t.touchpoint != "") & (t.edge != "bad_rating")]
    return neg.groupby(["week", "touchpoint"]).size().unstack(fill_value=0)


def _ts(s: str) -> datetime:
    ts = datetime.fromisoformat(s)
    assert ts.tzinfo is not None, s
    return ts


# ------------------------------------------------------------------------------------------ formats


def test_reviews_format_and_ranges(small):
    r = _reviews(small)
    assert list(r.columns) == REVIEW_COLS
    assert 150 < len(r) < 350  # ~1,100 at scale 1
    assert set(r.channel) <= {"app", "web", "marketplace", "store"}
    assert set(r["product"]) <= {"electronics", "clothing", "home", "grocery", "beauty", "kids"}
    for s in r.created_at:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", s), s
        assert START <= _ts(s).date() <= END
    # edge cases: exactly one out-of-range rating and one row with neither text nor rating
    bad = r[~r.rating.isin(["1", "2", "3", "4", "5"])]
    assert sorted(bad.rating) == ["", "7"]
    assert bad[bad.rating == ""].text.tolist() == [""]
    assert (r[r.rating != ""].text != "").all()
    # exactly one duplicated row, identical in every column
    dup = r[r.review_id.duplicated(keep=False)]
    assert len(dup) == 2 and dup.drop_duplicates().shape[0] == 1
    # a very short text and a long rambling one
    assert (r.text.str.len().between(1, 3)).any()
    assert r.text.str.len().max() > 650


def test_surveys_format_and_ranges(small):
    s = _surveys(small)
    assert list(s.columns) == SURVEY_COLS
    assert 100 < len(s) < 260
    assert s.respondent_id.is_unique
    assert set(s.survey) == {"nps_post_purchase", "csat_support", "ces_returns"}
    score_of = {
        "nps_post_purchase": ("nps", 0, 10),
        "csat_support": ("csat", 1, 5),
        "ces_returns": ("ces", 1, 7),
    }
    for _, row in s.iterrows():
        col, lo, hi = score_of[row.survey]
        assert lo <= int(row[col]) <= hi
        assert all(row[c] == "" for c in ("nps", "csat", "ces") if c != col)
        assert START <= _ts(row.submitted_at).date() <= END
    silent = (s.answer == "").mean()
    assert 0.1 < silent < 0.3
    nps = s[s.survey == "nps_post_purchase"]
    assert (nps[nps.answer == ""].nps.astype(int) <= 6).any()  # silent detractors exist


def test_chats_format(small):
    chats = _chats(small)
    assert 50 < len(chats) < 130
    assert len({c["conversation_id"] for c in chats}) == len(chats)
    for c in chats:
        assert list(c) == ["conversation_id", "customer_id", "channel", "started_at", "outcome", "turns"]
        assert c["channel"] in ("chat", "messenger")
        assert c["outcome"] in ("resolved", "unresolved", "escalated")
        turns = c["turns"]
        assert 3 <= len(turns) <= 9
        assert {t["role"] for t in turns} <= {"customer", "agent", "bot"}
        assert any(t["role"] == "customer" for t in turns) and any(t["role"] == "agent" for t in turns)
        assert turns[0]["ts"] == c["started_at"]
        times = [_ts(t["ts"]) for t in turns]
        assert times == sorted(times)
        assert START <= times[0].date() <= END
        assert all(t["text"].strip() for t in turns)


def test_agent_and_bot_turns_are_boilerplate(small):
    """Agent/bot turns come from a small fixed set, never from the customers' complaint phrasings."""
    complaint_words = re.compile(r"ужас|капец|бесполезн|отстой|useless|awful|terrible|ridiculous", re.I)
    texts = [t["text"] for c in _chats(small) for t in c["turns"] if t["role"] != "customer"]
    assert texts and not any(complaint_words.search(x) for x in texts)
    customer = " ".join(t["text"] for c in _chats(small) for t in c["turns"] if t["role"] == "customer")
    assert complaint_words.search(customer) or "опоздал" in customer or "late" in customer


def test_counts_and_span_at_scale_1(full):
    r, s, c = _reviews(full), _surveys(full), _chats(full)
    assert 950 <= len(r) <= 1300 and 700 <= len(s) <= 950 and 330 <= len(c) <= 480
    assert len(r) + len(s) + len(c) >= 2000
    days = {_ts(x).date() for x in list(r.created_at) + list(s.submitted_at) + [x["started_at"] for x in c]}
    assert min(days) == START and max(days) == END
    assert len(days) == (END - START).days + 1  # every day has feedback
    # all ids unique across the three files (apart from the one deliberate duplicate row)
    ids = list(r.review_id.drop_duplicates()) + list(s.respondent_id) + [x["conversation_id"] for x in c]
    assert len(ids) == len(set(ids))


def test_weekday_pattern(full):
    r = _reviews(full)
    wd = pd.to_datetime(r.created_at.str[:10]).dt.weekday
    per_day = wd.value_counts() / 10
    assert per_day[[5, 6]].mean() > per_day[[0, 1, 2, 3]].mean()  # more reviews at weekends


# ------------------------------------------------------------------------------------------ content


def test_languages_and_pii(full):
    t = _truth(full)
    docs = t.drop_duplicates("doc_id")
    share = docs.doc_lang.value_counts(normalize=True)
    assert 0.52 < share["ru"] < 0.68 and 0.32 < share["en"] < 0.46 and 0 < share["mixed"] < 0.03
    pii_docs = t[t.pii != ""].doc_id.nunique() / docs.doc_id.nunique()
    assert 0.03 < pii_docs < 0.08
    kinds = Counter(k for v in t.pii if v for k in v.split(";"))
    assert set(kinds) == {"phone", "email", "card", "name"}
    texts = " ".join(_reviews(full).text) + " ".join(_surveys(full).answer)
    texts += " ".join(tt["text"] for c in _chats(full) for tt in c["turns"])
    cards = re.findall(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b", texts)
    assert cards and all(luhn_ok(c) for c in cards)
    assert re.search(r"\+7 9\d\d \d{3}-\d\d-\d\d", texts) and re.search(r"8 \(9\d\d\) ", texts)
    assert re.search(r"\+44 7\d{3} \d{6}", texts)
    assert re.search(r"[\w.]+@[\w.]+\.(ru|com|uk)", texts)


def test_truth_labels_are_valid_and_mixed_texts_exist(small):
    t = _truth(small)
    assert set(t.touchpoint) - {""} <= set(TOUCHPOINTS)
    assert set(t.polarity) <= {"neg", "pos", "neu", ""}
    assert set(t.lang) <= {"ru", "en", "mixed", ""}
    per_doc = t[t.polarity != ""].groupby("doc_id").polarity.agg(set)
    assert per_doc.map(lambda p: {"pos", "neg"} <= p).mean() > 0.1  # many mixed-polarity texts
    assert set(t.planted) - {""} == set(sampledata.PAIN_POINTS)


def test_scores_follow_the_text(full):
    t = _truth(full)
    pol = t[t.polarity.isin(["pos", "neg"])].groupby("doc_id").polarity.agg(lambda p: (p == "pos").mean())
    r = _reviews(full)
    r = r[r.rating.isin(list("12345"))].drop_duplicates("review_id").set_index("review_id")
    r["pos_share"] = pol
    r = r.dropna(subset=["pos_share"])
    assert r[r.pos_share == 1].rating.astype(int).mean() > 4.2
    assert r[r.pos_share == 0].rating.astype(int).mean() < 1.9
    s = _surveys(full)
    s = s[(s.survey == "nps_post_purchase") & (s.answer != "")].set_index("respondent_id")
    s["pos_share"] = pol
    s = s.dropna(subset=["pos_share"])
    assert s[s.pos_share == 1].nps.astype(int).mean() > 8.3
    assert s[s.pos_share == 0].nps.astype(int).mean() < 4.5


def test_main_files_have_no_ground_truth(tmp_path):
    generate(tmp_path, scale=0.05, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chats.jsonl", "reviews.csv", "surveys.csv"]
    assert list(_reviews(tmp_path).columns) == REVIEW_COLS
    assert list(_surveys(tmp_path).columns) == SURVEY_COLS


# ------------------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes(tmp_path, small):
    counts = generate(tmp_path, scale=0.2, seed=7, truth=True)
    for name in counts:
        assert (tmp_path / name).read_bytes() == (small / name).read_bytes(), name


def test_other_seed_other_data(tmp_path, small):
    generate(tmp_path, scale=0.2, seed=8)
    assert (tmp_path / "reviews.csv").read_bytes() != (small / "reviews.csv").read_bytes()


def test_scale_multiplies_counts(tmp_path, small):
    counts = generate(tmp_path, scale=0.4, seed=7)
    base = {k: v for k, v in Counter(generate(tmp_path / "b", scale=0.2, seed=7)).items()}
    for name, n in counts.items():
        assert 1.6 < n / base[name] < 2.4, name


# ------------------------------------------------------------------------------------------ planted


def test_planted_spikes_exist(small):
    w = _neg_by_week(_truth(small))
    assert len(w.index) == 10

    def ratio(tp: str, weeks: list[date]) -> float:
        base = w.loc[[x for x in w.index if x not in weeks], tp].mean()
        return w.loc[weeks, tp].mean() / base

    assert ratio("delivery", [DELAY_WEEK]) > 2.5
    assert ratio("website_app", CRASH_WEEKS) > 2.5
    assert ratio("pricing", [LAST_WEEK]) > 2.0
    assert w.loc[DELAY_WEEK].idxmax() == "delivery"
    for week in CRASH_WEEKS:
        assert "website_app" in w.loc[week].nlargest(2).index
    assert set(w.loc[LAST_WEEK].nlargest(2).index) == {"pricing", "website_app"}


def test_planted_crash_is_mostly_app_channel(full):
    t = _truth(full)
    crash = set(t[(t.planted == "checkout_crash_app_5_2") & (t.source == "review")].doc_id)
    r = _reviews(full)
    ch = r[r.review_id.isin(crash)].channel.value_counts(normalize=True)
    assert ch["app"] > 0.75
    dates = pd.to_datetime(t[t.planted == "checkout_crash_app_5_2"].date).dt.date
    assert dates.min() >= date(2026, 10, 26)
    assert set(t[t.planted != ""].lang) >= {"ru", "en"}


def test_rankings_at_scale_1(full):
    w = _neg_by_week(_truth(full))
    assert set(w.sum().nlargest(3).index) == {"delivery", "website_app", "pricing"}
    assert w.sum().nlargest(3).min() > 1.2 * w.sum().nlargest(4).iloc[-1]  # a clear gap to the 4th
    assert set(w.loc[LAST_WEEK].nlargest(2).index) == {"pricing", "website_app"}
    assert w.loc[DELAY_WEEK].idxmax() == "delivery"


# ------------------------------------------------------------------------------------------ committed data


def test_committed_samples_are_regenerated_by_the_module(tmp_path):
    if not (SAMPLES / "reviews.csv").exists():
        pytest.skip("data/samples not generated")
    sampledata.main([str(tmp_path)])
    for name in ("reviews.csv", "chats.jsonl", "surveys.csv", "planted.yaml"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), (
            f"{name} differs: run `python -m vocmine.sampledata data/samples` and update data/samples/README.md"
        )
    size = sum((SAMPLES / n).stat().st_size for n in ("reviews.csv", "chats.jsonl", "surveys.csv"))
    assert size < 2_000_000


def test_committed_key_is_consistent():
    if not (SAMPLES / "planted.yaml").exists():
        pytest.skip("data/samples not generated")
    key = yaml.safe_load((SAMPLES / "planted.yaml").read_text(encoding="utf-8"))
    pains = {p["id"]: p for p in key["pain_points"]}
    assert set(pains) == set(sampledata.PAIN_POINTS)
    assert pains["delivery_delay_spike"]["touchpoint"] == "delivery"
    assert str(pains["delivery_delay_spike"]["week_start"]) == "2026-10-12"
    assert pains["checkout_crash_app_5_2"]["touchpoint"] == "website_app"
    assert str(pains["checkout_crash_app_5_2"]["week_start"]) == "2026-10-26"
    assert pains["price_increase_wave"]["touchpoint"] == "pricing"
    assert str(pains["price_increase_wave"]["week_start"]) == "2026-11-02"
    for p in pains.values():
        assert set(p["languages"]) == {"ru", "en"}
        assert p["planted_docs"]["total"] > 30 and p["negative_mentions"]["ratio_to_baseline"] > 2.5
        assert p["description"] and p["expected_effect"]
    ranks = key["expected_rankings"]
    assert set(ranks["whole_period_top3_negative"]) == {"delivery", "website_app", "pricing"}
    assert set(ranks["week_2026-11-02_top2_negative"]) == {"pricing", "website_app"}
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for p in pains.values():  # the human-readable key quotes the same counts
        assert f"| {p['planted_docs']['total']} |" in readme or str(p["planted_docs"]["total"]) in readme
