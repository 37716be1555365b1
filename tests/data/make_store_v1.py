"""Writes ``store_v1.duckdb.gz``: a store as a2a-observe wrote it before it spoke the OpenTelemetry
A2A conventions (schema version 1; task states spelled ``input-required``, ``error.type`` a
class name beside ``rpc.response.status_code``, an ``invoke_agent`` span on every request).

The store is written by that version's own code, taken from the repository's history, from
the demo recording in ``replay_demo.otlp.jsonl`` (recorded by the same version). Run it from
a checkout with its history, only to refresh the file:

    python tests/data/make_store_v1.py
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
COMMIT = "d36b4e4"
"""The last commit of that version."""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", COMMIT, "a2a_observe"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        db = Path(tmp) / "store_v1.duckdb"
        recording = str(HERE / "replay_demo.otlp.jsonl")
        code = (
            "import sys; from a2a_observe.cli import main; "
            f"sys.exit(main(['import', '--quiet', '--db', {str(db)!r}, {recording!r}]))"
        )
        subprocess.run([sys.executable, "-c", code], cwd=old, env={"PYTHONPATH": str(old)}, check=True)
        with db.open("rb") as source, gzip.open(HERE / "store_v1.duckdb.gz", "wb", compresslevel=9) as target:
            shutil.copyfileobj(source, target)


if __name__ == "__main__":
    main()
