"""Fixtures of the framework tests, which run in one virtual environment per framework
(``make test-frameworks``) under the shared telemetry pipeline of ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Until the agent-span setting is named in semconv.
AGENT_SPANS_ENV = "A2A_OBSERVE_AGENT_SPANS"


@pytest.fixture
def agent_spans(request, reinstrument, monkeypatch) -> Iterator[str]:
    """``default``: a2a-observe as installed; ``opted-in``: its own agent spans switched on
    (``A2A_OBSERVE_AGENT_SPANS=true``), which a framework's agent must still not double."""
    mode = request.param
    if mode == "opted-in":
        monkeypatch.setenv(AGENT_SPANS_ENV, "true")
        reinstrument()
    yield mode
