"""A finding's layer in the program's own expressions, for messages and hints: the activation a
weight multiplies in forward, the variable that holds an activation or a pre-activation, the name
a delta is stored in, and the derivative of the layer's activation written with them.

Every expression is one the program writes; one is offered only where the finding's function can
read it (a forward local is no help in ``backward``).
"""

from __future__ import annotations

from typing import Callable, Iterable, List, Optional, Tuple

import libcst as cst

from bplint.analysis.activations import (
    Activation, classify_expression, derivative_on_input, derivative_on_output,
)
from bplint.checks.base import FileContext, numpy_alias
from bplint.model import Function, dotted_name
from bplint.model.locations import location_key

_ATOMS = (cst.Name, cst.Attribute, cst.Subscript, cst.Call)
_PRODUCTS = ("dot", "matmul")


def atom(context: FileContext, node: cst.CSTNode) -> str:
    """The code of ``node``, in parentheses unless it is a name, attribute, subscript or call."""
    code = context.code(node)
    if isinstance(node, _ATOMS) or getattr(node, "lpar", None):
        return code
    return f"({code})"


def function_at(context: FileContext, node: cst.CSTNode) -> Optional[Function]:
    """The innermost function whose body holds ``node`` (None at module level)."""
    start = context.position(node).start
    found = None
    for function in context.own_functions:
        where = context.position(function.node)
        if (where.start.line, where.start.column) <= (start.line, start.column) \
                <= (where.end.line, where.end.column):
            if found is None or context.position(found.node).start.line <= where.start.line:
                found = function
    return found


