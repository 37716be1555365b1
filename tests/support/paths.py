"""Where the test suite's files are, for tests at any depth of ``tests/``."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
APPS = TESTS / "apps"
"""Small instrumented apps the tests run in a process of their own."""
DATA = TESTS / "data"
"""Committed recordings and old store files, with the scripts that made them."""
DOCS = ROOT / "docs"
