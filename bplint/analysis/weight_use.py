"""How parameters are used: as weights or biases of a product, read after an update, initialised."""

from __future__ import annotations

import libcst as cst

from bplint.analysis.activations import chained
from bplint.analysis.values import Direction, Source, Value
from bplint.model.build import is_matrix_product
from bplint.model.locations import draws_noise, is_numeric_literal, location_key, read_locations


class WeightUse:
    """Methods of the :class:`~bplint.analysis.interpreter.Interpreter` (a mixin: it shares the
    interpreter's state)."""

    def _note_weights(self, *operands: Value, node=None) -> None:
        """Parameters that multiply activations in a matrix product are the network's weights.

        The product also tells, for each weight: which layer's output it multiplies (a weight
        whose own output goes on through an activation into another weight feeds a hidden
        layer), and whether it is read to carry a gradient back after it was already updated.
        """
        carried_back = None
        for operand in operands:
            if operand.location is None:
                continue
            self.weights.add(operand.location)
            others = [o for o in operands if o is not operand]
            if node is not None:
                self.weight_of_product.setdefault(node, operand.location)
            for other in others:
                kind = other.kind
                if kind and kind[0] == "act":
                    self.input_activation[operand.location] = kind[1]
                    self.feeding_activations.add(kind[2])
                    if kind[2] in self.weight_of_product:
                        self.hidden_weights.add(self.weight_of_product[kind[2]])
                if other.is_gradient_like:
                    self._propagated = True
                self._note_stale_read(operand.location, other, node)
                if other.dropped is not None and not other.is_gradient_like:
                    self.dropped_input[operand.location] = other.dropped
                if other.is_gradient_like and chained(self.input_activation.get(operand.location)):
                    carried_back = node
                if other.is_gradient_like and operand.location in self.dropped_input and node:
                    self._undropped = (node, self.dropped_input[operand.location])
        return carried_back

    def _note_stale_read(self, key: str, other: Value, node) -> None:
        updated = self.frame.updated
        if other.is_gradient_like or other.direction == Direction.TOP:
            if key in updated and node is not None:
                self.observed.stale_reads.setdefault(node, (key, updated[key]))
        else:
            updated.pop(key, None)  # used by a forward pass: the update was meant for it

    def _note_bias(self, left: tuple, right: tuple) -> None:
        """A parameter added to a matrix product (``x @ W + b``) is a bias.

        Each side is a (value, expression) pair. Only a product counts: a Lagrange multiplier
        added to a constraint (``lam + rho * violation``) is not part of the network.
        """
        for (parameter, _), (other, expression) in ((left, right), (right, left)):
            if parameter.location is not None and is_matrix_product(expression):
                self.weights.add(parameter.location)

    def _parameter_initialisation(self, target, value: Value) -> Value:
        """A zero-filled parameter (a bias) is a parameter, not the empty start of a gradient sum.

        Parameters live in attributes, containers or module globals, or are made by a function
        that returns them; a gradient accumulator is zeroed in the function that sums into it, or
        inside a script's loop.
        """
        key = location_key(target)
        if key is None:
            return value
        if key + "[]" in self.trainable:
            if value.items is not None:
                return value.with_(items=tuple(self._zero_parameter(v) for v in value.items))
            if value.entries is not None:
                return value.with_(entries=tuple((k, self._zero_parameter(v)) for k, v in value.entries))
            if key + "[]" in self.model.weight_keys:
                # ``[np.zeros((1, n)) for n in sizes]``: biases added to matrix products
                return self._zero_parameter(value)
        if value.direction != Direction.ZERO or key not in self.trainable:
            return value
        if key in self.model.weight_keys:
            return self._zero_parameter(value)  # a bias: added to a matrix product
        if isinstance(target, cst.Name):
            function = self.frame.function
            if function is not None and target.value not in function.declared_global:
                if key in function.updated_keys:
                    return value  # zeroed here and summed here: an accumulator
            elif self.loop_depth > 0:
                return value  # zeroed inside a script's training loop: an accumulator
        return self._zero_parameter(value)

    @staticmethod
    def _zero_parameter(value: Value) -> Value:
        return value.with_(direction=Direction.NONE) if value.direction == Direction.ZERO else value

    def _note_initialisation(self, target, value: Value, statement) -> None:
        """How each location is first filled: zeros or a constant, integers, or anything else."""
        key = location_key(target)
        if key is None or isinstance(statement, (cst.AugAssign,)) or statement in self.model.update_sites:
            return
        if value.kind and value.kind[0] == "constant_init":
            self.observed.constant_inits.setdefault(key, statement)
        elif value.source != Source.BOTTOM:
            self.observed.other_inits.add(key)
        if value.integer:
            self.observed.integer_inits.setdefault(key, statement)


def scalar_biases(model) -> set:
    """Plain names set to a number and added to a matrix product (``b = 0.0``, ``X @ w + b``),
    then moved by a computed step: a scalar bias, trained like any other parameter.

    The model leaves names that once held a number out of the trainable locations (counters,
    loss totals); one added to a matrix product outside its own updates
    (``s = s + x @ w`` is a sum) is part of the network.
    """
    candidates = set()
    for site in model.update_sites.values():
        key = site.key
        if not key or key not in model.scalar_locations or key not in model.weight_keys \
                or not isinstance(site.target, cst.Name) or is_numeric_literal(site.change):
            continue
        if draws_noise(site.change) or read_locations(site.change) <= {key}:
            continue
        candidates.add(key)
    if not candidates:
        return set()
    found = set()

    class _Biases(cst.CSTVisitor):
        def __init__(self) -> None:
            self.assigned: list = []

        def visit_Assign(self, node: cst.Assign) -> None:
            self.assigned.append({location_key(t.target) for t in node.targets})

        def leave_Assign(self, node: cst.Assign) -> None:
            self.assigned.pop()

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self.assigned.append({location_key(node.target)})

        def leave_AugAssign(self, node: cst.AugAssign) -> None:
            self.assigned.pop()

        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if not isinstance(node.operator, cst.Add):
                return
            for name, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(name, cst.Name) and name.value in candidates \
                        and is_matrix_product(other) \
                        and not any(name.value in targets for targets in self.assigned):
                    found.add(name.value)

    for _, tree in model.bodies():
        tree.visit(_Biases())
    return found


def through_weight(left: Value, right: Value) -> bool:
    """A gradient times a weight (``err * w2``, ``np.outer(d, w2)``): carried back through it."""
    return (left.is_gradient_like and right.location is not None) or \
        (right.is_gradient_like and left.location is not None)
