"""The cheap text check that lets bplint skip files that cannot hold NumPy network code.

Parsing with libcst is most of bplint's cost. A file that never mentions NumPy, a forward or
backward pass, a ``.dot(`` or a matrix product ``@`` cannot trigger any rule (every rule is about
network code: a matrix product, a NumPy call, or a method with a forward/backward role), so it is
only compiled by CPython, about four times faster than libcst, to still report syntax errors.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Optional

from bplint.diagnostics import FileError

# ``x @ w`` on one line (a decorator after a line that ends in ``)`` is not a product).
_NETWORK_WORDS = re.compile(r"numpy|forward|backward|backprop|\.dot\(|[\w)\]][ \t]*@=?[ \t]*[\w(\[.-]",
                            re.IGNORECASE)


def might_hold_a_network(text: str) -> bool:
    return _NETWORK_WORDS.search(text) is not None


def syntax_file_error(text: str, path: str) -> Optional[FileError]:
    """The file's first syntax error in CPython's words, at its row and column, or None when it
    compiles. The code's own SyntaxWarnings (``x is 0``) are not printed: they are not bplint's
    to report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}" if exc.offset else f"line {exc.lineno}"
        return FileError(path, f"syntax error at {where}: {exc.msg}", row=exc.lineno,
                         column=exc.offset or None)
    except (ValueError, RecursionError, MemoryError):
        return None  # left to the full parse, which reports these in its own words
    return None


def syntax_error(text: str, path: str) -> Optional[str]:
    """:func:`syntax_file_error`'s sentence alone."""
    error = syntax_file_error(text, path)
    return error.reason if error is not None else None
