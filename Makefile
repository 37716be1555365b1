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

.PHONY: setup demo test lint typecheck unit bench prometheus test-frameworks frameworks-setup
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

# Agent frameworks pin their own a2a-sdk line and OpenTelemetry ranges, which conflict with the
# main environment: the frameworks on each a2a-sdk line share a virtual environment of their own,
# built with the pip Python ships (as users install) from tests/frameworks/envs/ENV.txt, and
# run the test modules listed for it. Both environments are built at once (pip mostly waits on
# downloads); a rebuilt one starts from scratch, so nothing stale survives a change of its list.
FRAMEWORK_ENVS := a2a-sdk-1 a2a-sdk-0.3
FRAMEWORK_TESTS_a2a-sdk-1 := tests/frameworks/test_google_adk.py
FRAMEWORK_TESTS_a2a-sdk-0.3 := tests/frameworks/test_google_adk.py tests/frameworks/test_strands.py
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

# The framework environments install (mostly waiting on downloads) while the unit tests run.
test: prometheus lint typecheck
	$(MAKE) -j2 unit frameworks-setup
	$(MAKE) test-frameworks

bench: $(STAMP)
	$(PY) benchmarks/overhead.py
