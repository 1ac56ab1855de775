"""Calling the network's methods: arguments by name, the forward output, one training step."""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from bplint.gradcheck import naming
from bplint.gradcheck.guard import WATCH
from bplint.gradcheck.instantiate import CheckError


@dataclass
class Call:
    """What a method can be given: inputs, targets, the forward output, the learning rate."""

    inputs: np.ndarray
    targets: object = None
    output: object = None
    rate: Optional[float] = None
    rate_names: List[str] = field(default_factory=list)
    previous: object = None
    rate_used: bool = False


def arguments(method, call: Call, what: str, first: object = None) -> Dict[str, object]:
    """Keyword arguments for ``method``, chosen by parameter name (see :mod:`naming`); the
    first parameter gets ``first`` when it is given."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return {}
    kwargs: Dict[str, object] = {}
    previous_used = False
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        name = p.name
        if first is not None and not kwargs:
            kwargs[name] = first
        elif naming.is_target(name) and call.targets is not None:
            kwargs[name] = call.targets
        elif naming.is_output(name) and call.output is not None:
            kwargs[name] = call.output
        elif naming.is_input(name):
            kwargs[name] = call.inputs
        elif naming.is_learning_rate(name) or name in call.rate_names:
            if call.rate is not None:
                kwargs[name] = call.rate
                call.rate_used = True
            elif p.default is p.empty:
                kwargs[name] = 0.01
        elif naming.is_epochs(name):
            kwargs[name] = 1
        elif naming.is_batch_size(name):
            kwargs[name] = len(call.inputs)
        elif p.default is not p.empty:
            continue
        elif call.previous is not None and not previous_used:
            kwargs[name] = call.previous
            previous_used = True
        else:
            raise CheckError(f"cannot call {what}: no value for its parameter `{name}`")
    return kwargs


def output_index(function, count: int) -> int:
    """Which element of a returned tuple is the network's output: a name like ``out`` or
    ``y_hat``, else the highest layer number (``z2`` of ``return z2, a1``), else the first."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) \
                and len(node.value.elts) == count:
            names = [getattr(e, "id", getattr(e, "attr", "")) for e in node.value.elts]
            for index, name in enumerate(names):
                if naming.is_output(name):
                    return index
            digits = [int("".join(c for c in n if c.isdigit()) or -1) for n in names]
            return max(range(count), key=lambda i: (digits[i], -i))
    return 0


class Network:
    """An instance with its forward method and training step."""

    def __init__(self, instance: object, forward: str, steps: List[str], layout: str) -> None:
        self.instance = instance
        self.forward_name = forward
        self.steps = steps
        self.layout = layout

    def _forward_once(self, x: np.ndarray, call: Call) -> np.ndarray:
        method = getattr(self.instance, self.forward_name)
        result = method(**arguments(method, Call(x, call.targets), f"`{self.forward_name}`", first=x))
        if isinstance(result, (tuple, list)) and result and not isinstance(result[0], (int, float)):
            function = getattr(type(self.instance), self.forward_name)
            result = result[output_index(function, len(result))]
        if result is None:
            raise CheckError(f"`{self.forward_name}` returns nothing; gradcheck needs the output")
        out = np.asarray(result)
        if out.dtype.kind != "f":
            raise CheckError(f"`{self.forward_name}` returns {out.dtype} values, not the "
                             "network's real-valued output")
        return out

    def output(self, call: Call) -> np.ndarray:
        if self.layout == "samples":
            return np.stack([self._forward_once(x, call) for x in call.inputs])
        return self._forward_once(call.inputs, call)

    def step(self, call: Call, watched: List[object]
             ) -> Tuple[Dict[int, Tuple[int, str]], Dict[int, int]]:
        """Forward, then the training step; by watched object, the update that could not be
        applied (its line and error) and the line of the first update."""
        call.output = self.output(call) if self.layout != "samples" else None
        call.previous = None
        WATCH.start(watched)
        try:
            for name in self.steps:
                method = getattr(self.instance, name)
                call.previous = method(**arguments(method, call, f"`{name}`"))
        finally:
            found = WATCH.stop()
        return found
