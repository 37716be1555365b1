"""The python-a2a adapter: patches only; every signal is made by :mod:`a2a_observe.observation.observer`."""

from __future__ import annotations

from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.python_a2a.agent import AgentHooks
from a2a_observe.instrumentation.python_a2a.client import ClientHooks
from a2a_observe.instrumentation.python_a2a.server import ServerHooks
from a2a_observe.observation.observer import Observer


def install(observer: Observer, patches: Patches) -> None:
    ClientHooks(observer).install(patches)
    ServerHooks(observer).install(patches)
    AgentHooks(observer).install(patches)
