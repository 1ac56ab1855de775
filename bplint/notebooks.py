"""Jupyter notebooks: their code cells read as one program, and findings mapped back to cells.

A notebook is checked as the program its code cells make when run from top to bottom: the code
cells are joined in order into one Python source; markdown and raw cells are left out. Each cell
is first compiled on its own (as IPython does), so a syntax error names its cell and line.

Cells are numbered as ruff numbers them: the 1-based index of the cell among *all* the cells of
the notebook (markdown and raw cells included), so ``cell 4`` is the fourth cell from the top in
Jupyter. Execution counts (``In [7]``) are not used: they change at every run. Findings carry
that number in ``Finding.cell`` and a span whose rows count from the first line of the cell;
columns are those of the line itself.

IPython syntax is masked line by line. A masked line keeps its row, so every other line keeps its
row and column; the rules never see IPython syntax:

- a line magic (``%matplotlib inline``, ``%load_ext autoreload``), a shell escape (``!pip install
  x``, ``!!ls``), help (``?obj``, ``??obj``, ``obj?``, ``obj??``) and IPython's autocall escapes
  (``/f 1``, ``,f a b``, ``;f a b``), at any indentation, become ``pass`` at that indentation
  (a backslash at the end of such a line masks the continuation lines too);
- ``%time STATEMENT`` and ``%timeit [-n N -r R ...] STATEMENT`` keep their statement, which runs
  in the notebook's namespace: the magic and its options become ``if 1:`` padded with spaces to
  the same width, so the statement keeps its columns (``pass`` if the statement is not a simple
  statement that compiles on its own);
- an assignment from a magic or a shell command (``x = !ls``, ``files = %sx ls``) keeps its
  targets and assigns ``...``. As in IPython, that is a logical line whose first ``=`` outside
  brackets is followed by ``!``, or by ``%`` and a name: ``print('m = %d' % m)`` is code;
- a cell magic on the first line of a cell (``%%time``): for ``%%time``, ``%%timeit``,
  ``%%capture``, ``%%prun``, ``%%debug`` and ``%%memit``, whose body is Python run in the
  notebook's namespace, only the magic's line is masked; every other cell magic (``%%bash``,
  ``%%html``, ``%%writefile``, ``%%python`` which runs in another process...) masks its whole cell.

Only lines that start a logical line are looked at: a ``%`` inside a string or a bracket is code.
``# noqa`` comments work on notebook lines as on files (the kept statement of ``%time`` keeps its
comment too).

A cell that does not compile is one :class:`FileError` naming its cell, row and column, and the
other cells are still checked. In the joined program it is replaced, row for row, by a stand-in:
its imports that compile on their own, and every module name it would bind and every ``obj.attr``
it would store (found by a tolerant scan of its logical lines) assigned an unknown value, so that
later cells reading them are never reported for them.

:func:`write_cells` rewrites the sources of some code cells (for ``--fix``) and keeps the rest of
the file as nbformat wrote it. nbformat is imported only when a notebook is read or written.
"""

from __future__ import annotations

import ast
import io
import json
import keyword
import logging
import re
import tokenize
import warnings
from dataclasses import dataclass, field, replace
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from bplint.diagnostics import Edit, FileError, Finding, Fix, Span
from bplint.files import SourceFile, UnreadableFile, read_bytes
from bplint.report.shapes_table import ShapeRow, statement_summary

# Cell magics whose body is Python run in the notebook's own namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})

_ESCAPES = ("%", "!", "?", "/", ",", ";")
_TIME = re.compile(r"(?P<magic>%time\s+|%timeit\s+(?:-[nrp]\s*\d+\s+|-[tcqo]\s+)*)(?P<rest>\S.*)$")
_LINE_REFERENCE = re.compile(r"(?:(?<=\()|(?<=\bon )|(?<=\bat ))line (\d+)\b")
_COMPILE_FLAGS = ast.PyCF_ONLY_AST | getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)
_NEWLINES = re.compile(r"\r\n|\r|\n")


