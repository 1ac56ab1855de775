"""The sign of a gradient: how the direction of a value relative to the loss gradient travels.

The chain rule multiplies a gradient by derivatives, activations, inputs and transposed weights;
none of these changes *which way* the result points relative to the true gradient, so a product
keeps the direction of its one gradient operand. Only an explicit negation flips it (a unary
minus, a negative constant, ``0 - g``). A product of two gradients, a power, or a function we
do not know loses the direction (``TOP``). The direction is born where the error is defined:
``prediction - target`` is the gradient of the loss with respect to the prediction (squared
error, and softmax/sigmoid with cross-entropy w.r.t. the logits), ``target - prediction`` its
negative.
"""

from __future__ import annotations

from bplint.analysis.values import GRADIENTS as _GRADIENTS
from bplint.analysis.values import Direction, Source, Value


def flip(direction: Direction) -> Direction:
    if direction == Direction.GRADIENT:
        return Direction.NEGATIVE_GRADIENT
    if direction == Direction.NEGATIVE_GRADIENT:
        return Direction.GRADIENT
    return direction


def negate(value: Value) -> Value:
    if value.is_gradient_like:
        return value.with_(direction=flip(value.direction))
    return value.with_(sign=-value.sign)


def product_direction(a: Value, b: Value) -> tuple:
    """Direction and sign of ``a * b`` (also ``a @ b``, ``a / b``, ``np.outer``...)."""
    da, db = a.direction, b.direction
    if Direction.BOTTOM in (da, db):
        return Direction.BOTTOM, 1
    if Direction.ZERO in (da, db):
        return Direction.ZERO, 1
    if da in _GRADIENTS and db in _GRADIENTS:
        # ``g * g`` (Adam's second moment) is a square: no gradient, never negative.
        return (Direction.NONE, 1) if da == db else (Direction.TOP, 0)
    if da in _GRADIENTS or db in _GRADIENTS:
        gradient, factor = (a, b) if da in _GRADIENTS else (b, a)
        if factor.direction != Direction.NONE or factor.sign == 0:
            return Direction.TOP, 0
        return (gradient.direction if factor.sign > 0 else flip(gradient.direction)), 1
    if Direction.TOP in (da, db):
        return Direction.TOP, 0
    return Direction.NONE, a.sign * b.sign


def sum_direction(a: Value, b: Value) -> tuple:
    """Direction and sign of ``a + b``. A non-gradient term (a regulariser) keeps the gradient's."""
    da, db = a.direction, b.direction
    if Direction.BOTTOM in (da, db):
        return Direction.BOTTOM, 1
    if da == Direction.ZERO:
        return db, b.sign if db != Direction.ZERO else 1
    if db == Direction.ZERO:
        return da, a.sign
    if da in _GRADIENTS and db in _GRADIENTS:
        return (da, 1) if da == db else (Direction.TOP, 0)
    if da in _GRADIENTS and db == Direction.NONE:
        return da, 1
    if db in _GRADIENTS and da == Direction.NONE:
        return db, 1
    if Direction.TOP in (da, db):
        return Direction.TOP, 0
    # The sign of a factor records explicit negation only, so a sum takes its leading term's.
    return Direction.NONE, a.sign


def error_direction(minuend: Value, subtrahend: Value) -> Direction:
    """``prediction - target`` is the gradient; ``target - prediction`` its negative.

    The prediction is computed by the network; the target is data from outside it (never a
    literal constant: ``1 - out`` is not an error).
    """
    if minuend.direction != Direction.NONE or subtrahend.direction != Direction.NONE:
        return Direction.NONE
    if any(v.mask or v.random_draw for v in (minuend, subtrahend)):
        return Direction.NONE  # noise and dropout masks are never targets
    if minuend.source == Source.NETWORK and subtrahend.source == Source.DATA:
        return Direction.GRADIENT
    if minuend.source == Source.DATA and subtrahend.source == Source.NETWORK:
        return Direction.NEGATIVE_GRADIENT
    return Direction.NONE
