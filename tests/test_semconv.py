"""The semantic conventions module and its documentation must not drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from a2a_observe import semconv

DOC = Path(__file__).resolve().parent.parent / "docs" / "semconv.md"


def _module_names() -> dict[str, str]:
    return {name: value for name, value in vars(semconv).items() if name.isupper() and isinstance(value, str)}


def test_every_name_in_the_module_is_documented() -> None:
    documented = set(re.findall(r"`([^`]+)`", DOC.read_text()))
    missing = {name: value for name, value in _module_names().items() if value not in documented}
    assert missing == {}


def test_every_documented_dotted_name_exists_in_the_module() -> None:
    values = set(_module_names().values())
    values |= set(semconv.V03_METHOD_NAMES)
    doc = DOC.read_text()
    dotted = {
        name
        for name in re.findall(r"`([a-z_]+(?:\.[a-z_0-9]+)+)`", doc)
        if not name.endswith(".md") and not name.endswith(".py") and "/" not in name
    }
    assert dotted - values == set()


def test_v03_names_map_to_v1_methods() -> None:
    assert set(semconv.V03_METHOD_NAMES.values()) <= set(semconv.A2A_METHODS)


def test_agent_span_name_follows_genai() -> None:
    assert semconv.agent_span_name(semconv.OPERATION_INVOKE_AGENT, "writer") == "invoke_agent writer"
    assert semconv.agent_span_name(semconv.OPERATION_INVOKE_AGENT, None) == "invoke_agent"
