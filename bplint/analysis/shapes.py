"""Shapes: tuples of dimensions, and NumPy's rules for combining them.

A dimension is a known size (``int``), a size named by the program (``str``: ``"hidden_size"``,
a constructor parameter no call site binds), a :class:`Free` size (unknown, but shown with a name,
such as the rows ``N`` of an input nobody passes), or ``None`` (unknown). Two different names
count as different sizes: code that multiplies ``(N, input_size)`` by ``(hidden_size, ...)`` is
right only when the user happens to pick equal sizes. A shape of ``None`` means even the rank is
unknown. Nothing here reports a problem about an unknown dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union


@dataclass(frozen=True)
class Free:
    """An unknown size shown with a name (``N`` for the rows of an input)."""

    label: str

    def __str__(self) -> str:
        return self.label


Dim = Union[int, str, Free, None]
Shape = Optional[Tuple[Dim, ...]]


def known(dim: Dim) -> bool:
    return isinstance(dim, (int, str))


def same(a: Dim, b: Dim) -> Optional[bool]:
    """True or False when both sizes are known (a name and a number: unknown); else None."""
    if not (known(a) and known(b)):
        return None
    if type(a) is not type(b):
        return None
    return a == b


def join_dim(a: Dim, b: Dim) -> Dim:
    return a if a == b else None


def join_shape(a: Shape, b: Shape) -> Shape:
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(join_dim(x, y) for x, y in zip(a, b))


def dim_text(dim: Dim) -> str:
    return "?" if dim is None else str(dim)


def shape_text(shape: Shape) -> str:
    if shape is None:
        return "?"
    if len(shape) == 1:
        return f"({dim_text(shape[0])},)"
    return "(" + ", ".join(dim_text(d) for d in shape) + ")"


# -- elementwise --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    shape: Shape
    # "incompatible" (sizes differ, neither is 1) or "outer" ((n, 1) with (n,) gives (n, n)).
    problem: Optional[str] = None


def broadcast(a: Shape, b: Shape) -> Broadcast:
    """NumPy broadcasting of two shapes, with the problems a user would not want."""
    if a is None or b is None:
        return Broadcast(None)
    if _accidental_outer(a, b) or _accidental_outer(b, a):
        n = a[0] if len(a) == 2 else b[0]
        return Broadcast((n, n), "outer")
    result = []
    for index in range(1, max(len(a), len(b)) + 1):
        x = a[-index] if index <= len(a) else 1
        y = b[-index] if index <= len(b) else 1
        if x == y:
            result.append(x)
        elif x == 1:
            result.append(y)
        elif y == 1:
            result.append(x)
        elif same(x, y) is True:
            result.append(x)
        elif same(x, y) is False:
            return Broadcast(None, "incompatible")
        else:
            known_sizes = [d for d in (x, y) if known(d)]
            numbers = [d for d in known_sizes if isinstance(d, int)]
            result.append(numbers[0] if numbers else known_sizes[0] if known_sizes else None)
    return Broadcast(tuple(reversed(result)))


def _accidental_outer(column: Tuple[Dim, ...], vector: Tuple[Dim, ...]) -> bool:
    return (len(column) == 2 and column[1] == 1 and len(vector) == 1
            and column[0] != 1 and same(column[0], vector[0]) is True)


def fits_in_place(target: Shape, change: Shape) -> Optional[bool]:
    """Whether ``target op= change`` keeps ``target``'s shape (NumPy's in-place rule)."""
    if target is None or change is None:
        return None
    if len(change) > len(target):
        return False  # even leading 1s make the result bigger than the target
    verdict: Optional[bool] = True
    for t, c in zip(reversed(target), reversed(change)):
        if c == 1 or same(t, c) is True:
            continue
        if same(t, c) is False or (t == 1 and isinstance(c, Free)):
            return False  # a batch of rows cannot be added in place to a single row
        verdict = None
    return verdict


# -- products -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    shape: Shape
    # The two inner sizes when they are known to differ.
    mismatch: Optional[Tuple[Dim, Dim]] = None


def matmul(a: Shape, b: Shape, input_rows: bool = False) -> Product:
    """``a @ b`` (also ``np.dot`` for 1-D and 2-D operands).

    ``input_rows``: ``a`` is an input no call passes; times a weight matrix it is taken as a
    batch of ``N`` rows, so that ``(N, hidden_size)`` can be followed through the layers.
    """
    if b is not None and a is None and input_rows and len(b) == 2:
        return Product((Free("N"), b[1]))
    if a is None or b is None or not a or not b or len(a) > 2 or len(b) > 2:
        return Product(None)
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if same(inner_a, inner_b) is False or _batch_against_size(inner_a, inner_b):
        return Product(None, (inner_a, inner_b))
    rows = a[:-1]
    columns = b[1:] if len(b) == 2 else ()
    return Product(tuple(rows) + tuple(columns))


def _batch_against_size(a: Dim, b: Dim) -> bool:
    """Contracting the free batch dimension with a layer size is right only by coincidence.

    Only a named size counts: a number may come from data the module made, which the batch
    may well match.
    """
    return (isinstance(a, Free) and isinstance(b, str)) or (isinstance(b, Free) and isinstance(a, str))


def outer(a: Shape, b: Shape) -> Shape:
    return (size(a), size(b))


def size(shape: Shape) -> Dim:
    if shape is None:
        return None
    total = 1
    for dim in shape:
        if not isinstance(dim, int):
            return dim if len([d for d in shape if d != 1]) == 1 and dim != 1 else None
        total *= dim
    return total


# -- rearrangements -----------------------------------------------------------------------------


def transpose(shape: Shape) -> Shape:
    return None if shape is None else tuple(reversed(shape))


def reshape(source: Shape, wanted: Sequence[Dim]) -> Shape:
    """``x.reshape(*wanted)``; one ``-1`` is solved from the source's size."""
    wanted = list(wanted)
    if wanted.count(-1) == 1:
        index = wanted.index(-1)
        rest = [d for i, d in enumerate(wanted) if i != index]
        total = size(source)
        if isinstance(total, int) and all(isinstance(d, int) for d in rest):
            product = 1
            for d in rest:
                product *= d
            wanted[index] = total // product if product and total % product == 0 else None
        elif rest and all(d == 1 for d in rest):
            wanted[index] = total
        else:
            wanted[index] = None
    if any(isinstance(d, int) and d < 0 for d in wanted):
        return None
    return tuple(wanted)


