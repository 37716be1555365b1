"""Where the collector's bearer token comes from, for the collector and for its readers.

A token on the command line is visible to every user of the machine in ``ps``; a token file
(readable by its owner only) or the environment is not. The file wins over the environment,
which wins over nothing; ``--token`` still works and says that it can be seen.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from a2a_observe import semconv


class TokenError(Exception):
    """The token file cannot be used; the message says why."""


def read_token_file(path: str | Path) -> str:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8").strip()
        mode = file.stat().st_mode
    except OSError as exc:
        raise TokenError(f"cannot read the token file {file}: {exc.strerror or exc}") from exc
    if not text:
        raise TokenError(f"the token file {file} is empty")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenError(f"the token file {file} can be read by others; chmod 600 it")
    return text


def token_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The token named by ``A2A_OBSERVE_COLLECT_TOKEN_FILE`` or given in ``A2A_OBSERVE_COLLECT_TOKEN``."""
    env = os.environ if env is None else env
    file = env.get(semconv.ENV_COLLECT_TOKEN_FILE, "").strip()
    if file:
        return read_token_file(file)
    return env.get(semconv.ENV_COLLECT_TOKEN, "").strip() or None
