"""Inject one backprop bug at a time into a correct program: the recall half of the quality benchmark.

Each operator finds the places in a program where a known mistake can be made (an update, an
output error, a dropout mask, a cached activation, a transposed operand...) and writes one mutant
per place, with libcst, so that everything but the mutated node keeps its formatting. A mutant
records the rule that should report it and the lines where that report belongs (no lines: anywhere
in the file, for mutants that move or delete a statement, or whose bug shows at a later use).

The operators find their sites by the program's structure (a matrix product, an in-place step, a
random comparison), never by bplint's rules; the only thing they ask bplint is the shape of an
operand, to set apart *equivalent* mutants whose bug no shape can show (a dropped ``.T`` on a square
weight, a bias gradient summed over a batch of one, a ReLU derivative of ``z`` instead of ``a``).

    python bench/mutate.py FILE...            # list the mutants of each file
    python bench/mutate.py FILE --show N      # print mutant N as a unified diff
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

SHAPE_CODES = frozenset({"BP401", "BP402", "BP403"})


@dataclass(frozen=True)
class Mutant:
    operator: str
    code: str
    # Rows where the report belongs (in the mutant); empty: anywhere in the file.
    lines: FrozenSet[int]
    source: str
    # The row of the mutated node, for display.
    row: int
    description: str
    # Other codes that also count as catching this bug (a shape bug reported as BP402, not BP401).
    also: FrozenSet[str] = frozenset()
    # Why the bug cannot show, for equivalent mutants; None for a real bug.
    equivalent: Optional[str] = None


# -- reading the program ---------------------------------------------------------------------------


def key(node: cst.CSTNode) -> Optional[str]:
    """``W1``, ``self.W1``, ``params['W1']``: the text of a stored location, or None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = key(node.value)
        return f"{base}.{node.attr.value}" if base else None
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        base = key(node.value)
        index = node.slice[0].slice
        if base and isinstance(index, cst.Index):
            inner = index.value
            if isinstance(inner, (cst.SimpleString, cst.Integer, cst.Name)):
                return f"{base}[{inner.value}]"
    return None


def tail(text: str) -> str:
    """The last part of a location: ``W1`` for ``self.W1``, ``params['W1']`` and ``W1``;
    ``weights`` for ``self.weights[i]``."""
    if text.endswith("]"):
        index = text[text.rindex("[") + 1:-1]
        if index[:1] in "'\"":
            return index.strip("'\"")
        return tail(text[:text.rindex("[")])
    return text.rsplit(".", 1)[-1]


def dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def transposed(node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """``W`` for ``W.T``, ``np.transpose(W)`` or ``W.transpose()``; None otherwise."""
    if isinstance(node, cst.Attribute) and node.attr.value == "T":
        return node.value
    if isinstance(node, cst.Call):
        name = dotted(node.func)
        if name.endswith("transpose") and name != "transpose" and not node.args:
            return node.func.value
        if name in ("np.transpose", "numpy.transpose") and len(node.args) == 1:
            return node.args[0].value
    return None


def matmul_operands(node: cst.CSTNode) -> Optional[Tuple[cst.CSTNode, cst.CSTNode]]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.MatrixMultiply):
        return node.left, node.right
    if isinstance(node, cst.Call):
        name = dotted(node.func)
        if name in ("np.dot", "numpy.dot", "np.matmul", "numpy.matmul") and len(node.args) == 2:
            return node.args[0].value, node.args[1].value
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "dot" \
                and len(node.args) == 1 and name not in ("np.dot", "numpy.dot"):
            return node.func.value, node.args[0].value
    return None


def strip_transpose(node: cst.CSTNode) -> cst.CSTNode:
    base = transposed(node)
    return strip_transpose(base) if base is not None else node


def contains(node: cst.CSTNode, predicate: Callable[[cst.CSTNode], bool]) -> bool:
    found = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if found:
                return False
            if predicate(inner):
                found.append(inner)
                return False
            return True

    node.visit(Finder())
    return bool(found)


def is_matmul(node: cst.CSTNode) -> bool:
    return matmul_operands(node) is not None


def reads(node: cst.CSTNode) -> Set[str]:
    """Every location (name, attribute chain, keyed subscript) the expression reads."""
    found: Set[str] = set()

    class Reader(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            text = key(inner)
            if text is not None:
                found.add(text)
            return True

    node.visit(Reader())
    return found


def is_number(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))


def number(node: cst.CSTNode) -> Optional[float]:
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return None
    return None


def statement_targets(statement: cst.CSTNode) -> List[cst.CSTNode]:
    if isinstance(statement, cst.Assign):
        found = []
        for target in statement.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):
                found.extend(element.value for element in target.target.elements)
            else:
                found.append(target.target)
        return found
    if isinstance(statement, (cst.AugAssign, cst.AnnAssign)):
        return [statement.target]
    return []


