"""What NumPy's functions and array methods do to an abstract value.

Each family says how a result relates to its arguments: a reduction or reshape keeps a gradient's
direction, a product composes directions, a random draw is data, ``zeros`` is the neutral start of
an accumulator. Functions not listed give an unknown value.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from bplint.analysis import direction as dirn
from bplint.analysis.shapes import Shape
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
MASK_DRAWS = {"binomial", "bernoulli"}
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
    if short in ("square", "abs", "absolute", "fabs", "norm"):
        return _even_power(args[0])  # a magnitude: never negative, not a gradient
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
        result = first.with_(items=None, entries=None, random_draw=False,
                             location=None if short in ("copy", "array") else first.location)
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
    if name in ("copy", "astype"):  # a snapshot: no longer the parameter it was read from
        return receiver.with_(random_draw=False, items=None, entries=None, location=None)
    if name in ("reshape", "transpose", "squeeze", "ravel", "flatten", "clip", "swapaxes", "view",
                "repeat"):
        return receiver.with_(random_draw=False, items=None, entries=None)
    if name in ("argmax", "argmin", "item", "tolist", "nonzero", "any", "all"):
        return Value(source=receiver.source)
    return _derived([receiver, *args])


# -- shapes -------------------------------------------------------------------------------------

_SIZED_DRAWS = {"randn": "each", "rand": "each", "standard_normal": 0, "random": 0,
                "random_sample": 0, "ranf": 0, "sample": 0, "normal": 2, "uniform": 2,
                "binomial": 2, "randint": 2, "integers": 2, "laplace": 2, "logistic": 2,
                "poisson": 1, "exponential": 1, "standard_exponential": 0}
SAME_SHAPE = {"exp", "log", "log1p", "tanh", "sqrt", "abs", "absolute", "square", "sign", "sin",
               "cos", "cosh", "sinh", "expit", "floor", "ceil", "round", "exp2", "log2", "log10",
               "reciprocal", "copy", "clip", "nan_to_num", "negative", "float32", "float64",
               "isnan", "isfinite", "heaviside", "astype", "ascontiguousarray"}
_BROADCASTING = {"maximum", "minimum", "add", "subtract", "multiply", "divide", "true_divide",
                 "power", "greater", "less", "logaddexp", "where"}
_REDUCING = {"sum", "mean", "max", "min", "amax", "amin", "std", "var", "argmax", "argmin",
             "average", "prod", "nansum", "nanmean", "any", "all"}


def dims_of(value: Optional[Value]) -> Optional[list]:
    """The sizes a value gives as a shape argument: ``(a, b)``, ``h.shape`` or a single ``n``."""
    if value is None:
        return None
    if value.items is not None:
        return None if value.unsized else [item.dim for item in value.items]
    if value.dim is not None:
        return [value.dim]
    return None


def array_shape(value: Value) -> Shape:
    """The shape of ``np.array(value)``: nested list literals, or an array's own shape."""
    if value.items is not None:
        if value.unsized:
            return None
        inner = [array_shape(item) for item in value.items]
        if not inner or any(s is None for s in inner) or any(s != inner[0] for s in inner):
            return None
        return (len(value.items),) + inner[0]
    return value.shape


def _argument(args, keywords, index, name):
    if name in keywords:
        return keywords[name]
    return args[index] if len(args) > index else None


def _axis(args, keywords, position):
    """(given, axis): ``axis`` as an int, a tuple of ints, None for all; ``given`` False if absent."""
    value = _argument(args, keywords, position, "axis")
    if value is None:
        return True, None
    if value.source == Source.BOTTOM:
        return False, None
    if value.items is not None:
        dims = dims_of(value)
        return (True, tuple(dims)) if dims and all(isinstance(d, int) for d in dims) else (False, None)
    if isinstance(value.dim, int):
        return True, value.dim
    return False, None


