"""What the interpreter observed, for the checks to judge: updates, mask combinations, derivative
factors, shape problems, and the round's observations that a speculative run drops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Set

import libcst as cst

from bplint.analysis.values import Value
from bplint.model.units import Function


@dataclass(frozen=True)
class UpdateFact:
    """A stored value moved by a change: ``W -= lr * dW`` has ``change`` = ``-(lr * dW)``."""

    statement: cst.CSTNode
    target: cst.BaseExpression
    key: Optional[str]
    trainable: bool
    before: Value
    change: Value
    # The statement that last assigned the change when it is a stored step (a velocity).
    step_definition: Optional[cst.CSTNode] = None


@dataclass(frozen=True)
class CombinationFact:
    """An addition or subtraction (binary, augmented or ``np.add``) between two values."""

    node: cst.CSTNode
    operator: str
    left: Value
    right: Value


@dataclass(frozen=True)
class ShapeProblem:
    """Operands whose shapes do not fit: ``kind`` is "matmul", "incompatible" or "outer"."""

    node: cst.CSTNode
    kind: str
    left: Value
    right: Value
    # The operand expressions, for messages (None where the operation has no such syntax).
    left_node: Optional[cst.CSTNode] = None
    right_node: Optional[cst.CSTNode] = None


@dataclass(frozen=True)
class DerivativeFact:
    """A derivative factor (``s * (1 - s)``, ``sigmoid_prime(z)``) and what it is applied to.

    ``argument_kind`` is the kind of the argument: ``("act", function, pre)`` for the output of an
    activation, ``("pre", node)`` for a pre-activation (a matrix product), else None.
    """

    node: cst.CSTNode
    function: str
    form: str
    argument_kind: Optional[tuple]
    # The activation applied to the argument in forward, when the argument is a pre-activation.
    argument_activation: Optional[str]


@dataclass(frozen=True)
class MaskUse:
    """A dropout mask multiplied into a network value (``h * mask``)."""

    node: cst.CSTNode
    origin: Optional[cst.CSTNode]
    scaled: bool
    function: Optional[Function]
    # The ``if`` statements around the use, innermost last, with the branch ("body"/"orelse").
    guards: tuple


class Observations:
    """What a function's own interpretation observes for the checks: its updates, assignments,
    mask uses and combinations, initialisations, deltas reaching updates, reads after an update.

    A speculative run (a small helper interpreted again at one call, with that call's arguments)
    observes into a fresh ``Observations`` that is dropped afterwards: each of these facts is
    recorded where its code is interpreted for all its callers, once.
    """

    def __init__(self) -> None:
        self.updates: Dict[cst.CSTNode, UpdateFact] = {}
        self.combinations: Dict[cst.CSTNode, CombinationFact] = {}
        # The value each assignment stores, with its function (``bplint shapes``).
        self.assignments: Dict[cst.CSTNode, tuple] = {}
        # A delta reaching an update without its activation's derivative, or its mask: -> update.
        self.raw_delta_updates: Dict[cst.CSTNode, cst.CSTNode] = {}
        self.undropped_updates: Dict[cst.CSTNode, cst.CSTNode] = {}
        # How locations are first filled: a constant everywhere, something else, integers.
        self.constant_inits: Dict[str, cst.CSTNode] = {}
        self.other_inits: Set[str] = set()
        self.integer_inits: Dict[str, cst.CSTNode] = {}
        self.mask_uses: Dict[cst.CSTNode, MaskUse] = {}
        self.broken_chains: Dict[cst.CSTNode, DerivativeFact] = {}
        # A weight read to carry a gradient back after it was updated: read -> (key, update).
        self.stale_reads: Dict[cst.CSTNode, tuple] = {}
