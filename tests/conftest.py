"""Shared helpers: where the fixtures are, and how their expected findings are written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>BP\d{3}(?:\s*,\s*BP\d{3})*)")


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    """The ``# expect: BP301`` markers of a fixture, as (row, code) pairs."""
    expected = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected.add((row, code.strip()))
    return expected


def fixture_files() -> List[Path]:
    return sorted(FIXTURES.rglob("*.py"))


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run the command line in process; returns (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from bplint.cli import app

    def run(*args: str, cwd: Path = ROOT):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run
