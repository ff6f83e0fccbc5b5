"""Source declarations: what to read, where from, in which format, and how its fields map to vocmine's."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class SourceError(UsageError):
    """A source declaration or source file that cannot be used, with the reason (a ``ValueError``)."""


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
