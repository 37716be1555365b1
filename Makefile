# The two entry points the README promises: `make demo` and `make test`.
# Both set up a local virtual environment from scratch on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): installing a2a-observe and its dependencies (first run only, 1 to 3 minutes)..."
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: setup demo test lint typecheck unit bench prometheus
setup: $(STAMP)

# The dashboards' tests run a real Prometheus and promtool (Debian's prometheus package).
prometheus:
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then \
		SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi

demo: $(STAMP)
	$(VENV)/bin/a2a-observe demo

lint: $(STAMP)
	$(PY) -m ruff check a2a_observe tests benchmarks
	$(PY) -m ruff format --check a2a_observe tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test: prometheus lint typecheck unit

bench: $(STAMP)
	$(PY) benchmarks/overhead.py
