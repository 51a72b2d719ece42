# One entry point for developers and CI: `make up` runs the demo, `make test` runs every test.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEPS := requirements-dev.txt requirements-tests.txt lib/pyproject.toml $(wildcard services/*/pyproject.toml)
# Zipkin's storage for `make up` and `make backends`: mem (the default) or opensearch
# (`make up STORAGE=opensearch`: durable traces and two Kafka collectors).
export STORAGE

.PHONY: venv check lint types test unit integration e2e matrix docs dist backends test-backends \
	up down logs status clean-data bench load clean

venv: $(STAMP)

$(STAMP): $(DEPS)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# lib/tests is checked on its own: as in the sdist, its modules are top-level there.
types: venv
	$(VENV)/bin/mypy
	MYPYPATH=lib/tests $(VENV)/bin/mypy lib/tests

check: lint types

backends:
	bash scripts/backends.sh

# The tests run Zipkin over OpenSearch as well as in memory.
test-backends:
	STORAGE=opensearch bash scripts/backends.sh

# Every test: lint and types, the docs, the whole suite here, then the library's matrix.
test: venv test-backends check docs
	$(VENV)/bin/pytest
	$(MAKE) matrix NOX_ARGS="$(TEST_CELLS)"

# The main run above is the Python 3.11 cell (and more), so `make test` runs the other cells.
TEST_CELLS := -s tests-3.10 tests-3.12 tests-3.13 lowest no_extras

# The library's tests on Python 3.10-3.13, at its lowest declared versions and without its
# extras (noxfile.py; `nox -l` lists the cells). pyenv's interpreters go on PATH through
# PYENV_VERSION. One cell: make matrix NOX_ARGS="-s tests-3.12"; pytest options after --:
# NOX_ARGS="-s no_extras -- -x tests/unit".
PYENV_PYTHONS := $(shell pyenv versions --bare 2>/dev/null | grep -E '^3\.1[0-3]\.[0-9]+$$' | paste -sd: -)
matrix: venv backends
	PYENV_VERSION="$(or $(PYENV_PYTHONS),$(PYENV_VERSION))" $(VENV)/bin/nox $(NOX_ARGS)

# The docs site (docs/site: Sphinx, autodoc and the README's guides), warnings as errors.
docs: venv
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html docs/site build/docs

# The library's wheel and sdist, into lib/dist.
dist: venv
	$(PY) -m build lib/

unit: venv
	$(VENV)/bin/pytest tests/unit

up: venv backends
	bash scripts/stack.sh up

down:
	bash scripts/stack.sh down

logs:
	bash scripts/stack.sh logs

# Remove what the local stack stored (traces in OpenSearch, Kafka topics, orders); `down` keeps it.
clean-data:
	bash scripts/stack.sh clean-data

# Every process of the local stack: state, pid, uptime, restarts, health and its URL.
status:
	bash scripts/stack.sh status

e2e: venv backends
	$(VENV)/bin/pytest tests/e2e

# Benchmarks side by side with the reference tracers (a cached virtualenv in .cache, wrk from
# apt): prints figures and ratios, asserts nothing. BENCH_ARGS="--quick" for a shorter run.
bench: venv
	$(PY) -m bench.run $(BENCH_ARGS)
	@for f in bench/transport_*.py; do \
		[ -e "$$f" ] || continue; m="$${f%.py}"; echo "== $$m"; $(PY) -m "$${m//\//.}" || exit 1; \
	done

# Load on the running demo (make up): LOAD_ARGS="--rate 50 --duration 20 --fault
# db_proxy=delay:300ms@10%"; `make load LOAD_ARGS=--help` lists the options.
load: venv
	. scripts/ports.sh && $(PY) -m bookshop_loadgen --url="http://127.0.0.1:$$FRONTEND_PORT" \
		--zipkin-ui="http://127.0.0.1:$$ZIPKIN_PORT" $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .nox .mypy_cache .ruff_cache .pytest_cache build lib/dist
