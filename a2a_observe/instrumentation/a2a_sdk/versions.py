"""Which a2a-sdk line is installed, read from the package metadata without importing it.

The two lines share no API for what we patch, so the adapter is chosen once, by version. A
version outside the supported range is left alone with one warning that names it: patching
an SDK we do not know could only break the app.
"""

from __future__ import annotations

import logging
import re
from importlib import metadata
from typing import Literal

SUPPORTED_RANGE = ">=0.3.4,<2"
"""The a2a-sdk versions a2a-observe instruments (and tests: the newest 0.3.x and 1.x)."""

Line = Literal["0.3", "1"]

_log = logging.getLogger("a2a_observe")
_warned: set[str] = set()


def _warn_once(installed: str) -> None:
    if installed in _warned:
        return
    _warned.add(installed)
    _log.warning(
        "a2a-observe: a2a-sdk %s is installed, but only a2a-sdk%s is supported; "
        "its calls are not instrumented",
        installed,
        SUPPORTED_RANGE,
    )


_RELEASE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")
"""The release numbers a version starts with (``1.0.0a1`` -> 1, 0, 0): enough to tell the
lines apart without ``packaging``, which a plain install of the package does not bring."""


def line_for(installed: str) -> Line | None:
    """The adapter line for a version string, or None (after one warning) if unsupported."""
    match = _RELEASE.match(installed.strip())
    if match is None:
        _warn_once(installed)
        return None
    major, minor, micro = (int(part or 0) for part in match.groups())
    if major == 1:
        return "1"
    if major == 0 and (minor, micro) >= (3, 4):
        return "0.3"
    _warn_once(installed)
    return None


def installed_line() -> Line | None:
    """The line of the installed a2a-sdk; None if it is absent (silently) or unsupported."""
    try:
        installed = metadata.version("a2a-sdk")
    except metadata.PackageNotFoundError:
        return None
    return line_for(installed)
