"""Checking files: read, parse once, build the model, run the checks, keep what is enabled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from bplint.catalogue import catalogue
from bplint.checks import ALL_CHECKS, Check, FileContext
from bplint.config import Config
from bplint.diagnostics import FileError, Finding
from bplint.fixes import plan_to_fix
from bplint.files import SourceFile, UnreadableFile, decode_source, discover, is_notebook, read_source
from bplint.indentation import AS_WRITTEN, Layout, reindent
from bplint.model import build_model
from bplint.parallel import check_files
from bplint.prefilter import might_hold_a_network, syntax_file_error
from bplint.report.shapes_table import ShapeRow, statement_summary
from bplint.suppression import expected_error_rows, is_suppressed


@dataclass
class Result:
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    files_checked: int = 0

    def add(self, outcome: "FileOutcome") -> None:
        self.findings.extend(outcome.findings)
        self.errors.extend(outcome.errors)
        self.files_checked += outcome.checked


@dataclass(frozen=True)
class FileOutcome:
    """What checking one file gave: its findings, its errors, and whether it could be read."""

    findings: Tuple[Finding, ...]
    errors: Tuple[FileError, ...]
    checked: bool


def check_paths(paths: Sequence[str], config: Config, checks: Sequence[Check] = ALL_CHECKS,
                jobs: int = 1, cache=None, progress=None) -> Result:
    """Check every file found under ``paths``; files the ``cache`` knows are not checked again,
    and with ``jobs`` > 1 the others are checked in that many processes."""
    files, errors = discover(paths, config.exclude, config.root)
    result = Result(errors=list(errors))
    pending = []
    for path in files:
        known = cache.get(path) if cache is not None else None
        if known is not None:
            result.add(known)
        else:
            pending.append(path)
    tick = progress(len(pending)) if progress is not None else None
    for path, outcome in check_files(check_file, pending, config, checks, jobs, tick):
        if cache is not None:
            cache.put(path, outcome)
        result.add(outcome)
    if cache is not None:
        cache.save()
    result.findings.sort(key=Finding.sort_key)
    return result


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


def check_stdin(name: str, data: bytes, config: Config,
                checks: Sequence[Check] = ALL_CHECKS) -> FileOutcome:
    """A program read from standard input (``bplint check -``), reported as ``name``; a name
    ending in ``.ipynb``, or data that is a notebook's JSON, is read as a notebook."""
    if is_notebook(name) or _looks_like_a_notebook(data):
        findings, errors, read = check_notebook(name, config, checks, data)
        return FileOutcome(tuple(findings), tuple(errors), read)
    try:
        source = SourceFile(name, decode_source(data))
    except UnreadableFile as exc:
        return FileOutcome((), (FileError(name, str(exc)),), False)
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


_LIBCST_PREFIX = re.compile(r"^(?:parser error: error at \d+:\d+: |tokenizer error: )")


def _syntax_error(source: SourceFile, exc: Exception, layout: Layout = AS_WRITTEN) -> FileError:
    """One line for a file CPython compiles and libcst cannot parse: where libcst stopped (in the
    original text's columns) and what it expected there."""
    if not isinstance(exc, cst.ParserSyntaxError):  # libcst's own bug on valid code, no place
        return FileError(source.path, "cannot be parsed (syntax not supported by libcst: its "
                                      f"parser fails with {type(exc).__name__})")
    why = _LIBCST_PREFIX.sub("", exc.message.splitlines()[0] if exc.message else "")
    detail = f": {why}" if why else ""
    if exc.message.startswith("tokenizer error"):
        # libcst's tokenizer places all its errors at 1:1: no place is better than a wrong one.
        return FileError(source.path, f"cannot be parsed (syntax not supported by libcst{detail})")
    row = exc.raw_line
    column = layout.column(row, exc.raw_column + 1)
    return FileError(source.path, f"cannot be parsed at line {row}, column {column} "
                                  f"(syntax not supported by libcst{detail})", row=row, column=column)


_BRACKETS = re.compile(r"[()\[\]{}]")
# libcst's native parser overflows its stack on very deep nesting (a crash, not an exception);
# CPython's own parser refuses more than 200 nested brackets with a clear message.
_SAFE_DEPTH = 150


def _nesting_too_deep(text: str) -> bool:
    if text.count("(") + text.count("[") + text.count("{") < _SAFE_DEPTH:
        return False
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest > _SAFE_DEPTH


def _refuse_deep_nesting(source: SourceFile) -> Optional[FileError]:
    """Let CPython judge a deeply nested file before libcst sees it."""
    if not _nesting_too_deep(source.text):
        return None
    error = syntax_file_error(source.text, source.path)
    if error is not None:
        return error
    return FileError(source.path, f"nested more than {_SAFE_DEPTH} brackets deep; too deep to analyse")


def parse_source(source: SourceFile):
    """The module, or the one-line error that says why the file cannot be analysed. A module
    parsed from the re-indented text has the file's rows (only columns differ), so a caller that
    reads rows only may ignore the layout."""
    module, _, error = _parse_with_layout(source)
    return module, error


