"""Programs of several files (``fixtures/programs*/<program>/``), each checked as a whole, as
``bplint check <program>`` checks it: the findings in every file, notebooks included, must match
the markers written in them exactly (``# expect:``, and ``# known-miss:`` must stay unreported)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Set, Tuple

import pytest

from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES, _EXPECT, _KNOWN_MISS

Marker = Tuple[str, object, int, str]  # file, cell (None for a .py file), row, code


def program_folders():
    return sorted(folder for top in FIXTURES.glob("programs*") if top.is_dir()
                  for folder in top.iterdir() if folder.is_dir())


def _lines(path: Path):
    """(cell, row, line) of a file's lines; a notebook's by cell (numbered as bplint does)."""
    if path.suffix == ".py":
        for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield None, row, line
        return
    for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], start=1):
        if cell["cell_type"] == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for row, line in enumerate(source.splitlines(), start=1):
                yield number, row, line


def markers(folder: Path, pattern) -> Set[Marker]:
    found = set()
    for path in sorted([*folder.rglob("*.py"), *folder.rglob("*.ipynb")]):
        for cell, row, line in _lines(path):
            match = pattern.search(line)
            if match:
                for code in match.group("codes").split(","):
                    found.add((path.relative_to(folder).as_posix(), cell, row, code.strip()))
    return found


@pytest.mark.parametrize("folder", program_folders(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_program_findings_match_exactly(folder):
    result = check_paths([str(folder)], Config())
    assert result.errors == []
    actual = {(Path(f.path).relative_to(folder).as_posix(), f.cell, f.span.row, f.code)
              for f in result.findings}
    assert actual == markers(folder, _EXPECT)
    assert not actual & markers(folder, _KNOWN_MISS)


def test_every_buggy_program_has_a_correct_twin():
    folders = program_folders()
    buggy = [f for f in folders if markers(f, _EXPECT) or markers(f, _KNOWN_MISS)]
    clean = [f for f in folders if f not in buggy]
    assert len(buggy) >= 10 and len(clean) >= 4
    assert {f.parent for f in clean} == {f.parent for f in buggy}
