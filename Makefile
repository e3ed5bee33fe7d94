# Vietnamese news pipeline. `make` lists the targets; each has a `## ` line saying what it does.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?= data/raw
OUTPUT ?= data/processed
export VI_NER_SHARED ?= $(abspath ../shared)

FORMAT ?= both
# make bench-scale: article counts and worker counts to measure (commas: Make's $(or) would split them)
SIZES ?= 500,5000
SCALE_WORKERS ?= 1,2
INSTALLED := $(BIN)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test bench bench-scale bench-dates evaluate train lint format clean

## help: list the targets
help:
	@awk 'BEGIN {FS = ": "} /^## / {sub(/^## /, ""); printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## install: create or refresh the virtual environment in .venv (only when pyproject.toml changed)
install: $(INSTALLED)

## run: process INPUT (data/raw) into OUTPUT (data/processed); only new or changed inputs are redone
run: $(INSTALLED)
	$(BIN)/python -m pipeline run $(INPUT) $(OUTPUT) --format $(FORMAT) $(if $(WORKERS),--workers $(WORKERS))

## test: install, then run the whole test suite
test: $(INSTALLED)
	$(BIN)/python -m pytest -q

## bench: full run vs underthesea ner() on the first N (200) articles of vietnews-5k (REPEAT=3 for the median of 3 rounds)
bench: $(INSTALLED)
	$(BIN)/python -m pipeline bench --n $(or $(N),200) --repeat $(or $(REPEAT),1)

## bench-scale: peak memory at SIZES (500,5000) articles, SCALE_WORKERS (1,2) speed-up, re-run time (~10 min)
bench-scale: $(INSTALLED)
	$(BIN)/python -m pipeline bench-scale --sizes $(SIZES) --workers $(SCALE_WORKERS)

## bench-dates: dates engine vs dateparser on the case table (span P/R, value accuracy, traps, speed)
bench-dates: $(INSTALLED)
	$(BIN)/python -m pipeline bench-dates

## evaluate: NER P/R/F1 + syllables/s on both dev sets next to underthesea (JSON, error list in build/); words; dates vs Duckling
evaluate: $(INSTALLED)
	$(BIN)/python -m pipeline evaluate --peer --words --output build/evaluate.json --errors build/evaluate-errors.csv
	$(BIN)/python -m pipeline evaluate-dates --no-show

## train: retrain the NER model from the VLSP corpora into build/ner and install it in models/ner-vi
train: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	OMP_NUM_THREADS=1 $(BIN)/python -m pipeline train build/ner --install models/ner-vi

## lint: ruff lint and format checks
lint: $(INSTALLED)
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests

## format: apply ruff's fixes and formatting
format: $(INSTALLED)
	$(BIN)/ruff check --fix pipeline tests
	$(BIN)/ruff format pipeline tests

## clean: remove data/processed outputs, build/ and caches (keeps .venv and models/)
clean:
	rm -rf build $(OUTPUT)/* $(OUTPUT)/.done .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
