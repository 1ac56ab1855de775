"""Checking files: find them, gather them into programs, read and judge each (see
:mod:`bplint.parsing` and :mod:`bplint.judging`), and shape their outcomes into one result."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple

from bplint.checks import ALL_CHECKS, Check, FileContext
from bplint.config import Config
from bplint.diagnostics import FileError, Finding
from bplint.files import SourceFile, UnreadableFile, decode_source, discover, is_notebook, read_source
from bplint.judging import FileOutcome, judge
from bplint.model import build_model
from bplint.parallel import check_files
from bplint.parsing import parse_for_checks, parse_source
from bplint.prefilter import might_hold_a_network, syntax_file_error
from bplint.program.check import check_together, load_program
from bplint.program.finder import ModuleFinder, module_key
from bplint.program.grouping import Program, group_programs
from bplint.report.shapes_table import ShapeRow, statement_summary


@dataclass
class Result:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0

    def add(self, outcome: "FileOutcome") -> None:
        self.findings.extend(outcome.findings)
        self.errors.extend(outcome.errors)
        self.files_checked += outcome.checked


def check_paths(paths: Sequence[str], config: Config, checks: Sequence[Check] = ALL_CHECKS,
                jobs: int = 1, cache=None, progress=None) -> Result:
    """Check every file found under ``paths``, each in its program (see :mod:`bplint.program`);
    programs the ``cache`` knows are not checked again, and with ``jobs`` > 1 the others are
    checked in that many processes."""
    files, errors = discover(paths, config.exclude, config.root)
    result = Result(errors=list(errors))
    pending = []
    for program in group_programs(files, ModuleFinder(config.root, config.src)):
        known = [cache.get(path, program.members) for path in sorted(program.checked)] \
            if cache is not None else [None]
        if all(outcome is not None for outcome in known):
            for outcome in known:
                result.add(outcome)
        else:
            pending.append(program)
    tick = progress(sum(len(p.checked) for p in pending)) if progress is not None else None
    for _, outcomes in check_files(check_program, pending, config, checks, jobs, tick,
                                   size=lambda program: len(program.checked)):
        for path, outcome in outcomes:
            if cache is not None:
                cache.put(path, outcome)
            result.add(outcome)
    if cache is not None:
        cache.save()
    result.findings.sort(key=Finding.sort_key)
    return result


def check_program(program: Program, config: Config,
                  checks: Sequence[Check] = ALL_CHECKS) -> List[Tuple[str, FileOutcome]]:
    """The outcome of each checked file of a program; a file that imports nothing of the
    project is checked alone."""
    if program.single:
        path = program.members[0]
        return [(path, check_file(path, config, checks))]
    return check_together(program, config, checks, check_file)


def check_file(path: str, config: Config, checks: Sequence[Check] = ALL_CHECKS) -> FileOutcome:
    """One file or notebook. A file that cannot hold network code is only compiled (for syntax
    errors); see :mod:`bplint.prefilter`."""
    if is_notebook(path):
        findings, errors, read = check_notebook(path, config, checks)
        return FileOutcome(tuple(findings), tuple(errors), read)
    try:
        source = read_source(path)
    except UnreadableFile as exc:
        return FileOutcome((), (FileError(path, str(exc)),), False)
    return _check_read(source, config, checks)


def check_in_program(path: str, config: Config,
                     checks: Sequence[Check] = ALL_CHECKS) -> FileOutcome:
    """One file or notebook as ``bplint check PATH`` checks it: with the modules it imports."""
    (program,) = group_programs([path], ModuleFinder(config.root, config.src))
    return dict(check_program(program, config, checks))[path]


def check_text(path: str, text: str, config: Config,
               checks: Sequence[Check] = ALL_CHECKS) -> FileOutcome:
    """A Python file's unsaved text (an editor's buffer, a mutant), checked in its program as the
    other modules are on disk."""
    key = module_key(path)
    (program,) = group_programs([path], ModuleFinder(config.root, config.src), {key: text})
    if program.single:
        return _check_read(SourceFile(path, text), config, checks)
    return dict(check_together(program, config, checks, check_file, {key: text}))[path]


def check_stdin(name: str, data: bytes, config: Config,
                checks: Sequence[Check] = ALL_CHECKS) -> FileOutcome:
    """A program read from standard input (``bplint check -``), reported as ``name``; a name
    ending in ``.ipynb``, or data that is a notebook's JSON, is read as a notebook. A name that
    is a file of a project (an editor's buffer, ``--stdin-filename src/train.py``) is checked in
    that file's program: the modules it imports, as they are on disk."""
    if is_notebook(name) or _looks_like_a_notebook(data):
        findings, errors, read = check_notebook(name, config, checks, data)
        return FileOutcome(tuple(findings), tuple(errors), read)
    try:
        source = SourceFile(name, decode_source(data))
    except UnreadableFile as exc:
        return FileOutcome((), (FileError(name, str(exc)),), False)
    if name != "-" and os.path.isfile(name):
        return check_text(name, source.text, config, checks)
    return _check_read(source, config, checks)


def _looks_like_a_notebook(data: bytes) -> bool:
    """A JSON object with ``cells`` and ``nbformat``: a notebook piped in without its name
    (as a Python program it would be one dict literal, and silently pass)."""
    if not data.lstrip()[:1] == b"{":
        return False
    import json

    try:
        document = json.loads(data)
    except ValueError:
        return False
    return isinstance(document, dict) and "cells" in document and "nbformat" in document


def _check_read(source: SourceFile, config: Config, checks: Sequence[Check]) -> FileOutcome:
    if not might_hold_a_network(source.text):
        error = syntax_file_error(source.text, source.path)
        return FileOutcome((), (error,) if error else (), True)
    findings, errors = check_source(source, config, checks)
    return FileOutcome(tuple(findings), tuple(errors), True)


def check_notebook(path: str, config: Config, checks: Iterable[Check] = ALL_CHECKS,
                   data: Optional[bytes] = None) -> Tuple[List[Finding], List[FileError], bool]:
    """A notebook's findings and errors, placed in its cells (see :mod:`bplint.notebooks`), and
    whether it could be read (from ``path``, or from its bytes ``data``). An unreadable or invalid
    notebook is one error; a cell that does not compile is one error naming the cell and line,
    and the other cells are still checked."""
    from bplint.notebooks import read_notebook

    try:
        notebook = read_notebook(path, data)
    except UnreadableFile as exc:
        return [], [FileError(path, str(exc))], False
    findings, errors = check_source(notebook.source, config, checks)
    return ([notebook.map_finding(f) for f in findings],
            notebook.errors + [notebook.map_error(e) for e in errors], True)


def infer_shapes(path: str, config: Optional[Config] = None) -> Tuple[List[ShapeRow], List[FileError]]:
    """What ``bplint shapes`` shows: every assignment with the shape bplint infers for it, in
    the file's program (the sizes a caller in another module passes, a helper's result)."""
    if is_notebook(path):
        return _notebook_shapes(path)
    config = config or Config()
    (program,) = group_programs([path], ModuleFinder(config.root, config.src))
    if not program.single:
        return _program_shapes(program, config)
    try:
        source = read_source(path)
    except UnreadableFile as exc:
        return [], [FileError(path, str(exc))]
    rows, error = _shape_rows(source)
    return rows, [error] if error is not None else []


def _program_shapes(program: Program, config: Config) -> Tuple[List[ShapeRow], List[FileError]]:
    from bplint.analysis.interpreter import interpret

    members, model = load_program(program, config)
    (member,) = [m for m in members if m.checked]
    if member.parsed is None:
        return [], [member.error]
    own = member.parsed.model
    analysis = interpret(model).seen_from(own.holds)
    context = FileContext(member.source, member.parsed.module, model, member.key, lambda: analysis)
    return _rows(context), []


def _notebook_shapes(path: str) -> Tuple[List[ShapeRow], List[FileError]]:
    """The shape rows of a notebook's program placed in their cells; none from a cell that does
    not compile (its stand-in is not what the user wrote), which is an error."""
    from bplint.notebooks import read_notebook

    try:
        notebook = read_notebook(path)
    except UnreadableFile as exc:
        return [], [FileError(path, str(exc))]
    rows, error = _shape_rows(notebook.source)
    broken = {e.cell for e in notebook.errors}
    placed = [notebook.map_shape_row(r) for r in rows]
    errors = notebook.errors + ([notebook.map_error(error)] if error is not None else [])
    return [r for r in placed if r.cell not in broken], errors


def _shape_rows(source: SourceFile) -> Tuple[List[ShapeRow], Optional[FileError]]:
    """The shape rows of one program, by function in the order they first appear."""
    module, error = parse_source(source)
    if error is not None:
        return [], error
    return _rows(FileContext(source, module, build_model(module))), None


def _rows(context: FileContext) -> List[ShapeRow]:
    rows = []
    for function, values in context.analysis.parameters.items():
        if context.model.parts and function.module != context.module_key:
            continue
        row = context.line_of(function.node.name)
        for name in function.params:
            if name != function.self_name:
                rows.append(ShapeRow(_qualified_name(function), row, f"{name} (parameter)",
                                     values[name]))
    for statement, (function, value) in context.analysis.assignments.items():
        rows.append(ShapeRow(_qualified_name(function), context.line_of(statement),
                             statement_summary(context.code(statement)), value))
    order = {name: min(r.row for r in rows if r.function == name) for name in {r.function for r in rows}}
    rows.sort(key=lambda r: (order[r.function], r.row))
    return rows


def _qualified_name(function) -> str:
    if function is None:
        return "module"
    parts = [function.name]
    parent = function.parent
    while parent is not None:
        parts.append(parent.name)
        parent = parent.parent
    top = function
    while top.parent is not None:
        top = top.parent
    if top.owner is not None:
        parts.append(top.owner.name)
    return ".".join(reversed(parts))


def check_source(source: SourceFile, config: Config,
                 checks: Iterable[Check] = ALL_CHECKS) -> Tuple[List[Finding], List[FileError]]:
    parsed, error = parse_for_checks(source)
    if error is not None:
        return [], [error]
    return judge(parsed, parsed.model, config, checks)


