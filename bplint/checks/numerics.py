"""Numerics: BP501 (softmax without the max shift), BP502 (equal initial weights), BP503 (integer
parameters), BP504 (log of a probability that can be 0)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.checks.base import Change, Check, FileContext, FixPlan, Report, numpy_alias
from bplint.model.build import dotted_name


def _exp_call(context: FileContext, node) -> Optional[cst.Call]:
    """The ``np.exp`` call of a softmax: in the expression, or in the function it calls."""
    search = node
    if isinstance(node, cst.Call):
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        for function in context.model.functions:
            if function.name == name and (dotted_name(func) or "").split(".")[0] not in ("np", "numpy"):
                search = function.node
                break
    found = []

    class _Exp(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> bool:
            if not found and (dotted_name(call.func) or "").split(".")[-1] == "exp":
                found.append(call)
            return not found

    search.visit(_Exp())
    return found[0] if found else None


class ExpOverflow(Check):
    code = "BP501"

    def run(self, context: FileContext) -> Iterable[Report]:
        reported = set()
        for node in context.analysis.unshifted_softmax:
            exp = _exp_call(context, node)
            if exp is None or exp in reported:
                continue
            reported.add(exp)
            code = self.short(context.code(exp))
            yield Report(exp, (
                f"`{code}` exponentiates the logits of a softmax without subtracting their "
                f"maximum: large logits overflow to inf and the probabilities become nan; "
                f"subtract `np.max(z, axis=1, keepdims=True)` first"), _shift_fix(context, exp))


def _shift_fix(context: FileContext, exp: cst.Call) -> Optional[FixPlan]:
    """``np.exp(z)`` -> ``np.exp(z - np.max(z, axis=k, keepdims=True))``, over the axis the softmax
    normalises. Safe: a softmax does not change when a constant is subtracted along that axis."""
    numpy = numpy_alias(context.module)
    if numpy is None or len(exp.args) != 1 or exp.args[0].keyword is not None:
        return None
    logits = exp.args[0].value
    if not isinstance(logits, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    axes = {_axis(context, call) for call in _normalising_sums(context, exp)}
    if len(axes) != 1:
        return None
    axis = axes.pop()
    z = context.code(logits)
    shift = f"{numpy}.max({z}, axis={axis}, keepdims=True)" if axis else f"{numpy}.max({z})"
    return FixPlan("safe", "Subtract the maximum logit before `exp`", (Change(logits, f"{z} - {shift}"),))


def _normalising_sums(context: FileContext, exp: cst.Call) -> list:
    """The ``sum`` calls that add up the exponentials: over ``np.exp(...)`` itself, or over the
    name it was stored in."""
    stored = set()
    sums = []

    class _Find(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) == 1 and _contains(node.value, exp):
                stored.add(context.code(node.targets[0].target))

        def visit_Call(self, node: cst.Call) -> None:
            if (dotted_name(node.func) or "").split(".")[-1] == "sum":
                sums.append(node)

    context.module.visit(_Find())

    def summed(call: cst.Call) -> Optional[cst.CSTNode]:
        if isinstance(call.func, cst.Attribute) and (dotted_name(call.func) or "").split(".")[0] \
                not in ("np", "numpy"):
            return call.func.value
        return call.args[0].value if call.args and call.args[0].keyword is None else None

    return [call for call in sums if summed(call) is not None
            and (_contains(summed(call), exp) or context.code(summed(call)) in stored)]


def _axis(context: FileContext, call: cst.Call) -> str:
    """The ``axis`` a sum is taken over, as written ("" for the whole array)."""
    positional = [a for a in call.args if a.keyword is None]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "axis":
            return context.code(arg.value)
    receiver = isinstance(call.func, cst.Attribute) and \
        (dotted_name(call.func) or "").split(".")[0] not in ("np", "numpy")
    index = 0 if receiver else 1
    return context.code(positional[index].value) if len(positional) > index else ""


def _contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    found = []

    class _Find(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is node:
                found.append(inner)
            return not found

    tree.visit(_Find())
    return bool(found)


class LogOfZero(Check):
    code = "BP504"

    def run(self, context: FileContext) -> Iterable[Report]:
        for node, function in context.analysis.unguarded_logs.items():
            code = self.short(context.code(node))
            yield Report(node, (
                f"`{code}` takes the log of a {function} probability that can reach 0 (or 1), "
                f"giving -inf and nan gradients; clip it (`np.clip(p, 1e-12, 1 - 1e-12)`) or add "
                f"a small epsilon"))


class SymmetricInit(Check):
    code = "BP502"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for key, statement in analysis.constant_inits.items():
            if key not in analysis.hidden_weights or key in analysis.other_inits:
                continue
            name = self.short(context.code(self.target_of(statement)), 40)
            yield Report(statement, (
                f"`{name}` feeds a hidden layer but starts with every weight equal: all hidden "
                f"units compute the same thing and get the same gradient, so they never become "
                f"different; initialise it randomly (`np.random.randn(...) * scale`)"))


class IntegerParameters(Check):
    code = "BP503"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for key, statement in analysis.integer_inits.items():
            if key not in analysis.weights or key not in analysis.trainable:
                continue
            name = self.short(context.code(self.target_of(statement)), 40)
            yield Report(statement, (
                f"`{name}` is created with an integer dtype and then updated with float steps: an "
                f"in-place update raises a casting error (or truncates); create it as floats "
                f"(`dtype=float`, or write `1.0`)"))
