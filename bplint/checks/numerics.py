"""Numerics: BP501 (softmax without the max shift), BP502 (equal initial weights), BP503 (integer
parameters), BP504 (log of a probability that can be 0)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.checks import layers
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report, numpy_alias
from bplint.model.build import dotted_name
from bplint.model.locations import location_key


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
            fix = _shift_fix(context, exp)
            shift = _shift(context, exp)
            yield Report(exp, (
                f"`{code}` exponentiates the logits of a softmax without subtracting their "
                f"maximum: large logits overflow to inf and the probabilities become nan; "
                f"subtract `{shift or 'np.max(z, axis=1, keepdims=True)'}` first"), fix,
                hint=f"exponentiate `{fix.changes[0].text}`" if fix else None)


def _shift(context: FileContext, exp: cst.Call) -> Optional[str]:
    """The maximum to subtract from the logits of ``np.exp(z)``, over the axis the softmax
    normalises (``np.max(z, axis=1, keepdims=True)``), when both are plain to see."""
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
    return f"{numpy}.max({z}, axis={axis}, keepdims=True)" if axis else f"{numpy}.max({z})"


def _shift_fix(context: FileContext, exp: cst.Call) -> Optional[FixPlan]:
    """``np.exp(z)`` -> ``np.exp(z - np.max(z, axis=k, keepdims=True))``, over the axis the softmax
    normalises. Safe: a softmax does not change when a constant is subtracted along that axis."""
    shift = _shift(context, exp)
    if shift is None:
        return None
    logits = exp.args[0].value
    return FixPlan("Subtract the maximum logit before `exp`",
                   (Change(logits, f"{context.code(logits)} - {shift}"),))


def _normalising_sums(context: FileContext, exp: cst.Call) -> list:
    """The ``sum`` calls that add up the exponentials: over ``np.exp(...)`` itself, or over the
    name it was stored in."""
    stored = set()
    sums = []

    class _Find(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) == 1 and layers.contains(node.value, exp):
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
            and (layers.contains(summed(call), exp) or context.code(summed(call)) in stored)]


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




class LogOfZero(Check):
    code = "BP504"

    def run(self, context: FileContext) -> Iterable[Report]:
        for node, function in context.analysis.unguarded_logs.items():
            code = self.short(context.code(node))
            clipped = _clipped(context, node)
            yield Report(node, (
                f"`{code}` takes the log of a {function} probability that can reach 0 (or 1), "
                f"giving -inf and nan gradients; clip it (`{self.short(clipped or 'np.clip(p, 1e-12, 1 - 1e-12)')}`) "
                f"or add a small epsilon"),
                hint=f"take the log of `{clipped}`" if clipped else None)


def _clipped(context: FileContext, log) -> Optional[str]:
    """The probability ``np.log(p)`` reads, clipped away from 0 and 1 (``np.clip(p, ...)``)."""
    if not isinstance(log, cst.Call) or len(log.args) != 1 or log.args[0].keyword is not None:
        return None
    numpy = numpy_alias(context.module) or "np"
    return f"{numpy}.clip({context.code(log.args[0].value)}, 1e-12, 1 - 1e-12)"


class SymmetricInit(Check):
    code = "BP502"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        for key, statement in analysis.constant_inits.items():
            if key not in analysis.hidden_weights or key in analysis.other_inits:
                continue
            name = self.short(context.code(self.target_of(statement)), 40)
            random = _random_init(context, statement)
            yield Report(statement, (
                f"`{name}` feeds a hidden layer but starts with every weight equal: all hidden "
                f"units compute the same thing and get the same gradient, so they never become "
                f"different; initialise it randomly (`{random or 'np.random.randn(...) * scale'}`)"),
                hint=f"initialise it with `{random}`" if random else None)


def _random_init(context: FileContext, statement) -> Optional[str]:
    """Random weights of the shape a constant initialisation writes (``np.zeros((n_in, n_out))``),
    scaled by the fan-in (``* np.sqrt(2 / n_in)``), the size of the axis forward multiplies over;
    by 0.01 where that is not known."""
    value = statement.value
    if not isinstance(value, cst.Call) or not value.args or value.args[0].keyword is not None:
        return None
    shape = value.args[0].value
    dims = [e.value for e in shape.elements] if isinstance(shape, (cst.Tuple, cst.List)) else [shape]
    if not dims or any(isinstance(d, cst.StarredElement) for d in dims):
        return None
    numpy = numpy_alias(context.module) or "np"
    random = f"{numpy}.random.randn({', '.join(context.code(d) for d in dims)})"
    left = _multiplies_from_left(context, location_key(Check.target_of(statement)))
    if left is None or len(dims) != 2:
        return f"{random} * 0.01"
    fan_in = dims[1] if left else dims[0]
    return f"{random} * {numpy}.sqrt(2 / {layers.atom(context, fan_in)})"


def _multiplies_from_left(context: FileContext, key: Optional[str]) -> Optional[bool]:
    """Whether forward multiplies the weight ``key`` from the left (``W @ x``, column vectors)
    or from the right (``x @ W``); None when the file does not say, or says both."""
    sides = set()
    for product, weight in context.analysis.weight_of_product.items():
        factors = layers.operands(product) if weight == key else None
        for index, factor in enumerate(factors or ()):
            if location_key(factor) == key:
                sides.add(index == 0)
    return sides.pop() if len(sides) == 1 else None


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
                f"(`dtype=float`, or write `1.0`)"), hint=_as_floats(context, statement.value))


def _as_floats(context: FileContext, value: cst.BaseExpression) -> Optional[str]:
    """The integer array creation ``value`` made to create floats: its ``dtype`` set to float,
    a draw of integers (``randint``) converted."""
    if not isinstance(value, cst.Call) or not value.args:
        return None
    if (dotted_name(value.func) or "").endswith("randint"):
        return f"create it as floats: `{context.code(value)}.astype(float)`"
    dtype = [a for a in value.args if a.keyword is not None and a.keyword.value == "dtype"]
    if dtype:
        floats = value.deep_replace(dtype[0].value, cst.Name("float"))
    else:
        last = value.args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        floats = value.with_changes(args=[*value.args[:-1], last, cst.Arg(
            cst.Name("float"), keyword=cst.Name("dtype"), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))])
    return f"create it as floats: `{context.module.code_for_node(floats).strip()}`"
