"""The abstract values the interpreter gives to every expression.

A value is a product of small domains, each with a join (least upper bound):

* ``Source``: where the value comes from — a literal constant, data from outside the network
  (inputs, targets), the network itself (anything computed from a trainable parameter), or unknown.
* ``Direction`` (see ``direction.py``): whether the value is the gradient of the loss, its
  negative, zero, not a gradient at all, or unknown.
* flags for dropout: a uniform random draw, and a mask made from one.
* structure: tuple items, dictionary entries, a class instance, a callable, or a reference into
  an outside module (``numpy.random.rand``).

``BOTTOM`` stands for "no information yet" while the fixed point is computed; anything the
interpreter does not understand becomes ``UNKNOWN``/``TOP`` and never produces a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Optional, Tuple

import libcst as cst

from bplint.analysis.shapes import Dim, Shape, join_dim, join_shape


class Source(IntEnum):
    BOTTOM = 0
    CONST = 1
    DATA = 2
    NETWORK = 3
    UNKNOWN = 4


class Direction(IntEnum):
    BOTTOM = 0
    ZERO = 1
    GRADIENT = 2
    NEGATIVE_GRADIENT = 3
    NONE = 4
    TOP = 5


GRADIENTS = (Direction.GRADIENT, Direction.NEGATIVE_GRADIENT)


def join_direction(a: Direction, b: Direction) -> Direction:
    """The direction lattice's join (how directions travel: :mod:`bplint.analysis.direction`)."""
    if a == b or b == Direction.BOTTOM:
        return a
    if a == Direction.BOTTOM:
        return b
    if a == Direction.ZERO and b in GRADIENTS:
        return b
    if b == Direction.ZERO and a in GRADIENTS:
        return a
    if {a, b} == {Direction.ZERO, Direction.NONE}:
        return Direction.NONE
    return Direction.TOP


def join_source(a: Source, b: Source) -> Source:
    if a == b or b == Source.BOTTOM:
        return a
    if a == Source.BOTTOM:
        return b
    if {a, b} == {Source.CONST, Source.DATA}:
        return Source.DATA
    # Computed from the parameters on some path (a list of the input and the activations).
    if Source.NETWORK in (a, b) and Source.UNKNOWN not in (a, b):
        return Source.NETWORK
    return Source.UNKNOWN


def combine_sources(*sources: Source) -> Source:
    """The source of a value computed from operands with these sources."""
    if Source.NETWORK in sources:
        return Source.NETWORK
    if Source.UNKNOWN in sources:
        return Source.UNKNOWN
    if Source.BOTTOM in sources:
        return Source.BOTTOM
    if Source.DATA in sources:
        return Source.DATA
    return Source.CONST