# ---------------------------------------------------------------------------------------------
# Masking one cell


def _split(text: str) -> List[str]:
    """The lines of a cell as Python (and libcst) count them: ``\\r\\n``, ``\\r``, ``\\n``."""
    lines = _NEWLINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class _Scanner:
    """Tracks strings, brackets and backslash continuations from line to line."""

    quote: Optional[str] = None
    depth: int = 0
    continued: bool = False

    def at_logical_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def scan(self, line: str) -> int:
        """Advance over ``line``; return where its code ends (its comment, if any, starts)."""
        i, n, end = 0, len(line), len(line)
        quote = self.quote
        while i < n:
            c = line[i]
            if quote is not None:
                if c == "\\":
                    i += 2
                elif line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                else:
                    i += 1
                continue
            if c == "#":
                end = i
                break
            if c in "\"'":
                quote = c * 3 if line.startswith(c * 3, i) else c
                i += len(quote)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        if quote is not None and len(quote) == 1 and i <= n:
            quote = None  # an unterminated one-line string: CPython will say so
        self.quote = quote
        self.continued = quote is None and end == n and line.endswith("\\")
        return end


def _timed_statement(line: str, indent: str) -> Optional[str]:
    """``%time STATEMENT`` as ``if 1: STATEMENT`` of the same width, if that compiles."""
    match = _TIME.match(line, len(indent))
    if match is None:
        return None
    width = len(match.group("magic"))
    candidate = indent + "if 1:".ljust(width) + match.group("rest")
    try:
        compile(candidate.lstrip(), "<cell>", "exec", _COMPILE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return candidate


_LAYOUT = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE,
                     tokenize.COMMENT, tokenize.ENDMARKER})
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


def _tokens(code: str) -> List[tokenize.TokenInfo]:
    """The tokens of ``code`` that are code, up to where tokenize gives up (an unclosed string or
    bracket: the rest of the statement is on later lines)."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            # Python 3.11 reports the spaces before an unknown character (``!``) as tokens too
            if token.type not in _LAYOUT and token.string.strip():
                found.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _first_assignment(tokens: Sequence[tokenize.TokenInfo]) -> Optional[int]:
    """The index of the statement's first ``=`` outside brackets, as IPython looks for it."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.string in _OPENING:
            depth += 1
        elif token.string in _CLOSING:
            depth = max(0, depth - 1)
        elif token.string == "=" and depth == 0:
            return index
    return None


def _magic_assignment(line: str) -> Optional[str]:
    """``targets = !cmd`` or ``targets = %magic ...`` as ``targets = ...``; None for code."""
    tokens = _tokens(line)
    index = _first_assignment(tokens)
    if not index:  # no assignment, or a line that starts with ``=``
        return None
    escape = tokens[index + 1: index + 3]
    shell = bool(escape) and escape[0].string == "!"
    magic = len(escape) == 2 and escape[0].string == "%" and escape[1].type == tokenize.NAME
    if not (shell or magic):
        return None
    return line[: tokens[index].end[1]] + " ..."


