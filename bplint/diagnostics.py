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

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.span, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed (or a rule that failed on it), reported as one line."""

    path: str
    reason: str
    row: Optional[int] = None

    def render(self) -> str:
        where = f"{self.path}:{self.row}" if self.row is not None else self.path
        return f"{where}: error: {self.reason}"