class Program:
    """A parsed program with positions, parents, and the facts the operators share."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.wrapper = MetadataWrapper(cst.parse_module(source))
        self.module = self.wrapper.module
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.small_statements = [n for n in self.positions if isinstance(n, cst.BaseSmallStatement)]
        self.small_statements.sort(key=self.row)
        self.functions = {n.name.value: n for n in self.positions if isinstance(n, cst.FunctionDef)}
        self.weights, self.biases = self._parameters()
        self.network_values = self._network_values()

    # positions and places

    def row(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        while not isinstance(node, cst.BaseSmallStatement):
            node = self.parents[node]
        return node

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The function (or the module) a node belongs to."""
        while not isinstance(node, (cst.FunctionDef, cst.Module)):
            node = self.parents[node]
        return node

    def class_of(self, node: cst.CSTNode) -> Optional[cst.ClassDef]:
        while not isinstance(node, cst.Module):
            node = self.parents[node]
            if isinstance(node, cst.ClassDef):
                return node
        return None

    def nodes(self, kind) -> List[cst.CSTNode]:
        return sorted((n for n in self.positions if isinstance(n, kind)), key=self.row)

    def statements_in(self, scope: cst.CSTNode) -> List[cst.BaseSmallStatement]:
        return [s for s in self.small_statements if self.scope_of(s) is scope]

    # the network, by structure

    def _parameters(self) -> Tuple[Set[str], Set[str]]:
        """Tails of the locations multiplied as matrices (weights) or added to a product (biases)."""
        weights: Set[str] = set()
        biases: Set[str] = set()
        for node in self.positions:
            operands = matmul_operands(node)
            if operands:
                for operand in operands:
                    text = key(strip_transpose(operand))
                    if text:
                        weights.add(tail(text))
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
                for product, other in ((node.left, node.right), (node.right, node.left)):
                    text = key(other)
                    if is_matmul(product) and text:
                        biases.add(tail(text))
        return weights - {"self"}, biases - {"self"}

    def is_parameter(self, node: cst.CSTNode) -> bool:
        text = key(node)
        return bool(text) and tail(text) in (self.weights | self.biases)

    def _network_values(self) -> Set[str]:
        """Locations computed from a matrix product, directly or through other such values."""
        networked = {name for name, f in self.functions.items() if contains(f.body, is_matmul)}
        derived: Set[str] = set()

        def from_network(value: cst.CSTNode) -> bool:
            def hit(inner: cst.CSTNode) -> bool:
                if is_matmul(inner):
                    return True
                if isinstance(inner, cst.Call) and dotted(inner.func).rsplit(".", 1)[-1] in networked:
                    return True
                text = key(inner)
                return text is not None and text in derived
            return contains(value, hit)

        changed = True
        while changed:
            changed = False
            for statement in self.small_statements:
                if not isinstance(statement, (cst.Assign, cst.AnnAssign)) or statement.value is None:
                    continue
                for target in statement_targets(statement):
                    text = key(target)
                    if text and text not in derived and tail(text) not in self.weights \
                            and from_network(statement.value):
                        derived.add(text)
                        changed = True
        return derived

    def flows_into(self, start: str, scope: cst.CSTNode, after: int,
                   goal: Callable[[cst.CSTNode], bool]) -> bool:
        """Whether the value stored at ``start`` reaches a statement meeting ``goal`` later on."""
        carriers = {start}
        for statement in self.statements_in(scope):
            if self.row(statement) <= after:
                continue
            value = getattr(statement, "value", None)
            if value is None or not (reads(value) & carriers):
                continue
            if goal(statement):
                return True
            carriers |= {key(t) for t in statement_targets(statement) if key(t)}
        return False


# -- producing mutants ----------------------------------------------------------------------------


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: Dict[cst.CSTNode, object]) -> None:
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        if original_node in self.replacements:
            return self.replacements[original_node]
        return updated_node


def rewrite(program: Program, replacements: Dict[cst.CSTNode, object]) -> str:
    return program.module.visit(_Replace(replacements)).code


def derivative_variable(program: Program, node: cst.CSTNode) -> Optional[Tuple[cst.CSTNode, bool]]:
    """For an output-form derivative (``a * (1 - a)``, ``1 - a ** 2``, ``a > 0``, or a call of a
    function returning one), the node of ``a`` and whether the derivative is a ReLU step."""
    if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
        function = program.functions.get(dotted(node.func).rsplit(".", 1)[-1])
        if function is not None:
            params = [p.name.value for p in function.params.params if p.name.value != "self"]
            returns = [s for s in _body_statements(function) if isinstance(s, cst.Return)]
            if len(params) == 1 and len(returns) == 1 and returns[0].value is not None:
                inner = derivative_variable(program, returns[0].value)
                if inner and key(inner[0]) == params[0]:
                    return node.args[0].value, inner[1]
        if dotted(node.func).endswith("astype") and isinstance(node.func, cst.Attribute):
            return derivative_variable(program, node.func.value)
        if dotted(node.func) in ("np.where", "numpy.where", "np.heaviside") and node.args:
            return derivative_variable(program, node.args[0].value)
        return None
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1 \
            and isinstance(node.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual)) \
            and number(node.comparisons[0].comparator) == 0 and key(node.left):
        return node.left, True
    if isinstance(node, cst.BinaryOperation):
        left, right = node.left, node.right
        if isinstance(node.operator, cst.Multiply):
            for a, b in ((left, right), (right, left)):
                if number(a) is not None and isinstance(b, cst.Comparison):
                    return derivative_variable(program, b)
                if key(a) and _one_minus(b) == key(a):
                    return a, False
        if isinstance(node.operator, cst.Subtract) and number(left) == 1:
            squared = _squared(right)
            if squared is not None:
                return squared, False
    return None


