"""The text report for a person: ANSI colour on a terminal, and ``--show-source``.

Without colour and without ``--show-source`` this is exactly ``render_text``: the finding lines
and the summary are taken from it, and only decorated here.

Colour (plain ANSI escapes): the path bold, ``row:col`` dim, the code bold red (bold yellow for a
warning-severity rule). It is used for the text format written to standard output only, when
that is a terminal or ``FORCE_COLOR`` is set, and never when ``NO_COLOR`` is set (non-empty).
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from bplint.catalogue import catalogue
from bplint.diagnostics import FileError, Finding
from bplint.report.text import plain_line, render_text, summary

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
BOLD_RED = "\x1b[1;31m"
BOLD_YELLOW = "\x1b[1;33m"

_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's own line ends (not str.splitlines's)


def use_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """``NO_COLOR`` (non-empty) turns colour off, ``FORCE_COLOR`` (non-empty) on; else a TTY."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{style}{text}{RESET}" if colour and text else text


def _severity_style(finding: Finding) -> str:
    return BOLD_YELLOW if finding.severity == "warning" else BOLD_RED


def finding_line(finding: Finding, plain: str, colour: bool) -> str:
    """``plain`` (the text format's line for ``finding``) with its path, position and code painted."""
    if not colour:
        return plain
    head = finding.path + ":"
    code_at = plain.find(f": {finding.code} ", len(head))
    if not plain.startswith(head) or code_at < 0:
        return plain  # a layout this module does not know: leave it readable, uncoloured
    position = plain[len(head):code_at]
    rest = plain[code_at + len(finding.code) + 3:]
    return (f"{_paint(finding.path, BOLD, True)}:{_paint(position, DIM, True)}: "
            f"{_paint(finding.code, _severity_style(finding), True)} {rest}")


def fix_hint(code: str) -> str:
    """The rule's fix guidance in one line: the ``fix:`` field of its document."""
    doc = catalogue().get(code)
    if doc is None or not doc.fix:
        return f"see `bplint explain {code}` for an example and its fix"
    return doc.fix


def finding_hint(finding: Finding) -> str:
    """What to do about ``finding``: its own hint, in the program's names, where its rule gives
    one; else the rule's fix guidance."""
    return finding.hint or fix_hint(finding.code)


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def caret_line(line: str, column: int, end_column: Optional[int]) -> Tuple[str, str]:
    """(indent, carets) under characters ``column`` up to ``end_column`` (exclusive; ``None``:
    to the end of the line) of ``line``, 1-based. Tabs are kept in the indent so that the carets
    line up whatever the tab width; wide characters count two. At least one caret."""
    start = max(column - 1, 0)
    end = len(line) if end_column is None else max(end_column - 1, start)
    indent = "".join("\t" if c == "\t" else " " * _width(c) for c in line[:start])
    indent += " " * max(start - len(line), 0)
    carets = "^" * max(sum(_width(c) for c in line[start:end]), 1)
    return indent, carets


class _Sources:
    """The lines of each file a finding points into, read once (``None``: unreadable)."""

    def __init__(self) -> None:
        self._cache: Dict[Tuple[str, Optional[int]], Optional[List[str]]] = {}

    def line(self, path: str, row: int, cell: Optional[int] = None) -> Optional[str]:
        key = (path, cell)
        if key not in self._cache:
            self._cache[key] = self._read(path, cell)
        lines = self._cache[key]
        if lines is None or not 0 < row <= len(lines):
            return None
        return lines[row - 1]

    @staticmethod
    def _read(path: str, cell: Optional[int]) -> Optional[List[str]]:
        try:
            if cell is None:
                from bplint.files import read_source

                text = read_source(path).text
            else:  # a notebook: the original source of that cell (numbered among all cells)
                from bplint.notebooks import read_notebook

                text = read_notebook(path).cells[cell]
        except Exception:  # noqa: BLE001 - the source is a comfort: without it, no source lines
            return None
        return _NEWLINE.split(text)


def _source_block(finding: Finding, sources: _Sources, colour: bool) -> List[str]:
    """The offending line, carets under the span, and the finding's fix hint, behind a gutter."""
    span = finding.span
    gutter = str(span.row)
    blank = " " * len(gutter)
    block = []
    text = sources.line(finding.path, span.row, finding.cell)
    if text is not None:
        end = span.end_column if span.end_row == span.row else None
        indent, carets = caret_line(text, span.column, end)
        block.append(f"{gutter} | {text}".rstrip())
        block.append(f"{blank} | {indent}{_paint(carets, _severity_style(finding), colour)}")
    block.append(f"{blank} = {_paint('help:', BOLD, colour)} {finding_hint(finding)}")
    return block


def render_terminal(findings: Sequence[Finding], quiet: bool = False, colour: bool = False,
                    show_source: bool = False, fixed: Optional[int] = None,
                    unsafe_fixes: bool = False, errors: Sequence[FileError] = ()) -> str:
    """The text format, optionally coloured, optionally with each finding's source line."""
    if not colour and not show_source:
        return render_text(list(findings), quiet=quiet, fixed=fixed, unsafe_fixes=unsafe_fixes,
                           errors=errors)
    out: List[str] = []
    sources = _Sources()
    keyed = [(f.sort_key(), f) for f in findings] + [(e.sort_key(), e) for e in errors]
    for _, record in sorted(keyed, key=lambda item: item[0]):
        if isinstance(record, FileError):
            out.append(record.render())
            continue
        out.append(finding_line(record, plain_line(record), colour))
        if show_source:
            out.extend(_source_block(record, sources, colour))
            out.append("")
    if not quiet:
        out.extend(summary(list(findings), fixed, unsafe_fixes, errors))
    return "\n".join(out) + ("\n" if out else "")


def render_report(findings: Sequence[Finding], output_format: str, quiet: bool = False,
                  statistics: bool = False, show_source: bool = False,
                  colour: bool = False, fixed: Optional[int] = None, unsafe_fixes: bool = False,
                  errors: Sequence[FileError] = ()) -> str:
    """What ``bplint check`` prints: the findings and the files that could not be checked, in
    ``output_format`` or, with ``statistics``, their count per rule. ``colour`` and
    ``show_source`` apply to the text format only."""
    from bplint.report import FORMATS
    from bplint.report.statistics import render_statistics

    if statistics:
        return render_statistics(list(findings), output_format, quiet=quiet, errors=errors)
    if output_format == "text":
        return render_terminal(findings, quiet=quiet, colour=colour, show_source=show_source,
                               fixed=fixed, unsafe_fixes=unsafe_fixes, errors=errors)
    return FORMATS[output_format](list(findings), quiet=quiet, errors=errors)
