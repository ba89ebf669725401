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

unit: $(STAMP)
	$(BIN)/pytest

test: setup lint typecheck unit

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) data/demo .pytest_cache .mypy_cache .ruff_cache
