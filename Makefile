# Two commands do everything: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit setup system-deps clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: system-deps $(STAMP)

# System packages the project needs (chromium and fonts, for browser tests and chart images; Java 17 for Spark); installs only what is missing.
system-deps:
	@bash scripts/system-deps.sh

demo: setup
	$(BIN)/attribution demo

lint: $(STAMP)
	$(BIN)/ruff check attribution tests benchmarks
	$(BIN)/ruff format --check attribution tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest on xdist workers (the machine has 2 cores: PYTEST_WORKERS=auto or N to change it).
# --dist loadgroup keeps the tests on the one Spark session on one worker, and the browser
# tests on one worker (tests/conftest.py puts them in those groups); the rest are shared out.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup
# `make unit`: the quick loop while you work, without the tests marked slow, browser or spark.
UNIT_MARKERS ?= not slow and not browser and not spark

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "$(UNIT_MARKERS)"

# `make test` (what CI runs): lint, types and the whole suite, every marker included.
test: setup lint typecheck
	$(BIN)/pytest $(PYTEST_PARALLEL)

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) data/demo .pytest_cache .mypy_cache .ruff_cache
