# Two commands from a fresh clone: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PY_DIRS := $(wildcard src tests benchmarks examples)
# Two test processes (pytest-xdist): each starts its own servers, or takes a Redis
# database of its own on the shared one; a module stays whole on one process, so a
# fixture shared by its tests (the demo's story, a year of windows) is built once.
# `make test PYTEST_WORKERS=0` runs in one.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: demo test lint format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files make re-runs cheap: reinstall only when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

# torch first, from the local CPU wheel, so the deep extra never pulls a CUDA build.
# The KServe client last, without its dependencies: the file says why.
KSERVE_REQUIREMENTS := tests/serving/requirements-kserve.txt
$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt $(KSERVE_REQUIREMENTS)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e '.[test,deep,text,edge]'
	$(PIP) install --quiet --no-deps -r $(KSERVE_REQUIREMENTS)
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/driftline demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix $(PY_DIRS)
	$(BIN)/ruff format $(PY_DIRS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-workspace
