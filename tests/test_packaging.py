"""The wheel is vocmine's alone and carries what an installed vocmine needs; every import is a declared dependency.

The end-to-end check of an installed wheel (fresh venv, another folder, `vocmine setup && vocmine run`) is
`.ci/wheel_smoke.sh`, which CI runs after the suite.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from setuptools import find_namespace_packages
from typer.testing import CliRunner

from vocmine import settings
from vocmine.cli import app

REPO = settings.PROJECT_DIR
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _git_files(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", *paths], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_every_source_package_is_listed():
    """A new subpackage of vocmine/ must be added to [tool.setuptools] packages, or the wheel lacks it."""
    code = {p for p in find_namespace_packages(REPO, include=["vocmine*"]) if "__pycache__" not in p}
    code.discard("vocmine.flows")  # the checkout bridge: the wheel's vocmine.flows is flows/
    listed = set(SETUPTOOLS["packages"])
    assert code <= listed, f"not in pyproject's packages: {sorted(code - listed)}"
    assert set(SETUPTOOLS["package-dir"]) <= listed


def test_flows_import_as_vocmine_flows_from_the_checkout():
    import vocmine.flows.nightly

    assert Path(vocmine.flows.nightly.__file__).resolve() == REPO / "flows" / "nightly.py"


def test_no_code_imports_the_checkout_only_name_flows():
    # `flows.x` and `vocmine.flows.x` would be two module objects: a monkeypatch or a flow object of one misses
    # the other, and the top-level name does not exist once installed
    bad = []
    for folder in ("vocmine", "flows", "tests", "bench"):
        for path in REPO.joinpath(folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bad += [
                    f"{path.relative_to(REPO)}: {n}" for n in names if n == "flows" or n.startswith("flows.")
                ]
    assert not bad, bad


def _third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [*REPO.joinpath("vocmine").rglob("*.py"), *REPO.joinpath("flows").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "vocmine":
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_distribution_is_declared():
    declared = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    dists = packages_distributions()
    missing = {
        top: sorted(where)
        for top, where in _third_party_imports().items()
        if not {canonicalize_name(d) for d in dists.get(top, [top])} & declared
    }
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_version_option():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"vocmine {version('vocmine')}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from a copy of the tracked files (the checkout gets no build/ folder)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    for f in _git_files():
        if (REPO / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, src / f)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        str(src),
        "-w",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return zipfile.ZipFile(next(out.glob("vocmine-*.whl")))


def test_wheel_ships_the_model_taxonomies_samples_and_flows(wheel):
    names = set(wheel.namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"vocmine", f"vocmine-{version('vocmine')}.dist-info"}, tops  # no top-level flows
    expected = {f"vocmine/_data/{f}" for f in _git_files("models")} | {
        f"vocmine/_data/samples/{Path(f).name}" for f in _git_files("data/samples")
    }
    expected |= {f"vocmine/flows/{Path(f).name}" for f in _git_files("flows")}
    expected |= {f"vocmine/report/report.{ext}" for ext in ("html.j2", "css", "js")}  # the HTML report's page
    assert expected <= names, sorted(expected - names)
    assert (
        "vocmine/flows/__init__.py" in names
        and "__path__" not in wheel.read("vocmine/flows/__init__.py").decode()
    )
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
