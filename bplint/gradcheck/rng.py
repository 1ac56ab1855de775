"""Deterministic randomness: the same dropout mask in every evaluation of the network.

NumPy's global generator, Python's ``random``, and every ``np.random.Generator`` or
``RandomState`` found in the script's globals or on the instance are put back to one saved state
before each call of the forward pass and of the training step (see :func:`wrap`). A mask drawn
in forward is therefore the same in the training step and in every finite-difference evaluation.
"""

from __future__ import annotations

import functools
import inspect
import random
from typing import Callable, Dict, Iterable, List

import numpy as np

from bplint.gradcheck import naming

_GENERATORS = (np.random.Generator, np.random.RandomState)


def _generators(values: Iterable[object], depth: int = 0) -> List[object]:
    found = []
    for value in values:
        if isinstance(value, _GENERATORS):
            found.append(value)
        elif depth < 2 and isinstance(value, (list, tuple)):
            found.extend(_generators(value, depth + 1))
        elif depth < 2 and isinstance(value, dict):
            found.extend(_generators(value.values(), depth + 1))
    return found


def _state(generator):
    return generator.bit_generator.state if isinstance(generator, np.random.Generator) \
        else generator.get_state()


def _set_state(generator, state) -> None:
    if isinstance(generator, np.random.Generator):
        generator.bit_generator.state = state
    else:
        generator.set_state(state)


class Randomness:
    """The saved state of every generator the network can draw from."""

    def __init__(self, namespace: Dict[str, object], seed: int = 0) -> None:
        np.random.seed(seed)
        random.seed(seed)
        self._global = np.random.get_state()
        self._python = random.getstate()
        self._saved = [(g, _state(g)) for g in _generators(namespace.values())]

    def adopt(self, instance: object) -> None:
        """Also restore the generators stored on ``instance`` (at their current state)."""
        holders = [vars(instance)] if hasattr(instance, "__dict__") else []
        known = {id(g) for g, _ in self._saved}
        for holder in holders:
            for generator in _generators(holder.values()):
                if id(generator) not in known:
                    self._saved.append((generator, _state(generator)))

    def restore(self) -> None:
        np.random.set_state(self._global)
        random.setstate(self._python)
        for generator, state in self._saved:
            _set_state(generator, state)


def _training_flags(function: Callable) -> List[str]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if isinstance(p.default, bool) and naming.is_training_flag(p.name)]


def wrap(instance: object, name: str, randomness: Randomness) -> None:
    """Make ``instance.name`` restore the randomness first, and run in training mode (a
    ``training=False`` argument, which a loss method may pass, is turned to True)."""
    method = getattr(instance, name, None)
    if not callable(method) or getattr(method, "__bplint_wrapped__", False):
        return
    flags = _training_flags(method)
    signature = inspect.signature(method) if flags else None

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if signature is not None:
            bound = signature.bind_partial(*args, **kwargs)
            for flag in flags:
                bound.arguments[flag] = True
            args, kwargs = bound.args, bound.kwargs
        randomness.restore()
        return method(*args, **kwargs)

    wrapper.__bplint_wrapped__ = True
    setattr(instance, name, wrapper)