def _parse_with_layout(source: SourceFile) -> Tuple[Optional[cst.Module], Layout, Optional[FileError]]:
    """The module and where its columns are in the file, or the error. A file CPython compiles
    but libcst cannot parse as it is is parsed re-indented (see :mod:`bplint.indentation`)."""
    refused = _refuse_deep_nesting(source)
    if refused is not None:
        return None, AS_WRITTEN, refused
    try:
        return cst.parse_module(source.text), AS_WRITTEN, None
    except RecursionError:
        return None, AS_WRITTEN, FileError(source.path, "too deeply nested to analyse")
    except Exception as exc:  # noqa: BLE001 - libcst also raises TypeError on some valid code
        failure = exc
    rejected = syntax_file_error(source.text, source.path)
    if rejected is not None:
        return None, AS_WRITTEN, rejected
    reindented = reindent(source.text) if isinstance(failure, cst.ParserSyntaxError) else None
    if reindented is None:
        return None, AS_WRITTEN, _syntax_error(source, failure)
    try:
        return cst.parse_module(reindented.text), reindented.layout, None
    except RecursionError:
        return None, AS_WRITTEN, FileError(source.path, "too deeply nested to analyse")
    except Exception as exc:  # noqa: BLE001 - as above
        return None, AS_WRITTEN, _syntax_error(source, exc, reindented.layout)


def infer_shapes(path: str) -> Tuple[List[ShapeRow], List[FileError]]:
    """What ``bplint shapes`` shows: every assignment with the shape bplint infers for it."""
    if is_notebook(path):
        return _notebook_shapes(path)
    try:
        source = read_source(path)
    except UnreadableFile as exc:
        return [], [FileError(path, str(exc))]
    rows, error = _shape_rows(source)
    return rows, [error] if error is not None else []


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
    context = FileContext(source, module, build_model(module))
    rows = []
    for function, values in context.analysis.parameters.items():
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
    return rows, None


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


def trains_a_network(model) -> bool:
    """Whether the file multiplies matrices and moves something by a step: training code."""
    return bool(model.weight_keys) and bool(model.trainable_locations())


class _AnalysisFailed(Exception):
    """A rule asked for the analysis of a file after it failed (and was reported)."""


class _FailedAnalysis:
    """Stands in for an analysis that raised, so that it is neither run nor reported again."""

    def __getattr__(self, name: str):
        raise _AnalysisFailed(name)


def check_source(source: SourceFile, config: Config,
                 checks: Iterable[Check] = ALL_CHECKS) -> Tuple[List[Finding], List[FileError]]:
    enabled = [c for c in checks if config.enabled(c.code, source.path)]
    module, layout, error = _parse_with_layout(source)
    if error is not None:
        return [], [error]
    try:
        model = build_model(module)
    except RecursionError:
        return [], [FileError(source.path, "too deeply nested to analyse")]
    context = FileContext(source, module, model)
    docs = catalogue()
    findings: List[Finding] = []
    errors: List[FileError] = []
    if not trains_a_network(model):
        # The gradient, dropout, shape and numerics rules are about training code: a file with no
        # matrix product or no update (a library, most test suites) is not read by them.
        enabled = [check for check in enabled if not check.needs_analysis]
    if any(check.needs_analysis for check in enabled):
        try:
            context.analysis
        except RecursionError:
            errors.append(FileError(source.path, "too deeply nested to analyse"))
            enabled = [check for check in enabled if not check.needs_analysis]
            context.__dict__["analysis"] = _FailedAnalysis()
        except Exception as exc:  # noqa: BLE001 - reported once; the model-only rules still run
            errors.append(FileError(
                source.path, f"internal error in the analysis ({type(exc).__name__}); please report"))
            enabled = [check for check in enabled if not check.needs_analysis]
            context.__dict__["analysis"] = _FailedAnalysis()
    for check in enabled:
        try:
            doc = docs[check.code]
            for report in check.run(context):
                span = layout.span(context.position(report.node))
                if layout.reindented:  # its fixes would edit the re-indented text, not the file
                    report = replace(report, fix=None)
                if is_suppressed(source.line(span.row), check.code):
                    continue
                findings.append(Finding(source.path, span, check.code, doc.name, doc.severity,
                                        report.message, fix=plan_to_fix(context, report.fix),
                                        hint=report.hint))
        except _AnalysisFailed:
            pass  # a model-only rule that asks the failed analysis: reported once, above
        except RecursionError:
            errors.append(FileError(source.path, f"too deeply nested to analyse ({check.code})"))
        except Exception as exc:  # noqa: BLE001 - one failing rule must not stop the others
            errors.append(FileError(
                source.path, f"internal error in {check.code} ({type(exc).__name__}); please report"))
    if findings and "raise" in source.text:  # a test expecting the error: not a bug
        expected = expected_error_rows(module, context.position)
        findings = [f for f in findings if f.span.row not in expected]
    return findings, errors
