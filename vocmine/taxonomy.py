"""Customer-journey taxonomy: journey stages and the touchpoints segments are classified into.

The taxonomy is a hand-edited YAML file (``models/taxonomy.yaml`` by default), so loading it
validates strictly and reports every problem with the file name and a readable location
(``touchpoints[2] (payment) → keywords.ru[3]``) instead of a raw pydantic traceback.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vocmine.errors import UsageError
from vocmine.settings import DEFAULT_TAXONOMY

_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*$")
_SPACES = re.compile(r"\s+")


class TaxonomyError(UsageError):
    """A taxonomy file that cannot be used; the message names the file and every problem found (a usage error:
    any command given it says so and exits 2, README "Exit codes")."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"invalid taxonomy file {self.path}:\n{lines}",
            f"fix what is listed; `vocmine taxonomy check {self.path}` checks a taxonomy before use",
        )

    def __reduce__(self):  # pickled across processes (Prefect, Dask) with its own arguments
        return (type(self), (self.path, self.problems))


def _check_id(value: str, what: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"{what} {value!r} must be lowercase snake_case (e.g. 'customer_support')")
    return value


def _check_texts(value: dict[str, str], what: str) -> dict[str, str]:
    """Per-language display texts: stripped, none blank, at least one present."""
    cleaned = {lang: text.strip() for lang, text in value.items()}
    blank = sorted(lang for lang, text in cleaned.items() if not text)
    if blank:
        raise ValueError(f"empty {what} for language(s): {', '.join(blank)}")
    if not cleaned:
        raise ValueError(f"{what} needs text in at least one language, e.g. {{en: ..., ru: ...}}")
    return cleaned


