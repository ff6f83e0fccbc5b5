"""Hostile sources YAML: every mistake is a SourceError naming the field, raised before anything is read."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vocmine.ingest.config import SourceError, load_sources

GOOD = {"name": "r", "kind": "review", "location": "r.csv"}


def _load(tmp_path, source: dict | None = None, text: str | None = None):
    p = tmp_path / "sources.yaml"
    p.write_text(text if text is not None else yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    return load_sources(p)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        ({"timezone": "+03:00"}, "IANA name"),
        ({"timezone": "Europe"}, "unknown timezone 'Europe'"),  # a folder of tzdata, not a zone
        ({"timezone": "../../etc/passwd"}, "unknown timezone"),
        ({"timezone": ""}, "unknown timezone"),
        ({"encoding": "klingon-8"}, "unknown text encoding 'klingon-8'"),
        ({"encoding": "base64"}, "unknown text encoding 'base64'"),  # a codec, but bytes to bytes
        ({"format": "xlsx", "encoding": "cp1251"}, "`encoding` is only for text formats"),
        ({"sheet": "Reviews"}, "`sheet` is only for xlsx sources, and this one is csv"),
        ({"sheet": ""}, "sheet"),
        ({"format": "docx"}, "format"),
        ({"location": "exports/"}, "cannot tell the format"),
        ({"location": ""}, "location"),
        ({"max_chars": 0}, "max_chars"),
        ({"max_chars": "lots"}, "max_chars"),
        ({"kind": "chat"}, "a chat source needs turns"),
        ({"kind": "tweet"}, "kind"),
        ({"fields": {"body": "text"}}, "unknown canonical field(s) ['body']"),
        ({"fields": {"text": " "}}, "empty column name for ['text']"),
        ({"name": "Bad Name"}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_config_mistakes_are_messages(tmp_path, change, fragment):
    with pytest.raises(SourceError) as e:
        _load(tmp_path, {**GOOD, **change})
    assert fragment in str(e.value)


@pytest.mark.parametrize(
    "text",
    ["sources: [", "- just a list", "sources: null", "sources:\n  - 42", "", "\x00\x01", "sources: {a: 1}"],
)
def test_malformed_yaml_is_a_message(tmp_path, text):
    with pytest.raises(SourceError):
        _load(tmp_path, text=text)


def test_sources_yaml_not_in_utf8_is_a_message(tmp_path):
    (tmp_path / "sources.yaml").write_bytes("sources:\n  - name: отзывы\n".encode("cp1251"))
    with pytest.raises(SourceError, match="utf-8"):
        load_sources(tmp_path / "sources.yaml")


def test_valid_settings_pass(tmp_path):
    (src,) = _load(
        tmp_path,
        {
            **GOOD,
            "location": "r.xlsx",
            "sheet": "Отзывы",
            "timezone": "Europe/Moscow",
            "max_chars": 10_000_000,
        },
    )
    assert (src.sheet, src.timezone, src.resolved_format()) == ("Отзывы", "Europe/Moscow", "xlsx")
    (src,) = _load(tmp_path, {**GOOD, "encoding": "cp1251", "kind": "chat", "location": "c.jsonl"})
    assert src.encoding == "cp1251"


# any value in any field: the config loads or fails with SourceError, never another exception
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)
_keys = st.sampled_from(
    ["name", "kind", "location", "format", "sheet", "encoding", "fields", "max_chars", "timezone", "other"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=st.dictionaries(_keys, _values, max_size=4))
def test_property_any_config_loads_or_is_a_message(tmp_path, change):
    try:
        _load(tmp_path, {**GOOD, **change})
    except SourceError as e:
        assert str(e)
