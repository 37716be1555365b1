"""Every command's flags and help, as users have them: a change to a flag shows up here as a
change to a committed help text (tests/data/cli_help/), made on purpose or not at all."""

from __future__ import annotations

import pytest

from a2a_observe.cli import main
from tests.support.paths import DATA

HELP = DATA / "cli_help"
COMMANDS = {
    "main": [],
    "demo": ["demo"],
    "collect": ["collect"],
    "import": ["import"],
    "dashboards": ["dashboards"],
    "dashboards-export": ["dashboards", "export"],
    "check": ["check"],
    "export": ["export"],
    "explain": ["explain"],
    "redrive": ["redrive"],
    "replay": ["replay"],
}


def test_every_command_has_its_help_text_here() -> None:
    assert sorted(p.stem for p in HELP.glob("*.txt")) == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_of_each_command_is_unchanged(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr("sys.argv", ["a2a-observe"])
    with pytest.raises(SystemExit) as exited:
        main([*COMMANDS[name], "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (HELP / f"{name}.txt").read_text(encoding="utf-8")
