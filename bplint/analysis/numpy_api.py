"""What NumPy's functions and array methods do to an abstract value.

Each family says how a result relates to its arguments: a reduction or reshape keeps a gradient's
direction, a product composes directions, a random draw is data, ``zeros`` is the neutral start of
an accumulator. Functions not listed give an unknown value.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from bplint.analysis import direction as dirn
from bplint.analysis.values import (
    DATA, UNKNOWN, Direction, Source, Value, combine_sources, join,
)

# Functions whose result is their first argument rearranged or reduced: same direction.
PRESERVING = {
    "sum", "mean", "transpose", "reshape", "copy", "array", "asarray", "asanyarray", "squeeze",
    "expand_dims", "ravel", "flatten", "atleast_1d", "atleast_2d", "atleast_3d", "clip",
    "nan_to_num", "ascontiguousarray", "float32", "float64", "average", "nansum", "nanmean",
    "broadcast_to", "tile", "repeat", "flip", "swapaxes", "moveaxis", "rollaxis", "squeeze",
}
REDUCTIONS = {"sum", "mean", "average", "nansum", "nanmean", "max", "min", "amax", "amin"}
PRODUCTS = {"dot", "matmul", "outer", "inner", "multiply", "tensordot", "kron", "vdot"}
# Constructors of arrays that start at zero (accumulators, velocities).
ZEROS = {"zeros", "zeros_like", "empty", "empty_like"}
CONSTRUCTORS = {"ones", "ones_like", "full", "full_like", "eye", "identity", "arange", "linspace",
                "array", "asarray", "loadtxt", "genfromtxt", "load", "fromfile"}
# Uniform random draws in [0, 1) or a range: compared with a probability they make a mask.
UNIFORM_DRAWS = {"rand", "random", "random_sample", "ranf", "sample", "uniform"}
MASK_DRAWS = {"binomial", "choice", "bernoulli"}
ELEMENTWISE = {"exp", "log", "log1p", "tanh", "maximum", "minimum", "sqrt", "abs", "absolute",
               "square", "power", "sign", "sin", "cos", "cosh", "sinh", "logaddexp", "expit",
               "heaviside", "floor", "ceil", "round", "exp2", "log2", "log10", "reciprocal",
               "argmax", "argmin", "isnan", "isfinite", "greater", "less", "max", "min",
               "amax", "amin", "std", "var", "linalg.norm", "norm", "prod", "cumsum"}
METADATA = {"shape", "size", "ndim", "dtype", "len", "argmax", "argmin", "count_nonzero"}


def _product(values: Sequence[Value]) -> Value:
    result = values[0]
    for other in values[1:]:
        direction, sign = dirn.product_direction(result, other)
        result = Value(source=combine_sources(result.source, other.source),
                       direction=direction, sign=sign,
                       origin=result.origin or other.origin)
    return result


def _derived(values: Sequence[Value], direction: Direction = Direction.NONE, sign: int = 1) -> Value:
    """A new array computed from ``values`` that is not a gradient of anything we track."""
    sources = [v.source for v in values] or [Source.CONST]
    if any(v.direction == Direction.BOTTOM for v in values):
        return Value(source=combine_sources(*sources), direction=Direction.BOTTOM)
    if any(v.is_gradient_like or v.direction == Direction.TOP for v in values):
        direction, sign = Direction.TOP, 0
    return Value(source=combine_sources(*sources), direction=direction, sign=sign)


def _network_sized(values: Sequence[Value]) -> bool:
    return any(v.shape_of_network or (v.items is not None and _network_sized(v.items))
               for v in values)


def call_numpy(name: str, args: List[Value], keywords: Dict[str, Value],
               first_literal: Optional[object] = None, starred: Sequence[Value] = ()) -> Value:
    """The value of ``numpy.<name>(*args, **keywords)``; ``name`` may be ``random.rand``."""
    short = name.rsplit(".", 1)[-1]
    if name.startswith("random.") or name.startswith("rng."):
        # A dropout mask has one entry per unit: it is drawn with the shape of a network value.
        # Labels, sampled actions or probes drawn with other sizes are not masks.
        sizes = [*args, *keywords.values(), *starred]
        if any(v.source == Source.BOTTOM for v in sizes):
            return Value(source=Source.BOTTOM, direction=Direction.BOTTOM)
        per_unit = _network_sized(sizes)
        if short in UNIFORM_DRAWS:
            return Value(source=Source.DATA, random_draw=per_unit)
        if short in MASK_DRAWS:
            return Value(source=Source.DATA, mask=per_unit)
        if short in ("randint", "integers"):
            bounds = (first_literal == 2) or (first_literal == (0, 2))
            return Value(source=Source.DATA, mask=bool(bounds) and per_unit)
        return DATA
    if short in ZEROS:
        return Value(source=Source.DATA, direction=Direction.ZERO)
    if short in ("where",) and len(args) == 3:
        chosen = join(args[1], args[2])
        return chosen.with_(source=combine_sources(*(a.source for a in args)), mask=False)
    if not args:
        return DATA if short in CONSTRUCTORS else UNKNOWN
    if short == "einsum":
        operands = [a for a in args if a.source != Source.CONST or a.direction != Direction.NONE]
        return _product(operands) if operands else DATA
    if short == "square":
        return _even_power(args[0])
    if short in PRODUCTS:
        return _product(args[:2])
    if short in ("divide", "true_divide"):
        return _product(args[:2])
    if short in ("add",) and len(args) >= 2:
        direction, sign = dirn.sum_direction(args[0], args[1])
        return Value(source=combine_sources(args[0].source, args[1].source), direction=direction,
                     sign=sign, origin=args[0].origin or args[1].origin)
    if short in ("subtract",) and len(args) >= 2:
        return subtract(args[0], args[1], None)
    if short == "negative":
        return dirn.negate(args[0])
    if short in PRESERVING:
        first = args[0]
        if first.instance_of is not None or first.function is not None:
            return UNKNOWN
        result = first.with_(items=None, entries=None, random_draw=False)
        if short in REDUCTIONS:
            result = result.with_(mask=False)
        if short in CONSTRUCTORS:
            result = result.with_(source=combine_sources(first.source, Source.DATA))
        return result
    if short in CONSTRUCTORS:
        return Value(source=combine_sources(Source.DATA, *(a.source for a in args)))
    if short in ELEMENTWISE:
        return _derived(args)
    return _derived(args)


def _even_power(value: Value) -> Value:
    """``g ** 2``: a squared gradient is not a gradient, but it is never negative."""
    if value.direction == Direction.BOTTOM:
        return Value(source=value.source, direction=Direction.BOTTOM)
    return Value(source=value.source)


def subtract(left: Value, right: Value, node) -> Value:
    """``left - right``: where an error between prediction and target is born."""
    error = dirn.error_direction(left, right)
    source = combine_sources(left.source, right.source)
    if error != Direction.NONE:
        return Value(source=source, direction=error, origin=node)
    direction, sign = dirn.sum_direction(left, dirn.negate(right))
    return Value(source=source, direction=direction, sign=sign,
                 origin=left.origin or right.origin)


def array_method(name: str, receiver: Value, args: List[Value]) -> Value:
    """``receiver.<name>(*args)`` for an array receiver."""
    if name == "dot" and args:
        return _product([receiver, args[0]])
    if name in ("sum", "mean", "max", "min"):
        return receiver.with_(mask=False, random_draw=False, items=None, entries=None)
    if name in ("reshape", "copy", "astype", "transpose", "squeeze", "ravel", "flatten", "clip",
                "swapaxes", "view", "repeat"):
        return receiver.with_(random_draw=False, items=None, entries=None)
    if name in ("argmax", "argmin", "item", "tolist", "nonzero", "any", "all"):
        return Value(source=receiver.source)
    return _derived([receiver, *args])