def _one_minus(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) \
            and number(node.left) == 1:
        return key(node.right)
    return None


def _squared(node: cst.CSTNode) -> Optional[cst.CSTNode]:
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Power) and number(node.right) == 2 and key(node.left):
            return node.left
        if isinstance(node.operator, cst.Multiply) and key(node.left) \
                and key(node.left) == key(node.right):
            return node.left
    if isinstance(node, cst.Call) and node.args and key(node.args[0].value):
        name = dotted(node.func)
        if name in ("np.square", "numpy.square") or (name in ("np.power", "numpy.power")
                                                     and len(node.args) == 2
                                                     and number(node.args[1].value) == 2):
            return node.args[0].value
    return None


def _body_statements(function: cst.FunctionDef) -> List[cst.CSTNode]:
    found = []
    for line in function.body.body:
        if isinstance(line, cst.SimpleStatementLine):
            found.extend(line.body)
    return found


def _is_update(program: Program, statement: cst.CSTNode) -> bool:
    """An in-place step of a weight or bias: ``W -= ...``, ``W += ...`` or ``W = W - ...``."""
    if isinstance(statement, cst.AugAssign):
        return isinstance(statement.operator, (cst.SubtractAssign, cst.AddAssign)) \
            and program.is_parameter(statement.target)
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0].target, statement.value
        return program.is_parameter(target) and isinstance(value, cst.BinaryOperation) \
            and isinstance(value.operator, (cst.Subtract, cst.Add)) and key(value.left) == key(target)
    return False


def update_sign(program: Program) -> Iterator[Mutant]:
    flipped = {cst.SubtractAssign: cst.AddAssign, cst.AddAssign: cst.SubtractAssign}
    for statement in program.small_statements:
        if not _is_update(program, statement):
            continue
        if isinstance(statement, cst.AugAssign):
            operator = statement.operator
            new = flipped[type(operator)](whitespace_before=operator.whitespace_before,
                                          whitespace_after=operator.whitespace_after)
        else:
            operator = statement.value.operator
            new = (cst.Add if isinstance(operator, cst.Subtract) else cst.Subtract)(
                whitespace_before=operator.whitespace_before, whitespace_after=operator.whitespace_after)
        row = program.row(statement)
        # A step by a stored velocity (``W += v``) may be reported where the velocity is made.
        lines = frozenset() if key(statement.value) else frozenset({row})
        yield Mutant("update-sign", "BP201", lines, rewrite(program, {operator: new}), row,
                     f"flip the step of `{program.code(statement).strip()}`")


def output_error(program: Program) -> Iterator[Mutant]:
    """``y - out`` -> ``out - y``: the error between a network value and a target, backpropagated."""
    update_rows = [program.row(s) for s in program.small_statements if _is_update(program, s)]
    for statement in program.small_statements:
        if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
            continue
        target = key(statement.targets[0].target)
        difference = _difference_factor(statement.value)
        if target is None or difference is None:
            continue
        left, right = key(difference.left), key(difference.right)
        if left is None or right is None or target in (left, right):
            continue
        if left in program.network_values and right in program.network_values:
            continue
        if program.is_parameter(difference.left) or program.is_parameter(difference.right):
            continue
        if not program.flows_into(target, program.scope_of(statement), program.row(statement) - 1,
                                  lambda s: contains(s, is_matmul) or _is_update(program, s)):
            continue
        swapped = difference.with_changes(left=difference.right, right=difference.left)
        yield Mutant("output-error", "BP201", frozenset(update_rows),
                     rewrite(program, {difference: swapped}), program.row(statement),
                     f"swap the error `{program.code(difference)}`")


def _difference_factor(value: cst.CSTNode) -> Optional[cst.BinaryOperation]:
    """``a - b``, possibly the first factor of a product or the numerator of a quotient."""
    while isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Multiply, cst.Divide)):
        if isinstance(value.left, cst.BinaryOperation) and isinstance(value.left.operator, cst.Subtract):
            value = value.left
            break
        if isinstance(value.operator, cst.Multiply) and isinstance(value.right, cst.BinaryOperation) \
                and isinstance(value.right.operator, cst.Subtract):
            value = value.right
            break
        value = value.left
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract) \
            and len(value.lpar) <= 1:
        return value
    return None


# dropout


def _is_random_draw(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Call):
        return False
    name = dotted(node.func)
    return "random" in name or name.endswith(("binomial", "uniform", ".rand", ".random_sample"))


def _is_mask_expression(node: cst.CSTNode) -> bool:
    """A random binary draw: a random number compared with something, or a binomial draw."""
    def hit(inner: cst.CSTNode) -> bool:
        if isinstance(inner, cst.Comparison):
            return contains(inner, _is_random_draw)
        return isinstance(inner, cst.Call) and dotted(inner.func).endswith("binomial")
    return contains(node, hit)


