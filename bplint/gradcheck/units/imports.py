"""A project's own imports, resolved as Python resolves them, loaded definitions-only.

``from cs231n.layers import *`` in a notebook, ``from .layers import affine_forward`` in a
package, ``import dnn_utils`` beside a script: the folder of the checked file and the root of
the package it is in (the first folder up without an ``__init__.py``) are searched first. A
module found there is executed as the checked file is (:func:`bplint.gradcheck.loader.select`:
imports, definitions and simple constants only, and here also objects made from the module's own
classes, ``_zero = Zero()``, which libraries keep at module level), so a helper module's own
training loop or data loading never runs; an import in it that fails binds stand-ins
(:mod:`bplint.gradcheck.missing`). Installed packages are imported as usual.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import os
import sys
from typing import List, Optional, Sequence

from bplint.gradcheck.loader import select
from bplint.gradcheck.missing import bind_stand_ins


def package_of(path: str) -> str:
    """The dotted package the file is in (``cs231n.classifiers``), or "" outside a package."""
    parts: List[str] = []
    folder = os.path.dirname(os.path.abspath(path))
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parts.append(os.path.basename(folder))
        folder = os.path.dirname(folder)
    return ".".join(reversed(parts))


def project_roots(path: str) -> List[str]:
    """The checked file's folder, then its package's root folder when it is in a package."""
    folder = os.path.dirname(os.path.abspath(path))
    roots = [folder]
    top = folder
    while os.path.isfile(os.path.join(top, "__init__.py")):
        top = os.path.dirname(top)
    if top != folder:
        roots.append(top)
    return roots


class _DefinitionsLoader(importlib.abc.Loader):
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module) -> None:
        with open(self.origin, encoding="utf-8") as handle:
            text = handle.read()
        tree = ast.parse(text, filename=self.origin)
        kept, _ = select(tree, constructors=True)
        for statement in kept:
            code = compile(ast.Module(body=[statement], type_ignores=[]), self.origin, "exec")
            try:
                exec(code, module.__dict__)  # noqa: S102 - definitions of the user's own project
            except ImportError as exc:
                bind_stand_ins(statement, module.__dict__, exc)


class ProjectImports(importlib.abc.MetaPathFinder):
    """Finds modules under the project's roots; everything else is left to Python."""

    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = [os.path.abspath(root) for root in roots]

    def _inside(self, origin: Optional[str]) -> bool:
        return bool(origin) and origin.endswith(".py") and any(
            os.path.abspath(origin).startswith(root + os.sep) for root in self.roots)

    def find_spec(self, name, path=None, target=None):
        search = list(path) if path is not None else self.roots
        spec = importlib.machinery.PathFinder.find_spec(name, search)
        if spec is None or not self._inside(spec.origin):
            return None
        spec.loader = _DefinitionsLoader(spec.origin)
        return spec


def install(path: str) -> None:
    """Resolve the imports of the program at ``path`` from its project first."""
    roots = project_roots(path)
    for root in reversed(roots):
        if root not in sys.path:
            sys.path.insert(0, root)
    sys.meta_path.insert(0, ProjectImports(roots))
