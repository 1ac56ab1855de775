"""Derivatives of activations in backward: BP202 (wrong function), BP203 (wrong argument),
BP205 (a derivative applied to a gradient that already includes it)."""

from __future__ import annotations

from typing import Iterable, Optional

from bplint.analysis.activations import ANY_FORM, BY_KEY, INPUT_FORM, OUTPUT_FORM, RELU, title
from bplint.analysis.facts import DerivativeFact
from bplint.checks import layers
from bplint.checks.base import Check, FileContext, Report
from bplint.model.locations import location_key, read_locations

def _activation_of(fact: DerivativeFact) -> Optional[str]:
    """The activation that produced the derivative's argument in forward, if known."""
    kind = fact.argument_kind
    if kind and kind[0] == "act":
        return kind[1]
    return fact.argument_activation


def _right_derivative(context: FileContext, fact: DerivativeFact, function: str) -> Optional[str]:
    """The derivative of ``function`` for the layer ``fact``'s factor is applied to, written on
    the program's own expressions: on the activation it is applied to, else on the activation
    forward stored for that pre-activation, else on the pre-activation itself."""
    argument = layers.derivative_argument(context, fact.node)
    kind = fact.argument_kind
    if argument is None or kind is None:
        return None
    if kind[0] == "act":
        return layers.on_output(context, function, argument)
    if function != RELU:  # ``(z > 0)`` is as short as ``(a > 0)``
        reader = layers.function_at(context, fact.node)
        holder = layers.activation_holder(context, function, kind[1], reader)
        if holder is not None:
            return layers.on_output(context, function, holder)
    return layers.on_input(context, function, argument)


class DerivativeMismatch(Check):
    code = "BP202"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.derivatives.values():
            used = _activation_of(fact)
            if used is None or used == fact.function or used == "softmax":
                continue
            right = _right_derivative(context, fact, used)
            hint = None
            if right:
                hint = f"replace `{layers.derivative_text(context, fact.node)}` with `{right}`"
            yield Report(fact.node, (
                f"the derivative of {title(fact.function)} is applied to a layer that used "
                f"{title(used)} in forward; use the {title(used)} derivative here"
                + (f": `{right}`" if right else "")), hint=hint)


class DerivativeArgument(Check):
    code = "BP203"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.derivatives.values():
            kind = fact.argument_kind
            if kind is None or fact.form == ANY_FORM or _activation_of(fact) not in (None, fact.function):
                continue
            if fact.form == OUTPUT_FORM and kind[0] == "pre":
                yield self._on_pre_activation(context, fact)
            elif fact.form == INPUT_FORM and kind[0] == "act":
                yield self._on_activation(context, fact)

    def _on_pre_activation(self, context: FileContext, fact: DerivativeFact) -> Report:
        """An output-form derivative (``a * (1 - a)``) applied to ``z``."""
        name = title(fact.function)
        code = self.short(context.code(fact.node))
        reader = layers.function_at(context, fact.node)
        holder = layers.activation_holder(context, fact.function, fact.argument_kind[1], reader)
        argument = layers.derivative_argument(context, fact.node)
        if holder is not None:
            activation = f"the activation `{context.code(holder)}`"
            fixed = layers.applied_to(context, fact.node, holder) \
                or layers.on_output(context, fact.function, holder)
            hint = f"apply it to `{context.code(holder)}`: `{fixed}`"
        else:
            activation = "the activation"
            fixed = layers.on_input(context, fact.function, argument) if argument is not None else None
            hint = f"use the input form on `{context.code(argument)}`: `{fixed}`" if fixed else None
        return Report(fact.node, (
            f"`{code}` is the {name} derivative written for the activation's output "
            f"(a = {name}(z)), but it is applied to the pre-activation z; pass {activation} "
            f"instead"), hint=hint)

    def _on_activation(self, context: FileContext, fact: DerivativeFact) -> Report:
        """An input-form derivative (``sigmoid(z) * (1 - sigmoid(z))``) applied to ``a``."""
        name = title(fact.function)
        code = self.short(context.code(fact.node))
        argument = layers.derivative_argument(context, fact.node)
        output = layers.on_output(context, fact.function, argument) if argument is not None else None
        pre = fact.argument_kind[2]
        reader = layers.function_at(context, fact.node)
        holder = layers.pre_activation_holder(context, pre, reader) if pre is not None else None
        pass_pre = f"`{context.code(holder)}`" if holder is not None else "z"
        use_output = f"the output form `{output}`" if output else "the output form"
        hint = f"use the output form on `{context.code(argument)}`: `{output}`" if output else None
        return Report(fact.node, (
            f"`{code}` computes the {name} derivative from the pre-activation "
            f"({name}(z) inside), but it is applied to the activation's output, which "
            f"applies {name} twice; pass the pre-activation {pass_pre}, or use {use_output}"),
            hint=hint)


