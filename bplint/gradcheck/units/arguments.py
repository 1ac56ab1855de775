"""Arguments to try a forward function with: small distinct sizes in the usual layouts.

Each array argument gets a role from how such code names it (a weight ``w``/``W``/``Wx``, a
recurrent weight ``Wh``, a bias ``b``, a scale or shift ``gamma``/``beta``, a previous hidden
state ``prev_h``, else data), and each layout gives every role a shape: batch-of-rows (cs231n:
``x (5, 3)``, ``w (3, 4)``, ``b (4,)``), batch-of-columns (Andrew Ng: ``A (3, 5)``, ``W (4, 3)``,
``b (4, 1)``), images (``x (2, 3, 6, 6)``, ``w (4, 3, 3, 3)``), sequences (``x (5, 2, 3)``).
The sizes differ from each other, so a transposed gradient cannot have its input's shape. The
first layout the forward function runs with is the one checked.

Dict arguments (``conv_param``, ``bn_param``, ``dropout_param``) get the keys the function reads,
with the values such code usually passes; arguments with defaults keep them.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

N, D, M = 5, 3, 4
IMAGES = dict(N=2, C=3, H=6, W=6, F=4, K=3)
STEPS = 2

_LAYOUTS: Dict[str, Dict[str, Tuple[int, ...]]] = {
    "rows": {"data": (N, D), "weight": (D, M), "recurrent": (M, M), "bias": (M,),
             "scale": (D,), "state": (N, M)},
    "rows, 2-D bias": {"data": (N, D), "weight": (D, M), "recurrent": (M, M), "bias": (1, M),
                       "scale": (1, D), "state": (N, M)},
    "rows, a bias on the input": {"data": (N, D), "weight": (D, M), "recurrent": (M, M),
                                  "bias": (D,), "scale": (D,), "state": (N, M)},
    "rows, normalised outputs": {"data": (N, D), "weight": (D, M), "recurrent": (M, M),
                                 "bias": (M,), "scale": (M,), "state": (N, M)},
    "columns": {"data": (D, N), "weight": (M, D), "recurrent": (M, M), "bias": (M, 1),
                "scale": (D, 1), "state": (M, N)},
    "images": {"data": (IMAGES["N"], IMAGES["C"], IMAGES["H"], IMAGES["W"]),
               "weight": (IMAGES["F"], IMAGES["C"], IMAGES["K"], IMAGES["K"]),
               "recurrent": (M, M), "bias": (IMAGES["F"],), "scale": (IMAGES["C"],),
               "state": (N, M)},
    "sequences": {"data": (N, STEPS, D), "weight": (D, M), "recurrent": (M, M), "bias": (M,),
                  "scale": (D,), "state": (N, M)},
}
LAYOUT_NAMES = tuple(_LAYOUTS)

_CONFIG_VALUES = {"stride": 1, "pad": 1, "mode": "train", "p": 0.5, "keep_prob": 0.5, "eps": 1e-5,
                  "momentum": 0.9, "pool_height": 2, "pool_width": 2, "pool_size": 2,
                  "seed": 0, "padding": 1, "kernel_size": 3, "layernorm": 0}

_RECURRENT = re.compile(r"^(wh|w_?hh|whh|u|u_\w+|w_?h)$", re.IGNORECASE)
_WEIGHT = re.compile(r"^(w|w\d*|w_?\w+|weights?\w*|kernel|theta|wx|w_?xh)$", re.IGNORECASE)
_BIAS = re.compile(r"^(b|b\d*|b_?\w+|bias\w*)$", re.IGNORECASE)
_SCALE = re.compile(r"^(gamma|beta|scale|shift)$", re.IGNORECASE)
_STATE = re.compile(r"^(prev_?[hc]|[hc]_?prev|[hc]0|hprev|cprev|prev_?state|h_?t_?1)$", re.IGNORECASE)
_CONFIG = re.compile(r"(params?|config|cfg|options|settings)$", re.IGNORECASE)


def role(name: str) -> str:
    """What an argument of a forward function holds, as its name says."""
    if _STATE.match(name):
        return "state"
    if _RECURRENT.match(name):
        return "recurrent"
    if _SCALE.match(name):
        return "scale"
    if _WEIGHT.match(name):
        return "weight"
    if _BIAS.match(name):
        return "bias"
    return "data"


def configs(keys: Sequence[str]) -> List[dict]:
    """The settings dicts to try: every usual key (a dict handed on to another function is read
    there), and, where padding is read, the same without padding (a backward that ignores
    ``pad`` is right only at 0, or only elsewhere)."""
    base = dict(_CONFIG_VALUES)
    return [base, {**base, "pad": 0, "padding": 0}] if {"pad", "padding"} & set(keys) else [base]


class Draw:
    """Random arrays from one seeded generator, values kept away from 0 (ReLU kinks)."""

    def __init__(self, seed: int) -> None:
        self.generator = np.random.default_rng(seed)

    def normal(self, shape: Tuple[int, ...]) -> np.ndarray:
        values = self.generator.standard_normal(shape)
        return np.where(np.abs(values) < 0.05, np.sign(values + 1e-12) * 0.05 + values, values)

    def probabilities(self, shape: Tuple[int, ...]) -> np.ndarray:
        return self.generator.uniform(0.05, 0.95, shape)


def candidates(arguments: Sequence[Tuple[str, bool]], settings: Dict[str, dict],
               mode: Optional[dict], seed: int) -> Iterator[Tuple[str, Dict[str, object]]]:
    """(layout name, keyword arguments) for each layout. ``arguments`` are the forward's
    (name, has a default); those with defaults are left out unless they are the mode argument.
    ``settings`` gives each dict argument its value."""
    for layout in LAYOUT_NAMES:
        draw = Draw(seed)
        values: Dict[str, object] = {}
        for name, has_default in arguments:
            if mode is not None and name == mode["argument"]:
                values[name] = mode["value"]
            elif has_default:
                continue
            elif name in settings or _CONFIG.search(name):
                values[name] = dict(settings.get(name, _CONFIG_VALUES))
            else:
                values[name] = draw.normal(_LAYOUTS[layout][role(name)])
        yield layout, values


def setting_variants(read: Dict[str, List[str]]) -> List[Dict[str, dict]]:
    """For each variant to run, the value of every dict argument (see :func:`configs`)."""
    variants: List[Dict[str, dict]] = [{}]
    for name, keys in read.items():
        variants = [{**variant, name: choice} for variant in variants for choice in configs(keys)]
    return variants
