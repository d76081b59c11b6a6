# circles-hinge: the two commands a new user needs are `make train` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOSS   ?= hinge
CONFIG ?= configs/default.yaml
LOSSES ?= hinge,squared_hinge
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install train compare test lint bench clean

# Re-install only when pyproject.toml changes (or the venv is missing).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "circles-hinge needs Python 3.10 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

train: $(STAMP)
	$(BIN)/circles-hinge train --config $(CONFIG) --loss $(LOSS)

compare: $(STAMP)
	$(BIN)/circles-hinge compare --config $(CONFIG) --losses $(LOSSES)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check circles_hinge tests benchmarks
	$(BIN)/ruff format --check circles_hinge tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
