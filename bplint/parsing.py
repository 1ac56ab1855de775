"""Parsing one file for the checks: its syntax tree (re-indented where libcst needs it), where
its columns are, and its model; or the one line that says why it cannot be analysed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

import libcst as cst

from bplint.diagnostics import FileError
from bplint.files import SourceFile
from bplint.indentation import AS_WRITTEN, Layout, reindent
from bplint.model import build_model
from bplint.model.units import FileModel
from bplint.prefilter import syntax_file_error


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
    module, _, error = parse_with_layout(source)
    return module, error


def parse_with_layout(source: SourceFile) -> Tuple[Optional[cst.Module], Layout, Optional[FileError]]:
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


@dataclass(frozen=True)
class Parsed:
    """A file ready for the checks: its text, syntax tree, where its columns are, its model."""

    source: SourceFile
    module: cst.Module
    layout: Layout
    model: FileModel


def parse_for_checks(source: SourceFile) -> Tuple[Optional[Parsed], Optional[FileError]]:
    """The file parsed and modelled, or why it cannot be."""
    module, layout, error = parse_with_layout(source)
    if error is not None:
        return None, error
    try:
        model = build_model(module)
    except RecursionError:
        return None, FileError(source.path, "too deeply nested to analyse")
    return Parsed(source, module, layout, model), None
