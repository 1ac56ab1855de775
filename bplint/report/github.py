"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

``::error file=PATH,line=ROW,col=COL,endLine=END_ROW,endColumn=END_COL,title=CODE name::MESSAGE``,
escaped as GitHub's own toolkit does (``@actions/core``, ``command.ts``). A notebook finding
keeps the path of the ``.ipynb``, its rows and columns count in the cell, and the title names the
cell. A file that could not be checked is an ``::error`` annotation on that file (at its line
when the reason has one) titled ``file-not-checked``. There is no summary line.
"""

from __future__ import annotations

from typing import List, Sequence

from bplint.diagnostics import NOT_CHECKED, FileError, Finding


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(kind: str, properties: list, message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{kind} {props}::{escape_data(message)}"


def _command(finding: Finding) -> str:
    kind = "warning" if finding.severity == "warning" else "error"
    title = f"{finding.code} {finding.name}"
    if finding.cell is not None:
        title += f" (cell {finding.cell})"
    span = finding.span
    properties = [("file", finding.path), ("line", span.row), ("col", span.column),
                  ("endLine", span.end_row), ("endColumn", span.end_column), ("title", title)]
    return _annotation(kind, properties, finding.message)


def _error_command(error: FileError) -> str:
    title = NOT_CHECKED if error.cell is None else f"{NOT_CHECKED} (cell {error.cell})"
    properties = [("file", error.path)]
    if error.row is not None:
        properties += [("line", error.row), ("col", error.column or 1)]
    return _annotation("error", properties + [("title", title)], error.reason)


def render_github(findings: List[Finding], quiet: bool = False,
                  errors: Sequence[FileError] = ()) -> str:
    keyed = [(f.sort_key(), _command(f)) for f in findings]
    keyed += [(e.sort_key(), _error_command(e)) for e in errors]
    return "".join(line + "\n" for _, line in sorted(keyed, key=lambda item: item[0]))
