"""Storage locations that a program updates: names, attributes and dictionary entries.

A location is named by a short key, flow- and scope-insensitive on purpose: ``W1`` for a name,
``.W1`` for an attribute (of ``self`` or of any object), ``params[]`` for the entries of a
container. Keys let a later pass ask "is this thing ever updated like a parameter?" cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``np.random.randn`` for the expression ``np.random.randn``; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def location_key(target: cst.BaseExpression) -> Optional[str]:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return "." + target.attr.value
    if isinstance(target, cst.Subscript):
        inner = location_key(target.value)
        return inner + "[]" if inner else None
    return None


def is_numeric_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return is_numeric_literal(node.expression)
    return isinstance(node, (cst.Integer, cst.Float))


def read_locations(node: cst.BaseExpression) -> set:
    """The locations an expression reads: ``lr * self.dW`` reads ``lr`` and ``.dW``."""
    keys = set()

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> bool:
            if name.value not in ("True", "False", "None"):
                keys.add(name.value)
            return False

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            keys.add(location_key(attribute))
            return False

        def visit_Call(self, call: cst.Call) -> bool:
            func = call.func
            (func.value if isinstance(func, cst.Attribute) else func).visit(self)
            for arg in call.args:
                arg.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

    node.visit(_Reads())
    return keys


def draws_noise(node: cst.BaseExpression) -> bool:
    """Whether an expression draws random numbers (``np.random.randn(...)``, ``rng.normal(...)``)."""
    found = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            name = dotted_name(call.func) or ""
            if ".random." in f".{name}" or name.startswith("rng."):
                found.append(call)

    node.visit(_Calls())
    return bool(found)


@dataclass(frozen=True)
class UpdateSite:
    """``T += e``, ``T -= e`` or ``T = T ± e``: a statement that moves a stored value by ``e``."""

    statement: cst.CSTNode
    target: cst.BaseExpression
    # +1 when the change is added, -1 when it is subtracted.
    sign: int
    change: cst.BaseExpression

    @property
    def key(self) -> Optional[str]:
        return location_key(self.target)


def update_site(statement: cst.CSTNode) -> Optional[UpdateSite]:
    if isinstance(statement, cst.AugAssign):
        if isinstance(statement.operator, cst.AddAssign):
            return UpdateSite(statement, statement.target, +1, statement.value)
        if isinstance(statement.operator, cst.SubtractAssign):
            return UpdateSite(statement, statement.target, -1, statement.value)
        return None
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        value = statement.value
        if not isinstance(value, cst.BinaryOperation) or location_key(target) is None:
            return None
        if isinstance(value.operator, (cst.Add, cst.Subtract)) and value.left.deep_equals(target):
            sign = +1 if isinstance(value.operator, cst.Add) else -1
            return UpdateSite(statement, target, sign, value.right)
        if isinstance(value.operator, cst.Add) and value.right.deep_equals(target):
            return UpdateSite(statement, target, +1, value.left)
    return None


def literal_key(node: cst.BaseExpression):
    """The value of a string or integer literal (a dictionary key, an index), else None."""
    if isinstance(node, (cst.SimpleString, cst.Integer)):
        try:
            return node.evaluated_value
        except (ValueError, SyntaxError):
            return None
    return None
