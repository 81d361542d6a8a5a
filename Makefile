# Two commands do all the set-up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
KB := $(VENV)/bin/kb
KB_HOME ?= kb-data
export KB_HOME
HOST ?= 127.0.0.1
PORT ?= 5000
TORCH ?= torch==2.13.0

.PHONY: run test test-slow install install-test index bench eval clean help

help:
	@echo "make run    - install, build the index from corpus/ if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install with test extras and run the test suite"
	@echo "make test-slow - load and long evaluation tests"

# Runtime only for `make run`; the test extras (playwright, locust, hypothesis, ...) only for `make test`.
$(VENV)/.installed: pyproject.toml
	@echo "[1/3] Installing Practice Partner into $(VENV) (first run: about 4 minutes, 2.2 GB) ..."
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# CPU torch first: an unpinned torch would pull a multi-GB CUDA build.
	@echo "      torch (CPU build) ..."
	$(PIP) install --quiet "$(TORCH)" || $(PIP) install --quiet "$(TORCH)" --index-url https://download.pytorch.org/whl/cpu
	@echo "      the application and its runtime dependencies ..."
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	@echo "Installing the test extras ..."
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

index: install
	@if [ ! -f "$(KB_HOME)/CURRENT" ]; then \
	  echo "[2/3] Building the knowledge base in $(KB_HOME) from corpus/ (about 1 minute) ..."; \
	  $(KB) ingest corpus/; \
	else \
	  echo "[2/3] Knowledge base in $(KB_HOME) already built."; \
	fi

run: index
	@echo "[3/3] Starting the web server (ready in a few seconds; Ctrl-C stops it) ..."
	@$(KB) serve --host $(HOST) --port $(PORT)

test: install-test
	$(PY) -m pytest -q

test-slow: install-test
	$(PY) -m pytest -q -m slow

bench: install
	$(KB) bench

eval: install
	$(PIP) install --quiet -e ".[eval]"
	$(KB) eval

clean:
	rm -rf $(VENV) kb-data .pytest_cache
