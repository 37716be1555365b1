"""Textual is optional: the store, the replay core and the CLI import and run without it, and
the debugger's command says how to install it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import sys

    class NoTextual:
        def find_spec(self, name, path=None, target=None):
            if name == "textual" or name.startswith("textual."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTextual())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_store_replay_and_cli_import_without_textual() -> None:
    result = _run(
        """
        import a2a_observe.store, a2a_observe.replay, a2a_observe.replay.audits, a2a_observe.replay.exports
        import a2a_observe.cli
        a2a_observe.cli.build_parser()
        assert not any(m == "textual" or m.startswith("textual.") for m in sys.modules), "textual loaded"
        try:
            import textual
        except ModuleNotFoundError:
            print("blocked")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blocked"


def test_every_module_of_the_store_replay_and_cli_imports_without_textual() -> None:
    result = _run(
        """
        import importlib, pkgutil
        import a2a_observe.cli, a2a_observe.replay, a2a_observe.store

        names = []
        for package in (a2a_observe.store, a2a_observe.replay, a2a_observe.cli):
            for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if not module.name.endswith("__main__"):
                    importlib.import_module(module.name)
                    names.append(module.name)
        assert not any(m == "textual" or m.startswith("textual.") for m in sys.modules), "textual loaded"
        print(len(names))
        """
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 40, "every module of the three packages was imported"


def test_the_replay_command_explains_what_is_missing(tmp_path) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"")
    result = _run(
        f"""
        from a2a_observe.cli import main
        sys.exit(main(["replay", {str(db)!r}]))
        """
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'a2a-observe[tui]'" in result.stderr