def mask_cell(source: str) -> Tuple[List[str], List[bool]]:
    """The lines of a code cell with IPython syntax masked, and which lines were masked."""
    lines = _split(source)
    masked = [False] * len(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        name = re.match(r"%%(\w*)", lines[first]).group(1)
        if name not in PYTHON_CELL_MAGICS:
            return ["" for _ in lines], [True] * len(lines)
        lines[first], masked[first] = "pass", True
    scanner = _Scanner()
    escaped_continues = False
    for index, line in enumerate(lines):
        if masked[index]:
            continue
        if escaped_continues:
            lines[index], masked[index] = "", True
            escaped_continues = line.endswith("\\")
            continue
        if not scanner.at_logical_start():
            scanner.scan(line)
            continue
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(_ESCAPES):
            # a kept ``%time`` statement compiled on its own: it leaves the scanner as it was
            lines[index] = _timed_statement(line, indent) or indent + "pass"
            masked[index] = True
            escaped_continues = line.endswith("\\")
            continue
        assigned = _magic_assignment(line)
        if assigned is not None:
            lines[index], masked[index] = assigned, True
            escaped_continues = line.endswith("\\")
            continue
        end = scanner.scan(line)
        if scanner.at_logical_start() and line[:end].rstrip().endswith("?"):
            lines[index], masked[index] = indent + "pass", True
    return lines, masked


# ---------------------------------------------------------------------------------------------
# Standing in for a cell that does not compile

# What the stand-in assigns: a name no program binds, which the analysis reads as unknown.
_UNKNOWN = "__bplint_unknown__"
_AUGMENTED = frozenset({"+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=",
                        "<<="})
# Statements whose header ends at a ``:`` and may carry their body on the same line.
_COMPOUND = frozenset({"if", "elif", "else", "while", "try", "except", "finally", "with"})


def _logical_lines(lines: Sequence[str]) -> Iterator[Tuple[int, int, str]]:
    """(first row, indentation, code) of each logical line with code; the code joins its
    physical lines, comments left out."""
    scanner = _Scanner()
    start, parts = 1, []
    for row, line in enumerate(lines, start=1):
        if scanner.at_logical_start():
            start, parts = row, []
        parts.append(line[: scanner.scan(line)])
        ends = scanner.at_logical_start() or row == len(lines)  # or an unclosed string, bracket
        if ends and "".join(parts).strip():
            yield start, len(parts[0]) - len(parts[0].lstrip()), "\n".join(parts)


def _split_at(tokens: Sequence[tokenize.TokenInfo], separator: str) -> List[list]:
    """The tokens cut at each ``separator`` outside brackets."""
    pieces, depth = [[]], 0
    for token in tokens:
        if token.string == separator and depth == 0:
            pieces.append([])
            continue
        if token.string in _OPENING:
            depth += 1
        elif token.string in _CLOSING:
            depth = max(0, depth - 1)
        pieces[-1].append(token)
    return pieces


def _dotted_chain(tokens: Sequence[tokenize.TokenInfo], start: int) -> int:
    """The index just past ``a.b.c`` starting at ``tokens[start]`` (a name)."""
    end = start + 1
    while (end + 1 < len(tokens) and tokens[end].string == "."
           and tokens[end + 1].type == tokenize.NAME):
        end += 2
    return end


def _target_names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    """What a target list binds or stores: the names ``a`` and ``(b, *c)``, the attributes
    ``d.e``; not ``f[g]`` or ``h(i).j``, whose store the stand-in cannot say again."""
    targets: List[str] = []
    trailers: List[bool] = []  # for each open bracket: a subscript or call, or a grouping
    index = 0
    while index < len(tokens):
        token = tokens[index]
        before = tokens[index - 1] if index else None
        if token.string in _OPENING:
            trailers.append(before is not None and (before.string in (")", "]") or (
                before.type == tokenize.NAME and not keyword.iskeyword(before.string))))
        elif token.string in _CLOSING:
            if trailers:
                trailers.pop()
        elif (token.type == tokenize.NAME and not keyword.iskeyword(token.string)
              and not any(trailers) and (before is None or before.string != ".")):
            end = _dotted_chain(tokens, index)
            if end >= len(tokens) or tokens[end].string not in (".", "(", "["):
                targets.append("".join(t.string for t in tokens[index:end]))
            index = end
            continue
        index += 1
    return targets


def _assigned_names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    """The targets of ``a = b = value``, ``a += value`` and ``a: T = value``."""
    names: List[str] = []
    target: list = []
    depth = 0
    for token in tokens:
        text = token.string
        if text == "lambda":
            break  # ``f = lambda a=1: a``: what follows are its parameters
        if depth == 0 and (text == "=" or text in _AUGMENTED or text == ":"):
            names += _target_names(target)
            if text != "=":
                break  # an augmented or annotated assignment has one target
            target = []
            continue
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth = max(0, depth - 1)
        target.append(token)
    return names


def _imported_names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    """``import a.b`` binds ``a``; ``from m import x`` binds ``x`` (``as`` names: the caller)."""
    if tokens[0].string == "from":
        keywords = [i for i, t in enumerate(tokens) if t.string == "import"]
        tokens = tokens[keywords[0]:] if keywords else []
    names = []
    for part in _split_at([t for t in tokens[1:] if t.string not in ("(", ")")], ","):
        if part and part[0].type == tokenize.NAME and not any(t.string == "as" for t in part):
            names.append(part[0].string)
    return names


def _statement_names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    """The module names one simple or compound statement's first line binds (``as`` and ``:=``
    names aside), found without parsing it."""
    if tokens and tokens[0].string == "async":
        tokens = tokens[1:]
    if not tokens:
        return []
    head = tokens[0].string
    if head in ("def", "class"):
        return [tokens[1].string] if len(tokens) > 1 and tokens[1].type == tokenize.NAME else []
    if head in ("import", "from"):
        return _imported_names(tokens)
    if head == "for" or head in _COMPOUND:
        header, *body = _split_at(tokens, ":")
        names = []
        if head == "for":
            ins = [i for i, t in enumerate(header) if t.string == "in"]
            names = _target_names(header[1: ins[0] if ins else len(header)])
        return names + _statement_names([t for piece in body for t in piece])
    return _assigned_names(tokens)


def _as_names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    """The names after ``as`` (``with f() as (a, b)``, ``except E as e``, ``import m as n``)."""
    names = []
    for index, token in enumerate(tokens[:-1]):
        if token.string != "as":
            continue
        target, depth = [], 0
        for following in tokens[index + 1:]:
            if following.string in _CLOSING:
                depth -= 1
            if depth < 0 or (depth == 0 and following.string in (",", ":")):
                break
            if following.string in _OPENING:
                depth += 1
            target.append(following)
        names += _target_names(target)
    return names


def _bound_names(statement: Sequence[tokenize.TokenInfo]) -> List[str]:
    """What one statement binds or stores at module level, found by a scan that needs no valid
    syntax."""
    names = [t.string for t, after in zip(statement, statement[1:]) if after.string == ":="
             and t.type == tokenize.NAME]
    return names + _as_names(statement) + _statement_names(statement)


def _one_row_text(code: str, statement: Sequence[tokenize.TokenInfo]) -> Optional[str]:
    """The text of a statement written on one row of ``code``, if it is."""
    if not statement or statement[0].start[0] != statement[-1].end[0]:
        return None
    line = code.split("\n")[statement[0].start[0] - 1]
    return line[statement[0].start[1]: statement[-1].end[1]]


def _stand_in_line(code: str) -> str:
    """One logical line of a cell that does not compile as a line that does: each of its imports
    that compiles on its own, and what its other statements bind assigned the unknown value."""
    kept: List[str] = []
    targets: List[str] = []
    for statement in _split_at(_tokens(code), ";"):
        text = _one_row_text(code, statement)
        if text is not None and _is_import(text):
            kept.append(text)
        else:
            targets += _bound_names(statement)
    if targets:
        kept.append(" = ".join(dict.fromkeys(targets)) + " = " + _UNKNOWN)
    return "; ".join(kept)


def _is_import(code: str) -> bool:
    """Whether ``code`` compiles on its own and only imports (the stand-in keeps it as it is)."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(body) and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)


def _opens_a_scope(code: str) -> bool:
    """A ``def`` or ``class`` (or its decorator): the lines indented below it bind its locals."""
    words = code.split()
    return words[0].startswith("@") or words[0] in ("def", "class") or words[:2] == ["async", "def"]


def _stand_in(lines: Sequence[str]) -> List[str]:
    """The lines that take the place of a cell that does not compile, row for row: its imports
    that compile on their own, and ``name = obj.attr = __bplint_unknown__`` on the row of each
    statement outside a function or class that would bind ``name`` or store ``obj.attr``. The
    bodies of its functions and classes bind nothing at module level; their names are bound."""
    out = [""] * len(lines)
    body_indent: Optional[int] = None  # the indentation of the def or class being skipped
    for row, indent, code in _logical_lines(lines):
        if body_indent is not None and indent > body_indent:
            continue
        body_indent = indent if _opens_a_scope(code) else None
        if indent == 0 and _is_import(code):
            kept = code.split("\n")
            out[row - 1: row - 1 + len(kept)] = kept
            continue
        out[row - 1] = _stand_in_line(code)
    try:
        compile("\n".join(out), "<stand-in>", "exec", _COMPILE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return [""] * len(lines)  # the scan took for a name what Python does not: bind nothing
    return out


# ---------------------------------------------------------------------------------------------
# Reading a notebook


@dataclass
class Notebook:
    """A notebook's code cells as one program, with the way back from program rows to cells."""

    path: str
    source: SourceFile
    # rows[program_row - 1] = (cell number among all cells, 1-based row in that cell)
    rows: List[Tuple[int, int]]
    # the original source of each code cell, by cell number
    cells: Dict[int, str]
    # the code cells' sources after masking, by cell number
    masked_cells: Dict[int, str] = field(repr=False, default_factory=dict)
    # program rows that were masked (their text is not the notebook's)
    masked_rows: frozenset = field(repr=False, default_factory=frozenset)
    # one error for each code cell that does not compile (replaced by its stand-in), in order
    errors: List[FileError] = field(default_factory=list)

    def locate(self, row: int) -> Tuple[int, int]:
        """The (cell, row in cell) of a 1-based program row."""
        if not self.rows:
            return 1, row
        return self.rows[min(max(row, 1), len(self.rows)) - 1]

    def map_span(self, span: Span) -> Tuple[int, Span]:
        """A program span as (cell, span within that cell); clipped to the cell it starts in."""
        cell, row = self.locate(span.row)
        end_cell, end_row = self.locate(span.end_row)
        end_column = span.end_column
        if end_cell != cell or span.end_row > len(self.rows):
            end_row = sum(1 for c, _ in self.rows if c == cell)
            end_column = len(_split(self.cells.get(cell, ""))[end_row - 1]) + 1 if end_row else 1
        return cell, Span(row, span.column, end_row, end_column)

    def relocate(self, text: str, cell: Optional[int] = None) -> str:
        """Rewrite ``(line N)`` and ``on line N`` of a message from program rows to cell rows:
        ``line 3`` in the same cell, ``line 3 of cell 2`` in another one."""
        def place(match: re.Match) -> str:
            row = int(match.group(1))
            if not 0 < row <= len(self.rows):
                return match.group(0)
            where, in_cell = self.rows[row - 1]
            return f"line {in_cell}" if where == cell else f"line {in_cell} of cell {where}"

        return _LINE_REFERENCE.sub(place, text)

    def map_finding(self, finding: Finding) -> Finding:
        """A finding on the program as a finding on a cell (span rows counted in the cell)."""
        cell, span = self.map_span(finding.span)
        fix = finding.fix
        if fix is not None:
            fix = self._map_fix(fix, cell)
        return replace(finding, span=span, cell=cell, fix=fix,
                       message=self.relocate(finding.message, cell))

    def _map_fix(self, fix: Fix, cell: int) -> Optional[Fix]:
        """The fix with cell-relative edits; dropped if it touches another cell or masked code."""
        edits = []
        for edit in fix.edits:
            rows = range(edit.span.row, edit.span.end_row + 1)
            if any(r in self.masked_rows for r in rows):
                return None
            edit_cell, span = self.map_span(edit.span)
            if edit_cell != cell or self.locate(edit.span.end_row)[0] != cell:
                return None
            edits.append(Edit(span, edit.content))
        return replace(fix, edits=tuple(edits))

    def map_error(self, error: FileError) -> FileError:
        """An error about the program as one about the notebook: its row placed in its cell."""
        if error.row is not None and error.cell is None:
            cell, row = self.locate(error.row)
            error = replace(error, cell=cell, row=row)
        return replace(error, reason=self.relocate(error.reason))

    def syntax_error(self) -> Optional[FileError]:
        """The first code cell that does not compile on its own, as IPython would run it."""
        return self.errors[0] if self.errors else None

    def map_shape_row(self, row: ShapeRow) -> ShapeRow:
        """A ``bplint shapes`` row of the program as a row of its cell; a masked row shows the
        cell's own line (``files = !ls``, not the ``files = ...`` that was analysed)."""
        cell, in_cell = self.locate(row.row)
        code = row.code
        if row.row in self.masked_rows:
            code = statement_summary(_split(self.cells[cell])[in_cell - 1])
        return replace(row, row=in_cell, cell=cell, code=code)


def _compile_error(path: str, number: int, text: str) -> Optional[FileError]:
    """Why a masked cell does not compile on its own, as IPython would run it, if it does not."""
    try:
        # not the notebook's own path: CPython would read that file's lines for columns
        compile(text, f"<cell {number}>", "exec", _COMPILE_FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}" if exc.offset else f"line {exc.lineno}"
        return FileError(path, f"syntax error in cell {number} at {where}: {exc.msg}",
                         row=exc.lineno, column=exc.offset or None, cell=number)
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileError(path, f"cell {number} cannot be compiled ({type(exc).__name__})",
                         cell=number)
    return None


def _quietly(function, *args, **kwargs):
    """Call nbformat without its log lines and warnings (it logs invalid notebooks to stderr)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    finally:
        logging.disable(previous)


def _decode(path: str, data: Optional[bytes] = None) -> Tuple[bytes, str]:
    """The notebook's bytes (read from ``path`` unless given) and their text."""
    if data is None:
        data = read_bytes(path)
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"invalid notebook: not valid UTF-8 (byte 0x{data[exc.start]:02x} "
                             f"at offset {exc.start})") from None


