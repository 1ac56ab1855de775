"""Finite differences, and the comparison of an applied update with minus the gradient.

For an update ``u`` and the numerical gradient ``g`` of one parameter (both flattened), with
``d = -g`` the descent direction:

- cosine: ``u·d / (|u| |d|)``; 1 is exactly downhill, -1 exactly uphill;
- relative error: ``|u - s d| / |u|`` with ``s = max(0, u·d / d·d)``, the least-squares step size
  (never negative): what is left of the update once the best step along ``-g`` is taken out.

Verdicts: ``ok`` (relative error below :data:`TOLERANCE`), ``wrong sign`` (exactly uphill:
``-u`` would be ok), ``no update`` (the parameter did not move while its gradient is not zero),
``wrong gradient`` (anything else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from bplint.gradcheck import params as P
from bplint.gradcheck.verdicts import NO_UPDATE, OK, WRONG_GRADIENT, WRONG_SIGN

STEP = 1e-6           # the finite-difference step
TOLERANCE = 1e-4      # relative error still called ok (finite differences agree to ~1e-8)
LINEARITY = 1e-6      # how far update / learning rate may move between two learning rates
KINK = 1e-3           # one-sided slopes differing by more than this (relative) mark a kink



@dataclass
class Comparison:
    cosine: Optional[float]
    error: Optional[float]
    verdict: str


def gradients(instance: object, paths: List[P.Path], evaluate: Callable[[], Dict[str, float]]
              ) -> Tuple[Dict[str, Dict[P.Path, np.ndarray]], Dict[P.Path, np.ndarray]]:
    """Centred differences of every loss ``evaluate`` returns, for every parameter; and where
    the loss has a kink (the one-sided slopes differ: a ReLU exactly at 0), by parameter."""
    base = evaluate()
    result: Dict[str, Dict[P.Path, np.ndarray]] = {}
    kinks: Dict[P.Path, np.ndarray] = {}
    for path in paths:
        shape = np.shape(P.get(instance, path))
        grads: Dict[str, np.ndarray] = {}
        kink = np.zeros(shape, dtype=bool)
        for index in np.ndindex(*shape):
            plus = _nudge(instance, path, index, STEP, evaluate)
            minus = _nudge(instance, path, index, -STEP, evaluate)
            for loss in plus.keys() & minus.keys() & base.keys():
                grads.setdefault(loss, np.zeros(shape))[index] = (plus[loss] - minus[loss]) / (2 * STEP)
                right, left = (plus[loss] - base[loss]) / STEP, (base[loss] - minus[loss]) / STEP
                if abs(right - left) > KINK * (abs(right) + abs(left)) + 1e-7:
                    kink[index] = True
        for loss, grad in grads.items():
            result.setdefault(loss, {})[path] = grad
        kinks[path] = kink
    return result, kinks


def _nudge(instance, path, index, step, evaluate) -> Dict[str, float]:
    value = P.get(instance, path)
    if isinstance(value, np.ndarray):
        old = value[index]
        value[index] = old + step
        try:
            return evaluate()
        finally:
            value[index] = old
    P.put(instance, path, value + step)
    try:
        return evaluate()
    finally:
        P.put(instance, path, value)


def compare(update: np.ndarray, grad: np.ndarray) -> Comparison:
    u = np.asarray(update, dtype=float).ravel()
    d = -np.asarray(grad, dtype=float).ravel()
    nu, nd = float(np.linalg.norm(u)), float(np.linalg.norm(d))
    if nu == 0.0:
        return Comparison(None, None, OK if nd == 0.0 else NO_UPDATE)
    if nd == 0.0:
        return Comparison(None, 1.0, WRONG_GRADIENT)
    dot = float(u @ d)
    cosine = dot / (nu * nd)
    scale = max(0.0, dot / (nd * nd))
    error = float(np.linalg.norm(u - scale * d)) / nu
    if error < TOLERANCE:
        return Comparison(cosine, error, OK)
    flipped = float(np.linalg.norm(u - (dot / (nd * nd)) * d)) / nu
    return Comparison(cosine, error, WRONG_SIGN if cosine < 0 and flipped < TOLERANCE else WRONG_GRADIENT)


def compare_penalised(update: np.ndarray, grad: np.ndarray, value: np.ndarray) -> Comparison:
    """:func:`compare` against the gradient of the loss plus an L2 penalty ``c/2 |value|^2``,
    with ``c >= 0`` fitted with the step size: how strong the penalty is beside the data loss
    depends on conventions (a mean or a sum, ``l2 * W`` or ``2 * l2 * W``) that a step taking
    its strength as a default argument does not say."""
    plain = compare(update, grad)
    if plain.verdict == OK:
        return plain
    u = np.asarray(update, dtype=float).ravel()
    columns = np.stack([-np.asarray(grad, dtype=float).ravel(),
                        -np.asarray(value, dtype=float).ravel()], axis=1)
    weights, *_ = np.linalg.lstsq(columns, u, rcond=None)
    if np.any(weights < 0):
        return plain  # a penalty that rewards large weights, or an update that climbs: no fit
    penalised = compare(update, -(columns @ weights))
    return penalised if penalised.verdict == OK else plain


def nonlinearity(small: np.ndarray, small_rate: float, large: np.ndarray, large_rate: float) -> float:
    """How much ``update / learning rate`` changes between two learning rates (0: proportional)."""
    a = np.asarray(small, dtype=float).ravel() / small_rate
    b = np.asarray(large, dtype=float).ravel() / large_rate
    norm = float(np.linalg.norm(a))
    return float(np.linalg.norm(b - a)) / norm if norm else 0.0
