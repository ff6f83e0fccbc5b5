"""`vocmine taxonomy check`: findings on small taxonomies with a known flaw each, and the CLI's exit code."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vocmine import settings
from vocmine.cli import app
from vocmine.taxonomy_check import ERROR, WARNING, check, render

runner = CliRunner()

HEAD = """version: "1"
name: fixture
languages: {langs}
stages:
  - id: buy
    name: {{en: Buy}}
touchpoints:
"""


def _tp(id_: str, examples: dict[str, list[str]], keywords: dict[str, list[str]] | None = None) -> str:
    ex = "\n".join(
        f"      {lang}:\n" + "\n".join(f"        - {json.dumps(e, ensure_ascii=False)}" for e in items)
        for lang, items in examples.items()
    )
    kw = "".join(
        f"      {lang}: {json.dumps(words, ensure_ascii=False)}\n" for lang, words in (keywords or {}).items()
    )
    return (
        f"  - id: {id_}\n    stage: buy\n    name: {{en: {id_}}}\n    description: {{en: {json.dumps(id_)}}}\n"
        + (f"    keywords:\n{kw}" if kw else "")
        + f"    examples:\n{ex}\n"
    )


DELIVERY = [
    "The courier brought my parcel three days late.",
    "Delivery took two weeks instead of two days.",
    "My order still has not been delivered.",
    "The parcel arrived late again.",
    "The delivery slot was missed and nobody came.",
]
PAYMENT = [
    "My card payment was declined at checkout.",
    "I was charged twice for one order.",
    "The payment page gave an error when I paid.",
    "The money was taken from my card but the order failed.",
    "Apple Pay does not work at checkout.",
]
SHIPPING = [  # delivery's own complaints under another name
    "The courier came a week late with my parcel.",
    "My parcel was delivered late again.",
    "Delivery took far longer than promised.",
    "The order has still not been delivered to me.",
    "Nobody came in the delivery slot.",
]
SUPPORT = [
    "The support agent never answered my chat.",
    "I waited an hour on the hotline.",
    "Customer service closed my ticket without help.",
    "Nobody from support replied to my email.",
    "The operator was rude and hung up on me.",
]


def _write(tmp_path: Path, body: str, langs: str = "[en]") -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD.format(langs=langs) + body, encoding="utf-8")
    return path


def _by(report, check_name):
    return {f.touchpoint: f for f in report.findings if f.check == check_name}


def test_an_overlapping_pair_is_an_error_naming_the_other_touchpoint(tmp_path, model):
    path = _write(
        tmp_path,
        _tp("delivery", {"en": DELIVERY})
        + _tp("shipping", {"en": SHIPPING})
        + _tp("payment", {"en": PAYMENT}),
    )
    report = check(path, model)
    overlap = _by(report, "overlap")
    pair = [f for t, f in overlap.items() if t in ("delivery", "shipping")]
    assert pair and any(f.level == ERROR for f in pair)
    for f in pair:
        other = "shipping" if f.touchpoint == "delivery" else "delivery"
        assert other in f.detail["to"] and other in f.message
    assert "payment" not in overlap  # the distinct touchpoint is clean
    assert report.errors and "error(s)" in render(report)


def test_a_monolingual_touchpoint_and_few_examples_are_warnings(tmp_path, model):
    ru_delivery = ["Курьер опоздал на три дня.", "Заказ так и не доставили.", "Доставка заняла две недели."]
    ru_payment = ["Оплата картой не прошла.", "Деньги списали дважды.", "Страница оплаты выдаёт ошибку."]
    path = _write(
        tmp_path,
        _tp("delivery", {"en": DELIVERY, "ru": ru_delivery})
        + _tp("payment", {"en": PAYMENT, "ru": ru_payment})
        + _tp("customer_support", {"en": SUPPORT}),
        langs="[en, ru]",
    )
    report = check(path, model)
    langs = _by(report, "languages")
    assert set(langs) == {"customer_support"} and langs["customer_support"].level == WARNING
    assert langs["customer_support"].detail["missing"] == ["ru"]
    few = _by(report, "examples")
    assert set(few) == {"delivery", "payment"} and few["delivery"].detail["examples"] == {"ru": 3}
    assert not report.errors


def test_a_keyword_that_fires_everywhere(tmp_path, model):
    path = _write(
        tmp_path,
        _tp("delivery", {"en": DELIVERY}, {"en": ["courier", "my"]})
        + _tp("payment", {"en": PAYMENT}, {"en": ["payment"]})
        + _tp("customer_support", {"en": SUPPORT}, {"en": ["support"]}),
    )
    # on the other touchpoints' examples: a warning
    kws = [f for f in check(path, model).findings if f.check == "keywords"]
    assert [(f.touchpoint, f.detail["keyword"], f.level) for f in kws] == [("delivery", "my", WARNING)]
    # on a sample where most clauses say "my": an error, with an example text
    sample = tmp_path / "s.csv"
    texts = ["My bag is blue.", "I love my new phone.", "My sister called.", "The payment went through fine."]
    sample.write_text("text\n" + "\n".join(texts) + "\n", encoding="utf-8")
    report = check(path, model, sample)
    kws = [f for f in report.findings if f.check == "keywords"]
    assert [(f.touchpoint, f.detail["keyword"], f.level) for f in kws][0] == ("delivery", "my", ERROR)
    assert kws[0].detail["share"] >= 0.5 and kws[0].detail["e.g."] in texts
    s = report.sample
    assert s.documents == 4 and s.clauses >= 4
    assert 0 <= s.share_none <= 1 and set(s.shares) == {"delivery", "payment", "customer_support"}


def test_cli_exit_code_json_and_sample_shares(tmp_path, model):
    clean = _write(
        tmp_path,
        _tp("delivery", {"en": DELIVERY})
        + _tp("payment", {"en": PAYMENT})
        + _tp("customer_support", {"en": SUPPORT}),
    )
    res = runner.invoke(app, ["taxonomy", "check", str(clean), "--sample", str(settings.SAMPLES_DIR)])
    assert res.exit_code == 0, res.output
    assert "sample: " in res.output and "(none)" in res.output
    res = runner.invoke(app, ["taxonomy", "check", str(clean), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["errors"] == 0

    bad = tmp_path / "bad"
    bad.mkdir()
    body = _tp("delivery", {"en": DELIVERY}) + _tp("shipping", {"en": SHIPPING})
    res = runner.invoke(app, ["taxonomy", "check", str(_write(bad, body))])
    assert res.exit_code == 1 and "ERROR" in res.output and "overlap" in res.output
    # a file that is no valid taxonomy: its problems, exit 3 (not the findings' 1)
    res = runner.invoke(app, ["taxonomy", "check", str(_write(bad, body + body))])
    assert res.exit_code == 3 and "invalid taxonomy file" in res.output


def test_the_default_taxonomy_has_no_errors(model):
    report = check(settings.DEFAULT_TAXONOMY, model)
    assert report.touchpoints == 12 and not report.errors, render(report)
