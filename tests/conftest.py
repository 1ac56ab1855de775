"""Shared helpers: where the fixtures are, and how their expected findings are written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_MARKER = r"#\s*{}:\s*(?P<codes>BP\d{{3}}(?:\s*,\s*BP\d{{3}})*)"
_EXPECT = re.compile(_MARKER.format("expect"))
_KNOWN_MISS = re.compile(_MARKER.format("known-miss"))
_FALSE_POSITIVE = re.compile(_MARKER.format("false-positive"))


# A training script whose update climbs the gradient: BP201 on row 8.
ASCENDING_SCRIPT = textwrap.dedent("""\
    import numpy as np

    W = np.random.randn(3, 1)
    X = np.random.randn(8, 3)
    y = np.random.randn(8, 1)
    for _ in range(10):
        pred = X @ W
        W += 0.1 * X.T @ (pred - y)
    """)
# A logistic regression whose loss takes an unguarded log: BP504, a warning, on row 11.
UNGUARDED_LOG_SCRIPT = textwrap.dedent("""\
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def bce(w, X, y):
        p = sigmoid(X @ w)
        return -np.mean(y * np.log(p))


    w = np.random.randn(3, 1)
    for _ in range(3):
        X = np.random.randn(8, 3)
        y = np.random.rand(8, 1)
        print(bce(w, X, y))
        w -= 0.1 * X.T @ (sigmoid(X @ w) - y)
    """)

def _markers(path: Path, pattern) -> Set[Tuple[int, str]]:
    found = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = pattern.search(line)
        if match:
            for code in match.group("codes").split(","):
                found.add((row, code.strip()))
    return found


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    """The ``# expect: BP301`` markers of a fixture, as (row, code) pairs."""
    return _markers(path, _EXPECT)


def false_positives(path: Path) -> Set[Tuple[int, str]]:
    """``# false-positive: BP201``: bplint reports this on correct code, and should not (yet)."""
    return _markers(path, _FALSE_POSITIVE)


def known_misses(path: Path) -> Set[Tuple[int, str]]:
    """``# known-miss: BP201``: a real bug bplint does not find yet (recall, not precision)."""
    return _markers(path, _KNOWN_MISS)


def fixture_files() -> List[Path]:
    """The single-file fixtures: each is a whole program (the folders of multi-file programs,
    ``programs*/``, are checked as a whole by ``test_programs.py``)."""
    return sorted(p for p in FIXTURES.rglob("*.py")
                  if not p.relative_to(FIXTURES).parts[0].startswith("programs"))


@pytest.fixture(autouse=True)
def no_colour_settings(monkeypatch):
    """Tests choose colour themselves, whatever the environment running them says (a CI machine
    with FORCE_COLOR set must not colour the byte-exact outputs)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Every test checks for real (tests of the cache itself lift this)."""
    monkeypatch.setenv("BPLINT_NO_CACHE", "1")


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run the command line in process; returns (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from bplint.cli import app

    def run(*args: str, cwd: Path = ROOT):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run