def _root_names(node: cst.CSTNode) -> List[str]:
    names: List[str] = []

    class _Roots(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            names.append(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False  # ``.attr`` is not a name the function must hold

    node.visit(_Roots())
    return names


def readable_in(context: FileContext, node: cst.CSTNode, function: Optional[Function]) -> bool:
    """Whether code in ``function`` can read ``node`` as written: each name in it is bound there
    (or in an enclosing function), or at module level."""
    module = context.model.bindings_of(function.module if function is not None else context.module_key)
    if function is None:
        return all(name in module for name in _root_names(node))
    return all(function.resolves(name) or name in module
               for name in _root_names(node))


def _readable_first(context: FileContext, nodes: Iterable[cst.CSTNode],
                    function: Optional[Function]) -> Optional[cst.CSTNode]:
    """The first of ``nodes`` that ``function`` can read, preferring one of its own."""
    readable = [node for node in nodes if readable_in(context, node, function)]
    own = [node for node in readable if function_at(context, node) is function]
    return (own or readable or [None])[0]


# -- what holds a layer's values ------------------------------------------------------------------


def _targets_of_kind(context: FileContext, wanted) -> List[cst.CSTNode]:
    """The targets of assignments whose value has the kind ``wanted`` says (a predicate)."""
    found = []
    for statement, (_, value) in context.analysis.assignments.items():
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1 \
                and value.kind and wanted(value.kind):
            target = statement.targets[0].target
            if not isinstance(target, (cst.Tuple, cst.List)):
                found.append(target)
    return found


def activation_holder(context: FileContext, function: str, pre: cst.CSTNode,
                      reader: Optional[Function]) -> Optional[cst.CSTNode]:
    """Where forward stores the output of ``function`` applied to the pre-activation ``pre``."""
    targets = _targets_of_kind(context, lambda k: k[0] == "act" and k[1] == function and k[2] is pre)
    return _readable_first(context, targets, reader)


def pre_activation_holder(context: FileContext, pre: cst.CSTNode,
                          reader: Optional[Function]) -> Optional[cst.CSTNode]:
    """Where forward stores the pre-activation ``pre`` (``z1 = X @ W1 + b1``)."""
    targets = _targets_of_kind(context, lambda k: k[0] == "pre" and k[1] is pre)
    return _readable_first(context, targets, reader)


def contains(tree: cst.CSTNode, node: Optional[cst.CSTNode]) -> bool:
    """Whether ``node`` itself is part of ``tree``."""
    found = []

    class _Find(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is node:
                found.append(inner)
            return not found

    if node is not None:
        tree.visit(_Find())
    return bool(found)


def targets_holding(context: FileContext, node: Optional[cst.CSTNode]) -> List[cst.CSTNode]:
    """The targets of the assignments whose value computes ``node`` (``mask = (draw < p) / p``)."""
    return [statement.targets[0].target for statement in context.analysis.assignments
            if isinstance(statement, cst.Assign) and len(statement.targets) == 1
            and contains(statement.value, node)]


def assignment_of(context: FileContext, node: cst.CSTNode) -> Optional[cst.Assign]:
    """The assignment whose value is ``node``, or a product with ``node`` as a factor
    (``d_h = (d @ W2.T) * (1 - h ** 2)`` for ``d @ W2.T``)."""
    for statement in context.analysis.assignments:
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1 \
                and any(factor is node for factor in factors(statement.value)):
            return statement
    return None


def stored_in(context: FileContext, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The variable the delta ``node`` is stored in (``d_h``), if it is assigned one."""
    statement = assignment_of(context, node)
    return statement.targets[0].target if statement is not None else None


def delta_name(context: FileContext, node: cst.CSTNode) -> str:
    """How a hint names the delta ``node`` computes: the variable it is stored in, else its code."""
    target = stored_in(context, node)
    return context.code(target if target is not None else node)


# -- matrix products --------------------------------------------------------------------------------


def operands(product: cst.CSTNode) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    """The two factors of ``a @ b``, ``np.dot(a, b)`` or ``a.dot(b)``."""
    if isinstance(product, cst.BinaryOperation) and isinstance(product.operator, cst.MatrixMultiply):
        return product.left, product.right
    if not isinstance(product, cst.Call) or not isinstance(product.func, cst.Attribute):
        return None
    positional = [a.value for a in product.args if a.keyword is None and not a.star]
    if product.func.attr.value not in _PRODUCTS:
        return None
    if dotted_name(product.func.value) in ("np", "numpy"):
        return (positional[0], positional[1]) if len(positional) == 2 else None
    return (product.func.value, positional[0]) if len(positional) == 1 else None


def untransposed(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``W`` for ``W.T``; None for anything not transposed by ``.T``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "T":
        return node.value
    return None


def product_like(context: FileContext, product: cst.CSTNode, left: str, right: str) -> str:
    """``left @ right`` written the way ``product`` is (``np.dot(left, right)``, ``left.dot(right)``)."""
    if isinstance(product, cst.Call):
        func = product.func
        if dotted_name(func.value) in ("np", "numpy"):
            return f"{context.code(func)}({left}, {right})"
        return f"{left}.{func.attr.value}({right})"
    return f"{left} @ {right}"


def forward_inputs(context: FileContext, weight_code: str, location: str) -> List[cst.BaseExpression]:
    """What the products that multiply by the weight ``weight_code`` as it is (not transposed)
    multiply it with: the inputs of its layer in forward."""
    found = []
    for product, key in context.analysis.weight_of_product.items():
        pair = operands(product) if key == location else None
        for index, factor in enumerate(pair or ()):
            if location_key(factor) == location and context.code(factor) == weight_code:
                found.append(pair[1 - index])
    return found


def input_of_weight(context: FileContext, weight_code: str, location: str, reader: Optional[Function],
                    accept: Callable[[cst.CSTNode], bool]) -> Optional[cst.BaseExpression]:
    """The input forward multiplies ``weight_code`` with that ``accept`` takes and ``reader`` can
    read (one of its own first)."""
    inputs = [node for node in forward_inputs(context, weight_code, location) if accept(node)]
    return _readable_first(context, inputs, reader)


def weight_above(context: FileContext, activation: cst.CSTNode
                 ) -> Optional[Tuple[cst.CSTNode, cst.BaseExpression, bool]]:
    """The forward product that multiplies the activation ``activation`` (as written) by a weight:
    (the product, the weight, whether the activation is the left factor)."""
    code = context.code(activation)
    for product, key in context.analysis.weight_of_product.items():
        pair = operands(product)
        for index, factor in enumerate(pair or ()):
            weight = pair[1 - index]
            if context.code(factor) == code and location_key(weight) == key:
                return product, weight, index == 0
    return None


def is_activation(context: FileContext, node: cst.CSTNode, function: str) -> bool:
    """Whether ``node`` is the output of ``function``: computed inline (``np.tanh(X @ W1)``), or
    a variable written like one that forward assigns such an output."""
    found = classify_expression(context.module, node, lambda call: _callee(context, node, call))
    if found is not None and isinstance(found[0], Activation):
        return found[0].function == function
    code = context.code(node)
    return any(context.code(target) == code for target in
               _targets_of_kind(context, lambda k: k[0] == "act" and k[1] == function))


def _callee(context: FileContext, node: cst.CSTNode, call: cst.Call):
    """What the user's function ``call`` goes to computes, seen from where ``node`` is."""
    function = function_at(context, node)
    while function is not None and function.parent is not None:
        function = function.parent
    owner = function.owner if function is not None else None
    return context.analysis.catalogue.callee(call, owner)


def factors(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The factors of a chain of products: ``a * b * (1 - b)`` gives a, b and ``(1 - b)``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply) and not node.lpar:
        return factors(node.left) + factors(node.right)
    return [node]


def other_factors(context: FileContext, product: cst.CSTNode, derivative: cst.CSTNode) -> Optional[str]:
    """What ``product`` multiplies the derivative factor ``derivative`` by (the gradient), as
    written; for a chain ``d * a * (1 - a)`` without the factor ``a`` either."""
    if isinstance(product, cst.AugAssign) and isinstance(product.operator, cst.MultiplyAssign):
        return context.code(product.target) if product.value is derivative else None
    rest = [f for f in factors(product) if f is not derivative]
    factor = chain_factor(context, derivative)
    chained = [f for f in rest if factor is not None and f.deep_equals(factor)]
    if chained:
        rest.remove(chained[0])
    if not rest or len(rest) == len(factors(product)):
        return None
    return " * ".join(atom(context, f) for f in rest)


# -- derivatives ------------------------------------------------------------------------------------


def _classified(context: FileContext, node: cst.CSTNode) -> Optional[tuple]:
    return classify_expression(context.module, node, lambda call: _callee(context, node, call))


def chain_factor(context: FileContext, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """``a`` (or ``sigmoid(z)``) when the derivative factor ``node`` is the ``(1 - a)`` of a chain
    ``d * a * (1 - a)``, whose other factor is ``a``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) \
            and _classified(context, node) is None:
        return node.right
    return None


def derivative_argument(context: FileContext, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """What the derivative factor ``node`` is applied to: ``a`` in ``a * (1 - a)``, ``z`` in
    ``sigmoid_prime(z)`` and ``(z > 0)``, and in the ``(1 - a)`` of a chain ``d * a * (1 - a)``
    (``z`` in ``(1 - sigmoid(z))``)."""
    factor = chain_factor(context, node)
    if factor is None:
        found = _classified(context, node)
        return found[1] if found is not None else None
    inside = _classified(context, factor)
    return inside[1] if inside is not None and isinstance(inside[0], Activation) else factor


def derivative_text(context: FileContext, node: cst.CSTNode) -> str:
    """The derivative factor as the program writes it (both factors of a chain ``a * (1 - a)``)."""
    factor = chain_factor(context, node)
    if factor is not None:
        return f"{atom(context, factor)} * {atom(context, node)}"
    return context.code(node)


def applied_to(context: FileContext, node: cst.CSTNode, argument: cst.CSTNode) -> Optional[str]:
    """A call of the user's derivative ``node`` (``sigmoid_prime(z)``) applied to ``argument``."""
    if not isinstance(node, cst.Call) or len(node.args) != 1:
        return None
    moved = node.with_changes(args=[node.args[0].with_changes(value=argument)])
    return context.module.code_for_node(moved)


def on_output(context: FileContext, function: str, output: cst.CSTNode) -> Optional[str]:
    """The derivative of ``function`` written on the program's expression of its output."""
    return derivative_on_output(function, atom(context, output))


def on_input(context: FileContext, function: str, pre: cst.CSTNode) -> Optional[str]:
    """The derivative of ``function`` written on the program's expression of its pre-activation."""
    return derivative_on_input(function, atom(context, pre), numpy_alias(context.module) or "np")
