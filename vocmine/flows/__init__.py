"""vocmine's Prefect flows, importable as ``vocmine.flows`` from a checkout as from an installed wheel.

The flow modules live in the repository's top-level ``flows/`` folder (where ``prefect.yaml`` names them); a wheel
maps that folder to ``vocmine/flows`` (``package-dir`` in pyproject.toml), so this file exists only in a checkout
and points the package at that folder.
"""

from pathlib import Path

__path__ = [str(Path(__file__).resolve().parents[2] / "flows")]
