"""One class, checked: find how to call it, run one training step, compare with finite differences.

1. Probe: instantiate, try the input layouts (rows, columns, rows one at a time, one sample)
   until forward runs, then the target forms (same shape as the output, transposed, integer
   labels, squeezed) until the training step runs. A step that raises in the script's code
   with every one of them is the verdict (:class:`StepRaised`), not a reason to give up.
2. Parameters: the float arrays the constructor stored that the output depends on.
3. The numerical gradient of the loss (the class's loss method, or squared error and
   cross-entropy) at the starting parameters.
4. One training step from the same start at a small learning rate (the applied update), and one
   at a 100 times larger one: an update that does not scale with the learning rate read a
   parameter after moving it (stale weights).
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from bplint.gradcheck import losses, naming
from bplint.gradcheck import params as P
from bplint.gradcheck.calls import Call, Network, arguments
from bplint.gradcheck.instantiate import (Builder, CheckError, Targets, feature_counts,
                                          init_hint, layouts, parse_init, takes_inputs, targets)
from bplint.gradcheck.program import Program
from bplint.gradcheck.rng import Randomness

SMALL_RATE, LARGE_RATE = 1e-4, 1e-2


@dataclass
class Setup:
    steps: List[str]
    layout: str
    inputs: np.ndarray
    targets: Targets


class StepRaised(Exception):
    """The training step raised in the script's code: the error, where, the data it was given,
    and how many of the script's lines ran before (how far the step got)."""

    def __init__(self, setup: Setup, exc: BaseException, frame, where: str, rate_used: bool,
                 progress: int) -> None:
        super().__init__(str(exc))
        self.setup = setup
        self.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        self.function = frame.tb_frame.f_code.co_name
        self.where = where
        self.rate_used = rate_used
        self.progress = progress


def step_verdict(attempts: List[StepRaised], forward: str) -> Optional[StepRaised]:
    """What to report when every attempt at one training step failed, from the attempts with
    the first input layout that forward accepted, one per target form; None when the failure
    may be the fault of gradcheck's guesses.

    The target form the step got furthest with is the one it takes (one-hot targets stop at
    ``probs[range(n), y]``, integer labels go on to the real error). Its error is the code's,
    unless it was raised in the forward method: forward took these inputs on their own, so a
    step that makes it fail fed it something else (the layout is the wrong guess)."""
    if not attempts:
        return None
    furthest = max(attempts, key=lambda a: a.progress)
    return None if furthest.function == forward else furthest


