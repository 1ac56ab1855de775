"""``path:row:col: CODE message``, one line per finding, then a summary.

A file that could not be checked is a line of the report too (``path: error: reason``), in path
order among the findings, and the summary counts it: a report never says ``All checks passed.``
when a file was left out.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from bplint.diagnostics import FileError, Finding


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def plain_line(finding: Finding) -> str:
    """``path:row:col: CODE message``; a warning-severity rule says so before its message.

    In a notebook the place is ``nb.ipynb:cell 4:row:col``, as ruff writes it: the cell's 1-based
    index among all the notebook's cells, then the row in that cell."""
    label = "warning: " if finding.severity == "warning" else ""
    where = finding.path if finding.cell is None else f"{finding.path}:cell {finding.cell}"
    return f"{where}:{finding.span.row}:{finding.span.column}: {finding.code} {label}{finding.message}"


def report_lines(findings: Sequence[Finding], errors: Sequence[FileError] = ()) -> List[str]:
    """The finding lines and the lines of files that could not be checked, in path order."""
    keyed = [(f.sort_key(), plain_line(f)) for f in findings]
    keyed += [(e.sort_key(), e.render()) for e in errors]
    return [line for _, line in sorted(keyed, key=lambda item: item[0])]


def render_text(findings: List[Finding], quiet: bool = False, fixed: Optional[int] = None,
                unsafe_fixes: bool = False, errors: Sequence[FileError] = ()) -> str:
    """The finding and error lines, then (unless ``quiet``) the summary. ``fixed`` is how many
    ``--fix`` fixed; ``unsafe_fixes`` whether unsafe fixes count as fixable."""
    lines = report_lines(findings, errors)
    if not quiet:
        lines += summary(findings, fixed, unsafe_fixes, errors)
    return "\n".join(lines) + ("\n" if lines else "")


def unchecked_files(errors: Sequence[FileError]) -> int:
    return len({error.path for error in errors})


def summary(findings: List[Finding], fixed: Optional[int] = None, unsafe_fixes: bool = False,
            errors: Sequence[FileError] = ()) -> List[str]:
    """``Found N problems in M files.`` (or, after ``--fix``, ``(F fixed, R remaining)``), then
    how many of them ``--fix`` or ``--unsafe-fixes`` would fix, as ruff says it. Files that could
    not be checked end the first line: ``Found 3 problems in 2 files; 1 file could not be checked.``"""
    total = len(findings) + (fixed or 0)
    unchecked = unchecked_files(errors)
    not_checked = f"{_plural(unchecked, 'file')} could not be checked" if unchecked else ""
    if not total:
        return [f"No problems found; {not_checked}." if unchecked else "All checks passed."]
    if fixed is None:
        files = len({f.path for f in findings})
        first = f"Found {_plural(total, 'problem')} in {_plural(files, 'file')}"
    else:
        first = f"Found {_plural(total, 'problem')} ({fixed} fixed, {len(findings)} remaining)"
    lines = [f"{first}; {not_checked}." if unchecked else f"{first}."]
    safe = sum(1 for f in findings if f.fix and f.fix.applicability == "safe")
    hidden = sum(1 for f in findings if f.fix and f.fix.applicability != "safe")
    if unsafe_fixes:
        safe, hidden = safe + hidden, 0
    if safe and fixed is None:
        lines.append(f"[*] {safe} fixable with the `--fix` option.")
    if hidden:
        fixes = "1 hidden fix" if hidden == 1 else f"{hidden} hidden fixes"
        lines.append(f"({fixes} can be enabled with the `--unsafe-fixes` option.)")
    return lines
