"""What a check produces: findings at a place in a file, and errors about a file as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True, order=True)
class Span:
    """1-based start and end of a finding: rows are lines, columns count characters."""

    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    path: str
    span: Span
    code: str
    name: str
    severity: str
    message: str

    def sort_key(self) -> tuple:
        return (self.path, self.span, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed (or a rule that failed on it), reported as one line."""

    path: str
    reason: str
    row: Optional[int] = None

    def render(self) -> str:
        where = f"{self.path}:{self.row}" if self.row is not None else self.path
        return f"{where}: error: {self.reason}"
