# The two entry points the README promises: `make demo` and `make test`.
# Both set up a local virtual environment from scratch on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: setup demo test lint typecheck unit bench
setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/a2a-observe demo

lint: $(STAMP)
	$(PY) -m ruff check a2a_observe tests benchmarks
	$(PY) -m ruff format --check a2a_observe tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test: lint typecheck unit

bench: $(STAMP)
	$(PY) benchmarks/overhead.py
