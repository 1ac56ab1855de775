"""A hand-written gradient against centred finite differences, as cs231n's notebooks check one.

``relative error`` is cs231n's ``rel_error``: ``max |a - n| / max(1e-8, |a| + |n|)`` over the
elements, for the analytic gradient ``a`` and the numerical one ``n``. Verdicts:

- ``ok``: relative error below :data:`OK_ERROR` (float64 finite differences agree to ~1e-9), or
  the whole gradient within :data:`OK_NORM_ERROR` of the numerical one in norm (elements that are
  zero up to rounding make the element-wise ratio noisy);
- ``wrong-sign``: the gradient points the other way (cosine below -0.99);
- ``wrong-gradient``: anything else, or a gradient whose shape is not its input's.

A gradient that is the true one times a positive constant (``(p - y)`` for the mean squared
error, which is ``2 (p - y) / N``) is told apart in :attr:`Comparison.scale`: the caller decides
(a loss's gradient may drop a constant the learning rate absorbs; a layer's may not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

STEP = 1e-6
OK_ERROR = 1e-5
OK_NORM_ERROR = 1e-7
OK, WRONG_GRADIENT, WRONG_SIGN = "ok", "wrong-gradient", "wrong-sign"


@dataclass
class Comparison:
    verdict: str
    error: Optional[float]   # cs231n's relative error (None when the shapes differ)
    scale: Optional[float]   # c when the gradient is c times the true one (c != 1), else None
    note: str = ""
    size: Optional[int] = None  # how many values the code's gradient has


def numerical_gradient(evaluate: Callable[[], float], array: np.ndarray) -> np.ndarray:
    """Centred differences of ``evaluate()`` in each element of ``array``, changed in place and
    put back."""
    grad = np.zeros(array.shape, dtype=np.float64)
    for index in np.ndindex(*array.shape):
        old = array[index]
        array[index] = old + STEP
        plus = evaluate()
        array[index] = old - STEP
        minus = evaluate()
        array[index] = old
        grad[index] = (plus - minus) / (2 * STEP)
    return grad


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    return float(np.max(np.abs(analytic - numeric)
                        / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))))


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def compare(analytic: object, numeric: np.ndarray) -> Comparison:
    try:
        given = np.asarray(analytic, dtype=np.float64)
    except (TypeError, ValueError):
        return Comparison(WRONG_GRADIENT, None, None, f"is not an array ({type(analytic).__name__})")
    if given.ndim == 0 and numeric.ndim:  # ``return 1``: the same slope everywhere
        given = np.broadcast_to(given, numeric.shape)
    if given.shape != numeric.shape:
        if given.size == numeric.size and given.T.shape == numeric.shape and given.ndim == 2:
            note = f"has shape {_shape(given.shape)}, its input {_shape(numeric.shape)} (transposed)"
        else:
            note = f"has shape {_shape(given.shape)}, its input {_shape(numeric.shape)}"
        return Comparison(WRONG_GRADIENT, None, None, note, given.size)
    error = rel_error(given, numeric)
    norm = float(np.linalg.norm(given - numeric) / max(np.linalg.norm(given) + np.linalg.norm(numeric), 1e-300))
    if error < OK_ERROR or norm < OK_NORM_ERROR or not np.any(numeric) and not np.any(given):
        return Comparison(OK, error, None)
    numeric_norm, given_norm = np.linalg.norm(numeric), np.linalg.norm(given)
    if numeric_norm == 0 or given_norm == 0:
        what = ("is zero (the parameter does not move)" if given_norm == 0
                else "is not zero, while the true gradient is zero")
        return Comparison(WRONG_GRADIENT, error, None, what)
    cosine = float(np.vdot(given, numeric) / (given_norm * numeric_norm))
    if cosine < -0.99:
        return Comparison(WRONG_SIGN, error, None, "points the other way (the negative gradient)")
    scale = float(np.vdot(given, numeric) / np.vdot(numeric, numeric))
    if cosine > 1 - 1e-9 and scale > 0:
        return Comparison(WRONG_GRADIENT, error, scale, f"is {scale:.4g} times the true gradient")
    return Comparison(WRONG_GRADIENT, error, None, "")
