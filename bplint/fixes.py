"""Autofixes: a check's fix plan as text edits, edits applied to a source, fixed files written safely.

A fix is a list of text edits (ruff's model), computed from the positions of the CST nodes a check
changes, so every byte outside the edited spans stays as it was: comments, formatting, line endings.
Fixes are applied in rounds: fixes whose edits overlap a fix already taken wait for the next round,
after the file has been linted again.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterable, List, Optional, Sequence, Tuple

from bplint.diagnostics import Edit, Finding, Fix, Span

SAFE, UNSAFE = "safe", "unsafe"


def plan_to_fix(context, plan, applicability: Optional[str]) -> Optional[Fix]:
    """Text edits for a check's :class:`~bplint.checks.base.FixPlan`, as safe or unsafe as its
    rule's document says (None when there is no plan, or the document names no fix)."""
    if plan is None or applicability is None:
        return None
    edits = []
    for change in plan.changes:
        position = context.position(change.node)
        if change.after:
            row = position.end.line
            line = context.source.line(row)
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            newline = _newline_of(context.source.text, row)
            column = len(line.rstrip("\r\n")) + 1
            edits.append(Edit(Span(row, column, row, column), f"{newline}{indent}{change.text}"))
        else:
            edits.append(Edit(Span(position.start.line, position.start.column + 1,
                                   position.end.line, position.end.column + 1), change.text))
    return Fix(applicability, plan.message, tuple(sorted(edits, key=lambda e: e.span)))


def _newline_of(text: str, row: int) -> str:
    """The line ending the file uses at ``row`` (CRLF files get CRLF lines)."""
    lines = text.splitlines(keepends=True)
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return "\r\n" if "\r\n" in text else "\n"


def applicable(findings: Iterable[Finding], unsafe: bool) -> List[Finding]:
    """The findings whose fix may be applied: safe ones, and unsafe ones when asked for."""
    return [f for f in findings if f.fix is not None
            and (f.fix.applicability == SAFE or unsafe)]


def apply_fixes(text: str, fixes: Sequence[Fix]) -> Tuple[str, int]:
    """Apply every fix that does not overlap one taken before it; returns (text, fixes applied).

    An edit identical to one already taken (two findings of one bug inserting the same line) is
    shared, not repeated.
    """
    taken: List[Edit] = []
    applied = 0
    for fix in fixes:
        new = [edit for edit in fix.edits if edit not in taken]
        if any(_overlap(edit, other) for edit in new for other in taken):
            continue
        taken.extend(new)
        applied += 1
    starts = _line_starts(text)
    result = text
    for edit in sorted(taken, key=lambda e: e.span, reverse=True):
        start = _offset(starts, edit.span.row, edit.span.column)
        end = _offset(starts, edit.span.end_row, edit.span.end_column)
        result = result[:start] + edit.content + result[end:]
    return result, applied


def _overlap(one: Edit, other: Edit) -> bool:
    a = ((one.span.row, one.span.column), (one.span.end_row, one.span.end_column))
    b = ((other.span.row, other.span.column), (other.span.end_row, other.span.end_column))
    if a[0] == a[1] or b[0] == b[1]:  # an insertion overlaps only what strictly contains it
        return a[0] < b[0] < a[1] or b[0] < a[0] < b[1] or (a == b)
    return a[0] < b[1] and b[0] < a[1]


def _line_starts(text: str) -> List[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _offset(starts: List[int], row: int, column: int) -> int:
    return starts[min(row, len(starts)) - 1] + column - 1


def write_atomically(path: str, data: bytes) -> None:
    """Replace the file's bytes in one rename, keeping its mode: an interrupted run leaves the
    original as it was."""
    folder = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode
    handle, temporary = tempfile.mkstemp(prefix=".bplint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
