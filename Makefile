# Two commands do all set-up on a fresh machine (see README):  make demo   |   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-10)

.PHONY: setup demo test lint bench clean

setup: $(STAMP) .cache/models/multilingual-e5-small/model.safetensors
	@# headless Chromium for the HTML report's browser test (Debian packages; we run as root)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "vocmine needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'   # every indirect dependency locked
	rm -f $(VENV)/.installed-* && touch $@

.cache/models/multilingual-e5-small/model.safetensors: $(STAMP)
	$(BIN)/vocmine setup

demo: setup
	$(BIN)/vocmine run

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .cache var
