"""What a layer object holds: its parameters, the gradients its backward pass left, its caches.

A layer's parameters are the float arrays it holds when built (directly, or in a ``params``-like
dict), less what looks like a gradient or a cache; a layer that builds its weights in its first
forward pass is read after that pass. The gradient of a parameter ``W`` is looked for where such
code leaves it: ``self.dW``, ``self.grad_W``, ``self.W_grad``, ``self.grads['W']``, or returned
after ``dx``.
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from bplint.gradcheck.units import arguments as A


def _is_float_array(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0


def parameters_of(layer: object) -> Dict[str, np.ndarray]:
    """The float arrays the layer holds directly, or in a ``params``-like dict."""
    found: Dict[str, np.ndarray] = {}
    for name, value in vars(layer).items():
        if _is_float_array(value) and not _looks_like_gradient(name) and not _is_cache(name):
            found[name] = value
        elif isinstance(value, dict) and name.lower() in ("params", "parameters", "weights", "p"):
            for key, item in value.items():
                if _is_float_array(item):
                    found[str(key)] = item
    return found


def to_float64(layer: object) -> None:
    """The layer's float arrays, and those of its ``params``-like dicts, as float64 (finite
    differences of 1e-6 are lost in float32)."""
    for name, value in list(vars(layer).items()):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float64:
            setattr(layer, name, value.astype(np.float64))
        elif isinstance(value, dict):
            for key, item in list(value.items()):
                if isinstance(item, np.ndarray) and item.dtype.kind == "f" \
                        and item.dtype != np.float64:
                    value[key] = item.astype(np.float64)


def lazy_parameters(layer: object) -> Dict[str, np.ndarray]:
    """The weights a layer builds in its first forward pass (its input size known only then):
    those in a ``params``-like dict, or named as weights and biases are."""
    found = parameters_of(layer)
    return {name: value for name, value in found.items()
            if name not in vars(layer) or A.role(name) != "data"}


def names_a_gradient(name: str) -> bool:
    """``dout``, ``dL_dy``, ``grad``, ``delta``, ``outError``, ``upstream``: the argument of a
    backward that multiplies an upstream gradient (not of one that returns the derivative)."""
    lowered = name.lower()
    return lowered.startswith(("d", "g_", "upstream")) or any(
        word in lowered for word in ("grad", "delta", "err"))


def _looks_like_gradient(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(("d", "grad", "g_")) and len(lowered) > 1 or lowered.endswith("grad")


def _is_cache(name: str) -> bool:
    lowered = name.lower().strip("_")
    return lowered in ("x", "input", "inputs", "out", "output", "outputs", "cache", "mask", "a",
                       "z", "y", "h", "last_input", "last_output", "prev", "activation")


_GRADIENT_NAMES = ("d{}", "d_{}", "grad_{}", "{}_grad", "g{}", "dl_d{}", "d{}_", "{}_gradient",
                   "grad{}", "delta_{}")


def parameter_gradients(layer, parameters, returned) -> Dict[str, Tuple[object, str]]:
    """For each parameter, the gradient the backward pass gave and the name it was stored
    under: an attribute named after it (``dW``, ``grad_W``), an entry of a ``grads`` dict, the
    values returned after ``dx``, or, when backward moved the parameter itself, nothing (that is
    an update, checked by the network check)."""
    state = vars(layer)
    lowered = {name.lower(): name for name in state}
    grads_dict = next((state[k] for k in state if k.lower() in ("grads", "gradients", "dparams",
                                                                 "grad")
                       and isinstance(state[k], dict)), {})
    found: Dict[str, Tuple[object, str]] = {}
    extra = list(returned[1:]) if isinstance(returned, (tuple, list)) else []
    for name in parameters:
        for form in _GRADIENT_NAMES:
            key = form.format(name).lower()
            if key in lowered and _is_float_array(state[lowered[key]]):
                found[name] = (state[lowered[key]], lowered[key])
                break
        else:
            for key in (name, f"d{name}", f"d_{name}"):
                if key in grads_dict:
                    found[name] = (grads_dict[key], key)
                    break
    if extra and not found and len(extra) == len(parameters):
        for name, grad in zip(parameters, extra):
            found[name] = (grad, name)
    return found
