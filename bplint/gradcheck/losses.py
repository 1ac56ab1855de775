"""The losses a training step can be the gradient of: squared error and cross-entropy.

Sums over the batch, not means: the step size fitted per parameter absorbs any constant factor
(a mean, a ``0.5``), so only the loss's shape matters.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

MSE, CE = "mse", "cross-entropy"
TITLES = {MSE: "squared error", CE: "cross-entropy"}


def softmax_axis(out: np.ndarray) -> Optional[int]:
    """The axis along which the output is a probability distribution (a softmax), if any."""
    if out.ndim == 0 or not np.all(out > 0):
        return None
    for axis in sorted(range(out.ndim), reverse=True):
        if out.shape[axis] > 1 and np.allclose(out.sum(axis=axis), 1.0, atol=1e-8):
            return axis
    return None


def is_probability(out: np.ndarray) -> bool:
    return bool(np.all(out > 0) and np.all(out < 1))


def squared_error(out: np.ndarray, target: np.ndarray) -> float:
    return float(0.5 * np.sum((out - target) ** 2))


def cross_entropy(out: np.ndarray, target: np.ndarray, axis: Optional[int]) -> Optional[float]:
    """Categorical along a softmax axis, else binary; None where the output is no probability."""
    if axis is not None:
        return float(-np.sum(target * np.log(out)))
    if not is_probability(out):
        return None
    return float(-np.sum(target * np.log(out) + (1 - target) * np.log(1 - out)))


def implied(out: np.ndarray, target: np.ndarray, axis: Optional[int], kinds) -> Dict[str, float]:
    """The value of each loss in ``kinds`` that applies to this output."""
    values = {}
    if MSE in kinds:
        values[MSE] = squared_error(out, target)
    if CE in kinds:
        value = cross_entropy(out, target, axis)
        if value is not None:
            values[CE] = value
    return values
