# Quick start: `make run` serves the back office with demo data; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run migrate demo test test-fast bench screenshots clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/openkassa migrate

run: migrate
	$(BIN)/openkassa demo --if-empty
	$(BIN)/openkassa serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m 'not slow' -x -q

bench: $(STAMP)
	@for f in bench/bench_*.py; do $(BIN)/python $$f; done

screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache
