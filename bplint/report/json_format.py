"""A JSON array in the shape of ruff's ``--output-format json``, so its tooling can read it.

A file that could not be checked is a record too, as ruff reports a syntax error: ``"code":
null``, ``"name": "file-not-checked"``, the reason as ``message``, and ``location`` /
``end_location`` where the reason has a place (else ``null``). Records are in path order.
"""

from __future__ import annotations

import json
from typing import List, Optional, Sequence

from bplint.diagnostics import NOT_CHECKED, FileError, Finding, Fix


def _fix(fix: Optional[Fix]) -> Optional[dict]:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [{"content": edit.content,
                   "location": {"row": edit.span.row, "column": edit.span.column},
                   "end_location": {"row": edit.span.end_row, "column": edit.span.end_column}}
                  for edit in fix.edits],
    }


def _finding_record(f: Finding) -> dict:
    return {
        "code": f.code,
        "name": f.name,
        "message": f.message,
        # what to write instead, in the program's own names (null where the rule has nothing
        # more specific than its document's fix line)
        "hint": f.hint,
        "severity": f.severity,
        "filename": f.path,
        # a notebook's cell (1-based among all its cells; rows then count in the cell)
        "cell": f.cell,
        "location": {"row": f.span.row, "column": f.span.column},
        "end_location": {"row": f.span.end_row, "column": f.span.end_column},
        "fix": _fix(f.fix),
        "url": None,
    }


def _error_record(error: FileError) -> dict:
    place = None
    if error.row is not None:
        place = {"row": error.row, "column": error.column or 1}
    return {
        "code": None,
        "name": NOT_CHECKED,
        "message": error.reason,
        "hint": None,
        "severity": "error",
        "filename": error.path,
        "cell": error.cell,
        "location": place,
        "end_location": place,
        "fix": None,
        "url": None,
    }


def render_json(findings: List[Finding], quiet: bool = False,
                errors: Sequence[FileError] = ()) -> str:
    keyed = [(f.sort_key(), _finding_record(f)) for f in findings]
    keyed += [(e.sort_key(), _error_record(e)) for e in errors]
    records = [record for _, record in sorted(keyed, key=lambda item: item[0])]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
