"""What every check shares: the file context it reads, and the reports it makes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from functools import cached_property
from typing import Iterable, Optional, Tuple

import libcst as cst
from libcst.metadata import CodeRange

from bplint.files import SourceFile
from bplint.model import FileModel


@dataclass(frozen=True)
class Change:
    """Part of a fix: ``node``'s text becomes ``text``; or, with ``after``, ``text`` becomes a
    new line after the statement ``node``, indented like it."""

    node: cst.CSTNode
    text: str
    after: bool = False


@dataclass(frozen=True)
class FixPlan:
    """A fix as a check sees it, in nodes; the engine turns it into text edits. Whether it is
    safe is the rule's document's to say (its ``autofix:`` line), once for every finding."""

    message: str
    changes: Tuple[Change, ...]


@dataclass(frozen=True)
class Report:
    """A check's verdict on one node: the engine turns it into a finding."""

    node: cst.CSTNode
    message: str
    fix: Optional[FixPlan] = None
    # The fix written with the finding's own expressions, for ``--show-source``.
    hint: Optional[str] = None


class FileContext:
    """One file, parsed once; the analysis and positions are computed only when first asked for."""

    def __init__(self, source: SourceFile, module: cst.Module, model: FileModel,
                 module_key: str = "", analyse=None) -> None:
        self.source = source
        self.module = module
        self.model = model
        # In a program of several modules: this file's key in ``model`` (see
        # :mod:`bplint.model.program`), and the function that gives the program's one analysis.
        self.module_key = module_key
        self._analyse = analyse

    @cached_property
    def analysis(self):
        if self._analyse is not None:
            return self._analyse()
        from bplint.analysis.interpreter import interpret

        return interpret(self.model)

    @property
    def _positions(self):
        # Positions cost about as much as parsing: resolved only for files with findings, once.
        return self.own_model.positions()

    def position(self, node: cst.CSTNode) -> CodeRange:
        """Where ``node`` is: in this file, or (for a message) in another module of the program."""
        if not self.model.parts or self.holds(node):
            return self._positions[node]
        return self._foreign(node)[1]

    def _foreign(self, node: cst.CSTNode):
        """(the module's key, the position) of a node in another module of the program."""
        for part in self.model.parts:
            if part.model.holds(node):  # a walk of ids, not a module's positions, to find it
                return part.key, part.model.positions()[node]
        raise KeyError(node)

    @property
    def own_model(self) -> FileModel:
        """This file's own model (in a program, the program's ``model`` holds every module)."""
        part = self.model.part(self.module_key)
        return part.model if part is not None else self.model

    @property
    def own_functions(self):
        """The functions of this file (the program's model also holds its other modules')."""
        if not self.model.parts:
            return self.model.functions
        return [f for f in self.model.functions if f.module == self.module_key]

    @property
    def own_classes(self):
        if not self.model.parts:
            return list(self.model.classes.values())
        part = self.model.part(self.module_key)
        return list(part.model.classes.values()) if part is not None else []

    def holds(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is in this file (a program's analysis also has its other modules')."""
        if not self.model.parts:
            return True
        part = self.model.part(self.module_key)
        return part is not None and part.model.holds(node)

    def line_of(self, node: cst.CSTNode) -> int:
        return self.position(node).start.line

    def place(self, node: cst.CSTNode) -> str:
        """The line of ``node`` as a message names it: ``12``, or ``12 of layers.py`` for a node
        in another module of the program."""
        if self.holds(node):
            return str(self.line_of(node))
        key, position = self._foreign(node)
        where = os.path.relpath(key, os.path.dirname(os.path.realpath(self.source.path)))
        return f"{position.start.line} of {Path(where).as_posix()}"

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()


def numpy_alias(module: cst.Module) -> Optional[str]:
    """The name the module imports NumPy as (``np`` for ``import numpy as np``), for fixes."""
    for line in module.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.Import):
                for alias in statement.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == "numpy":
                        return alias.asname.name.value if alias.asname else "numpy"
    return None


class Check:
    """A rule: reads the model and analysis of a file and reports nodes with messages."""

    code: str = ""
    # Whether the rule reads the abstract interpretation (the BP10x dataflow rules need only
    # the model).
    needs_analysis: bool = True

    def run(self, context: FileContext) -> Iterable[Report]:
        raise NotImplementedError

    @staticmethod
    def target_of(statement: cst.CSTNode) -> cst.CSTNode:
        """What an assignment (``x = ...``, ``x += ...``, ``x: T = ...``) stores into."""
        if isinstance(statement, cst.Assign):
            return statement.targets[0].target
        return statement.target

    @staticmethod
    def short(text: str, limit: int = 60) -> str:
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


