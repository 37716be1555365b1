"""The observation boundary stays closed: adapters describe what happened, only the observation
makes spans, metrics and logs.

Every module under ``a2a_observe/instrumentation/`` is read as source (nothing of it is imported), so a
new adapter that reaches around the observation fails here before it ships.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import a2a_observe.instrumentation
from a2a_observe import semconv

PACKAGE = Path(a2a_observe.instrumentation.__file__).parent

SIGNAL_MODULES = (
    "opentelemetry.trace",
    "opentelemetry.metrics",
    "opentelemetry._logs",
    "opentelemetry.propagate",
    "opentelemetry.sdk",
    "a2a_observe.signals",
    "a2a_observe.logs",
)
"""Where spans, instruments, log records and propagators come from: the observation's to use."""

SIGNAL_NAMES_OF_OPENTELEMETRY = frozenset({"trace", "metrics", "_logs", "propagate", "sdk"})
"""The same, as ``from opentelemetry import <name>``."""

SPAN_API = frozenset(
    {
        "span",
        "tracer",
        "meter",
        "set_attribute",
        "set_attributes",
        "add_event",
        "add_link",
        "set_status",
        "update_name",
        "is_recording",
        "get_span_context",
        "start_span",
        "start_as_current_span",
        "get_current_span",
        "set_span_in_context",
        "inject",
        "extract",
    }
)
"""Attributes of spans, tracers and meters (and the observations' own ``span``), which no adapter
names."""

OBSERVER_VERBS = frozenset({"settings", "start_client_call", "start_server_call", "start_agent_run"})
"""All an adapter may use of an ``Observer``: the rest of it works on spans."""


def _is_signal_name(attr: str) -> bool:
    """Span, attribute, event and metric names are dotted (``a2a.task.id``); the protocol's
    vocabulary, which adapters do use (method names, bindings, states), is not."""
    value = getattr(semconv, attr, None)
    return isinstance(value, str) and "." in value


def _is_observer(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "observer") or (
        isinstance(node, ast.Attribute) and node.attr == "observer"
    )


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = node.module or ""
    if module == "opentelemetry":
        names = [alias.name for alias in node.names]
        return [f"opentelemetry.{name}" for name in names if name in SIGNAL_NAMES_OF_OPENTELEMETRY]
    return [module]


def violations(source: str, filename: str = "<adapter>") -> list[str]:
    """Every place in ``source`` that reaches around the observation, as ``file:line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            for module in _imported_modules(node):
                if any(module == m or module.startswith(m + ".") for m in SIGNAL_MODULES):
                    found.append(f"{where}: imports {module}")
        elif isinstance(node, ast.Attribute):
            if node.attr in SPAN_API:
                found.append(f"{where}: uses .{node.attr}")
            if _is_observer(node.value) and node.attr not in OBSERVER_VERBS:
                found.append(f"{where}: uses observer.{node.attr}")
            if isinstance(node.value, ast.Name) and node.value.id == "semconv" and _is_signal_name(node.attr):
                found.append(f"{where}: names semconv.{node.attr}")
    return found


def adapter_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_adapter_reaches_around_the_observation() -> None:
    found = [
        problem
        for path in adapter_modules()
        for problem in violations(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    ]
    assert found == []


def test_every_adapter_module_is_checked() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in adapter_modules()}
    assert {"a2a_sdk/client.py", "a2a_sdk/v03/server.py", "python_a2a/agent.py", "fasta2a/server.py"} <= names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("call.span.set_attributes({'a': 1})", "uses .span"),
        ("from opentelemetry import trace", "imports opentelemetry.trace"),
        ("from opentelemetry.trace import SpanKind", "imports opentelemetry.trace"),
        ("import opentelemetry.metrics", "imports opentelemetry.metrics"),
        ("from a2a_observe.signals.metrics import A2AMetrics", "imports a2a_observe.signals.metrics"),
        ("self.observer.set_agent(x, agent)", "uses observer.set_agent"),
        ("call.observer.clean({})", "uses observer.clean"),
        ("observer.record_exception(span, exc)", "uses observer.record_exception"),
        ("current.is_recording()", "uses .is_recording"),
        ("attrs = {semconv.A2A_AGENT_URL: url}", "names semconv.A2A_AGENT_URL"),
    ],
)
def test_the_check_sees_each_way_around(source: str, expected: str) -> None:
    assert any(problem.endswith(expected) for problem in violations(source)), violations(source)


def test_the_check_lets_the_verbs_through() -> None:
    source = """
from opentelemetry import context
call = self.observer.start_client_call(facts)
call.result(event)
call.card_returned(agent)
call.exception(exc, error)
run = observer.start_agent_run(op, agent, None, None)
with run.activated():
    pass
capture = self.observer.settings.capture_content
facts = CallFacts(method=semconv.SEND_MESSAGE, binding=semconv.BINDING_JSONRPC)
"""
    assert violations(source) == []