def shape_of_call(short: str, args: List[Value], keywords: Dict[str, Value], method: bool = False):
    """(shape, problem) of ``np.<short>(*args)``, or of ``args[0].<short>(*args[1:])`` for a method.

    ``problem`` is a :class:`shapes.Product` with a mismatch or a :class:`shapes.Broadcast` with
    a problem, for the shape rules to report; otherwise None.
    """
    from bplint.analysis import shapes

    if short in _SIZED_DRAWS and not method:
        where = _SIZED_DRAWS[short]
        if where == "each":
            dims = [a.dim for a in args]
            return (tuple(dims) if all(d is not None for d in dims) else None), None
        size = _argument(args, keywords, where, "size")
        if size is None:
            return (), None
        dims = dims_of(size)
        return (tuple(dims) if dims is not None else None), None
    if short in ("zeros", "ones", "empty", "full") and not method:
        dims = dims_of(_argument(args, keywords, 0, "shape"))
        return (tuple(dims) if dims is not None else None), None
    if short.endswith("_like") and args:
        return args[0].shape, None
    if short in ("eye", "identity") and args:
        return (args[0].dim, args[0].dim if len(args) < 2 else args[1].dim), None
    if short == "arange" and len(args) == 1:
        return (args[0].dim,), None
    if short == "linspace":
        count = _argument(args, keywords, 2, "num")
        return ((count.dim if count is not None else 50),), None
    if short in ("array", "asarray", "asanyarray", "atleast_1d") and args:
        shape = array_shape(args[0])
        least = keywords.get("ndmin")
        if shape is not None and least is not None:
            if not isinstance(least.dim, int):
                return None, None
            shape = (1,) * max(least.dim - len(shape), 0) + shape
        return shape, None
    if short == "permutation" and args:
        return ((args[0].dim,) if args[0].shape == () else array_shape(args[0])), None
    if not args:
        return None, None
    first = args[0]
    if short in SAME_SHAPE:
        return array_shape(first), None
    if short == "T" or short == "transpose":
        return shapes.transpose(array_shape(first)), None
    if short in ("ravel", "flatten"):
        return (shapes.size(array_shape(first)),), None
    if short == "squeeze":
        return shapes.squeeze(array_shape(first)), None
    if short in _REDUCING:
        given, axis = _axis(args, keywords, 1)
        if not given:
            return None, None
        keep = keywords.get("keepdims")
        keepdims = keep is not None and keep.dim == 1
        return shapes.reduce(array_shape(first), axis, keepdims and short not in ("argmax", "argmin")), None
    if short in _BROADCASTING and len(args) >= 2:
        result = shapes.broadcast(array_shape(args[0]), array_shape(args[1]))
        for extra in args[2:]:
            result = shapes.Broadcast(shapes.broadcast(result.shape, array_shape(extra)).shape,
                                      result.problem)
        return result.shape, (result if result.problem and short != "where" else None)
    if short in ("dot", "matmul") and len(args) >= 2:
        product = shapes.matmul(array_shape(args[0]), array_shape(args[1]), args[0].unbound_input)
        return product.shape, (product if product.mismatch else None)
    if short == "outer" and len(args) >= 2:
        return shapes.outer(array_shape(args[0]), array_shape(args[1])), None
    if short == "reshape":
        rest = args[1:]
        if len(rest) == 1 and rest[0].unbound_input and rest[0].items is None:
            return None, None  # ``x.reshape(shape)`` with a parameter: likely a whole shape tuple
        if len(rest) == 1:
            dims = dims_of(rest[0])
        else:
            dims = [a.dim for a in rest]
        if dims is None or any(d is None for d in dims):
            return None, None
        return shapes.reshape(array_shape(first), dims), None
    if short == "expand_dims":
        given, axis = _axis(args, keywords, 1)
        shape = array_shape(first)
        if shape is None or not given or not isinstance(axis, int):
            return None, None
        axis = axis if axis >= 0 else len(shape) + 1 + axis
        return shape[:axis] + (1,) + shape[axis:], None
    if short in ("stack", "column_stack") and first.items is not None and not first.unsized:
        parts = [array_shape(item) for item in first.items]
        if not parts or any(p is None or p != parts[0] for p in parts):
            return None, None
        if short == "column_stack":
            if len(parts[0]) != 1:
                return None, None
            return (parts[0][0], len(parts)), None
        given, axis = _axis(args, keywords, 1)
        rank = len(parts[0]) + 1
        if not given or not isinstance(axis, int) or not -rank <= axis < rank:
            return None, None
        axis %= rank
        return parts[0][:axis] + (len(parts),) + parts[0][axis:], None
    if short in ("concatenate", "hstack", "vstack"):
        parts = [array_shape(item) for item in (first.items or ())] if not first.unsized else []
        if not parts or any(p is None for p in parts):
            return None, None
        if short == "vstack":
            parts = [(1,) + p if len(p) == 1 else p for p in parts]
            return shapes.concatenate(parts, 0), None
        if short == "hstack":
            return shapes.concatenate(parts, 0 if len(parts[0]) == 1 else 1), None
        given, axis = _axis(args, keywords, 1)
        return (shapes.concatenate(parts, axis if axis is not None else 0) if given else None), None
    return None, None
