"""Load a script's definitions without running the script.

Kept, in their order: imports, ``def`` and ``class`` statements, and module-level assignments
of simple values (numbers, strings, tuples, lambdas, arithmetic on names already kept, NumPy
random generators such as ``rng = np.random.default_rng(0)``). Every other module-level statement
is skipped: calls, loops, ``if`` blocks (``if __name__ == "__main__":`` included), ``with``,
``print``, ``input()``, data loading. An import that fails is skipped when no definition needs it.
"""

from __future__ import annotations

import ast
import linecache
import sys
import types
from typing import Dict, List, Set, Tuple

from bplint.gradcheck.guard import HELPER, UPDATING, guard_updates, update_failed, updating
from bplint.gradcheck.missing import bind_stand_ins

MODULE_NAME = "__bplint_gradcheck_script__"

# Calls allowed in a kept assignment: pure constructors and math, no I/O.
_SAFE_CALLS = {
    "numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
    "numpy.random.PCG64", "numpy.array", "numpy.asarray", "numpy.float64", "numpy.float32",
    "numpy.sqrt", "numpy.log", "numpy.exp", "numpy.zeros", "numpy.ones", "numpy.eye",
    "numpy.arange", "numpy.linspace", "numpy.full", "math.sqrt", "math.log", "math.exp",
    "float", "int", "str", "tuple", "list", "dict", "range", "len", "abs", "min", "max", "round",
}


class LoadError(Exception):
    """The definitions cannot be loaded; the message says why."""


def _numpy_aliases(tree: ast.Module) -> Dict[str, str]:
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("numpy", "math") or alias.name.startswith("numpy."):
                    aliases[(alias.asname or alias.name).split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("numpy"):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST, aliases: Dict[str, str]) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _simple(node: ast.AST, aliases: Dict[str, str], classes: Set[str] = frozenset()) -> bool:
    """Whether evaluating an expression only computes (no I/O, no user function called, but
    the constructors of ``classes``); the body of a lambda runs only when it is called."""
    if isinstance(node, ast.Lambda):
        return True
    if isinstance(node, ast.Call) and _dotted(node.func, aliases) not in _SAFE_CALLS \
            and not (isinstance(node.func, ast.Name) and node.func.id in classes):
        return False
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
        return False
    return all(_simple(child, aliases, classes) for child in ast.iter_child_nodes(node))


def _assigned_names(statement: ast.stmt) -> List[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)) and all(
                isinstance(e, ast.Name) for e in target.elts):
            names.extend(e.id for e in target.elts)
        else:
            return []
    return names


def select(tree: ast.Module, constructors: bool = False) -> Tuple[List[ast.stmt], List[int]]:
    """The statements kept, and the lines of those skipped. With ``constructors``, an
    assignment may also create an object of a class the module defined above it."""
    aliases = _numpy_aliases(tree)
    kept, skipped = [], []
    classes: Set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                  ast.AsyncFunctionDef, ast.ClassDef)):
            kept.append(statement)
            if constructors and isinstance(statement, ast.ClassDef):
                classes.add(statement.name)
        elif (isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None
              and _assigned_names(statement) and _simple(statement.value, aliases, classes)):
            kept.append(statement)
        elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            skipped.append(statement.lineno)
    return kept, skipped


def _needed_names(statements: List[ast.stmt]) -> Set[str]:
    """Names read inside the kept definitions."""
    names = set()
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.update(n.id for n in ast.walk(statement)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    return names


def _register_source(path: str, text: str) -> None:
    """Make ``inspect.getsource`` and tracebacks read the program executed, not the file: a
    notebook's file is JSON, its program the joined code cells."""
    lines = text.splitlines(keepends=True)
    linecache.cache[path] = (len(text), None, lines, path)  # no mtime: never reloaded


def load(path: str, text: str, package: str = "", stand_ins: bool = False
         ) -> Tuple[types.ModuleType, ast.Module]:
    """A module holding the script's definitions, and the script's syntax tree. ``package`` is
    the dotted package the file is in, for its relative imports (``from .layers import *``).
    With ``stand_ins``, an import that fails binds its names to stand-ins
    (:mod:`bplint.gradcheck.missing`) instead of failing the load: only the code using them
    fails."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise LoadError(f"syntax error at line {exc.lineno}: {exc.msg}") from None
    kept, _ = select(tree)
    needed = _needed_names(kept)
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = path
    module.__package__ = package
    sys.modules[MODULE_NAME] = module
    namespace = module.__dict__
    namespace[HELPER] = update_failed
    namespace[UPDATING] = updating
    _register_source(path, text)
    for statement in kept:
        is_definition = isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if is_definition:
            statement = guard_updates(statement)
        code = compile(ast.Module(body=[statement], type_ignores=[]), path, "exec")
        try:
            exec(code, namespace)  # noqa: S102 - the documented purpose of `bplint gradcheck`
        except ImportError as exc:
            names = {(a.asname or a.name).split(".")[0] for a in statement.names}
            if stand_ins:
                bind_stand_ins(statement, namespace, exc)
            elif names & needed:
                raise LoadError(f"cannot import {exc.name or 'a module'} "
                                f"({type(exc).__name__}: {exc}) at line {statement.lineno}") from None
        except Exception as exc:  # noqa: BLE001 - any failure is reported in one line
            if is_definition or isinstance(statement, (ast.Import, ast.ImportFrom)):
                raise LoadError(f"line {statement.lineno}: {type(exc).__name__}: {exc}") from None
            # a kept assignment that needs something skipped: skipped too
    return module, tree
