"""What the interpreter observed, for the checks to judge: updates and mask combinations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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