class LossGradientMismatch(Check):
    code = "BP205"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for node, (function, layer) in analysis.loss_gradient_products.items():
            logged = self._logged(analysis, function, layer)
            if function != "softmax" and not logged:
                continue  # sigmoid with squared error: the derivative belongs there
            loss = "cross-entropy" if logged else "softmax cross-entropy"
            factor, error = self._factor_and_error(context, node)
            hint = (f"drop the factor `{factor}`: `{error}` is already the gradient at the logits"
                    if factor and error else None)
            yield Report(node, (
                f"with {title(function)} and {loss}, `prediction - target` is already the "
                f"gradient with respect to the logits; multiplying it by the {title(function)} "
                f"derivative again shrinks the gradient to near zero: drop the derivative factor"
                + (f" `{factor}`" if factor else "")), hint=hint)

    @staticmethod
    def _factor_and_error(context: FileContext, product) -> tuple:
        """(the derivative factor, the error it multiplies) of ``product``, as written."""
        derivatives = context.analysis.derivatives
        factor = next((f for f in layers.factors(product) if f in derivatives), None)
        if factor is None:
            return None, None
        return layers.derivative_text(context, factor), layers.other_factors(context, product, factor)

    @staticmethod
    def _logged(analysis, function: str, layer) -> bool:
        """Whether the loss takes the log of this layer's output: of a layer with the same weight
        when both are known (two networks in one file may use different losses), else of any
        layer with this activation."""
        weights = _weights_of(analysis, layer)
        logged = [_weights_of(analysis, pre) for f, pre in analysis.logged_layers if f == function]
        if weights and logged and all(logged):
            return any(weights & other for other in logged)
        return function in analysis.logs_of


def _weights_of(analysis, pre) -> frozenset:
    """The weights a pre-activation (``x @ W``) multiplies by."""
    if pre is None:
        return frozenset()
    return frozenset(read_locations(pre)) & frozenset(analysis.weights)


class MissingDerivative(Check):
    code = "BP204"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for node, fact in analysis.broken_chains.items():
            yield self._broken_chain(context, node, fact)
        for node, update in analysis.raw_delta_updates.items():
            yield self._raw_delta(context, node, update)

    def _broken_chain(self, context: FileContext, node, fact: DerivativeFact) -> Report:
        code = self.short(context.code(node))
        carried = _carried_back(context, node, fact)
        shown = self.short(carried, 40) if carried else "delta @ W.T"
        hint = None
        if carried:
            hint = (f"carry the error back before the derivative: "
                    f"`({carried}) * {layers.derivative_text(context, fact.node)}`")
        return Report(node, (
            f"`{code}` applies a hidden layer's {title(fact.function)} derivative to the "
            f"output error itself: the error must first be carried back through the weights "
            f"above (`{shown}`) before it is multiplied by the derivative"), hint=hint)

    def _raw_delta(self, context: FileContext, node, update) -> Report:
        analysis = context.analysis
        code = self.short(context.code(node))
        weight = analysis.weight_of_product.get(node, "")
        below = analysis.input_activation.get(weight)
        derivative = _derivative_below(context, node, weight, below)
        if derivative:
            remedy = f"multiply it by the {title(below)} derivative `{derivative}`"
        elif below in BY_KEY:
            remedy = f"multiply it by the {title(below)} derivative"
        else:
            remedy = "multiply it by that activation's derivative"
        hint = f"multiply `{layers.delta_name(context, node)}` by `{derivative}`" if derivative else None
        return Report(node, (
            f"`{code}` carries the error back to a hidden layer that uses "
            f"{title(below) if below else 'a non-linear activation'}, but it reaches the update on "
            f"line {context.place(update)} without that activation's derivative; {remedy}"),
            hint=hint)


def _derivative_below(context: FileContext, node, weight: str, function: Optional[str]) -> Optional[str]:
    """The derivative of the layer below ``weight``, written on the activation forward multiplied
    by it, for the delta ``node`` (``d_out @ W2.T``) carried back through it."""
    if function is None:
        return None
    factors = layers.operands(node) or ()
    weights = [layers.untransposed(f) for f in factors]
    weights = [w for w in weights if w is not None and location_key(w) == weight]
    if not weights:
        return None
    reader = layers.function_at(context, node)
    activation = layers.input_of_weight(context, context.code(weights[0]), weight, reader,
                                        lambda factor: layers.is_activation(context, factor, function))
    return layers.on_output(context, function, activation) if activation is not None else None


def _carried_back(context: FileContext, node, fact: DerivativeFact) -> Optional[str]:
    """The output error of ``node`` carried back through the weight above the layer whose
    derivative ``fact`` is (``delta2 @ self.W2.T``), written as forward multiplies by it."""
    argument = layers.derivative_argument(context, fact.node)
    error = layers.other_factors(context, node, fact.node)
    above = layers.weight_above(context, argument) if argument is not None else None
    if error is None or above is None:
        return None
    product, weight, activation_left = above
    transposed = f"{layers.atom(context, weight)}.T"
    if activation_left:
        return layers.product_like(context, product, error, transposed)
    return layers.product_like(context, product, transposed, error)
