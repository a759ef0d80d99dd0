# Rostra's front door. `make demo` runs the demo site; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
DEMO_DB ?= var/demo.db

.PHONY: demo test lint typecheck unit bench services browser-deps clean translations train-toxicity train-spam

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## demo: create .venv, install, migrate an SQLite file, seed the demo site, serve it
demo: $(VENV)/.installed
	$(BIN)/rostra --database-url sqlite:///$(DEMO_DB) migrate
	$(BIN)/rostra --database-url sqlite:///$(DEMO_DB) demo --host $(HOST) --port $(PORT)

## services: start PostgreSQL and Redis when they are not running
services:
	@scripts/services.sh

## browser-deps: Debian's chromium for the real-browser tests
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: install what the tests need and run the whole suite on SQLite and PostgreSQL
test: $(VENV)/.installed services browser-deps lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## bench: Rostra and Isso side by side under wrk (results in bench/results/)
bench: $(VENV)/.installed
	bench/run.sh

## translations: extract messages and compile catalogues
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o src/rostra/locale/rostra.pot --no-location --sort-output src/rostra
	$(BIN)/pybabel update -i src/rostra/locale/rostra.pot -d src/rostra/locale -D rostra --no-fuzzy-matching
	$(BIN)/pybabel compile -d src/rostra/locale -D rostra --statistics

## train-toxicity: retrain the toxicity model from ../shared/data/toxicity, re-export the held-out set
TOX_DATA ?= ../shared/data/toxicity
train-toxicity: $(VENV)/.installed
	$(BIN)/pip install -q -r training/requirements.txt
	PYTHONHASHSEED=0 $(BIN)/python training/train_toxicity.py $(TOX_DATA)
	$(BIN)/python training/export_heldout.py $(TOX_DATA)

## train-spam: retrain the spam model from the spam set's dev rows and training/data (no download)
train-spam: $(VENV)/.installed
	$(BIN)/pip install -q -r training/requirements.txt
	PYTHONHASHSEED=0 $(BIN)/python training/train_spam.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
