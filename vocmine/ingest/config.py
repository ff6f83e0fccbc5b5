"""Source declarations: what to read, where from, in which format, and how its fields map to vocmine's."""

from __future__ import annotations

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
    # Source columns not mapped in `fields`: kept in documents.extra PII-masked like the text, or dropped.
    extra: Literal["mask", "drop"] = "mask"
    # The raw record of a quarantined row: stored PII-masked (to see what was wrong with it), or not at all.
    quarantine_payload: Literal["mask", "drop"] = "mask"

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