def _masks(program: Program) -> Set[str]:
    found = set()
    for statement in program.small_statements:
        if isinstance(statement, cst.Assign) and _is_mask_expression(statement.value):
            found |= {key(t) for t in statement_targets(statement) if key(t)}
    return found


def _mask_products(program: Program) -> List[Tuple[cst.CSTNode, cst.CSTNode, cst.CSTNode]]:
    """Every ``x * mask`` (or ``x *= mask``): (node, the mask operand, the other operand)."""
    masks = _masks(program)
    found = []
    # ``0.5 * mask`` is arithmetic on the mask, not the mask applied to a value.
    for node in program.nodes((cst.BinaryOperation, cst.AugAssign)):
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            for mask, other in ((node.right, node.left), (node.left, node.right)):
                if is_number(other):
                    continue
                if key(mask) in masks or (isinstance(mask, cst.Comparison) and _is_mask_expression(mask)):
                    found.append((node, mask, other))
                    break
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.MultiplyAssign) \
                and key(node.value) in masks:
            found.append((node, node.value, node.target))
    return found


def mask_added(program: Program) -> Iterator[Mutant]:
    for node, mask, _ in _mask_products(program):
        operator = node.operator
        space = dict(whitespace_before=operator.whitespace_before, whitespace_after=operator.whitespace_after)
        if isinstance(node, cst.AugAssign):
            replacement = node.with_changes(operator=cst.AddAssign(**space))
        else:
            replacement = node.with_changes(operator=cst.Add(**space))
            if not node.lpar and isinstance(program.parents[node], (cst.BinaryOperation, cst.UnaryOperation)):
                replacement = replacement.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        row = program.row(node)
        yield Mutant("mask-added", "BP301", frozenset({row}), rewrite(program, {node: replacement}), row,
                     f"add the mask in `{program.code(program.statement_of(node)).strip()}`")


def mask_dropped_in_backward(program: Program) -> Iterator[Mutant]:
    """Remove the mask from a delta: every masking of a location after its first (forward) one."""
    seen: Set[str] = set()
    for node, mask, other in _mask_products(program):
        mask_key = key(mask)
        if mask_key not in seen:
            seen.add(mask_key or program.code(mask))
            continue
        statement = program.statement_of(node)
        if node is statement:
            replacement = cst.RemoveFromParent()
            target = program.parents[statement]
            if len(target.body) != 1:
                continue
        else:
            target, replacement = node, other
        yield Mutant("mask-dropped", "BP302", frozenset(),
                     rewrite(program, {target: replacement}), program.row(node),
                     f"drop the mask from `{program.code(statement).strip()}`")


# cached activations


