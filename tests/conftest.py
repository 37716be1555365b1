"""Shared fixtures: one real OpenTelemetry SDK pipeline with in-memory exporters, instrumented
once for the session (OpenTelemetry allows one global provider per process)."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import a2a_observe
from a2a_observe.instrumentation.a2a_sdk.versions import installed_line
from a2a_observe.signals.prometheus import PrometheusReader

SDK_LINE = installed_line()
SDK03_TESTS = Path(__file__).parent / "sdk03"
FRAMEWORK_TESTS = Path(__file__).parent / "frameworks"
FRAMEWORK_TESTS_ENV = "A2A_OBSERVE_FRAMEWORK_TESTS"
"""Set by ``make test-frameworks`` in each framework's own virtual environment."""


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """What the environment decides is collected. ``tests/frameworks`` needs agent frameworks
    that conflict with each other and with the main environment: it is collected only in a
    framework's own environment (``make test-frameworks``), and there nothing else is. Beside
    it, the installed a2a-sdk line decides: ``tests/sdk03`` holds the tests written against the
    0.3 API (collected only where a2a-sdk 0.3 is installed), every other test module is written
    against 1.x (collected everywhere else)."""
    if os.environ.get(FRAMEWORK_TESTS_ENV):
        wanted = _within(collection_path, FRAMEWORK_TESTS) or collection_path in FRAMEWORK_TESTS.parents
        return None if wanted else True
    if _within(collection_path, FRAMEWORK_TESTS):
        return True
    in_sdk03 = _within(collection_path, SDK03_TESTS)
    if SDK_LINE == "0.3":
        return None if in_sdk03 or collection_path in SDK03_TESTS.parents else True
    return True if in_sdk03 else None


PROMETHEUS_BINARIES = ("prometheus", "promtool")
REQUIRE_PROMETHEUS_ENV = "A2A_OBSERVE_REQUIRE_PROMETHEUS"
"""Set where the ``prometheus`` tests must run (``make test``, ``make unit-prometheus``)."""


def prometheus_required() -> bool:
    """Whether a missing Prometheus fails the ``prometheus`` tests instead of skipping them:
    in CI (``CI=true``, as CI services set it) and wherever the Makefile asks for them."""
    return os.environ.get(REQUIRE_PROMETHEUS_ENV, "") not in ("", "0") or os.environ.get(
        "CI", ""
    ).lower() in ("true", "1")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The ``prometheus`` tests need Debian's binaries, not just the virtual environment:
    without them they are skipped locally, and fail where they are required."""
    if item.get_closest_marker("prometheus") is None:
        return
    missing = [name for name in PROMETHEUS_BINARIES if shutil.which(name) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not installed (make prometheus, or apt-get install prometheus)"
    if prometheus_required():
        pytest.fail(f"{reason}; they must run here ({REQUIRE_PROMETHEUS_ENV} or CI)", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get(FRAMEWORK_TESTS_ENV):
        return f"a2a-sdk line: {SDK_LINE or 'none'} (collecting tests/frameworks only)"
    collected = "tests/sdk03 only" if SDK_LINE == "0.3" else "all but tests/sdk03"
    return f"a2a-sdk line: {SDK_LINE or 'none'} (collecting {collected})"


class OpenSpans(SpanProcessor):
    """Counts spans started and not yet ended, to prove that no span is left open."""

    def __init__(self) -> None:
        self.open: dict[int, str] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        with self._lock:
            self.open[span.context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self.open.pop(span.context.span_id, None)


_EXPORTER = InMemorySpanExporter()
_OPEN = OpenSpans()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(_OPEN)
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))
trace.set_tracer_provider(_PROVIDER)

METRICS = InMemoryMetricReader()
PROMETHEUS_REGISTRY = CollectorRegistry(auto_describe=False)
PROMETHEUS = PrometheusReader(registry=PROMETHEUS_REGISTRY)
metrics.set_meter_provider(MeterProvider(metric_readers=[METRICS, PROMETHEUS]))

a2a_observe.instrument()


class Spans:
    """The finished spans of one test, with waiting: server and agent spans end on other
    threads, a little after the client has its answer. Only spans started during the test
    count: a span of the test before that ends late (a worker's stream closing after the
    orchestrator answered) is not this test's."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter
        self.since_ns = time.time_ns()

    def all(self) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if (s.start_time or 0) >= self.since_ns]

    def wait(
        self, predicate: Callable[[list[ReadableSpan]], bool], timeout: float = 10.0
    ) -> list[ReadableSpan]:
        deadline = time.monotonic() + timeout
        while True:
            spans = self.all()
            if predicate(spans) or time.monotonic() > deadline:
                return spans
            time.sleep(0.02)

    async def until(
        self, predicate: Callable[[list[ReadableSpan]], bool], timeout: float = 10.0
    ) -> list[ReadableSpan]:
        """Like :meth:`wait`, but lets this event loop run: a client stream closed by the
        garbage collector finishes closing in a task on the caller's loop."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.all()
            if predicate(spans) or time.monotonic() > deadline:
                return spans
            await asyncio.sleep(0.02)

    def wait_count(self, count: int, timeout: float = 10.0) -> list[ReadableSpan]:
        return self.wait(lambda spans: len(spans) >= count, timeout)

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name == name]

    def clear(self) -> None:
        self.exporter.clear()


@pytest.fixture
def spans() -> Iterator[Spans]:
    _EXPORTER.clear()
    yield Spans(_EXPORTER)
    _EXPORTER.clear()


@pytest.fixture(scope="session")
def tracer_provider() -> TracerProvider:
    return _PROVIDER


@pytest.fixture
def open_spans() -> OpenSpans:
    return _OPEN


@pytest.fixture
def reinstrument() -> Iterator[Callable[..., None]]:
    """Re-instrument with other settings for one test; the default comes back afterwards."""

    def apply(**kwargs: object) -> None:
        a2a_observe.uninstrument()
        a2a_observe.instrument(**kwargs)

    yield apply
    a2a_observe.uninstrument()
    a2a_observe.instrument()


@pytest.fixture(scope="module")
def agent_spans_on() -> Iterator[None]:
    """A whole module with ``invoke_agent`` spans opted in (``A2A_OBSERVE_AGENT_SPANS``)."""
    from a2a_observe.config import Settings

    a2a_observe.uninstrument()
    a2a_observe.instrument(settings=Settings(agent_spans=True))
    yield
    a2a_observe.uninstrument()
    a2a_observe.instrument()
