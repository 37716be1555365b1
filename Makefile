# The two entry points the README promises: `make demo` and `make test`.
# Both set up a local virtual environment from scratch on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

# The pip that Python ships, not the newest: the development environment resolves as users' do.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

.PHONY: setup demo test lint typecheck unit bench prometheus install-check
setup: $(STAMP)

# Plain pip installs of the package and each extra, in fresh virtual environments (.ci/install_check.py).
install-check:
	python3 .ci/install_check.py

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
	$(PY) -m ruff check a2a_observe tests benchmarks .ci
	$(PY) -m ruff format --check a2a_observe tests benchmarks .ci

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test: prometheus lint typecheck install-check unit

bench: $(STAMP)
	$(PY) benchmarks/overhead.py