class _LineCounter:
    """Counts the lines of one file that run while it is active (``sys.settrace``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0

    def _local(self, frame, event, arg):
        if event == "line":
            self.count += 1
        return self._local

    def _global(self, frame, event, arg):
        return self._local if frame.f_code.co_filename == self.path else None

    def __enter__(self) -> "_LineCounter":
        self._previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self._previous)


@dataclass
class Penalty:
    """An L2 strength that a method of the step takes with a default (``l2=1e-4``): its term is
    part of the loss the step descends, and of the loss differentiated. ``in_loss`` when the
    loss method takes a strength too and is given this one."""

    method: str
    name: str
    value: float
    in_loss: bool = False

    def describe(self) -> str:
        return f"`{self.method}`'s {self.name}={self.value:g}"


def strength_parameter(function: Callable) -> Optional[str]:
    """The parameter of ``function`` named like a regularisation strength, if any."""
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None
    return next((n for n in names if naming.is_regularisation(n)), None)


class Checker:
    def __init__(self, namespace: Dict[str, object], plan: dict, options: dict,
                 program: Program) -> None:
        self.namespace = namespace
        self.plan = plan
        self.options = options
        self.path = program.path  # the file name of the code executed
        self.program = program
        self.where = program.where
        overrides = parse_init(options.get("init"))
        self.builder = Builder(namespace, plan, overrides, Randomness(namespace))
        cls = namespace[plan["class"]]
        names = {plan["forward"], *naming.FORWARD_NAMES, *(m for s in plan["steps"] for m in s)}
        self.wrapped = [n for n in names if n != "__call__" and callable(getattr(cls, n, None))]

    # -- 1. probe ---------------------------------------------------------------------------

    def _raised_in(self, exc: BaseException):
        """The traceback entry of the script's code that raised ``exc`` (its deepest one there),
        or None when the error is not the script's (gradcheck's own calls raised it)."""
        if isinstance(exc, CheckError):
            return None
        tb, found = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.path:
                found = tb
            tb = tb.tb_next
        return found

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, CheckError):
            return str(exc)
        frame = self._raised_in(exc)
        where = f" ({self.program.line(frame.tb_lineno)})" if frame is not None else ""
        return f"{type(exc).__name__}: {exc}{where}"

    def _features(self) -> List[int]:
        found = feature_counts(self.plan, self.builder.arguments(SMALL_RATE))
        if found:
            return found
        instance = self.builder.make(SMALL_RATE, self.wrapped)
        dims = [d for path in P.candidates(instance) for d in np.shape(P.get(instance, path))]
        return list(dict.fromkeys(d for d in dims if d > 1))

    def probe(self) -> Setup:
        shape = self.options.get("input_shape")
        features = [] if shape else self._features()
        forward_errors, step_errors, fallback = [], [], None
        first = None  # the step and layout of the first failed attempt
        attempts: List[StepRaised] = []  # with that step and layout, one per target form
        for steps in self.plan["steps"]:
            for layout, x in layouts(features, tuple(shape) if shape else None,
                                     takes_inputs(self.plan, self.namespace, steps)):
                network = self._network(SMALL_RATE, steps, layout)
                try:
                    out = network.output(Call(x.copy()))
                except Exception as exc:  # noqa: BLE001 - the next layout may work
                    forward_errors.append((x.shape, self._describe(exc)))
                    continue
                for candidate in targets(out):
                    setup = Setup(steps, layout, x, candidate)
                    failures, reason, raised = self._attempt(setup)
                    if reason is not None:  # the next target form may work
                        step_errors.append((steps, x.shape, reason))
                        first = first or (steps, layout)
                        if raised is not None and first == (steps, layout):
                            attempts.append(raised)
                        continue
                    if not failures:
                        return setup
                    fallback = fallback or setup
            if fallback is not None:
                return fallback  # this step runs, but some update cannot be applied: a finding
        raised = step_verdict(attempts, self.plan["forward"])
        if raised is not None:
            raise raised
        raise CheckError(self._explain(forward_errors, step_errors))

    def _attempt(self, setup: Setup):
        """One run of the step: (the updates that could not be applied, None, None), or when it
        raises (None, why, the script's error as a :class:`StepRaised` if it is the script's)."""
        network = self._network(SMALL_RATE, setup.steps, setup.layout)
        call = self._call(setup.inputs, setup.targets, SMALL_RATE)
        counter = _LineCounter(self.path)
        try:
            with counter:
                failures, _ = network.step(call, self._watch(network.instance))
        except Exception as exc:  # noqa: BLE001 - reported, or the caller tries other data
            frame = self._raised_in(exc)
            raised = None if frame is None else StepRaised(
                setup, exc, frame, self.where(frame.tb_lineno), call.rate_used, counter.count)
            return None, self._describe(exc), raised
        return failures, None, None

    def _explain(self, forward_errors, step_errors) -> str:
        if step_errors:
            steps, shape, reason = step_errors[0]
            return (f"cannot run the training step {' then '.join(f'`{s}`' for s in steps)} "
                    f"(inputs of shape {shape}): {reason}; pass --input-shape or --init "
                    f"\"{self._hint()}\"")
        shapes = ", ".join(dict.fromkeys(str(s) for s, _ in forward_errors)) or "none"
        reason = forward_errors[0][1] if forward_errors else "no input size known"
        return (f"cannot run `{self.plan['forward']}` on inputs of shape {shapes}: {reason}; "
                f"pass --input-shape (e.g. --input-shape 5,3) or --init \"{self._hint()}\"")

    def _hint(self) -> str:
        return init_hint(self.plan)

    def _network(self, rate: float, steps: List[str], layout: str) -> Network:
        instance = self.builder.make(rate, self.wrapped)
        return Network(instance, self.plan["forward"], steps, layout)

    def _call(self, x: np.ndarray, target: Targets, rate: Optional[float]) -> Call:
        return Call(x.copy(), target.value.copy(), rate=rate, rate_names=self.plan["lr_names"])

    @staticmethod
    def _watch(instance: object) -> List[object]:
        return [P.get(instance, path) for path in P.candidates(instance)]

    def redraw(self, setup: Setup, seed: int) -> Setup:
        """The same layout and target form with other random values."""
        x = np.random.default_rng(1234 + seed).standard_normal(setup.inputs.shape)
        network = self._network(SMALL_RATE, setup.steps, setup.layout)
        out = network.output(Call(x.copy()))
        same = [t for t in targets(out, seed) if t.kind == setup.targets.kind]
        return Setup(setup.steps, setup.layout, x, same[0]) if same else setup

    # -- 2. parameters ----------------------------------------------------------------------

    def parameters(self, network: Network, setup: Setup) -> List[P.Path]:
        """The candidates that the output depends on (perturbing them changes it)."""
        instance = network.instance
        found = P.candidates(instance)
        call = Call(setup.inputs, setup.targets.value)
        base = network.output(call)
        rng = np.random.default_rng(99)
        kept = []
        for path in found:
            value = P.get(instance, path)
            if isinstance(value, np.ndarray) and (np.shares_memory(value, setup.inputs) or
                                                  np.shares_memory(value, setup.targets.value)):
                continue
            saved = P.copy(value)
            noise = rng.standard_normal(np.shape(value)) * 1e-3 * (1 + np.abs(saved))
            P.put(instance, path, saved + noise if isinstance(value, np.ndarray)
                  else float(saved + noise))
            try:
                moved = network.output(call)
            except Exception:  # noqa: BLE001 - a value the forward cannot take is no parameter
                moved = base
            finally:
                P.put(instance, path, saved)
            if moved.shape != base.shape or not np.array_equal(moved, base):
                kept.append(path)
        return kept

    # -- 3. the loss and its numerical gradient ---------------------------------------------

    def loss_method(self) -> Optional[str]:
        chosen = self.options.get("loss")
        if chosen in (losses.MSE, losses.CE):
            return None
        cls = self.namespace[self.plan["class"]]
        if chosen:
            if not callable(getattr(cls, chosen, None)):
                raise CheckError(f"--loss {chosen}: not mse, cross-entropy or a method of "
                                 f"{self.plan['class']}")
            return chosen
        return next((n for n in naming.LOSS_NAMES if callable(getattr(cls, n, None))), None)

    def penalty(self, steps: List[str], method: Optional[str]) -> Optional[Penalty]:
        """The first non-zero L2 default among the methods the step runs; ``in_loss`` when the
        loss method ``method`` takes a strength of its own (it is then given this one)."""
        cls = self.namespace[self.plan["class"]]
        index = self.plan["steps"].index(steps)
        for owner, name in self.plan["penalties"][index]:
            try:
                default = inspect.signature(getattr(cls, owner)).parameters[name].default
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            if isinstance(default, (int, float)) and not isinstance(default, bool) and default:
                in_loss = method is not None and strength_parameter(getattr(cls, method)) is not None
                return Penalty(owner, name, float(default), in_loss)
        return None

    def evaluator(self, network: Network, setup: Setup, method: Optional[str], kinds,
                  penalty: Optional[Penalty] = None):
        call = Call(setup.inputs, setup.targets.value)

        def implied() -> Dict[str, float]:
            out = network.output(call)
            return losses.implied(out, setup.targets.aligned, setup.targets.axis, kinds)

        def by_method() -> Dict[str, float]:
            out = network.output(call)
            function = getattr(network.instance, method)
            kwargs = arguments(function, Call(setup.inputs, setup.targets.value, out), f"`{method}`")
            if penalty is not None and penalty.in_loss:
                kwargs[strength_parameter(function)] = penalty.value
            return {method: float(function(**kwargs))}

        return by_method if method else implied

    # -- 4. the training step ---------------------------------------------------------------

    def run_step(self, setup: Setup, rate: float, paths: List[P.Path], start: Dict[P.Path, object]
                 ) -> Tuple[Dict[P.Path, object], Dict[P.Path, str], Dict[P.Path, str], Call]:
        """The parameters after one step from ``start``; by parameter, the updates that could
        not be applied and where each was updated; the call made."""
        network = self._network(rate, setup.steps, setup.layout)
        instance = network.instance
        for path in paths:
            P.put(instance, path, P.copy(start[path]))
        watched = {id(P.get(instance, path)): path for path in paths}
        call = self._call(setup.inputs, setup.targets, rate)
        failures, lines = network.step(call, self._watch(instance))
        after = {path: P.copy(P.get(instance, path)) for path in paths}
        failed = {watched[key]: f"{self.program.line(row)}: {message}"
                  for key, (row, message) in failures.items() if key in watched}
        where = {watched[key]: self.where(line) for key, line in lines.items() if key in watched}
        return after, failed, where, call
