"""A module's import statements, read from its text without parsing it.

Grouping files into programs happens before anything is parsed, and must stay cheap for the files
that are never parsed (see :mod:`bplint.prefilter`). A regular expression finds ``import a.b as
c``, ``from . import x`` and ``from .m import (a, b)`` anywhere in the text, inside functions too;
one inside a string only adds a module to the program, which costs time but never a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Tuple

_FROM = re.compile(r"(?:^|;)[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import\b[ \t]*"
                   r"(\([^)]*\)|[^\n#;]*)", re.MULTILINE)
_IMPORT = re.compile(r"(?:^|;)[ \t]*import[ \t]+([^\n#;]+)", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class ImportStatement:
    """``from ..a.b import x, y`` is (2, "a.b", ("x", "y")); ``import a.b`` is (0, "a.b", ());
    ``from m import *`` has the names ("*",)."""

    level: int
    module: str
    names: Tuple[str, ...] = ()


def import_statements(text: str) -> List[ImportStatement]:
    found: List[ImportStatement] = []
    for match in _FROM.finditer(text):
        dots, module, names = match.groups()
        names = names.strip().strip("()").replace("\\\n", " ")
        imported = ("*",) if names.strip() == "*" else tuple(
            part.split()[0] for part in names.split(",") if part.split())
        if dots or module:
            found.append(ImportStatement(len(dots), module, tuple(n for n in imported
                                                                  if _NAME.fullmatch(n) or n == "*")))
    for match in _IMPORT.finditer(text):
        for part in match.group(1).split(","):
            words = part.split()
            if words and _NAME.fullmatch(words[0]):
                found.append(ImportStatement(0, words[0]))
    return found


def statements_of(nodes) -> List[ImportStatement]:
    """The import statements of a parsed module (its ``FileModel.imports``): what it really
    imports, where the text scan may also have read an ``import`` in a string."""
    import libcst as cst

    from bplint.model.locations import dotted_name

    found: List[ImportStatement] = []
    for node in nodes:
        if isinstance(node, cst.Import):
            found.extend(ImportStatement(0, dotted_name(alias.name) or "") for alias in node.names)
        elif isinstance(node, cst.ImportFrom):
            module = dotted_name(node.module) if node.module is not None else ""
            names = ("*",) if isinstance(node.names, cst.ImportStar) else tuple(
                dotted_name(alias.name) or "" for alias in node.names)
            found.append(ImportStatement(len(node.relative), module or "", names))
    return found
