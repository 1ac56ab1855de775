"""Let a training step go on past an update that cannot be applied, and say which parameter it was.

An update whose gradient has the wrong shape (``b -= lr * delta`` with ``delta`` of shape (N, h),
a transposed ``dW``) raises in NumPy and would stop the step before the other parameters move.
When the definitions are loaded, every ``T += e``, ``T -= e`` and ``T = T ± e`` inside a function
is wrapped so that such an error, on a parameter being watched, is recorded and the step goes on;
any other error (and any error while nothing is watched) is raised as before. The line of the
first update of each watched parameter is recorded too: where a failing verdict points.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, List, Tuple

HELPER = "__bplint_update_failed__"
UPDATING = "__bplint_updating__"


class _Watch:
    def __init__(self) -> None:
        self.objects: Dict[int, object] = {}
        self.failures: Dict[int, Tuple[int, str]] = {}
        self.lines: Dict[int, int] = {}

    def start(self, objects: List[object]) -> None:
        self.objects = {id(o): o for o in objects}
        self.failures, self.lines = {}, {}

    def stop(self) -> Tuple[Dict[int, Tuple[int, str]], Dict[int, int]]:
        """By watched object, the update that failed (its line and error) and the line of the
        first update."""
        found = self.failures, self.lines
        self.objects, self.failures, self.lines = {}, {}, {}
        return found


WATCH = _Watch()


def update_failed(error: Exception, target: Callable[[], object], line: int) -> bool:
    """Record ``error`` when the update's target is a watched parameter; False to re-raise."""
    try:
        obj = target()
    except Exception:  # noqa: BLE001 - the target itself cannot be read: not ours to handle
        return False
    if id(obj) not in WATCH.objects:
        return False
    WATCH.failures.setdefault(id(obj), (line, str(error)))
    return True


def updating(target: Callable[[], object], line: int) -> None:
    """Record ``line`` as where a watched parameter is updated, if it is its first update."""
    try:
        obj = target()
    except Exception:  # noqa: BLE001 - nothing stored there yet: no parameter
        return
    if id(obj) in WATCH.objects:
        WATCH.lines.setdefault(id(obj), line)


def _is_update(node: ast.stmt) -> bool:
    if isinstance(node, ast.AugAssign):
        return isinstance(node.op, (ast.Add, ast.Sub))
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.BinOp):
        target, value = ast.dump(node.targets[0]).replace("Store()", "Load()"), node.value
        if isinstance(value.op, (ast.Add, ast.Sub)) and ast.dump(value.left) == target:
            return True
        return isinstance(value.op, ast.Add) and ast.dump(value.right) == target
    return False


class _Guard(ast.NodeTransformer):
    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                setattr(node, field, [self._wrap(s) if _is_update(s) else s for s in statements])
        return node

    @staticmethod
    def _wrap(statement: ast.stmt) -> ast.stmt:
        target = statement.target if isinstance(statement, ast.AugAssign) else statement.targets[0]
        handler = ast.parse(
            f"try:\n    {UPDATING}(lambda: TARGET, {statement.lineno})\n"
            f"except (ValueError, TypeError) as __bplint_error__:\n"
            f"    if not {HELPER}(__bplint_error__, lambda: TARGET, {statement.lineno}):\n"
            f"        raise\n").body[0]
        note = handler.body[0].value
        check = handler.handlers[0].body[0].test.operand
        for call, index in ((note, 0), (check, 1)):  # each lambda reads the target anew
            call.args[index].body = ast.parse(ast.unparse(target), mode="eval").body
        handler.body.append(statement)
        own = {id(node) for node in ast.walk(statement)}
        for node in ast.walk(handler):
            if id(node) not in own and "lineno" in node._attributes:
                ast.copy_location(node, statement)
                node.end_lineno, node.end_col_offset = statement.end_lineno, statement.end_col_offset
        return handler


def guard_updates(definition: ast.stmt) -> ast.stmt:
    """The definition with every update statement in its functions guarded (see the module)."""
    if isinstance(definition, ast.ClassDef):
        definition.body = [guard_updates(s) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                           else s for s in definition.body]
        return definition
    if isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ast.fix_missing_locations(_Guard().visit(definition))
    return definition