@dataclass(frozen=True)
class Value:
    source: Source = Source.UNKNOWN
    direction: Direction = Direction.NONE
    # For values that are not gradients: -1 when explicitly negated (``-lr``, ``-1``), +1
    # otherwise, 0 when paths disagree. Derivatives, activations and inputs are +1 whatever
    # their numeric sign: the chain rule's products keep a gradient's direction.
    sign: int = 1
    # Where a gradient direction was established (the ``y - out`` expression), for messages.
    origin: Optional[cst.CSTNode] = field(default=None, repr=False)
    random_draw: bool = False
    mask: bool = False
    items: Optional[Tuple["Value", ...]] = None
    entries: Optional[Tuple[Tuple[Any, "Value"], ...]] = None
    # An instance of one of a set of classes (ClassModel); a user function, a lambda, a class,
    # or a tuple of methods (one per class an instance may be); a bound method's instance.
    instance_of: Optional[frozenset] = None
    function: Any = None
    bound_self: Optional["Value"] = None
    # A dotted reference into an imported module: ``numpy``, ``numpy.random.rand``.
    ref: Optional[str] = None
    # The trainable location (``.W1``, ``params[]``) this value was read from, if read directly.
    location: Optional[str] = None
    # A size taken from a network value (``h.shape``): draws of that size are per-unit masks.
    shape_of_network: bool = False
    # The array's shape (None: unknown, even its rank; () for a scalar), and for an integer
    # the size it denotes (``hidden_size``, 784), when used as a dimension.
    shape: Shape = None
    dim: Dim = None
    # Has an axis of length 1 made on purpose (``x[:, None]``, ``reshape(-1, 1)``,
    # ``keepdims=True``): broadcasting it against a vector is an intended outer product.
    made_axis: bool = False
    # An error carried back through a weight (``delta @ W.T``) and not yet multiplied by the
    # derivative of the activation below that weight: the node where it was carried back.
    raw_delta: Optional[cst.CSTNode] = field(default=None, repr=False)
    # Dropout: where a mask was drawn (its identity), whether it is scaled (``/ keep``), the
    # mask an activation was multiplied by, and, on a delta carried back through a weight whose
    # input was dropped in forward, (where it was carried back, the mask it still needs).
    mask_origin: Optional[cst.CSTNode] = field(default=None, repr=False)
    mask_scaled: bool = False
    dropped: Optional[cst.CSTNode] = field(default=None, repr=False)
    undropped: Optional[tuple] = field(default=None, repr=False)
    # A gradient that has been carried back through a weight matrix (``delta @ W.T``).
    propagated: bool = False
    # An array of an integer dtype (``np.array([[1, 0]])``, ``dtype=int``, ``randint``).
    integer: bool = False
    # A list grown by ``append``: its one item stands for any number of elements.
    unsized: bool = False
    # An argument no call in the file passes: a batch of rows when it multiplies a matrix.
    unbound_input: bool = False
    # What the value is in the network: ("pre", node) the output of a matrix product,
    # ("act", function, pre node) an activation, ("deriv", function, form) a derivative factor,
    # ("error", function) an error between targets and that activation.
    kind: Optional[tuple] = None
    # Its shape is unknown because it comes from outside (such an argument, or an attribute
    # never stored): next to a known shape in an elementwise operation, it takes that shape.
    shape_free: bool = False

    def with_(self, **changes) -> "Value":
        # ``dataclasses.replace`` re-runs ``__init__``; copying the fields is several times faster
        # and this is the interpreter's most frequent operation.
        copy = object.__new__(Value)
        fields = copy.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        return copy

    @property
    def is_gradient_like(self) -> bool:
        return self.direction in (Direction.GRADIENT, Direction.NEGATIVE_GRADIENT)


BOTTOM = Value(source=Source.BOTTOM, direction=Direction.BOTTOM)
UNKNOWN = Value(source=Source.UNKNOWN, direction=Direction.TOP, sign=0)
CONSTANT = Value(source=Source.CONST)
DATA = Value(source=Source.DATA)


def join(a: Value, b: Value) -> Value:
    if a is b or a == b:
        return a
    if a.source == Source.BOTTOM and a.direction == Direction.BOTTOM:
        return b
    if b.source == Source.BOTTOM and b.direction == Direction.BOTTOM:
        return a
    return Value(
        source=join_source(a.source, b.source),
        direction=join_direction(a.direction, b.direction),
        sign=a.sign if a.sign == b.sign else 0,
        origin=a.origin or b.origin,
        random_draw=a.random_draw and b.random_draw,
        mask=a.mask and b.mask,
        items=_join_items(a.items, b.items),
        entries=_join_entries(a.entries, b.entries),
        instance_of=_join_instances(a.instance_of, b.instance_of),
        function=a.function if a.function is b.function else None,
        bound_self=a.bound_self if a.function is b.function else None,
        ref=a.ref if a.ref == b.ref else None,
        location=a.location if a.location == b.location else None,
        shape_of_network=a.shape_of_network and b.shape_of_network,
        shape=join_shape(a.shape, b.shape),
        dim=join_dim(a.dim, b.dim),
        unbound_input=a.unbound_input and b.unbound_input,
        shape_free=a.shape_free and b.shape_free,
        made_axis=a.made_axis and b.made_axis,
        integer=a.integer and b.integer,
        # A delta is reported only if it lacks its factor on every path (``if mode == "train"``).
        raw_delta=a.raw_delta if a.raw_delta == b.raw_delta else None,
        mask_origin=a.mask_origin or b.mask_origin,
        mask_scaled=a.mask_scaled and b.mask_scaled,
        dropped=a.dropped or b.dropped,
        undropped=a.undropped if a.undropped == b.undropped else None,
        kind=_join_kinds(a.kind, b.kind),
        propagated=_join_propagated(a, b),
        unsized=a.unsized or b.unsized or (a.items is not None and b.items is not None
                                           and len(a.items) != len(b.items)),
    )


