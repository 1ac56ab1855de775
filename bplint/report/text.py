"""``path:row:col: CODE message``, one line per finding, then a summary."""

from __future__ import annotations

from typing import List, Optional

from bplint.diagnostics import Finding


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _line(finding: Finding) -> str:
    """``path:row:col: CODE message``; a warning-severity rule says so before its message.

    In a notebook the place is ``nb.ipynb:cell 4:row:col``, as ruff writes it: the cell's 1-based
    index among all the notebook's cells, then the row in that cell."""
    label = "warning: " if finding.severity == "warning" else ""
    where = finding.path if finding.cell is None else f"{finding.path}:cell {finding.cell}"
    return f"{where}:{finding.span.row}:{finding.span.column}: {finding.code} {label}{finding.message}"


def render_text(findings: List[Finding], quiet: bool = False, fixed: Optional[int] = None,
                unsafe_fixes: bool = False) -> str:
    """The finding lines, then (unless ``quiet``) the summary. ``fixed`` is how many ``--fix``
    fixed; ``unsafe_fixes`` whether unsafe fixes count as fixable."""
    lines = [_line(f) for f in findings]
    if not quiet:
        lines += summary(findings, fixed, unsafe_fixes)
    return "\n".join(lines) + ("\n" if lines else "")


def summary(findings: List[Finding], fixed: Optional[int] = None, unsafe_fixes: bool = False) -> List[str]:
    """``Found N problems in M files.`` (or, after ``--fix``, ``(F fixed, R remaining)``), then
    how many of them ``--fix`` or ``--unsafe-fixes`` would fix, as ruff says it."""
    total = len(findings) + (fixed or 0)
    if not total:
        return ["All checks passed."]
    if fixed is None:
        files = len({f.path for f in findings})
        lines = [f"Found {_plural(total, 'problem')} in {_plural(files, 'file')}."]
    else:
        lines = [f"Found {_plural(total, 'problem')} ({fixed} fixed, {len(findings)} remaining)."]
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
