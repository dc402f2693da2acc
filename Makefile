# OpenTeller developer commands. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///./var/openteller.db
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint format bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p var
	$(BIN)/openteller db upgrade --db $(DEMO_DB)
	$(BIN)/openteller seed --customers 50 --months 6 --seed 42 --reset --db $(DEMO_DB)
	$(BIN)/openteller nlu train
	$(BIN)/openteller kb ingest --db $(DEMO_DB)
	$(BIN)/openteller insights run --db $(DEMO_DB)
	$(BIN)/openteller serve --host 127.0.0.1 --port 8000 --db $(DEMO_DB)

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python bench/ledger_throughput.py
	$(BIN)/python bench/seed.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/entities.py
	$(BIN)/python bench/assistant_turns.py
	$(BIN)/python bench/nlu_banking77.py
	$(BIN)/python bench/insights.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
