"""``bplint check --fix`` and ``--diff``: lint, apply the fixes, lint again, until nothing changes.

A fixed file must still parse (else it is left alone and the error says so); it is written back
with its own encoding, BOM and line endings, in one atomic rename that keeps its mode.
"""

from __future__ import annotations

import difflib
import io
import tokenize
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from bplint.config import Config
from bplint.diagnostics import FileError, Finding
from bplint.engine import Result, check_in_program, check_text
from bplint.files import UnreadableFile, decode_source, discover, is_notebook, read_bytes
from bplint.fixes import applicable, apply_fixes, write_atomically
from bplint.prefilter import syntax_error

# Fixing one bug can reveal or move another; ruff stops after a bounded number of rounds too.
MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    result: Result
    fixed: int = 0
    diffs: List[str] = field(default_factory=list)


@dataclass
class FixedFile:
    """One file after ``--fix``: what is left in it, how many fixes it took, and their diff."""

    findings: List[Finding]
    errors: List[FileError]
    fixed: int = 0
    diff: str = ""


@dataclass
class FixedText:
    """A source after fixing in rounds, and the findings of its final text."""

    findings: List[Finding]
    errors: List[FileError]
    fixed: int
    text: Optional[str]  # the fixed text, when it differs from the original


def fix_paths(paths: Sequence[str], config: Config, unsafe: bool, write: bool) -> FixOutcome:
    """Fix every file; ``write=False`` only computes the diffs (``--diff``)."""
    files, errors = discover(paths, config.exclude, config.root)
    outcome = FixOutcome(Result(errors=list(errors)))
    for path in files:
        if is_notebook(path):
            done = _fix_notebook(path, config, unsafe, write)
        else:
            done = _fix_file(path, config, unsafe, write)
        outcome.result.findings.extend(done.findings)
        outcome.result.errors.extend(done.errors)
        outcome.result.files_checked += 1
        outcome.fixed += done.fixed
        if done.diff:
            outcome.diffs.append(done.diff)
    outcome.result.findings.sort(key=Finding.sort_key)
    return outcome


def fix_text(path: str, text: str, config: Config, unsafe: bool) -> FixedText:
    """Apply fixes to one source in rounds; the findings left are those of the final text."""
    fixed = 0
    current = text
    for _ in range(MAX_ROUNDS):
        findings, errors = _check(path, current, config)
        fixes = [f.fix for f in applicable(findings, unsafe)]
        if errors or not fixes:
            break
        candidate, applied = apply_fixes(current, fixes)
        if candidate == current:
            break
        problem = syntax_error(candidate, path)
        if problem:
            errors = [FileError(path, f"a fix would make the file invalid ({problem}); left unchanged")]
            break
        current, fixed = candidate, fixed + applied
    else:
        findings, errors = _check(path, current, config)
    return FixedText(findings, errors, fixed, current if current != text else None)


def _check(path: str, text: str, config: Config):
    """The findings of a version of the file, in its program (the modules it imports)."""
    outcome = check_text(path, text, config)
    return list(outcome.findings), list(outcome.errors)


def _fix_file(path: str, config: Config, unsafe: bool, write: bool) -> FixedFile:
    try:
        data = read_bytes(path)
        text = decode_source(data)
    except UnreadableFile as exc:
        return FixedFile([], [FileError(path, str(exc))])
    done = fix_text(path, text, config, unsafe)
    outcome = FixedFile(done.findings, done.errors, done.fixed)
    if done.text is None:
        return outcome
    outcome.diff = unified_diff(path, text, done.text)
    if write:
        try:
            write_atomically(path, done.text.encode(_encoding(data)))
        except OSError as exc:
            # The file keeps its bugs: report them as they are, with why nothing was fixed.
            findings, errors = _check(path, text, config)
            reason = f"cannot write the fixed file ({exc.strerror or type(exc).__name__}); left unchanged"
            return FixedFile(findings, errors + [FileError(path, reason)], 0, outcome.diff)
    return outcome


def _fix_notebook(path: str, config: Config, unsafe: bool, write: bool) -> FixedFile:
    """One round of fixes, each applied to its own cell's source; only those cells are rewritten."""
    from bplint.notebooks import read_notebook, render_cells

    findings, errors = _checked_notebook(path, config)
    fixable = applicable(findings, unsafe)
    if not fixable:  # fixes never touch a cell that does not compile (its rows are masked)
        return FixedFile(findings, errors)
    notebook = read_notebook(path)
    new_sources = {}
    fixed = 0
    diffs = []
    for cell in sorted({f.cell for f in fixable}):
        source = notebook.cells[cell]
        fixes = [f.fix for f in fixable if f.cell == cell]
        new, applied = apply_fixes(source, fixes)
        # Masking keeps rows and columns, so the masked cell checks that the fixed cell parses.
        masked, _ = apply_fixes(notebook.masked_cells.get(cell, source), fixes)
        if new != source and syntax_error(masked, path) is None:
            new_sources[cell] = new
            fixed += applied
            diffs.append(unified_diff(f"{path}:cell {cell}", source, new))
    if not new_sources:
        return FixedFile(findings, errors)
    outcome = FixedFile(findings, errors, fixed, "".join(diffs))
    if write:
        try:
            write_atomically(path, render_cells(path, new_sources))
        except OSError as exc:
            outcome.errors.append(FileError(
                path, f"cannot write the fixed file ({exc.strerror or type(exc).__name__}); left unchanged"))
            outcome.fixed = 0
            return outcome
        outcome.findings, outcome.errors = _checked_notebook(path, config)
    return outcome


def _checked_notebook(path: str, config: Config):
    checked = check_in_program(path, config)
    return list(checked.findings), list(checked.errors)


def _encoding(data: bytes) -> str:
    """The encoding the file was read with (``utf-8-sig`` keeps a BOM)."""
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:
        return "utf-8"




def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)
