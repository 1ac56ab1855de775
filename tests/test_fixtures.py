"""Every fixture is a whole program whose expected findings are written in it: an exact match."""

from __future__ import annotations

import pytest

from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES, expected_findings, fixture_files


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_exactly(path):
    result = check_paths([str(path)], Config())
    assert result.errors == []
    actual = {(f.span.row, f.code) for f in result.findings}
    assert actual == expected_findings(path)


def test_there_are_correct_programs_in_every_style():
    clean = [p for p in fixture_files() if not expected_findings(p)]
    folders = {p.parent.name for p in clean}
    assert len(clean) >= 12
    assert {"classes", "scripts", "seeds"} <= folders
