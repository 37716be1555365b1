"""The a2a-sdk adapter: patches only; every signal is made by :mod:`a2a_observe.observation.observer`.

Two SDK lines are supported, chosen by the installed version (:mod:`.versions`): 1.x
(protobuf types, protocol v1.0 with v0.3 compat), observed by the modules beside this one,
and 0.3 (pydantic types, protocol v0.3), whose differences live in :mod:`.v03`. The hooks
around handlers, transports, executors and queues are shared; each line brings its
translation into neutral facts and its method names.
"""

from __future__ import annotations

from a2a_observe.instrumentation.a2a_sdk import sdk_spans, translate, v03
from a2a_observe.instrumentation.a2a_sdk.client import ClientHooks
from a2a_observe.instrumentation.a2a_sdk.executor import ExecutorHooks
from a2a_observe.instrumentation.a2a_sdk.line import ServerLine, no_card
from a2a_observe.instrumentation.a2a_sdk.peers import RejectionHooks
from a2a_observe.instrumentation.a2a_sdk.server import HANDLER_METHODS, ServerHooks
from a2a_observe.instrumentation.a2a_sdk.versions import installed_line
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.observer import Observer

SDK1_SERVER = ServerLine(translator=translate, handler_methods=HANDLER_METHODS, agent_card=no_card)


def install(observer: Observer, patches: Patches) -> None:
    line = installed_line()
    if line is None:
        return
    if observer.settings.suppress_sdk_spans:
        sdk_spans.silence(patches)
    if line == "0.3":
        v03.install(observer, patches)
        return
    ClientHooks(observer).install(patches)
    ServerHooks(observer, SDK1_SERVER).install(patches)
    ExecutorHooks(observer).install(patches)
    RejectionHooks(observer).install(patches)
