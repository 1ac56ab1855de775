"""``path:row:col: CODE message``, one line per finding, then a summary."""

from __future__ import annotations

from typing import List

from bplint.diagnostics import Finding


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _line(finding: Finding) -> str:
    """``path:row:col: CODE message``; a warning-severity rule says so before its message."""
    label = "warning: " if finding.severity == "warning" else ""
    return f"{finding.path}:{finding.span.row}:{finding.span.column}: {finding.code} {label}{finding.message}"


def render_text(findings: List[Finding], quiet: bool = False) -> str:
    lines = [_line(f) for f in findings]
    if not quiet:
        if findings:
            files = len({f.path for f in findings})
            lines.append(f"Found {_plural(len(findings), 'problem')} in {_plural(files, 'file')}.")
        else:
            lines.append("All checks passed.")
    return "\n".join(lines) + ("\n" if lines else "")
