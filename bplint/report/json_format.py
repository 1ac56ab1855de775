"""A JSON array in the shape of ruff's ``--output-format json``, so its tooling can read it."""

from __future__ import annotations

import json
from typing import List

from bplint.diagnostics import Finding


def render_json(findings: List[Finding], quiet: bool = False) -> str:
    records = [
        {
            "code": f.code,
            "name": f.name,
            "message": f.message,
            "severity": f.severity,
            "filename": f.path,
            "location": {"row": f.span.row, "column": f.span.column},
            "end_location": {"row": f.span.end_row, "column": f.span.end_column},
            "fix": None,
            "url": None,
        }
        for f in findings
    ]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
