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
  targets and assigns ``...``;
- a cell magic on the first line of a cell (``%%time``): for ``%%time``, ``%%timeit``,
  ``%%capture``, ``%%prun``, ``%%debug`` and ``%%memit``, whose body is Python run in the
  notebook's namespace, only the magic's line is masked; every other cell magic (``%%bash``,
  ``%%html``, ``%%writefile``, ``%%python`` which runs in another process...) masks its whole cell.

Only lines that start a logical line are looked at: a ``%`` inside a string or a bracket is code.
``# noqa`` comments work on notebook lines as on files (the kept statement of ``%time`` keeps its
comment too).

:func:`write_cells` rewrites the sources of some code cells (for ``--fix``) and keeps the rest of
the file as nbformat wrote it. nbformat is imported only when a notebook is read or written.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from bplint.diagnostics import Edit, FileError, Finding, Fix, Span
from bplint.files import SourceFile, UnreadableFile, read_bytes

# Cell magics whose body is Python run in the notebook's own namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})

_ESCAPES = ("%", "!", "?", "/", ",", ";")
_TIME = re.compile(r"(?P<magic>%time\s+|%timeit\s+(?:-[nrp]\s*\d+\s+|-[tcqo]\s+)*)(?P<rest>\S.*)$")
_MAGIC_ASSIGN = re.compile(r"(?P<lhs>[\w.\[\]'\",\s()*]+?\s*=)(?!=)\s*[!%]")
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


def _magic_assignment(line: str) -> Optional[str]:
    match = _MAGIC_ASSIGN.match(line)
    if match is None or not match.group("lhs").strip(" =").strip():
        return None
    return match.group("lhs") + " ..."


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
        return replace(error, reason=self.relocate(error.reason))

    def syntax_error(self) -> Optional[FileError]:
        """The first code cell that does not compile on its own, as IPython would run it."""
        for number, text in self.masked_cells.items():
            try:
                # not the notebook's own path: CPython would read that file's lines for columns
                compile(text, f"<cell {number}>", "exec", _COMPILE_FLAGS, dont_inherit=True)
            except SyntaxError as exc:
                where = f"line {exc.lineno}, column {exc.offset}" if exc.offset else f"line {exc.lineno}"
                return FileError(self.path, f"syntax error in cell {number} at {where}: {exc.msg}")
            except (ValueError, RecursionError, MemoryError) as exc:
                return FileError(self.path, f"cell {number} cannot be compiled ({type(exc).__name__})")
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


def _decode(path: str) -> Tuple[bytes, str]:
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


def load(path: str):
    """The notebook as nbformat's version-4 ``NotebookNode``, validated.

    Raises :class:`UnreadableFile` with ``invalid notebook: reason`` for anything nbformat
    cannot read or does not accept.
    """
    _, text = _decode(path)
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


def read_notebook(path: str) -> Notebook:
    """Read a notebook and join its masked code cells into one program (see the module doc)."""
    notebook = load(path)
    program: List[str] = []
    rows: List[Tuple[int, int]] = []
    cells: Dict[int, str] = {}
    masked_cells: Dict[int, str] = {}
    masked_rows = set()
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not isinstance(source, str):
            source = "".join(source)
        cells[number] = source
        lines, masked = mask_cell(source)
        masked_cells[number] = "\n".join(lines) + "\n"
        for row, (line, was_masked) in enumerate(zip(lines, masked), start=1):
            program.append(line)
            rows.append((number, row))
            if was_masked:
                masked_rows.add(len(program))
    text = "\n".join(program) + "\n" if program else ""
    return Notebook(path, SourceFile(path, text), rows, cells, masked_cells, frozenset(masked_rows))


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
