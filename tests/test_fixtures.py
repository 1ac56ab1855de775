"""Every fixture is a whole program whose expected findings are written in it: an exact match."""

from __future__ import annotations

import pytest

from bplint.catalogue import catalogue
from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES, expected_findings, false_positives, fixture_files, known_misses


IMPLEMENTED = set(catalogue())


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_exactly(path):
    """Markers of a rule not written yet are not checked; they are enforced once it lands."""
    result = check_paths([str(path)], Config())
    assert result.errors == []
    actual = {(f.span.row, f.code) for f in result.findings}
    expected = expected_findings(path) | false_positives(path)
    assert actual == {(row, code) for row, code in expected if code in IMPLEMENTED}


def test_known_misses_are_few():
    """Each known miss is a bug in a fixture that bplint does not report yet; keep the list short."""
    misses = [(p.name, m) for p in fixture_files() for m in sorted(known_misses(p))]
    buggy = [p for p in fixture_files() if expected_findings(p) or known_misses(p)]
    assert len(misses) <= len(buggy) // 5, misses


def test_known_false_positives_are_few():
    """A known false positive is a finding on correct code that we have not mended yet."""
    found = [(p.name, m) for p in fixture_files() for m in sorted(false_positives(p))]
    assert len(found) <= 3, found


def test_there_are_correct_programs_in_every_style():
    clean = [p for p in fixture_files() if not expected_findings(p) and not known_misses(p)]
    folders = {p.parent.name for p in clean}
    assert len(clean) >= 12
    assert {"classes", "scripts", "seeds"} <= folders