def _self_attribute(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _cached_activations(program: Program) -> Iterator[Tuple[cst.FunctionDef, cst.Assign, str, List[cst.Attribute]]]:
    """``self.x = <computed>`` stored in one method and read in another, and stored nowhere else
    in the class: (the storing method, the store, the name, the reads in other methods)."""
    for cls in program.nodes(cst.ClassDef):
        if any(dotted(base.value) not in ("object", "") for base in cls.bases):
            continue
        methods = [f for f in program.nodes(cst.FunctionDef) if program.parents.get(program.parents[f]) is cls]
        stores: Dict[str, List[Tuple[cst.FunctionDef, cst.Assign]]] = {}
        reads_by_name: Dict[str, List[Tuple[cst.FunctionDef, cst.Attribute]]] = {}
        for method in methods:
            for node in program.nodes((cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Attribute)):
                if program.scope_of(node) is not method:
                    continue
                if isinstance(node, cst.Attribute):
                    name = _self_attribute(node)
                    if name and not _stored_at(program, node):
                        reads_by_name.setdefault(name, []).append((method, node))
                else:
                    for target in statement_targets(node):
                        name = _self_attribute(target)
                        if name:
                            stores.setdefault(name, []).append((method, node))
        for name, places in stores.items():
            if len(places) != 1:
                continue
            method, store = places[0]
            if method.name.value == "__init__" or not isinstance(store, cst.Assign) \
                    or len(store.targets) != 1 or number(store.value) is not None:
                continue
            elsewhere = [read for reader, read in reads_by_name.get(name, []) if reader is not method]
            if elsewhere:
                yield method, store, name, elsewhere


def _stored_at(program: Program, attribute: cst.Attribute) -> bool:
    parent = program.parents[attribute]
    if isinstance(parent, cst.AssignTarget) or (isinstance(parent, (cst.AugAssign, cst.AnnAssign))
                                                 and parent.target is attribute):
        return True
    return isinstance(parent, cst.Element) and isinstance(program.parents[parent], (cst.Tuple, cst.List)) \
        and isinstance(program.parents[program.parents[parent]], cst.AssignTarget)


def _localise(program: Program, method: cst.FunctionDef, name: str, after: int) -> Dict[cst.CSTNode, object]:
    """Turn every ``self.name`` of ``method`` from row ``after`` on into the local ``name``."""
    return {node: cst.Name(name) for node in program.nodes(cst.Attribute)
            if _self_attribute(node) == name and program.scope_of(node) is method
            and program.row(node) >= after}


def _binds(program: Program, function: cst.FunctionDef, name: str) -> bool:
    """Whether ``name`` already means something in ``function``: a local, a global or a builtin."""
    def bare(node: cst.CSTNode) -> bool:
        parent = program.parents[node]
        return not (isinstance(parent, cst.Attribute) and parent.attr is node)

    return any(isinstance(n, cst.Name) and n.value == name and bare(n) for n in program.positions
               if program.scope_of(n) is function) or name in dir(__builtins__) \
        or any(key(t) == name for s in program.statements_in(program.module) for t in statement_targets(s))


def attribute_not_cached(program: Program) -> Iterator[Mutant]:
    """Forward keeps an activation in a local instead of ``self.x``: backward reads ``self.x``."""
    for method, store, name, elsewhere in _cached_activations(program):
        replacements = _localise(program, method, name, program.row(store))
        yield Mutant("self-dropped-in-forward", "BP102", frozenset(program.row(r) for r in elsewhere),
                     rewrite(program, replacements), program.row(store),
                     f"store `self.{name}` as a local of {method.name.value}")


def forward_local_read(program: Program) -> Iterator[Mutant]:
    """Forward keeps a local and backward reads the bare name, as if it were shared."""
    for method, store, name, elsewhere in _cached_activations(program):
        readers = {program.scope_of(read) for read in elsewhere}
        if any(_binds(program, reader, name) for reader in readers):
            continue
        replacements = _localise(program, method, name, program.row(store))
        for read in elsewhere:
            replacements[read] = cst.Name(name)
        yield Mutant("self-dropped-in-backward", "BP101", frozenset(program.row(r) for r in elsewhere),
                     rewrite(program, replacements), program.row(store),
                     f"read `{name}` (a local of {method.name.value}) in {program.scope_of(elsewhere[0]).name.value}")


# shapes


def dropped_transpose(program: Program, shapes: "ShapeOracle") -> Iterator[Mutant]:
    for node in program.positions:
        operands = matmul_operands(node)
        if not operands:
            continue
        for operand in operands:
            base = transposed(operand)
            if base is None:
                continue
            row = program.row(node)
            square = shapes.square(program.code(base).strip(), row)
            yield Mutant("dropped-transpose", "BP401", frozenset({row}), rewrite(program, {operand: base}),
                         row, f"drop the transpose of `{program.code(base).strip()}`",
                         also=SHAPE_CODES, equivalent=f"`{program.code(base).strip()}` is square" if square else None)


def unsummed_bias(program: Program, shapes: "ShapeOracle") -> Iterator[Mutant]:
    """``db = np.sum(delta, axis=0)`` -> ``db = delta``, for a gradient that updates a bias."""
    bias_updates = [s for s in program.small_statements
                    if _is_update(program, s) and tail(key(_target(s)) or "") in program.biases]
    for call in program.nodes(cst.Call):
        summed = _summed_operand(call)
        if summed is None:
            continue
        statement = program.statement_of(call)
        if statement in bias_updates:
            lines = {program.row(statement)}
        else:
            targets = {key(t) for t in statement_targets(statement)} - {None}
            lines = {program.row(u) for u in bias_updates if reads(u.value) & targets}
        if not lines:
            continue
        operand, axis = summed
        row = program.row(call)
        size_one = shapes.axis_is_one(program.code(operand).strip(), row, axis)
        yield Mutant("unsummed-bias", "BP402", frozenset(lines), rewrite(program, {call: operand}), row,
                     f"use `{program.code(operand).strip()}` unsummed as the bias gradient", also=SHAPE_CODES,
                     equivalent="the summed axis has size 1" if size_one else None)


def _target(statement: cst.CSTNode) -> cst.CSTNode:
    return statement.target if isinstance(statement, cst.AugAssign) else statement.targets[0].target


def _summed_operand(call: cst.Call) -> Optional[Tuple[cst.CSTNode, int]]:
    """(the operand, the axis) of ``np.sum(x, axis=k)``, ``x.sum(axis=k)`` or ``np.mean``."""
    name = dotted(call.func)
    args = list(call.args)
    if name in ("np.sum", "numpy.sum", "np.mean", "numpy.mean") and args and not args[0].keyword:
        operand, rest = args[0].value, args[1:]
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value in ("sum", "mean") \
            and name not in ("np.sum", "np.mean"):
        operand, rest = call.func.value, args
    else:
        return None
    axis = None
    for position, arg in enumerate(rest):
        if (arg.keyword and arg.keyword.value == "axis") or (arg.keyword is None and position == 0):
            axis = number(arg.value)
    if axis is None or key(operand) is None:
        return None
    return operand, int(axis)


# gradient math


def _activations(program: Program) -> Dict[str, cst.CSTNode]:
    """``a = f(z)`` for a non-linear ``f``: the pre-activation node by the activation's text."""
    found: Dict[str, List[cst.CSTNode]] = {}
    for statement in program.small_statements:
        if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
            continue
        target = key(statement.targets[0].target)
        pre = _activation_argument(program, statement.value)
        if target and pre is not None and key(pre) and key(pre) != target:
            found.setdefault(target, []).append(pre)
    return {k: v[0] for k, v in found.items() if len({key(p) for p in v}) == 1}


def _activation_argument(program: Program, value: cst.CSTNode) -> Optional[cst.CSTNode]:
    if not isinstance(value, cst.Call):
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Divide) \
                and number(value.left) == 1:  # 1 / (1 + np.exp(-z))
            exps = [n for n in (value.right.left, value.right.right) if isinstance(value.right, cst.BinaryOperation)
                    for n in [n] if isinstance(n, cst.Call) and dotted(n.func).endswith("exp")] \
                if isinstance(value.right, cst.BinaryOperation) else []
            if exps and exps[0].args and isinstance(exps[0].args[0].value, cst.UnaryOperation):
                return exps[0].args[0].value.expression
        return None
    name = dotted(value.func)
    args = [a.value for a in value.args if not a.keyword]
    if name in ("np.tanh", "numpy.tanh") and len(args) == 1:
        return args[0]
    if name in ("np.maximum", "numpy.maximum") and len(args) == 2 and number(args[0]) == 0:
        return args[1]
    function = program.functions.get(name.rsplit(".", 1)[-1])
    if function is not None and len(args) == 1 and not contains(function.body, is_matmul):
        return args[0]
    return None


