"""Tests for the default CX taxonomy file and its loader/validator."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from vocmine.taxonomy import DEFAULT_TAXONOMY, Taxonomy, TaxonomyError

EXPECTED_STAGES = {
    "delivery": "receive",
    "payment": "buy",
    "pricing": "choose",
    "product_quality": "use",
    "assortment": "choose",
    "website_app": "buy",
    "account_login": "buy",
    "customer_support": "get_help",
    "staff_store": "receive",
    "returns_refunds": "return",
    "notifications": "receive",
    "loyalty_promotions": "stay",
}


@pytest.fixture(scope="module")
def default() -> Taxonomy:
    return Taxonomy.load(DEFAULT_TAXONOMY)


# --- the default taxonomy ---------------------------------------------------------------------


def test_default_has_the_twelve_touchpoints(default: Taxonomy) -> None:
    assert default.languages == ["ru", "en"]
    assert sorted(default.touchpoint_ids) == sorted(EXPECTED_STAGES)


def test_default_stage_mapping_and_journey_order(default: Taxonomy) -> None:
    assert {tp: default.stage_of(tp).id for tp in EXPECTED_STAGES} == EXPECTED_STAGES
    order = [s.id for s in default.stages]
    assert order == ["discover", "choose", "buy", "receive", "use", "get_help", "return", "stay"]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_default_examples_and_keywords_per_language(default: Taxonomy, lang: str) -> None:
    for tp in default.touchpoints:
        assert 20 <= len(tp.examples.get(lang, [])) <= 30, (tp.id, lang)
        assert 15 <= len(tp.keywords.get(lang, [])) <= 30, (tp.id, lang)
        assert tp.name.get(lang) and tp.description.get(lang), (tp.id, lang)
        for kw in tp.keywords[lang]:
            assert kw == kw.strip().lower(), (tp.id, kw)


def test_default_examples_are_in_their_language(default: Taxonomy) -> None:
    # A sentence pasted into the wrong language list silently weakens both languages.
    cyrillic = re.compile(r"[а-яё]", re.IGNORECASE)
    for tp in default.touchpoints:
        assert all(cyrillic.search(e) for e in tp.examples["ru"]), tp.id
        assert not any(cyrillic.search(e) for e in tp.examples["en"]), tp.id


def test_default_russian_keywords_are_pymorphy_lemmas(default: Taxonomy) -> None:
    pymorphy3 = pytest.importorskip("pymorphy3")
    morph = pymorphy3.MorphAnalyzer()
    wrong = []
    for tp in default.touchpoints:
        for kw in tp.keywords["ru"]:
            if " " in kw:  # phrases are written naturally ("пункт выдачи"), not word-by-word lemmas
                continue
            if kw not in {p.normal_form for p in morph.parse(kw)}:
                wrong.append((tp.id, kw, morph.parse(kw)[0].normal_form))
    assert not wrong


def test_lookup_and_labels(default: Taxonomy) -> None:
    assert default.touchpoint("payment").name["en"] == "Payment & billing"
    assert default.label("delivery") == "Delivery"
    assert default.label("delivery", "ru") == "Доставка"
    assert default.label("delivery", "de") == "Delivery"  # falls back to English
    assert default.label("gone_touchpoint") == "gone_touchpoint"
    with pytest.raises(KeyError, match="unknown touchpoint 'nope'"):
        default.touchpoint("nope")


def test_default_path_is_used_without_argument() -> None:
    assert Taxonomy.load().fingerprint == Taxonomy.load(str(DEFAULT_TAXONOMY)).fingerprint


# --- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_is_stable(default: Taxonomy) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", default.fingerprint)
    assert Taxonomy.load(DEFAULT_TAXONOMY).fingerprint == default.fingerprint


def test_fingerprint_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    data = _minimal()
    base = Taxonomy.load(_write(tmp_path / "a.yaml", data)).fingerprint

    # Comments, layout and keyword case are not content: lineage must not see a new taxonomy.
    cosmetic = copy.deepcopy(data)
    cosmetic["touchpoints"][0]["keywords"]["en"] = ["  Courier ", "DELIVERY"]
    reformatted = tmp_path / "b.yaml"
    text = yaml.safe_dump(cosmetic, allow_unicode=True, default_flow_style=True, width=200)
    reformatted.write_text("# edited by the CX team\n" + text, encoding="utf-8")
    assert Taxonomy.load(reformatted).fingerprint == base

    changed = copy.deepcopy(data)
    changed["touchpoints"][0]["examples"]["en"].append("The parcel never arrived.")
    assert Taxonomy.load(_write(tmp_path / "c.yaml", changed)).fingerprint != base

    restaged = copy.deepcopy(data)
    restaged["touchpoints"][1]["stage"] = "receive"
    assert Taxonomy.load(_write(tmp_path / "d.yaml", restaged)).fingerprint != base


# --- normalisation ----------------------------------------------------------------------------


def test_keywords_are_lowercased_stripped_and_deduplicated(tmp_path: Path) -> None:
    data = _minimal()
    data["touchpoints"][0]["keywords"]["en"] = ["  Courier ", "COURIER", "Pick-up   Point"]
    tax = Taxonomy.load(_write(tmp_path / "t.yaml", data))
    assert tax.touchpoint("delivery").keywords["en"] == ["courier", "pick-up point"]


# --- broken files -----------------------------------------------------------------------------


def _dup_id(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["id"] = "delivery"


def _unknown_stage(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["stage"] = "checkout"


def _missing_description(d: dict[str, Any]) -> None:
    del d["touchpoints"][1]["description"]


def _blank_description(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["description"] = {"en": "   "}


def _extra_field(d: dict[str, Any]) -> None:
    d["touchpoints"][0]["exmaples"] = {"en": ["typo"]}


def _extra_top_level(d: dict[str, Any]) -> None:
    d["owner"] = "cx-team"


def _no_examples(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["examples"] = {"en": [], "ru": []}


def _bad_id(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["id"] = "Payment-Billing"


def _undeclared_language(d: dict[str, Any]) -> None:
    d["touchpoints"][0]["examples"]["de"] = ["Der Kurier kam zu spät."]


def _shared_keyword(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["keywords"]["en"].append("Courier")


def _shared_example(d: dict[str, Any]) -> None:
    d["touchpoints"][1]["examples"]["en"].append("the courier was late.")


def _unquoted_boolean(d: dict[str, Any]) -> None:
    d["stages"][0]["name"]["en"] = False  # what YAML makes of a bare `no`


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _dup_id,
            r"touchpoints: id 'delivery' is used more than once \(at touchpoints\[0\], touchpoints\[1\]\)",
        ),
        (_unknown_stage, r"touchpoints\[1\] \(payment\) → stage: 'checkout' is not one of the stages"),
        (_missing_description, r"touchpoints\[1\] \(payment\): missing required field 'description'"),
        (_blank_description, r"touchpoints\[1\] \(payment\) → description: empty description"),
        (_extra_field, r"touchpoints\[0\] \(delivery\): unknown field 'exmaples' \(allowed: id, stage,"),
        (_extra_top_level, r"unknown field 'owner'"),
        (_no_examples, r"touchpoints\[1\] \(payment\): needs at least one example"),
        (_bad_id, r"touchpoint id 'Payment-Billing' must be lowercase snake_case"),
        (
            _undeclared_language,
            r"touchpoints\[0\] \(delivery\) → examples: language\(s\) de not in languages",
        ),
        (_shared_keyword, r"'courier' is also a keyword of 'delivery'"),
        (_shared_example, r"'the courier was late\.' is also an example of 'delivery'"),
        (_unquoted_boolean, r"stages\[0\] \(receive\) → name.en: .*put the value in quotes"),
    ],
)
def test_broken_taxonomy_is_rejected_with_a_useful_message(
    tmp_path: Path, mutate: Any, expected: str
) -> None:
    data = _minimal()
    mutate(data)
    path = _write(tmp_path / "broken.yaml", data)
    with pytest.raises(TaxonomyError) as info:
        Taxonomy.load(path)
    message = str(info.value)
    assert str(path) in message
    assert re.search(expected, message), message
    assert isinstance(info.value, ValueError)


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    data = _minimal()
    _dup_id(data)
    data["touchpoints"][0]["stage"] = "nowhere"
    with pytest.raises(TaxonomyError) as info:
        Taxonomy.load(_write(tmp_path / "t.yaml", data))
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: '1'\nstages: [\n  - id: x\n", r"not valid YAML: .*line 3"),
        ("version: '1'\nname: a\nname: b\n", r"not valid YAML: .*duplicate key 'name'.*line 3"),
        ("- just\n- a list\n", r"top level must be a mapping"),
        ("", r"top level must be a mapping"),
    ],
)
def test_unparseable_file_is_rejected(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=expected) as info:
        Taxonomy.load(path)
    assert str(path) in str(info.value)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read the file"):
        Taxonomy.load(tmp_path / "absent.yaml")


# --- helpers ----------------------------------------------------------------------------------


def _minimal() -> dict[str, Any]:
    return {
        "version": "test-1",
        "name": "tiny",
        "languages": ["en", "ru"],
        "stages": [
            {"id": "receive", "name": {"en": "Receive", "ru": "Получение"}},
            {"id": "buy", "name": {"en": "Buy"}},
        ],
        "touchpoints": [
            {
                "id": "delivery",
                "stage": "receive",
                "name": {"en": "Delivery", "ru": "Доставка"},
                "description": {"en": "Couriers and delivery times."},
                "keywords": {"en": ["courier", "delivery"], "ru": ["курьер"]},
                "examples": {"en": ["The courier was late."], "ru": ["Курьер опоздал."]},
            },
            {
                "id": "payment",
                "stage": "buy",
                "name": {"en": "Payment"},
                "description": {"en": "Paying for the order."},
                "keywords": {"en": ["payment"]},
                "examples": {"en": ["I was charged twice."]},
            },
        ],
    }


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
