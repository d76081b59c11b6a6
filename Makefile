# circles-hinge: the two commands a new user needs are `make train` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOSS   ?= hinge
CONFIG ?= configs/default.yaml
LOSSES ?= hinge,squared_hinge
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install lock train compare test test-fast lint bench tutorial docs clean

# Re-install only when pyproject.toml or constraints.txt changes (or the venv is missing). Every
# package comes at the version pinned in constraints.txt, the set the tests ran on; `make lock`
# refreshes the pins. pip's output goes to .venv/install.log and is shown only if it fails.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "circles-hinge needs Python 3.11 or newer (the pinned numpy and TensorFlow do)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV): circles-hinge and the pinned versions in constraints.txt (the first time downloads TensorFlow, about 600 MB)..."
	@$(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]' > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "make: installing failed; the full log is $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)
	@echo "set up: $$($(BIN)/python -c 'import importlib.metadata as m; print(", ".join(p + " " + m.version(p) for p in ("tensorflow", "keras", "scikit-learn", "mlxtend")))')"

# Pin the newest versions that pyproject.toml allows, resolved in a scratch venv, into constraints.txt.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	{ echo "# Exact versions for make install; refresh with make lock (resolved on Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'))."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) pins; run make test before committing it"

install: $(STAMP)

train: $(STAMP)
	$(BIN)/circles-hinge train --config $(CONFIG) --loss $(LOSS)

compare: $(STAMP)
	$(BIN)/circles-hinge compare --config $(CONFIG) --losses $(LOSSES)

test: $(STAMP)
	$(BIN)/python -m pytest

# The quick loop while changing code: everything but the slow tests (tests/conftest.py says which).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# docs/reference/cli.md and config.md, generated from the Typer app and the config schema (a test fails
# when they are stale).
docs: $(STAMP)
	$(BIN)/python -m circles_hinge.cli.reference docs/reference

# Execute docs/tutorial.ipynb and store its outputs (a test fails when they are stale).
tutorial: $(STAMP)
	$(BIN)/python tests/test_tutorial.py --write

lint: $(STAMP)
	$(BIN)/ruff check circles_hinge tests benchmarks
	$(BIN)/ruff format --check circles_hinge tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .lock-venv build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
