"""Source declarations: what to read, where from, in which format, and how its fields map to vocmine's."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vocmine.errors import UsageError, describe_validation

CANONICAL_FIELDS = (
    "id",
    "timestamp",
    "text",
    "rating",
    "nps",
    "csat",
    "ces",
    "channel",
    "product",
    "customer_id",
    "language",
    "turns",
    "outcome",
)


Role = Literal["customer", "agent", "bot"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$")
_UNIT = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
#: The environment variable the customer-id salt is read from when a source does not give one.
SALT_ENV = "VOCMINE_CUSTOMER_ID_SALT"


class SourceError(UsageError):
    """A source declaration or source file that cannot be used, with the reason (a ``ValueError``)."""


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["review", "chat", "survey"]
    location: str = Field(min_length=1)
    format: Literal["csv", "tsv", "jsonl", "json", "parquet", "xlsx", "transcript"] | None = None
    sheet: str | None = Field(default=None, min_length=1)  # xlsx: the worksheet (default: the first)
    encoding: str | None = None  # None: detected
    fields: dict[str, str] = Field(default_factory=dict)  # canonical field -> column in the source
    max_chars: int = Field(default=20_000, ge=1)  # longer texts are quarantined, not truncated silently
    timezone: str = "UTC"  # for timestamps without an offset
    # Source columns not mapped in `fields`: kept in documents.extra PII-masked like the text, or dropped.
    extra: Literal["mask", "drop"] = "mask"
    # The raw record of a quarantined row: stored PII-masked (to see what was wrong with it), or not at all.
    quarantine_payload: Literal["mask", "drop"] = "mask"

    # timestamps later than now + max_future are quarantined (a clock or typing error, e.g. 2100-12-31)
    max_future: timedelta = timedelta(days=2)
    # transcript speaker labels and chat turn roles -> role, on top of (and overriding) the built-in map
    roles: dict[str, Role] = Field(default_factory=dict)
    # Store a keyed hash (HMAC-SHA256) of the customer id instead of the id: analysts can join journeys
    # across sources without seeing raw ids. The salt: customer_id_salt, else $VOCMINE_CUSTOMER_ID_SALT;
    # every source must use the same one for the hashes to match.
    hash_customer_id: bool = False
    customer_id_salt: str | None = Field(default=None, min_length=8, repr=False)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (KeyError, ValueError, OSError):  # not found, not a key ("../x", ""), a folder ("Europe")
            raise ValueError(
                f"unknown timezone {v!r}: use an IANA name such as 'Europe/Moscow' or 'UTC'"
            ) from None
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            text = codecs.lookup(v)._is_text_encoding  # "base64", "rot13" are codecs but not text encodings
        except LookupError:
            text = False
        if not text:
            raise ValueError(
                f"unknown text encoding {v!r}: use a Python codec name such as 'utf-8' or 'cp1251'"
            )
        return v

    @field_validator("max_future", mode="before")
    @classmethod
    def _short_duration(cls, v: object) -> object:
        """``2d``, ``36h``, ``90m``, ``30s`` besides pydantic's own forms (ISO 8601 ``P2D``, seconds)."""
        if isinstance(v, str) and (m := _DURATION.match(v)):
            return timedelta(**{_UNIT[m.group(2)]: float(m.group(1))})
        return v

    @field_validator("roles")
    @classmethod
    def _lower_roles(cls, v: dict[str, str]) -> dict[str, str]:
        return {" ".join(k.split()).lower(): r for k, r in v.items()}

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = set(v) - set(CANONICAL_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {sorted(unknown)}; known: {', '.join(CANONICAL_FIELDS)}"
            )
        return v

    @field_validator("fields")
    @classmethod
    def _named_columns(cls, v: dict[str, str]) -> dict[str, str]:
        empty = [k for k, col in v.items() if not col.strip()]
        if empty:
            raise ValueError(f"empty column name for {empty}")
        return v

    @model_validator(mode="after")
    def _consistent_format(self) -> SourceConfig:
        fmt = self.resolved_format()  # a location whose format cannot be told fails here, before any read
        if self.sheet is not None and fmt != "xlsx":
            raise ValueError(f"`sheet` is only for xlsx sources, and this one is {fmt}")
        if self.encoding is not None and fmt in ("parquet", "xlsx"):
            raise ValueError(f"`encoding` is only for text formats, and this one is {fmt}")
        if self.kind == "chat" and fmt in ("csv", "tsv", "xlsx"):
            raise ValueError(f"a chat source needs turns (jsonl, json, parquet or transcript), not {fmt}")
        if self.customer_id_salt is not None and not self.hash_customer_id:
            raise ValueError("`customer_id_salt` is only used with `hash_customer_id: true`")
        if self.hash_customer_id and len(self.salt()) < 8:
            raise ValueError(
                f"`hash_customer_id: true` needs a salt of at least 8 characters: set ${SALT_ENV} "
                "(or `customer_id_salt` in the source)"
            )
        return self

    def salt(self) -> str:
        return self.customer_id_salt or os.environ.get(SALT_ENV, "")

    def customer_key(self, raw: str) -> str:
        """What is stored for a customer id: the id itself, or its salted hash when the source asks for it."""
        if not self.hash_customer_id:
            return raw
        return hmac.new(self.salt().encode("utf-8"), raw.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def column(self, canonical: str) -> str:
        return self.fields.get(canonical, canonical)

    def resolved_format(self) -> str:
        if self.format:
            return self.format
        suffix = Path(self.location).suffix.lower().lstrip(".")
        suffix = {"ndjson": "jsonl", "txt": "transcript", "xls": "xlsx"}.get(suffix, suffix)
        if suffix in ("csv", "tsv", "jsonl", "json", "parquet", "xlsx", "transcript"):
            return suffix
        raise SourceError(f"source {self.name!r}: cannot tell the format of {self.location!r}; set `format`")


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]


def load_sources(path: str | Path) -> list[SourceConfig]:
    """Read a sources YAML; relative locations are resolved against the file's folder."""
    path = Path(path)
    hint = 'see README "Sources" and data/samples/sources.yaml'
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise SourceError(f"sources file {path} {what}", "give the YAML file's path with --sources")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as e:
        raise SourceError(f"sources file {path} cannot be read: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise SourceError(f"sources file {path} is not valid YAML{where}: {problem}", hint) from e
    try:
        parsed = SourcesFile.model_validate(raw)
    except ValidationError as e:
        raise SourceError(f"sources file {path}: {describe_validation(e, 'the file')}", hint) from e
    names = [s.name for s in parsed.sources]
    if len(set(names)) != len(names):
        raise SourceError(f"{path}: duplicate source names in {names}")
    for s in parsed.sources:
        if "://" not in s.location and not Path(s.location).is_absolute():
            s.location = str((path.parent / s.location).resolve())
    return parsed.sources
