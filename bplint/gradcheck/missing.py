"""Stand-ins for names whose import failed, so that the code that does not use them still runs.

``import scipy`` without SciPy, or ``from collections import Hashable`` on a Python that moved it:
the name is bound to a stand-in, and only the code that uses it fails, with
:class:`MissingImport` naming the module. A stand-in can be a base class (``class
Dense(Layer)``): the subclass is defined, and only creating one fails.
"""

from __future__ import annotations

import ast
from typing import Dict, List


class MissingImport(ImportError):
    """Code used a name whose import failed; the message names the module and why."""


class _Missing(type):
    """The metaclass of stand-ins: any use of the stand-in, or of a class built on it, raises."""

    def __getattr__(cls, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise MissingImport(cls.__bplint_reason__)

    def __call__(cls, *args, **kwargs):
        raise MissingImport(cls.__bplint_reason__)


def stand_in(name: str, reason: str) -> type:
    return _Missing(name, (), {"__bplint_reason__": reason})


def bound_names(statement: ast.stmt) -> Dict[str, str]:
    """For an import statement: each name it binds, and the module it comes from."""
    if isinstance(statement, ast.Import):
        return {(a.asname or a.name).split(".")[0]: a.name for a in statement.names}
    if isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
        return {(a.asname or a.name): module for a in statement.names if a.name != "*"}
    return {}


def bind_stand_ins(statement: ast.stmt, namespace: dict, exc: ImportError) -> List[str]:
    """Bind every name of a failed import to a stand-in; the names bound."""
    names = bound_names(statement)
    for name, module in names.items():
        namespace[name] = stand_in(name, f"needs `{module}`, which cannot be imported here "
                                         f"({type(exc).__name__}: {exc})")
    return list(names)