def derivative_of_preactivation(program: Program) -> Iterator[Mutant]:
    activations = _activations(program)
    for node in program.positions:
        if not isinstance(node, (cst.Call, cst.BinaryOperation, cst.Comparison)):
            continue
        found = derivative_variable(program, node)
        if found is None or key(found[0]) not in activations:
            continue
        if isinstance(program.parents[node], (cst.BinaryOperation, cst.Comparison, cst.Call, cst.Arg)) \
                and derivative_variable(program, _outer(program, node)) is not None:
            continue  # the enclosing derivative is the site
        variable, relu = found
        pre = activations[key(variable)]
        scope = program.scope_of(node)
        if not _reaches(program, pre, scope) or not contains(scope, lambda n: is_matmul(n) or _is_update(program, n)):
            continue  # the pre-activation is not at hand here, or this is a derivative's own definition
        name = key(variable)
        replacements = {n: pre for n in _all_reads(program, node, name)}
        row = program.row(node)
        yield Mutant("derivative-of-preactivation", "BP203", frozenset({row}),
                     rewrite(program, replacements), row,
                     f"take the derivative `{program.code(node).strip()}` of `{program.code(pre).strip()}`",
                     equivalent="a ReLU step is the same on z and relu(z)" if relu else None)


def _reaches(program: Program, pre: cst.CSTNode, scope: cst.CSTNode) -> bool:
    """Whether the pre-activation can be read in ``scope``: stored state, or a local of it."""
    return isinstance(pre, (cst.Attribute, cst.Subscript)) or program.scope_of(pre) is scope


def _outer(program: Program, node: cst.CSTNode) -> cst.CSTNode:
    parent = program.parents[node]
    while isinstance(parent, (cst.Arg, cst.ComparisonTarget)):
        parent = program.parents[parent]
    return parent


