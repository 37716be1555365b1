"""The fasta2a adapter (pydantic-ai's A2A server and client): patches only; every signal is
made by :mod:`a2a_observe.observation.observer`."""

from __future__ import annotations

from a2a_observe.instrumentation.fasta2a.client import ClientHooks
from a2a_observe.instrumentation.fasta2a.server import ServerHooks
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.observer import Observer


def install(observer: Observer, patches: Patches) -> None:
    ServerHooks(observer).install(patches)
    ClientHooks(observer).install(patches)
