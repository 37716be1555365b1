"""The ``redrive`` subcommand (registered by :mod:`a2a_observe.replay.command`)."""

from __future__ import annotations

from typing import Any


def register_redrive(subparsers: Any) -> None:
    return None
