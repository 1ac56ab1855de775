"""What a value is in the network: pre-activation, activation, derivative factor, error.

The interpreter tags values as it meets them (``X @ W``, ``np.tanh(z)``, ``a * (1 - a)``,
``probs - y``) and notes the facts the gradient-math rules read: derivatives applied in the
chain rule, a derivative applied twice to a cross-entropy gradient, a hidden derivative applied
to the output error, logs of probabilities, softmaxes without the max shift.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from bplint.analysis import direction as dirn
from bplint.analysis.activations import (
    IDENTITY, INPUT_FORM, OUTPUT_FORM, SIGMOID, SOFTMAX, Activation, Derivative, TermBuilder,
    classify_expression,
)
from bplint.analysis.facts import DerivativeFact
from bplint.analysis.values import Direction, Source, Value, combine_sources
from bplint.model.build import dotted_name


class NetworkKinds:
    """Methods of the :class:`~bplint.analysis.interpreter.Interpreter` (a mixin: it shares the
    interpreter's state)."""

    def _inline_kind(self, node, value: Value) -> Value:
        """Tag an inline activation (``np.maximum(0, z)``) or derivative (``a * (1 - a)``)."""
        if node not in self.expression_classes:
            owner = self.frame.function.owner if self.frame.function else None
            self.expression_classes[node] = classify_expression(
                self.model.module, node, lambda call: self.catalogue.callee(call, owner))
        found = self.expression_classes[node]
        if found is None:
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
                self._chain_derivative(node, value)
            if isinstance(node, cst.BinaryOperation) and value.kind is None:
                return self._pre_activation(node, value)
            return value
        recognised, leaf = found
        return self._apply(recognised, self.eval(leaf), value, node)

    def _chain_derivative(self, node: cst.BinaryOperation, value: Value) -> None:
        """``delta * a * (1 - a)``: a sigmoid derivative spread over a chain of factors."""
        if value.direction not in (Direction.GRADIENT, Direction.NEGATIVE_GRADIENT, Direction.TOP):
            return
        factors = _factors(node)
        for factor in factors:
            for partner in factors:
                if isinstance(partner, cst.BinaryOperation) and isinstance(partner.operator, cst.Subtract) \
                        and is_one(partner.left) and partner.right.deep_equals(factor):
                    owner = self.frame.function.owner if self.frame.function else None
                    builder = TermBuilder(self.model.module, None,
                                          lambda call: self.catalogue.callee(call, owner))
                    term = builder.build(factor)
                    if term is None or builder.leaf_node is None:
                        continue
                    if term == ("x",):
                        recognised = Derivative(SIGMOID, OUTPUT_FORM)
                    elif term[0] == "act" and term[1] == SIGMOID and term[2] == ("x",):
                        recognised = Derivative(SIGMOID, INPUT_FORM)
                    else:
                        continue
                    derived = self._apply(recognised, self.eval(builder.leaf_node), value, partner)
                    fact = derived.kind[1]
                    self.derivatives.setdefault(fact.node, fact)
                    for other in factors:
                        if other is not factor and other is not partner and \
                                isinstance(other, (cst.Name, cst.Attribute, cst.Subscript, cst.BinaryOperation)):
                            self._note_loss_gradient(self.eval(other), fact, node)
                    return

    def _softmax(self, exponentials: Value, total: Value) -> Value:
        """``e / e.sum(...)`` with ``e = np.exp(z)`` computed in an earlier statement."""
        _, exp_node, shifted, source = exponentials.kind
        if not shifted and source == Source.NETWORK:
            self.unshifted_softmax.add(exp_node)
        direction, sign = dirn.product_direction(exponentials, total)
        return Value(source=combine_sources(exponentials.source, total.source),
                     direction=direction, sign=sign, kind=("act", SOFTMAX, None))

    def _pre_activation(self, node: cst.BinaryOperation, value: Value) -> Value:
        """``X @ W`` and ``X @ W + b`` are pre-activations."""
        if isinstance(node.operator, cst.MatrixMultiply):
            return value.with_(kind=("pre", node))
        return value

    def _apply(self, recognised, argument: Value, value: Value, node) -> Value:
        """The value of an activation or derivative applied to ``argument``, with its kind."""
        if isinstance(recognised, Activation):
            pre = argument.kind[1] if argument.kind and argument.kind[0] == "pre" else None
            if recognised.function == SOFTMAX and not recognised.shifted \
                    and argument.source == Source.NETWORK and argument.kind != ("shifted",):
                self.unshifted_softmax.add(node)
            if recognised.function == IDENTITY:
                return value
            if recognised.function == SIGMOID and argument.kind == BOUNDED:
                # ``sigmoid(np.clip(z, a, b))`` never reaches 0 or 1: as kept away as ``p + eps``
                return value.with_(kind=("near", SIGMOID, pre))
            return value.with_(kind=("act", recognised.function, pre))
        argument_activation = None
        if argument.kind and argument.kind[0] == "pre":
            argument_activation = self.activation_of_pre.get(argument.kind[1])
        fact = DerivativeFact(node, recognised.function, recognised.form, argument.kind,
                              argument_activation)
        return value.with_(kind=("deriv", fact))

    def _note_chain_rule(self, left: Value, right: Value, node=None) -> None:
        """A derivative factor that multiplies a gradient is a step of the chain rule."""
        for factor, other in ((left, right), (right, left)):
            if factor.kind and factor.kind[0] == "deriv" and \
                    other.direction in (Direction.GRADIENT, Direction.NEGATIVE_GRADIENT, Direction.TOP):
                fact = factor.kind[1]
                self.derivatives.setdefault(fact.node, fact)
                self._note_loss_gradient(other, fact, node)
                self._note_broken_chain(other, fact, node)

    def _note_broken_chain(self, gradient: Value, fact: DerivativeFact, node) -> None:
        """A hidden layer's derivative applied to an error never carried back through a weight."""
        argument = fact.argument_kind
        if node is None or not argument or argument[0] != "act":
            return
        if argument[2] in self.feeding_activations and gradient.is_gradient_like \
                and not gradient.propagated and gradient.origin is not None:
            self.observed.broken_chains.setdefault(node, fact)

    def _note_loss_gradient(self, error: Value, fact: DerivativeFact, node) -> None:
        """``(p - y) * p * (1 - p)``: the error of an activation times that activation's slope."""
        if node is None or not error.kind or error.kind[0] != "error":
            return
        argument = fact.argument_kind
        activation = error.kind[1]
        # ``p * (1 - p)`` is also what people write as the (diagonal) softmax derivative.
        same = fact.function == activation or (activation == SOFTMAX and fact.function == SIGMOID)
        if same and argument and argument[0] == "act" and argument[1] == activation:
            self.loss_gradient_products.setdefault(node, (activation, argument[2]))

    def _note_log(self, node, argument: Value) -> None:
        """``np.log`` of a probability: a cross-entropy (and, unguarded, a risk of log(0))."""
        kind = argument.kind
        if kind and kind[0] in ("act", "one_minus", "near"):
            self.logs_of.add(kind[1])
            self.logged_layers.add((kind[1], kind[2]))
            if kind[0] != "near" and kind[1] in (SIGMOID, SOFTMAX):
                self.unguarded_logs.setdefault(node, kind[1])


def _factors(node) -> list:
    """The factors of a chain of products: ``a * b * (1 - b)`` gives a, b and ``(1 - b)``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return _factors(node.left) + _factors(node.right)
    return [node]


def is_one(node) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and node.evaluated_value == 1


def near(left: Value, right: Value) -> Optional[tuple]:
    """``p + 1e-12``: a probability kept away from zero."""
    for probability, offset in ((left, right), (right, left)):
        kind = probability.kind
        if kind and kind[0] in ("act", "one_minus") and offset.source == Source.CONST:
            return ("near", kind[1], kind[2])
    return None


# The kind of a clipped value that is not a probability: bounded, so a sigmoid of it is too.
BOUNDED = ("bounded",)


def clipped(value: Value) -> Optional[tuple]:
    """The kind of ``np.clip(value, ...)``: a probability kept away from 0 and 1, else bounded."""
    kind = value.kind
    return ("near", kind[1], kind[2]) if kind and kind[0] in ("act", "one_minus") else BOUNDED


def subtracts_its_max(node: cst.BinaryOperation) -> bool:
    """``z - z.max(...)`` or ``z - np.max(z, ...)``."""
    right = node.right
    if not isinstance(right, cst.Call):
        return False
    func = right.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("max", "amax"):
        if dotted_name(func.value) in ("np", "numpy"):
            return bool(right.args) and right.args[0].value.deep_equals(node.left)
        return func.value.deep_equals(node.left)
    return False
