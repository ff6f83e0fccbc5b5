"""Source declarations: what to read, where from, in which format, and how its fields map to vocmine's."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class SourceError(ValueError):
    """A source declaration or source file that cannot be used, with the reason."""


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["review", "chat", "survey"]
    location: str
    format: Literal["csv", "tsv", "jsonl", "json", "parquet", "xlsx", "transcript"] | None = None
    sheet: str | None = None  # xlsx: the worksheet (default: the first)
    encoding: str | None = None  # None: detected
    fields: dict[str, str] = Field(default_factory=dict)  # canonical field -> column in the source
    max_chars: int = 20_000  # longer texts are quarantined, not truncated silently
    timezone: str = "UTC"  # for timestamps without an offset
    # timestamps later than now + max_future are quarantined (a clock or typing error, e.g. 2100-12-31)
    max_future: timedelta = timedelta(days=2)
    # transcript speaker labels and chat turn roles -> role, on top of (and overriding) the built-in map
    roles: dict[str, Role] = Field(default_factory=dict)

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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = SourcesFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise SourceError(f"{path}: {e}") from e
    names = [s.name for s in parsed.sources]
    if len(set(names)) != len(names):
        raise SourceError(f"{path}: duplicate source names in {names}")
    for s in parsed.sources:
        if "://" not in s.location and not Path(s.location).is_absolute():
            s.location = str((path.parent / s.location).resolve())
    return parsed.sources
