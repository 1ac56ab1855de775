"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

``::error file=PATH,line=ROW,col=COL,endLine=END_ROW,endColumn=END_COL,title=CODE name::MESSAGE``,
escaped as GitHub's own toolkit does (``@actions/core``, ``command.ts``). A notebook finding
keeps the path of the ``.ipynb``, its rows and columns count in the cell, and the title names the
cell. There is no summary line.
"""

from __future__ import annotations

from typing import List

from bplint.diagnostics import Finding


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding) -> str:
    kind = "warning" if finding.severity == "warning" else "error"
    title = f"{finding.code} {finding.name}"
    if finding.cell is not None:
        title += f" (cell {finding.cell})"
    span = finding.span
    properties = [("file", finding.path), ("line", span.row), ("col", span.column),
                  ("endLine", span.end_row), ("endColumn", span.end_column), ("title", title)]
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{kind} {props}::{escape_data(finding.message)}"


def render_github(findings: List[Finding], quiet: bool = False) -> str:
    return "".join(_command(f) + "\n" for f in findings)
