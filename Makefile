# The two entry points the README promises: `make demo` and `make test`.
# Both set up a local virtual environment from scratch on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

# The pip that Python ships, not the newest: the development environment resolves as users' do.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): installing a2a-observe and its dependencies (first run only, 1 to 3 minutes)..."
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The instrumentation tests also run against the a2a-sdk 0.3 line, in a second environment:
# the package with the newest a2a-sdk 0.3.x, every other version pinned to what .venv has
# (so it resolves at once). tests/conftest.py collects tests/sdk03 there and nothing else.
# Another 0.3 release: make unit-sdk03 SDK03_VENV=.venv-sdk034 SDK03_SDK='a2a-sdk[http-server,grpc]==0.3.4'
SDK03_VENV ?= .venv-sdk03
SDK03_SDK ?= a2a-sdk[http-server,grpc]>=0.3.4,<0.4
SDK03_PY := $(SDK03_VENV)/bin/python
SDK03_STAMP := $(SDK03_VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)

$(SDK03_STAMP): $(STAMP) pyproject.toml Makefile
	rm -rf $(SDK03_VENV)
	python3 -m venv $(SDK03_VENV)
	$(PY) -m pip freeze --exclude-editable | grep -vi '^a2a-sdk[=@ ]' > $(SDK03_VENV)/constraints.txt
	$(SDK03_PY) -m pip install --quiet -c $(SDK03_VENV)/constraints.txt -e . \
		'$(SDK03_SDK)' pytest pytest-asyncio pytest-timeout uvicorn opentelemetry-distro
	touch $@

.PHONY: setup setup-sdk03 demo test lint typecheck unit unit-sdk03 unit-prometheus bench bench-import \
	prometheus install-check test-frameworks frameworks-setup
setup: $(STAMP)
setup-sdk03: $(SDK03_STAMP)

# Plain pip installs of the package and each extra, in fresh virtual environments (.ci/install_check.py).
install-check:
	python3 .ci/install_check.py

# The dashboards' tests marked `prometheus` run a real Prometheus and promtool (Debian's
# prometheus package). `make unit` skips them where the binaries are absent; `make test` and
# `make unit-prometheus` install the binaries and set A2A_OBSERVE_REQUIRE_PROMETHEUS=1, which
# turns such a skip into a failure (so does CI=true).
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
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(PY) -m mypy

# One worker per core: the suite is mostly agents, collectors and engines in subprocesses and
# threads, so two workers on two cores take about two thirds of the time of one.
unit: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n auto

unit-prometheus: prometheus $(STAMP)
	A2A_OBSERVE_REQUIRE_PROMETHEUS=1 $(PY) -m pytest -q -p no:cacheprovider -m prometheus

# Agent frameworks pin their own a2a-sdk line and OpenTelemetry ranges, which conflict with the
# main environment: the frameworks on each a2a-sdk line share a virtual environment of their own,
# built with the pip Python ships (as users install) from tests/frameworks/envs/ENV.txt, and
# run the test modules listed for it. Both environments are built at once (pip mostly waits on
# downloads); a rebuilt one starts from scratch, so nothing stale survives a change of its list.
FRAMEWORK_ENVS := a2a-sdk-1 a2a-sdk-0.3
FRAMEWORK_TESTS_a2a-sdk-1 := tests/frameworks/test_google_adk.py
FRAMEWORK_TESTS_a2a-sdk-0.3 := tests/frameworks/test_google_adk.py tests/frameworks/test_strands.py \
	tests/frameworks/test_beeai.py
FRAMEWORK_VENVS := .venv-frameworks
FRAMEWORK_TEST_FLAGS := -q -p no:cacheprovider -W ignore::UserWarning -W ignore::DeprecationWarning

$(FRAMEWORK_VENVS)/%/.installed: pyproject.toml tests/frameworks/envs/%.txt tests/frameworks/envs/common.txt
	rm -rf $(FRAMEWORK_VENVS)/$*
	python3 -m venv $(FRAMEWORK_VENVS)/$*
	$(FRAMEWORK_VENVS)/$*/bin/python -m pip install --quiet --disable-pip-version-check \
		-e . -r tests/frameworks/envs/common.txt -r tests/frameworks/envs/$*.txt
	touch $@

.PRECIOUS: $(FRAMEWORK_VENVS)/%/.installed

frameworks-setup:
	$(MAKE) -j2 $(foreach env,$(FRAMEWORK_ENVS),$(FRAMEWORK_VENVS)/$(env)/.installed)

test-framework-%: frameworks-setup
	A2A_OBSERVE_FRAMEWORK_TESTS=1 $(FRAMEWORK_VENVS)/$*/bin/python -m pytest \
		$(FRAMEWORK_TESTS_$*) $(FRAMEWORK_TEST_FLAGS)

test-frameworks: $(addprefix test-framework-,$(FRAMEWORK_ENVS))

# The a2a-sdk 0.3 line's tests; the cross-line ones call a 1.x agent run by .venv's Python.
unit-sdk03: $(SDK03_STAMP)
	A2A_OBSERVE_SDK1_PYTHON=$(abspath $(PY)) $(SDK03_PY) -m pytest -q -p no:cacheprovider

# The install check and the other environments' installs mostly wait on downloads, so they run
# side by side; the unit tests run alone afterwards (their load tests need the machine to themselves).
test: prometheus lint typecheck
	$(MAKE) -j3 install-check setup-sdk03 frameworks-setup
	A2A_OBSERVE_REQUIRE_PROMETHEUS=1 $(MAKE) unit unit-sdk03 test-frameworks

bench: $(STAMP)
	$(PY) benchmarks/overhead.py

bench-import: $(STAMP)
	$(PY) benchmarks/import_time.py