def reduce(shape: Shape, axis, keepdims: bool) -> Shape:
    """A reduction (sum, mean, max) over ``axis`` (an int, a tuple of ints, or None for all)."""
    if shape is None:
        return None
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    rank = len(shape)
    normal = set()
    for a in axes:
        if not isinstance(a, int) or not -rank <= a < rank:
            return None
        normal.add(a % rank)
    if keepdims:
        return tuple(1 if i in normal else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in normal)


def concatenate(shapes: Sequence[Shape], axis: int) -> Shape:
    if not shapes or any(s is None for s in shapes):
        return None
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes) or not -rank <= axis < rank:
        return None
    axis %= rank
    result = []
    for i in range(rank):
        dims = [s[i] for s in shapes]
        if i == axis:
            result.append(sum(dims) if all(isinstance(d, int) for d in dims) else None)
        else:
            first = dims[0]
            result.append(first if all(d == first for d in dims) else None)
    return tuple(result)


def squeeze(shape: Shape) -> Shape:
    return None if shape is None else tuple(d for d in shape if d != 1)


# -- indexing -----------------------------------------------------------------------------------

FULL = "full"


def index(shape: Shape, parts: Sequence[tuple]) -> Shape:
    """``x[...]`` for basic and simple fancy indexing.

    Each part is ``("newaxis",)``, ``("int",)``, ``("slice", length)`` (``FULL`` for ``:``),
    ``("slice_from", k)`` for ``k:`` or ``:-k``,
    ``("fancy", length)`` for an index array, or ``("unknown",)``.
    """
    if shape is None or any(part[0] == "unknown" for part in parts):
        return None
    result = []
    fancy_done = False
    position = 0
    for part in parts:
        kind = part[0]
        if kind == "newaxis":
            result.append(1)
            continue
        if position >= len(shape):
            return None
        dim = shape[position]
        position += 1
        if kind == "int":
            continue
        if kind == "slice":
            length = dim if part[1] == FULL else part[1]
            if isinstance(length, int) and isinstance(dim, int):
                length = min(length, dim)
            result.append(length)
        elif kind == "slice_from":  # ``x[k:]`` and ``x[:-k]``: what is left of the dimension
            result.append(dim - part[1] if isinstance(dim, int) and dim >= part[1] else None)
        elif kind == "fancy":
            if not fancy_done:
                result.append(part[1])
                fancy_done = True
    return tuple(result) + tuple(shape[position:])


def fold(operator: str, a, b):
    """Arithmetic on sizes known as numbers (``28 * 28``); anything else is unknown."""
    if not (isinstance(a, int) and isinstance(b, int)):
        return None
    if operator == "Add":
        return a + b
    if operator == "Subtract":
        return a - b
    if operator == "Multiply":
        return a * b
    if operator == "FloorDivide" and b:
        return a // b
    return None
