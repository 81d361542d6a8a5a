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

.PHONY: run test test-slow install index bench eval clean help

help:
	@echo "make run    - install, build the index from corpus/ if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install with test extras and run the test suite"
	@echo "make test-slow - load and long evaluation tests"

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# CPU torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install --quiet "$(TORCH)" || $(PIP) install --quiet "$(TORCH)" --index-url https://download.pytorch.org/whl/cpu
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

index: install
	@if [ ! -f "$(KB_HOME)/CURRENT" ]; then \
	  echo "Building the knowledge base in $(KB_HOME) from corpus/ ..."; \
	  $(KB) ingest corpus/; \
	fi

run: index
	$(KB) serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

bench: install
	$(KB) bench

eval: install
	$(KB) eval

clean:
	rm -rf $(VENV) kb-data .pytest_cache
