#!/usr/bin/env bash
# CI: vocmine works as an installed package, away from the repository. Builds the wheel from the tracked files,
# installs it with its dependencies into a fresh venv in a temporary folder (pinned by constraints.txt where the
# repository has one), then, from another temporary folder and with nothing of the checkout on the path, runs
# `vocmine --version`, `setup` (the base encoder into the user cache dir), `run` on the bundled samples, `report`,
# `query` and `classify`. Usage: .ci/wheel_smoke.sh [PYTHON]   (default: the project venv's interpreter)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${1:-$REPO/.venv/bin/python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vocmine-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
passed=0
check() {  # check NAME COMMAND...: run it, count it, stop the script on the first failure
    local name="$1" t0=$SECONDS
    shift
    echo "--- wheel-smoke: $name"
    "$@"
    passed=$((passed + 1))
    echo "--- wheel-smoke: $name ok ($((SECONDS - t0)) s)"
}

build() {  # from a copy of the tracked (and new, not ignored) files: no build/ folder in the checkout
    mkdir -p "$WORK/src"
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
        xargs -0 cp --parents -t "$WORK/src")
    "$PYTHON" -m pip wheel -q --no-deps --no-build-isolation "$WORK/src" -w "$WORK/dist"
    ls "$WORK"/dist/vocmine-*.whl
}

install() {
    "$PYTHON" -m venv "$WORK/venv"
    local pins=()
    [ -f "$REPO/constraints.txt" ] && pins=(-c "$REPO/constraints.txt")
    "$WORK/venv/bin/python" -m pip install -q "${pins[@]}" "$WORK"/dist/vocmine-*.whl 2> >(grep -v "is ignored: it is neither a file" >&2)
}

# Everything below runs in another folder, with the checkout off the path and a cache, Prefect home and
# database of its own: what a user of `pip install vocmine` has.
mkdir -p "$WORK/elsewhere"
cd "$WORK/elsewhere"
unset PYTHONPATH VOCMINE_CACHE VOCMINE_DB VOCMINE_MODEL VOCMINE_SHARED_DATA
export XDG_CACHE_HOME="$WORK/xdg-cache" PREFECT_HOME="$WORK/prefect" PATH="$WORK/venv/bin:$PATH"

installed() {  # the package imported is the wheel's, not the checkout's
    python - "$WORK/venv" <<'EOF'
import sys
from pathlib import Path

import vocmine
import vocmine.flows.nightly
from vocmine import settings

venv = Path(sys.argv[1]).resolve()
for mod in (vocmine, vocmine.flows.nightly):
    assert venv in Path(mod.__file__).resolve().parents, mod.__file__
assert not settings.IN_REPO and settings.DEFAULT_MODEL_DIR.is_dir(), settings.DEFAULT_MODEL_DIR
try:
    import flows  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError("the wheel installed a top-level 'flows' package")
print("vocmine from", Path(vocmine.__file__).parent)
EOF
}

converted() {
    vocmine setup
    test -f "$XDG_CACHE_HOME/vocmine/models/multilingual-e5-small/model.safetensors"
}

ran() {
    vocmine run | tee "$WORK/run.txt"
    test -f var/vocmine.duckdb
}

queried() {
    local n
    n="$(vocmine query "SELECT count(*) AS n FROM v_documents" --format csv | tail -1)"
    echo "documents: $n"
    [ "$n" -gt 0 ]
}

reported() {
    vocmine report --html report.html --md summary.md >/dev/null
    grep -q "<html" report.html && test -s summary.md
}

classified() {
    printf 'text\n"The courier was two hours late and rude."\n"Отличное приложение, всё быстро."\n' >in.csv
    vocmine classify in.csv out.csv
    [ "$(wc -l <out.csv)" -ge 3 ]
}

check "build the wheel" build
check "install it in a fresh venv" install
check "import the installed package" installed
check "vocmine --version" vocmine --version
check "vocmine setup" converted
check "vocmine run (bundled samples)" ran
check "vocmine query" queried
check "vocmine report" reported
check "vocmine classify" classified
echo "wheel-smoke: $passed passed, 0 failed"
