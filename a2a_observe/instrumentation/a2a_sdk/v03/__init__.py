"""The a2a-sdk 0.3 line: pydantic types, protocol v0.3 only, the 0.3 method names.

Only what differs from the 1.x line lives here (translation, method names, where trace
context goes on the wire, where a server's card is); the hooks are the shared ones.
"""

from __future__ import annotations

from a2a_observe.instrumentation.a2a_sdk.executor import ExecutorHooks
from a2a_observe.instrumentation.a2a_sdk.peers import RejectionHooks, note_peers
from a2a_observe.instrumentation.a2a_sdk.v03 import translate
from a2a_observe.instrumentation.a2a_sdk.v03.client import ClientHooks03
from a2a_observe.instrumentation.a2a_sdk.v03.server import ServerHooks03
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.observer import Observer


def install(observer: Observer, patches: Patches) -> None:
    ClientHooks03(observer).install(patches)
    ServerHooks03(observer).install(patches)
    ExecutorHooks(observer, translate).install(patches)
    RejectionHooks(observer).install_v03(patches)
    patches.when_imported(
        "a2a.server.apps.jsonrpc.jsonrpc_app",
        lambda module: note_peers(patches, module, "CallContextBuilder"),
    )