class _Strict(BaseModel):
    # Unknown keys are almost always typos ("exmaples") that would otherwise be silently ignored.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Stage(_Strict):
    """One step of the customer journey; the order in the file is the journey order."""

    id: str
    name: dict[str, str]

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "stage id")

    @field_validator("name")
    @classmethod
    def _name(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_texts(v, "name")


class Touchpoint(_Strict):
    """A topic customers talk about (delivery, payment, ...), with the texts used to recognise it."""

    id: str
    stage: str
    name: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    examples: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "touchpoint id")

    @field_validator("name")
    @classmethod
    def _name(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_texts(v, "name")

    @field_validator("description")
    @classmethod
    def _description(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_texts(v, "description")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        # Keywords are compared with lowercased lemmas, so normalise them here once; duplicates
        # after normalisation are dropped rather than rejected, they are harmless.
        out: dict[str, list[str]] = {}
        for lang, words in v.items():
            seen: dict[str, None] = {}
            for i, w in enumerate(words):
                norm = _SPACES.sub(" ", w.strip().lower())
                if not norm:
                    raise ValueError(f"keyword {lang}[{i}] is empty")
                seen.setdefault(norm, None)
            out[lang] = list(seen)
        return out

    @field_validator("examples")
    @classmethod
    def _examples(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for lang, texts in v.items():
            cleaned = [t.strip() for t in texts]
            for i, t in enumerate(cleaned):
                if not t:
                    raise ValueError(f"example {lang}[{i}] is empty")
                if t in cleaned[:i]:
                    raise ValueError(f"example {lang}[{i}] {t!r} is listed twice")
            out[lang] = cleaned
        return out

    @model_validator(mode="after")
    def _has_examples(self) -> Touchpoint:
        # Classification is by similarity to the examples: without any the touchpoint is never chosen.
        if not any(self.examples.values()):
            raise ValueError("needs at least one example in at least one language")
        return self


class Taxonomy(_Strict):
    """The ordered journey stages and the touchpoints mapped onto them."""

    version: str
    name: str
    languages: list[str]
    stages: list[Stage]
    touchpoints: list[Touchpoint]

    @field_validator("version", "name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("list at least one language code, e.g. [ru, en]")
        bad = [lang for lang in v if not _LANG_RE.match(lang)]
        if bad:
            raise ValueError(f"not lowercase language codes: {', '.join(map(repr, bad))}")
        if len(set(v)) != len(v):
            raise ValueError("language codes are repeated")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Taxonomy:
        # All cross-references are checked in one pass so a hand editor sees every problem at once.
        problems: list[str] = []
        if not self.stages:
            problems.append("stages: at least one stage is needed")
        if not self.touchpoints:
            problems.append("touchpoints: at least one touchpoint is needed")
        problems += _duplicates("stages", [s.id for s in self.stages])
        problems += _duplicates("touchpoints", [t.id for t in self.touchpoints])

        stage_ids = [s.id for s in self.stages]
        langs = set(self.languages)
        for i, s in enumerate(self.stages):
            problems += _unknown_langs(f"stages[{i}] ({s.id}) → name", s.name, langs)
        keyword_owner: dict[tuple[str, str], str] = {}
        example_owner: dict[tuple[str, str], str] = {}
        for i, tp in enumerate(self.touchpoints):
            where = f"touchpoints[{i}] ({tp.id})"
            if tp.stage not in stage_ids:
                problems.append(
                    f"{where} → stage: {tp.stage!r} is not one of the stages ({', '.join(stage_ids)})"
                )
            for field in ("name", "description", "keywords", "examples"):
                problems += _unknown_langs(f"{where} → {field}", getattr(tp, field), langs)
            # A keyword or example shared by two touchpoints is a contradictory training signal.
            for lang, words in tp.keywords.items():
                for w in words:
                    other = keyword_owner.setdefault((lang, w), tp.id)
                    if other != tp.id:
                        problems.append(
                            f"{where} → keywords.{lang}: {w!r} is also a keyword of {other!r}; "
                            "a keyword must point to one touchpoint"
                        )
            for lang, texts in tp.examples.items():
                for t in texts:
                    other = example_owner.setdefault((lang, t.casefold()), tp.id)
                    if other != tp.id:
                        problems.append(f"{where} → examples.{lang}: {t!r} is also an example of {other!r}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @classmethod
    def load(cls, path: str | Path = DEFAULT_TAXONOMY) -> Taxonomy:
        """Read and validate a taxonomy YAML file; raises TaxonomyError describing every problem."""
        path = Path(path)
        try:
            with path.open("rb") as f:
                data = yaml.load(f, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
        except OSError as e:
            raise TaxonomyError(path, [f"cannot read the file: {e.strerror or e}"]) from e
        except yaml.YAMLError as e:
            raise TaxonomyError(path, [f"not valid YAML: {_one_line(str(e))}"]) from e
        if not isinstance(data, dict):
            raise TaxonomyError(
                path, ["the top level must be a mapping with version, name, languages, stages, touchpoints"]
            )
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise TaxonomyError(path, _describe(e, data)) from e

    @property
    def touchpoint_ids(self) -> list[str]:
        return [t.id for t in self.touchpoints]

    def touchpoint(self, id: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == id:
                return tp
        raise KeyError(
            f"unknown touchpoint {id!r} in taxonomy {self.name!r}; known: {', '.join(self.touchpoint_ids)}"
        )

    def stage_of(self, touchpoint_id: str) -> Stage:
        stage_id = self.touchpoint(touchpoint_id).stage
        return next(s for s in self.stages if s.id == stage_id)

    @property
    def fingerprint(self) -> str:
        """First 12 hex chars of the sha256 of the canonical JSON dump.

        Recorded in lineage as the taxonomy version actually used: unlike a file hash it ignores
        comments, formatting and keyword case, but changes with any edit that can change results.
        """
        canonical = json.dumps(
            self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    def label(self, touchpoint_id: str, lang: str = "en") -> str:
        """Display name in ``lang``, else English, else the id.

        Unknown ids come back as-is: stored results may name touchpoints of an older taxonomy.
        """
        tp = next((t for t in self.touchpoints if t.id == touchpoint_id), None)
        if tp is None:
            return touchpoint_id
        return tp.name.get(lang) or tp.name.get("en") or touchpoint_id


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects repeated mapping keys, which PyYAML otherwise silently overwrites
    (a second ``examples:`` block would quietly replace the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                dup = key in seen
                seen.add(key)
            except TypeError:  # unhashable key; let PyYAML report it
                continue
            if dup:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _duplicates(where: str, ids: list[str]) -> list[str]:
    positions: dict[str, list[int]] = {}
    for i, item_id in enumerate(ids):
        positions.setdefault(item_id, []).append(i)
    return [
        f"{where}: id {item_id!r} is used more than once (at {', '.join(f'{where}[{i}]' for i in at)})"
        for item_id, at in positions.items()
        if len(at) > 1
    ]


def _unknown_langs(where: str, value: dict[str, Any], langs: set[str]) -> list[str]:
    extra = sorted(set(value) - langs)
    if not extra:
        return []
    return [f"{where}: language(s) {', '.join(extra)} not in languages ({', '.join(sorted(langs))})"]


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


_ITEM_MODELS: dict[str, type[BaseModel]] = {"stages": Stage, "touchpoints": Touchpoint}


def _describe(error: ValidationError, data: dict[str, Any]) -> list[str]:
    """Turn pydantic errors into lines a CX editor can act on, naming items by id, not only index."""
    problems: list[str] = []
    for err in error.errors():
        loc = list(err["loc"])
        where = _where(loc, data)
        kind = err["type"]
        if kind == "extra_forbidden":
            model = _ITEM_MODELS.get(str(loc[0]), Taxonomy) if len(loc) > 1 else Taxonomy
            allowed = ", ".join(model.model_fields)
            msg = f"unknown field {loc[-1]!r} (allowed: {allowed})"
            where = _where(loc[:-1], data)
        elif kind == "missing":
            msg = f"missing required field {loc[-1]!r}"
            where = _where(loc[:-1], data)
        elif kind == "value_error":
            msg = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
        elif kind == "string_type" and isinstance(err.get("input"), bool):
            msg = "got a yes/no boolean, not text: put the value in quotes"
        else:
            msg = err["msg"]
        for line in msg.splitlines():
            # Cross-reference errors (raised at the top level) already carry their own location.
            problems.append(f"{where}: {line}" if where else line)
    return problems


def _where(loc: list[Any], data: dict[str, Any]) -> str:
    if not loc:
        return ""
    head, *rest = loc
    text = str(head)
    if head in ("stages", "touchpoints") and rest and isinstance(rest[0], int):
        idx, rest = rest[0], rest[1:]
        text = f"{head}[{idx}]"
        items = data.get(head)
        item = items[idx] if isinstance(items, list) and idx < len(items) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            text += f" ({item['id']})"
    if rest:
        path = ""
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        text += f" → {path}"
    return text
