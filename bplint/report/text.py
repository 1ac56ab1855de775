"""``path:row:col: CODE message``, one line per finding, then a summary."""

from __future__ import annotations

from typing import List

from bplint.diagnostics import Finding


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(findings: List[Finding], quiet: bool = False) -> str:
    lines = [f"{f.path}:{f.span.row}:{f.span.column}: {f.code} {f.message}" for f in findings]
    if not quiet:
        if findings:
            files = len({f.path for f in findings})
            lines.append(f"Found {_plural(len(findings), 'problem')} in {_plural(files, 'file')}.")
        else:
            lines.append("All checks passed.")
    return "\n".join(lines) + ("\n" if lines else "")
