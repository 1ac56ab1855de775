"""What every check shares: the file context it reads, and the reports it makes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Optional, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

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
    """A fix as a check sees it, in nodes; the engine turns it into text edits."""

    applicability: str  # "safe" or "unsafe"
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

    def __init__(self, source: SourceFile, module: cst.Module, model: FileModel) -> None:
        self.source = source
        self.module = module
        self.model = model

    @cached_property
    def analysis(self):
        from bplint.analysis.interpreter import interpret

        return interpret(self.model)

    @cached_property
    def _positions(self):
        # Positions cost about as much as parsing: resolved only for files with findings.
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return wrapper.resolve(PositionProvider)

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]

    def line_of(self, node: cst.CSTNode) -> int:
        return self.position(node).start.line

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


