"""What happens to a2a-sdk's own spans while we instrument.

The SDK's ``trace_class`` spans never cross agents, carry no attributes and name private
methods (40-55 of them per SendMessage), so by default we silence them: the SDK looks up
``a2a.utils.telemetry.trace`` on every call, and we swap it for the observation's silent
stand-in (:mod:`a2a_observe.observation.silence`). ``A2A_OBSERVE_SDK_SPANS=keep`` leaves
them alone.
"""

from __future__ import annotations

from types import ModuleType

from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.silence import is_trace_api, silent_trace_api


def silence(patches: Patches) -> None:
    def patch(module: ModuleType) -> None:
        real = getattr(module, "trace", None)
        if is_trace_api(real):  # the SDK's telemetry is on; when off it holds a no-op already
            patches.replace(module, "trace", silent_trace_api(real))

    patches.when_imported("a2a.utils.telemetry", patch)