def _all_reads(program: Program, node: cst.CSTNode, name: str) -> List[cst.CSTNode]:
    found = []

    class Reader(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if key(inner) == name:
                found.append(inner)
                return False
            return True

    node.visit(Reader())
    return found


def missing_derivative(program: Program) -> Iterator[Mutant]:
    """A hidden delta loses its derivative factor: ``(d @ W.T) * f'(a)`` -> ``d @ W.T``."""
    for node in program.nodes(cst.BinaryOperation):
        if not isinstance(node.operator, cst.Multiply):
            continue
        for derivative, other in ((node.right, node.left), (node.left, node.right)):
            if derivative_variable(program, derivative) and _backpropagated(program, other, node) \
                    and derivative_variable(program, other) is None:
                row = program.row(node)
                yield Mutant("missing-derivative", "BP204", frozenset(), rewrite(program, {node: _unwrap(other)}),
                             row, f"drop the factor `{program.code(derivative).strip()}`")
                break
    for statement in program.small_statements:
        if isinstance(statement, cst.AugAssign) and isinstance(statement.operator, cst.MultiplyAssign) \
                and derivative_variable(program, statement.value):
            target = key(statement.target)
            assigned = [s for s in program.statements_in(program.scope_of(statement))
                        if program.row(s) < program.row(statement) and isinstance(s, cst.Assign)
                        and target in {key(t) for t in statement_targets(s)}]
            line = program.parents[statement]
            if assigned and contains(assigned[-1].value, is_matmul) and len(line.body) == 1:
                yield Mutant("missing-derivative", "BP204", frozenset(),
                             rewrite(program, {line: cst.RemoveFromParent()}), program.row(statement),
                             f"delete `{program.code(statement).strip()}`")


def _backpropagated(program: Program, value: cst.CSTNode, at: cst.CSTNode) -> bool:
    """An error carried back through a weight: a matrix product, or a location last set to one."""
    if contains(value, is_matmul):
        return True
    text = key(value)
    if text is None:
        return False
    row = program.row(at)
    assigned = [s for s in program.statements_in(program.scope_of(at)) if program.row(s) < row
                and isinstance(s, cst.Assign) and text in {key(t) for t in statement_targets(s)}]
    return bool(assigned) and contains(assigned[-1].value, is_matmul)


def _unwrap(node: cst.CSTNode) -> cst.CSTNode:
    if getattr(node, "lpar", None):
        return node.with_changes(lpar=[], rpar=[]) if len(node.lpar) == 1 else node
    return node


# numerics


def unshifted_softmax(program: Program) -> Iterator[Mutant]:
    """``np.exp(z - np.max(z, ...))`` -> ``np.exp(z)`` (the shift may be a statement of its own)."""
    for node in program.nodes(cst.BinaryOperation):
        if not isinstance(node.operator, cst.Subtract) or not isinstance(node.right, cst.Call):
            continue
        name = dotted(node.right.func)
        shifted = key(node.left)
        if name in ("np.max", "numpy.max", "np.amax"):
            of = key(node.right.args[0].value) if node.right.args else None
        elif isinstance(node.right.func, cst.Attribute) and node.right.func.attr.value == "max":
            of = key(node.right.func.value)
        else:
            continue
        if shifted is None or of != shifted:
            continue
        statement = program.statement_of(node)
        targets = {key(t) for t in statement_targets(statement)} - {None}
        exps = [c for c in program.nodes(cst.Call) if dotted(c.func) in ("np.exp", "numpy.exp")
                and program.scope_of(c) is program.scope_of(node)
                and (contains(c, lambda n: n is node) or (c.args and key(c.args[0].value) in targets))]
        if not exps:
            continue
        row = program.row(node)
        yield Mutant("unshifted-softmax", "BP501", frozenset(program.row(c) for c in exps),
                     rewrite(program, {node: node.left.with_changes(lpar=node.lpar, rpar=node.rpar)
                                       if node.lpar and len(node.lpar) > 1 else node.left}), row,
                     f"drop the max-shift `{program.code(node).strip()}`")


def log_without_epsilon(program: Program) -> Iterator[Mutant]:
    """``np.log(p + eps)``, ``np.log(np.clip(p, ...))`` or ``np.log(np.maximum(p, eps))`` -> ``np.log(p)``."""
    for call in program.nodes(cst.Call):
        if dotted(call.func) not in ("np.log", "numpy.log") or len(call.args) != 1:
            continue
        argument = call.args[0].value
        guarded = _guarded_probability(program, argument)
        if guarded is None:
            continue
        row = program.row(call)
        yield Mutant("log-without-epsilon", "BP504", frozenset({row}),
                     rewrite(program, {argument: guarded.with_changes(lpar=[], rpar=[])
                                       if hasattr(guarded, "lpar") else guarded}), row,
                     f"drop the guard of `{program.code(call).strip()}`")


def _guarded_probability(program: Program, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        for value, guard in ((node.left, node.right), (node.right, node.left)):
            if _is_small(program, guard) and key(value) is not None or (
                    _is_small(program, guard) and isinstance(value, cst.Subscript)):
                return value
    if isinstance(node, cst.Call) and dotted(node.func) in ("np.clip", "numpy.clip", "np.maximum",
                                                            "numpy.maximum") and len(node.args) >= 2:
        value = node.args[0].value
        if _is_small(program, node.args[1].value) and (key(value) or isinstance(value, cst.Subscript)):
            return value
    return None


def _is_small(program: Program, node: cst.CSTNode) -> bool:
    """A small positive constant: a literal below 1e-3, or a name bound to one."""
    value = number(node)
    if value is None and key(node) is not None:
        for statement in program.small_statements:
            if isinstance(statement, cst.Assign) and key(node) in {key(t) for t in statement_targets(statement)}:
                value = number(statement.value)
    return value is not None and 0 < value < 1e-3


# moved update


def update_before_backprop(program: Program) -> Iterator[Mutant]:
    """Move a weight's update above the statement that carries the error back through that weight."""
    for block in program.nodes((cst.IndentedBlock, cst.Module)):
        lines = list(block.body)
        for j, line in enumerate(lines):
            if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 \
                    or not _is_update(program, line.body[0]):
                continue
            update = line.body[0]
            weight = tail(key(_target(update)))
            if weight not in program.weights:
                continue
            before = [i for i in range(j) if contains(lines[i], lambda n: _multiplies(n, weight))]
            if not before:
                continue
            i = before[-1]
            if not isinstance(lines[i], cst.SimpleStatementLine) or not _bound_before(program, lines, i, update):
                continue
            moved = lines[:i] + [line] + lines[i:j] + lines[j + 1:]
            row = program.row(lines[i])
            new_block = block.with_changes(body=moved)
            yield Mutant("update-before-backprop", "BP103", frozenset(),
                         rewrite(program, {block: new_block}), program.row(update),
                         f"move `{program.code(update).strip()}` above row {row}")


def _multiplies(node: cst.CSTNode, weight: str) -> bool:
    operands = matmul_operands(node)
    return bool(operands) and any(key(strip_transpose(o)) and tail(key(strip_transpose(o))) == weight
                                  for o in operands)


def _bound_before(program: Program, lines: Sequence[cst.CSTNode], index: int, update: cst.CSTNode) -> bool:
    """Whether every local the update reads is bound by the statements before ``index``."""
    scope = program.scope_of(update)
    later = set()
    for line in lines[index:]:
        for statement in getattr(line, "body", ()):
            if isinstance(statement, cst.BaseSmallStatement):
                later |= {key(t) for t in statement_targets(statement)} - {None}
    return not (reads(update.value) & later) and scope is not None


# -- the shapes of operands ----------------------------------------------------------------------


class ShapeOracle:
    """The shapes bplint infers for stored locations, to set equivalent mutants apart."""

    def __init__(self, source: str) -> None:
        self.rows: List[Tuple[int, str, object]] = []
        try:
            from bplint.engine import FileContext, build_model
            from bplint.files import SourceFile

            module = cst.parse_module(source)
            context = FileContext(SourceFile("<mutant>", source), module, build_model(module))
            analysis = context.analysis
            view = analysis.views[-1]
            for function, values in view.parameters.items():
                for name, value in values.items():
                    self.rows.append((context.line_of(function.node), name, value.shape))
            for statement, (_, value) in view.assignments.items():
                for target in statement_targets(statement):
                    text = key(target)
                    if text:
                        self.rows.append((context.line_of(statement), text, value.shape))
        except Exception:  # noqa: BLE001 - without shapes no mutant is called equivalent
            self.rows = []

    def shape(self, text: str, row: int):
        candidates = [(r, s) for r, name, s in self.rows if name == text]
        before = [c for c in candidates if c[0] <= row] or candidates
        return max(before, key=lambda c: c[0])[1] if before else None

    def square(self, text: str, row: int) -> bool:
        shape = self.shape(text, row)
        return shape is not None and len(shape) == 2 and shape[0] == shape[1] \
            and not _unknown(shape[0])

    def axis_is_one(self, text: str, row: int, axis: int) -> bool:
        shape = self.shape(text, row)
        return shape is not None and -len(shape) <= axis < len(shape) and shape[axis] == 1


def _unknown(dim) -> bool:
    return dim is None or getattr(dim, "name", "") == "?"


OPERATORS: Sequence[Tuple[str, Callable]] = (
    ("update-sign", update_sign),
    ("output-error", output_error),
    ("mask-added", mask_added),
    ("mask-dropped", mask_dropped_in_backward),
    ("self-dropped-in-forward", attribute_not_cached),
    ("self-dropped-in-backward", forward_local_read),
    ("dropped-transpose", dropped_transpose),
    ("update-before-backprop", update_before_backprop),
    ("derivative-of-preactivation", derivative_of_preactivation),
    ("missing-derivative", missing_derivative),
    ("unsummed-bias", unsummed_bias),
    ("unshifted-softmax", unshifted_softmax),
    ("log-without-epsilon", log_without_epsilon),
)

_NEEDS_SHAPES = {"dropped-transpose", "unsummed-bias"}


def mutants(source: str, operators: Iterable[str] = ()) -> List[Mutant]:
    """Every mutant of a program (that still parses and differs from it), operator by operator."""
    wanted = set(operators)
    program = Program(source)
    shapes = None
    found: List[Mutant] = []
    for name, operator in OPERATORS:
        if wanted and name not in wanted:
            continue
        if name in _NEEDS_SHAPES:
            shapes = shapes or ShapeOracle(source)
            produced = operator(program, shapes)
        else:
            produced = operator(program)
        for mutant in produced:
            if mutant.source != source and _parses(mutant.source):
                found.append(mutant)
    unique: Dict[str, Mutant] = {}
    for mutant in found:
        unique.setdefault(mutant.source, mutant)
    return list(unique.values())


def _parses(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def diff(original: str, mutant: Mutant, path: str = "program.py") -> str:
    return "".join(difflib.unified_diff(original.splitlines(True), mutant.source.splitlines(True),
                                        f"a/{path}", f"b/{path}", n=1))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--operator", action="append", default=[], help="only this operator")
    parser.add_argument("--show", type=int, help="print mutant N of the (single) file as a diff")
    args = parser.parse_args(argv)
    for path in args.paths:
        source = Path(path).read_text(encoding="utf-8")
        found = mutants(source, args.operator)
        if args.show is not None:
            sys.stdout.write(diff(source, found[args.show], path))
            continue
        for number_, mutant in enumerate(found):
            lines = ",".join(map(str, sorted(mutant.lines))) or "any"
            note = f"  [equivalent: {mutant.equivalent}]" if mutant.equivalent else ""
            print(f"{path}:{mutant.row}: #{number_} {mutant.operator} -> {mutant.code} at {lines}: "
                  f"{mutant.description}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
