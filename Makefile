# Two commands from a fresh clone: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-dev soak bench bench-worker bench-digest bench-requests bench-bounds bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install  ## the terminal chat on a sample project, stored in ./socialvalue.db
	$(BIN)/socialvalue chat --project "A38 Derby Junctions (sample)"

test: lint  ## lint and types, then the whole suite on every core (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest -q -n auto

lint: install-dev  ## ruff (lint and format) and mypy, as configured in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

soak: lint  ## the long variants: 1,000 random SIGKILLs of two workers, 50 of the web process, 100,000 hostile strings
	SOCIALVALUE_SOAK_ROUNDS=1000 $(BIN)/pytest -q -s tests/reliability
	SOCIALVALUE_SOAK_STRINGS=100000 $(BIN)/pytest -q -s tests/hostile/test_text.py

bench: install-dev  ## every benchmark below at a size that takes minutes, then one table of their figures (bench/all.py)
	$(BIN)/python bench/all.py

bench-worker: install-dev  ## the worker benchmark (bench/worker_bench.py; several minutes at full size)
	$(BIN)/python bench/worker_bench.py

bench-digest: install-dev  ## the digest benchmark (bench/digest_bench.py)
	$(BIN)/python bench/digest_bench.py

bench-requests: install-dev  ## SQL statements and transactions per Slack request (bench/request_bench.py)
	$(BIN)/python bench/request_bench.py --baseline bench/request_baseline.json

bench-bounds: install-dev  ## the largest plan the app accepts against a typical one: status and worker pass (bench/bounds_bench.py)
	$(BIN)/python bench/bounds_bench.py

bench-load: install-dev  ## ack latency at 50 requests/s for 60 s, against a bare Bolt app (bench/load.py)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
