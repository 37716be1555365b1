"""tests/ mirrors the package: each test folder tests the package of the same path, beside a
few folders of their own (docs/architecture.md, Tests)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).parent
PACKAGE = TESTS.parent / "a2a_observe"
OWN_FOLDERS = {"support", "apps", "data", "sdk03", "frameworks"}
"""Shared helpers, apps run in a process of their own, recordings, and the two environments
of their own (a2a-sdk 0.3, the agent frameworks)."""


def test_every_test_folder_names_a_package_of_the_same_path() -> None:
    strays = []
    for folder in sorted(TESTS.rglob("*")):
        relative = folder.relative_to(TESTS)
        generated = any(part.startswith("__") for part in relative.parts)  # caches, snapshots
        if not folder.is_dir() or relative.parts[0] in OWN_FOLDERS or generated:
            continue
        if not (PACKAGE / relative).is_dir() and not (PACKAGE / relative).with_suffix(".py").is_file():
            strays.append(relative.as_posix())
    assert strays == []
