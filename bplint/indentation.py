"""Re-indenting, for the analysis only, a file whose indentation CPython reads and libcst does not.

CPython measures a line's indentation twice, with tabs to the next multiple of 8 and with a tab
as one column. The first measure alone decides the blocks; the second only rejects files whose
meaning would depend on the tab width (``TabError``). So one block may spell its level as
``"  \\t    "`` on one line and 12 spaces on the next. libcst's tokenizer compares spellings
otherwise and rejects such a file ("no matching outer block for dedent", reported at line 1).

Rewriting the indentation of every line that begins a logical line as the spaces of CPython's
first measure gives a text with the same blocks, which libcst reads. Lines inside brackets,
strings or after a backslash are continuations, not indentation, and comment-only lines are not
indentation either: they are left as they are. One more spelling libcst misreads is a statement
that begins with a line holding only a backslash (CPython indents the statement as that line):
such a line becomes an empty one and the statement's own line takes its indentation. Rows stay
the same and a :class:`Layout` maps columns back to the original text, where bplint counts
columns in characters (a tab is one column), as CPython's own syntax errors do.
"""

from __future__ import annotations

import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, Iterator, Optional, Tuple

from bplint.diagnostics import Span

TAB_SIZE = 8
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NOT_CODE = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE,
             tokenize.ENDMARKER}


@dataclass(frozen=True)
class Layout:
    """Where the columns of a re-indented text are in the original: for each rewritten row, the
    length of its indentation in the original and in the re-indented text. No rows: the text
    was analysed as it is."""

    indents: Dict[int, Tuple[int, int]] = field(default_factory=dict)

    @property
    def reindented(self) -> bool:
        return bool(self.indents)

    def column(self, row: int, column: int) -> int:
        """The original 1-based column of the re-indented text's ``column`` on ``row``."""
        if row not in self.indents:
            return column
        original, reindented = self.indents[row]
        if column > reindented:
            return column - reindented + original
        return min(column, original + 1)  # within the indentation: at most where the code starts

    def span(self, code_range) -> Span:
        """A libcst ``CodeRange`` of the re-indented text (0-based columns) as a span of the
        original."""
        start, end = code_range.start, code_range.end
        return Span(start.line, self.column(start.line, start.column + 1),
                    end.line, self.column(end.line, end.column + 1))


AS_WRITTEN = Layout()


@dataclass(frozen=True)
class Reindented:
    """The text libcst is given instead of the file's, and how to map its columns back."""

    text: str
    layout: Layout


def cpython_width(indent: str) -> int:
    """The indentation's column as CPython's tokenizer counts it for blocks."""
    width = 0
    for char in indent:
        if char == "\t":
            width = (width // TAB_SIZE + 1) * TAB_SIZE
        elif char == "\f":
            width = 0  # a form feed resets the count, as in CPython
        else:
            width += 1
    return width


def reindent(text: str) -> Optional[Reindented]:
    """``text`` with each logical line indented by CPython's width in spaces; None when no line
    changes or ``tokenize`` cannot read the text."""
    lines = _LINE.findall(text)
    indents: Dict[int, Tuple[int, int]] = {}
    try:
        for first_row, row, column in _logical_line_starts(lines):
            # Rows before ``row`` in the same logical line hold only a backslash.
            indent = lines[first_row - 1][:column] if first_row == row else _blank(lines[first_row - 1])
            width = cpython_width(indent)
            if first_row == row and (indent.strip(" \t\f") or indent == " " * width):
                continue
            for joined in range(first_row, row):
                lines[joined - 1] = lines[joined - 1][len(lines[joined - 1].rstrip("\r\n")):]
            lines[row - 1] = " " * width + lines[row - 1][column:]
            indents[row] = (column, width)
    except (tokenize.TokenError, SyntaxError):
        return None
    if not indents:
        return None
    return Reindented("".join(lines), Layout(indents))


def _blank(line: str) -> str:
    """The whitespace a line begins with."""
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _logical_line_starts(lines) -> Iterator[Tuple[int, int, int]]:
    """For every logical line: the row it begins on, and the (row, 0-based column) of its first
    token. The rows differ when it begins with lines holding only a backslash (they make no
    token)."""
    # tokenize splits lines at "\n" only; a lone "\r" ends a line for CPython and libcst too.
    readline = iter(line.rstrip("\r\n") + "\n" for line in lines).__next__
    at_start, last_row = True, 0
    for token in tokenize.generate_tokens(readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
            at_start = at_start or token.type == tokenize.NEWLINE
            last_row = token.end[0]
        elif at_start and token.type not in _NOT_CODE:
            at_start = False
            yield last_row + 1, token.start[0], token.start[1]
