"""Derivatives of activations in backward: BP202 (wrong function), BP203 (wrong argument),
BP205 (a derivative applied to a gradient that already includes it)."""

from __future__ import annotations

from typing import Iterable, Optional

from bplint.analysis.activations import ANY_FORM, INPUT_FORM, OUTPUT_FORM
from bplint.analysis.facts import DerivativeFact
from bplint.checks.base import Check, FileContext, Report
from bplint.model.locations import read_locations

_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU",
          "softmax": "softmax"}


def _activation_of(fact: DerivativeFact) -> Optional[str]:
    """The activation that produced the derivative's argument in forward, if known."""
    kind = fact.argument_kind
    if kind and kind[0] == "act":
        return kind[1]
    return fact.argument_activation


class DerivativeMismatch(Check):
    code = "BP202"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.derivatives.values():
            used = _activation_of(fact)
            if used is None or used == fact.function or used == "softmax":
                continue
            yield Report(fact.node, (
                f"the derivative of {_NAMES[fact.function]} is applied to a layer that used "
                f"{_NAMES[used]} in forward; use the {_NAMES[used]} derivative here"))


class DerivativeArgument(Check):
    code = "BP203"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.derivatives.values():
            kind = fact.argument_kind
            if kind is None or fact.form == ANY_FORM or _activation_of(fact) not in (None, fact.function):
                continue
            name = _NAMES[fact.function]
            code = self.short(context.code(fact.node))
            if fact.form == OUTPUT_FORM and kind[0] == "pre":
                yield Report(fact.node, (
                    f"`{code}` is the {name} derivative written for the activation's output "
                    f"(a = {name}(z)), but it is applied to the pre-activation z; pass the "
                    f"activation instead"))
            elif fact.form == INPUT_FORM and kind[0] == "act":
                yield Report(fact.node, (
                    f"`{code}` computes the {name} derivative from the pre-activation "
                    f"({name}(z) inside), but it is applied to the activation's output, which "
                    f"applies {name} twice; pass the pre-activation z, or use the output form"))


class LossGradientMismatch(Check):
    code = "BP205"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for node, (function, layer) in analysis.loss_gradient_products.items():
            logged = self._logged(analysis, function, layer)
            if function != "softmax" and not logged:
                continue  # sigmoid with squared error: the derivative belongs there
            loss = "cross-entropy" if logged else "softmax cross-entropy"
            yield Report(node, (
                f"with {_NAMES[function]} and {loss}, `prediction - target` is already the "
                f"gradient with respect to the logits; multiplying it by the {_NAMES[function]} "
                f"derivative again shrinks the gradient to near zero: drop the derivative factor"))


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
            code = self.short(context.code(node))
            yield Report(node, (
                f"`{code}` applies a hidden layer's {_NAMES[fact.function]} derivative to the "
                f"output error itself: the error must first be carried back through the weights "
                f"above (`delta @ W.T`) before it is multiplied by the derivative"))
        for node, update in analysis.raw_delta_updates.items():
            code = self.short(context.code(node))
            line = context.line_of(update)
            weight = analysis.weight_of_product.get(node, "")
            below = analysis.input_activation.get(weight)
            yield Report(node, (
                f"`{code}` carries the error back to a hidden layer that uses "
                f"{_NAMES.get(below, 'a non-linear activation')}, but it reaches the update on "
                f"line {line} without that activation's derivative; multiply it by the derivative "
                f"(for example `* (1 - a ** 2)` for tanh, `* (z > 0)` for ReLU)"))
