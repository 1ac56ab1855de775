"""Build the network: constructor arguments, learning rate, inputs and targets.

Sizes come from the plan (3, 4, 2...: distinct, so that a transposed gradient cannot fit);
learning-rate parameters, attributes and globals are set to the check's learning rate and
regularisation strengths to 0 (the check compares with the data loss alone). Inputs are random
normal; targets are one-hot where the output is a softmax, else uniform in (0.05, 0.95).
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from bplint.gradcheck import naming
from bplint.gradcheck import params as P
from bplint.gradcheck.losses import softmax_axis
from bplint.gradcheck.rng import Randomness, wrap

BATCH = 5


class CheckError(Exception):
    """The class cannot be checked; the message says why and what to pass."""


def parse_init(text: Optional[str]) -> Dict[str, Tuple[str, object]]:
    """``--init "input_size=3,layers=[Dense(3, 4)]"``: keyword arguments, each a Python
    expression (its source, compiled), evaluated in the script's namespace for each instance."""
    if not text:
        return {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise CheckError(f"--init {text!r} is not a list of name=value") from None
    if call.args or any(k.arg is None for k in call.keywords):
        raise CheckError(f"--init {text!r}: write every argument as name=value")
    return {k.arg: (ast.unparse(k.value), compile(ast.Expression(k.value), "--init", "eval"))
            for k in call.keywords}


def init_hint(plan: dict) -> str:
    """What ``--init`` could say for this class."""
    parts = []
    for entry in plan["init"]:
        if entry["kind"] in ("size", "sizes"):
            parts.append(f"{entry['name']}={entry['value']!r}".replace(" ", ""))
        elif entry["kind"] == "objects":
            parts.append(f"{entry['name']}=[...]")
    return ",".join(parts) or "name=value,..."


class Builder:
    """Makes fresh, identical instances of the network at a given learning rate."""

    def __init__(self, namespace: Dict[str, object], plan: dict,
                 overrides: Dict[str, Tuple[str, object]], randomness: Randomness) -> None:
        self.namespace = namespace
        self.plan = plan
        self.cls = namespace[plan["class"]]
        if not plan["init"]:  # no __init__ in the file (a dataclass, a base class elsewhere)
            plan["init"] = runtime_init(self.cls)
        self.overrides = overrides
        self.randomness = randomness
        self.sets_rate = False

    def _override(self, name: str) -> object:
        try:
            return eval(self.overrides[name][1], self.namespace)  # noqa: S307 - the user's own
        except Exception as exc:  # noqa: BLE001
            raise CheckError(f"--init {name}: {type(exc).__name__}: {exc}") from None

    def arguments(self, rate: float) -> Dict[str, object]:
        kwargs: Dict[str, object] = {}
        for entry in self.plan["init"]:
            name, kind = entry["name"], entry["kind"]
            if name in self.overrides:
                kwargs[name] = self._override(name)
            elif kind in ("size", "sizes"):
                kwargs[name] = list(entry["value"]) if kind == "sizes" else entry["value"]
            elif kind == "lr":
                kwargs[name] = rate
                self.sets_rate = True
            elif kind == "reg":
                kwargs[name] = 0.0
            elif kind == "one":
                kwargs[name] = 1
            elif kind == "objects":
                raise CheckError(
                    f"cannot instantiate {self.plan['class']}: its constructor parameter "
                    f"`{name}` takes objects, not sizes; pass it with "
                    f"--init \"{name}=[...]\" (any Python expression over the script's names)")
        for name in self.overrides:
            if name not in kwargs:
                kwargs[name] = self._override(name)
        return kwargs

    def signature(self) -> str:
        shown = []
        for entry in self.plan["init"]:
            name = entry["name"]
            if name in self.overrides:
                shown.append(f"{name}={self.overrides[name][0]}")
            elif entry["kind"] in ("size", "sizes", "one"):
                shown.append(f"{name}={entry.get('value', 1)!r}")
        shown += [f"{n}={src}" for n, (src, _) in self.overrides.items()
                  if not any(e["name"] == n for e in self.plan["init"])]
        return f"{self.plan['class']}({', '.join(shown)})"

    def make(self, rate: float, methods: List[str]) -> object:
        """A new instance (the randomness restored first, so every instance starts the same),
        its parameters in float64, its learning rate set, its methods in ``methods`` wrapped."""
        self.randomness.restore()
        kwargs = self.arguments(rate)
        try:
            instance = self.cls(**kwargs)
        except CheckError:
            raise
        except Exception as exc:  # noqa: BLE001
            # the values just tried failed: name the arguments, not those values again
            hint = ",".join(f"{name}=..." for name in kwargs) or "name=value,..."
            raise CheckError(f"cannot instantiate {self.plan['class']}"
                             f"({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}): "
                             f"{type(exc).__name__}: {exc}; pass its arguments with "
                             f"--init \"{hint}\"") from None
        P.to_float64(instance)
        self._set_rate(instance, rate)
        self.randomness.adopt(instance)
        for name in methods:
            wrap(instance, name, self.randomness)
        return instance

    def _set_rate(self, instance: object, rate: float) -> None:
        for name in self.plan["lr_attributes"]:
            value = getattr(instance, name, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                setattr(instance, name, rate)
                self.sets_rate = True
        for name in self.plan["lr_globals"]:
            value = self.namespace.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.namespace[name] = rate
                self.sets_rate = True


def runtime_init(cls: type) -> List[dict]:
    """The constructor's parameters as Python sees them, classified by name like the plan's."""
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return []
    entries = []
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if naming.is_learning_rate(p.name):
            kind = "lr"
        elif naming.is_regularisation(p.name):
            kind = "reg"
        elif p.default is not p.empty:
            kind = "default"
        else:
            kind = "one" if naming.is_epochs(p.name) else "size"
        entries.append({"name": p.name, "kind": kind})
    sizes = iter(naming.sizes_for(sum(e["kind"] == "size" for e in entries)))
    for entry in entries:
        if entry["kind"] == "size":
            entry["value"] = next(sizes)
    return entries


def feature_counts(plan: dict, kwargs: Dict[str, object]) -> List[int]:
    """The number of input features to try: the constructor's first size."""
    for entry in plan["init"]:
        value = kwargs.get(entry["name"])
        if entry["kind"] == "size" and isinstance(value, int):
            return [value]
        if entry["kind"] == "sizes" and isinstance(value, (list, tuple)) and value \
                and isinstance(value[0], int):
            return [value[0]]
    return []


def layouts(features: List[int], shape: Optional[Tuple[int, ...]], takes_inputs: bool
            ) -> List[Tuple[str, np.ndarray]]:
    """Candidate inputs: a batch of rows, of columns, rows fed one at a time, one sample."""
    rng = np.random.default_rng(1234)
    if shape is not None:
        found = [("given", rng.standard_normal(shape))]
        if takes_inputs and len(shape) == 2:
            found.append(("samples", rng.standard_normal(shape)))
        return found
    found = []
    for n in features:
        found.append(("rows", rng.standard_normal((BATCH, n))))
        found.append(("columns", rng.standard_normal((n, BATCH))))
        if takes_inputs:
            found.append(("samples", rng.standard_normal((BATCH, n))))
        found.append(("sample", rng.standard_normal(n)))
    return found


@dataclass
class Targets:
    kind: str            # same, transposed, labels, squeezed
    value: np.ndarray    # what the training step gets
    aligned: np.ndarray  # the same targets in the output's shape (one-hot for labels)
    axis: Optional[int]  # the output's softmax axis


def targets(out: np.ndarray, seed: int = 0) -> List[Targets]:
    rng = np.random.default_rng(4321 + seed)
    axis = softmax_axis(out)
    if axis is not None:
        classes = rng.integers(0, out.shape[axis], size=np.delete(out.shape, axis))
        base = np.moveaxis(np.eye(out.shape[axis])[classes], -1, axis)
    else:
        base = rng.uniform(0.05, 0.95, size=out.shape)
    found = [Targets("same", base, base, axis)]
    if base.ndim == 2 and base.shape[0] != base.shape[1]:
        found.append(Targets("transposed", base.T.copy(), base, axis))
    if axis is not None:
        found.append(Targets("labels", np.argmax(base, axis=axis), base, axis))
    if 1 in base.shape:
        found.append(Targets("squeezed", base.reshape([d for d in base.shape if d != 1]), base, axis))
    return found


def takes_inputs(plan: dict, namespace: Dict[str, object], steps: List[str]) -> bool:
    """Whether the first method of the step takes the inputs itself."""
    method = getattr(namespace[plan["class"]], steps[0], None)
    try:
        names = list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return False
    return any(naming.is_input(name) for name in names[1:])
