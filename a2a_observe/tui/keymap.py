"""Remapping keys: every binding has an id, and a small TOML file can give it other keys.

The file is ``$A2A_OBSERVE_KEYMAP``, else ``keymap.toml`` in ``$XDG_CONFIG_HOME/a2a-observe``
(``~/.config/a2a-observe``), else ``--keymap FILE``; each line is a binding id and its keys,
comma separated, the way Textual's ``App.set_keymap`` takes them::

    "step.next" = "j,n"
    "conversation.export" = "ctrl+e"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ENV_KEYMAP = "A2A_OBSERVE_KEYMAP"


def default_keymap_path() -> Path:
    configured = os.environ.get(ENV_KEYMAP)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "a2a-observe" / "keymap.toml"


class KeymapError(Exception):
    """The keymap file is not valid TOML of binding ids to key strings."""


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """The remapped keys, or nothing when there is no file."""
    target = path or default_keymap_path()
    if not target.exists():
        return {}
    try:
        data = tomllib.loads(target.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KeymapError(f"{target}: {exc}") from exc
    table = data.get("keys", data)
    keymap: dict[str, str] = {}
    for binding_id, keys in table.items():
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(f'{target}: {binding_id!r} must map to keys like "j,n"')
        keymap[str(binding_id)] = keys.replace(" ", "")
    return keymap
