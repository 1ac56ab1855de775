"""What a check produces: findings at a place in a file, and errors about a file as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True, order=True)
class Span:
    """1-based start and end of a finding: rows are lines, columns count characters."""

    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text from (row, column) up to, not including, (end_row, end_column)."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    """A finding's mechanical fix. ``safe`` keeps the program's meaning apart from the bug;
    ``unsafe`` may change it and is applied only with ``--unsafe-fixes`` (ruff's applicability)."""

    applicability: str
    message: str
    edits: Tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    path: str
    span: Span
    code: str
    name: str
    severity: str
    message: str
    fix: Optional[Fix] = None
    # For a notebook: the 1-based index of the cell among all its cells (as ruff counts);
    # ``span`` rows then count within the cell.
    cell: Optional[int] = None
    # What to do about this finding, in its own names (``--show-source``); None: the rule's
    # ``fix:`` line.
    hint: Optional[str] = None

    def sort_key(self) -> tuple:
        """Findings and :class:`FileError` records sort together: by file, cell, then place."""
        span = self.span
        return (self.path, self.cell or 0, span.row, span.column, span.end_row, span.end_column,
                self.code)


# The name of the records of files that could not be checked, in every output format (they have
# no rule code: ``"code": null`` in JSON, as ruff reports a syntax error).
NOT_CHECKED = "file-not-checked"


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed (or a rule that failed on it), reported as one line.

    ``reason`` is the whole sentence a person reads (it names the line where there is one);
    ``row``, ``column`` (1-based) and ``cell`` (a notebook's cell, numbered as findings are) say
    where, when known, for the machine-readable formats."""

    path: str
    reason: str
    row: Optional[int] = None
    column: Optional[int] = None
    cell: Optional[int] = None

    def render(self) -> str:
        return f"{self.path}: error: {self.reason}"

    def sort_key(self) -> tuple:
        """As :meth:`Finding.sort_key`; an error with no place comes first in its file."""
        return (self.path, self.cell or 0, self.row or 0, self.column or 0, 0, 0, self.reason)
