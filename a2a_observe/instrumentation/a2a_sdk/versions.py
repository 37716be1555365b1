"""Which a2a-sdk line is installed, read from the package metadata without importing it.

The two lines share no API for what we patch, so the adapter is chosen once, by version. A
version outside the supported range is left alone with one warning that names it: patching
an SDK we do not know could only break the app.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Literal

from packaging.version import InvalidVersion, Version

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


def line_for(installed: str) -> Line | None:
    """The adapter line for a version string, or None (after one warning) if unsupported."""
    try:
        version = Version(installed)
    except InvalidVersion:
        _warn_once(installed)
        return None
    release = (*version.release, 0, 0, 0)
    if release[0] == 1:
        return "1"
    if release[0] == 0 and (release[1], release[2]) >= (3, 4):
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
