"""The a2a-sdk adapter: patches only; every signal is made by :mod:`a2a_observe.observation`."""

from __future__ import annotations

from a2a_observe.instrumentation.a2a_sdk import sdk_spans
from a2a_observe.instrumentation.a2a_sdk.client import ClientHooks
from a2a_observe.instrumentation.a2a_sdk.executor import ExecutorHooks
from a2a_observe.instrumentation.a2a_sdk.peers import RejectionHooks
from a2a_observe.instrumentation.a2a_sdk.server import ServerHooks
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation import Observer


def install(observer: Observer, patches: Patches) -> None:
    if observer.settings.suppress_sdk_spans:
        sdk_spans.silence(patches)
    ClientHooks(observer).install(patches)
    ServerHooks(observer).install(patches)
    ExecutorHooks(observer).install(patches)
    RejectionHooks(observer).install(patches)
