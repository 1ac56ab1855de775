"""A JSON array in the shape of ruff's ``--output-format json``, so its tooling can read it."""

from __future__ import annotations

import json
from typing import List, Optional

from bplint.diagnostics import Finding, Fix


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


def render_json(findings: List[Finding], quiet: bool = False) -> str:
    records = [
        {
            "code": f.code,
            "name": f.name,
            "message": f.message,
            "severity": f.severity,
            "filename": f.path,
            # a notebook's cell (1-based among all its cells; rows then count in the cell)
            "cell": f.cell,
            "location": {"row": f.span.row, "column": f.span.column},
            "end_location": {"row": f.span.end_row, "column": f.span.end_column},
            "fix": _fix(f.fix),
            "url": None,
        }
        for f in findings
    ]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
