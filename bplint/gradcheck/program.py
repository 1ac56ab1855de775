"""The program gradcheck reads: a Python file, or a notebook's code cells in order.

A notebook is read as ``bplint check`` reads it (:func:`bplint.notebooks.read_notebook`): its
code cells joined into one program, IPython syntax masked. Locations are program rows; ``where``
and ``line`` turn one into what the user can find: ``12`` or ``line 12`` in a file,
``cell 3:12`` or ``cell 3, line 12`` in a notebook.
No NumPy here: the parent process reads programs too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from bplint.files import is_notebook, read_source


@dataclass
class Program:
    path: str
    text: str
    notebook: Optional[object] = None  # bplint.notebooks.Notebook

    def where(self, row: int) -> str:
        """A program row as a location after ``path:``."""
        if self.notebook is None:
            return str(row)
        cell, in_cell = self.notebook.locate(row)
        return f"cell {cell}:{in_cell}"

    def line(self, row: int) -> str:
        """A program row in a sentence: ``line 12``, or ``cell 3, line 12`` in a notebook."""
        if self.notebook is None:
            return f"line {row}"
        cell, in_cell = self.notebook.locate(row)
        return f"cell {cell}, line {in_cell}"

    def syntax_error(self) -> Optional[str]:
        """Why a notebook's cell does not compile, if one does not (files: see the caller)."""
        if self.notebook is None:
            return None
        error = self.notebook.syntax_error()
        return None if error is None else error.reason


def read_program(path: str) -> Program:
    """Raises :class:`bplint.files.UnreadableFile` with the reason."""
    if is_notebook(path):
        from bplint.notebooks import read_notebook

        notebook = read_notebook(path)
        return Program(path, notebook.source.text, notebook)
    return Program(path, read_source(path).text)