def _join_propagated(a: "Value", b: "Value") -> bool:
    """Carried back through a weight on every path; a value with no direction yet (a first
    round's, before its callers' gradients arrive) does not make it false for good."""
    if a.direction == Direction.BOTTOM:
        return b.propagated
    if b.direction == Direction.BOTTOM:
        return a.propagated
    return a.propagated and b.propagated


def _join_kinds(a, b):
    """Equal kinds stay; a layer's output that is activated on one path only stays activated."""
    if a == b:
        return a
    for pre, act in ((a, b), (b, a)):
        if pre and act and pre[0] == "pre" and act[0] == "act" and act[2] is pre[1]:
            return act
    return None


def _join_instances(a, b):
    """Instances of several classes (a list of layers) may be any of them."""
    if a is None or b is None:
        return None
    return a | b


def _join_items(a, b):
    if a is None or b is None:
        return None
    if len(a) != len(b):
        # Sequences of different lengths (a list grown in a loop): one element stands for all.
        element = BOTTOM
        for item in (*a, *b):
            element = join(element, item)
        return (element,)
    return tuple(join(x, y) for x, y in zip(a, b))


def _join_entries(a, b):
    if a is None or b is None:
        return None
    merged = dict(a)
    for key, value in b:
        merged[key] = join(merged[key], value) if key in merged else value
    return tuple(sorted(merged.items(), key=lambda kv: repr(kv[0])))


class _AnyKey:
    """The key of dictionary entries stored under a key computed at run time (``"W%d" % i``)."""

    def __repr__(self) -> str:
        return "<any key>"


ANY_KEY = _AnyKey()


def element_of(value: Value) -> Value:
    """What iterating over ``value`` gives: a tuple's items joined, or an array's rows."""
    if value.items is not None:
        result = BOTTOM
        for item in value.items:
            result = join(result, item)
        return result
    if value.entries is not None:
        return Value(source=Source.CONST)
    if value.instance_of is not None or value.function is not None or value.ref is not None:
        return UNKNOWN
    row = value.shape[1:] if value.shape else None
    return value.with_(mask=False, random_draw=False, shape=row, dim=None)


def entry_of(container: Value, key: Any) -> Value:
    """``container[key]``: a known dictionary entry, all entries joined, or the array itself."""
    if container.entries is not None:
        entries = dict(container.entries)
        if key is not None and key in entries:
            return entries[key]
        if key is not None and ANY_KEY in entries:
            return entries[ANY_KEY]
        if key is None and entries:
            result = BOTTOM
            for value in entries.values():
                result = join(result, value)
            return result
        return UNKNOWN
    if container.items is not None:
        if isinstance(key, int) and -len(container.items) <= key < len(container.items):
            return container.items[key]
        return element_of(container)
    if container.instance_of is not None or container.function is not None:
        return UNKNOWN
    return container.with_(items=None, entries=None)


def sequence_of(element: Value) -> Value:
    """A list of unknown length whose elements are all like ``element``."""
    return Value(source=Source.CONST, items=(element,))


# The reference of a module of the program, followed by its key: ``layers.affine_forward`` reads
# that module's global.
PROJECT = "project:"