def _check_json(text: str) -> None:
    """Clear reasons for the commonest ways a file is not a notebook."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"invalid notebook: not JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except RecursionError:
        raise UnreadableFile("invalid notebook: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise UnreadableFile(f"invalid notebook: a JSON {type(data).__name__}, not an object")
    if not isinstance(data.get("nbformat"), int):
        raise UnreadableFile("invalid notebook: no `nbformat` version number")


def _validation_reason(exc) -> str:
    message = " ".join(str(getattr(exc, "message", exc)).split())
    if len(message) > 200:
        message = message[:197] + "..."
    where = "/".join(str(part) for part in getattr(exc, "absolute_path", None) or ())
    return f"{message} (at {where})" if where else message


def load(path: str, data: Optional[bytes] = None):
    """The notebook as nbformat's version-4 ``NotebookNode``, validated; ``data`` are its bytes
    when they do not come from ``path`` (standard input).

    Raises :class:`UnreadableFile` with ``invalid notebook: reason`` for anything nbformat
    cannot read or does not accept.
    """
    _, text = _decode(path, data)
    _check_json(text)
    import nbformat

    captured: dict = {}
    try:
        notebook = _quietly(nbformat.reads, text, as_version=4, capture_validation_error=captured)
    except nbformat.ValidationError as exc:
        raise UnreadableFile(f"invalid notebook: {_validation_reason(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise UnreadableFile(f"invalid notebook: {detail}") from None
    if "ValidationError" in captured:
        raise UnreadableFile(f"invalid notebook: {_validation_reason(captured['ValidationError'])}")
    return notebook


def read_notebook(path: str, data: Optional[bytes] = None) -> Notebook:
    """Read a notebook (from ``path``, or its bytes ``data``) and join its masked code cells into
    one program; a cell that does not compile joins as its stand-in (see the module doc)."""
    notebook = load(path, data)
    program: List[str] = []
    rows: List[Tuple[int, int]] = []
    cells: Dict[int, str] = {}
    masked_cells: Dict[int, str] = {}
    masked_rows = set()
    errors: List[FileError] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not isinstance(source, str):
            source = "".join(source)
        cells[number] = source
        lines, masked = mask_cell(source)
        masked_cells[number] = "\n".join(lines) + "\n"
        error = _compile_error(path, number, masked_cells[number])
        if error is not None:
            errors.append(error)
            lines, masked = _stand_in(lines), [True] * len(lines)
        for row, (line, was_masked) in enumerate(zip(lines, masked), start=1):
            program.append(line)
            rows.append((number, row))
            if was_masked:
                masked_rows.add(len(program))
    text = "\n".join(program) + "\n" if program else ""
    return Notebook(path, SourceFile(path, text), rows, cells, masked_cells, frozenset(masked_rows),
                    errors)


# ---------------------------------------------------------------------------------------------
# Writing cells back


def _all_cells(notebook) -> Sequence:
    """The cells in the order version 4 numbers them (version 3 keeps them in worksheets)."""
    if notebook.nbformat >= 4:
        return notebook.cells
    return [cell for sheet in notebook.get("worksheets", []) for cell in sheet.get("cells", [])]


def _render(path: str, new_sources: Dict[int, str]) -> Tuple[bytes, bytes, bool]:
    """(original bytes, new bytes, whether any source changed)."""
    data, text = _decode(path)
    _check_json(text)
    import nbformat

    try:
        notebook = _quietly(nbformat.reads, text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        raise UnreadableFile(f"invalid notebook: {' '.join(str(exc).split())}") from None
    cells = _all_cells(notebook)
    key = "source" if notebook.nbformat >= 4 else "input"
    changed = False
    for number, source in new_sources.items():
        if not 0 < number <= len(cells) or cells[number - 1].get("cell_type") != "code":
            raise ValueError(f"{path}: cell {number} is not a code cell")
        cell = cells[number - 1]
        old = cell.get(key, "")
        changed |= ("".join(old) if isinstance(old, list) else old) != source
        cell[key] = source
    out = _quietly(nbformat.writes, notebook, version=nbformat.NO_CONVERT)
    if text.endswith("\n") and not out.endswith("\n"):
        out += "\n"
    if "\r\n" in text:
        out = out.replace("\n", "\r\n")
    encoded = out.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        encoded = b"\xef\xbb\xbf" + encoded
    return data, encoded, changed


def render_cells(path: str, new_sources: Dict[int, str]) -> bytes:
    """The bytes of the notebook with the given code cells' sources replaced.

    Cells are numbered as findings number them (1-based among all cells). The notebook keeps its
    nbformat version and is serialised by nbformat as Jupyter writes it (sorted keys, indent 1),
    with the original's byte-order mark, line endings and final newline: a notebook written by
    nbformat or Jupyter comes back byte for byte apart from the changed sources.
    """
    return _render(path, new_sources)[1]


def write_cells(path: str, new_sources: Dict[int, str]) -> bool:
    """Rewrite only the given code cells' sources (cell number -> new source) in the notebook.

    Returns whether the file was written: when no source changes, the file is left untouched
    (even one that nbformat would format differently).
    """
    original, updated, changed = _render(path, new_sources)
    if not changed or updated == original:
        return False
    with open(path, "wb") as handle:
        handle.write(updated)
    return True
