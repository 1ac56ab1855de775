"""The verdict on one class: every parameter's update against the loss's numerical gradient."""

from __future__ import annotations

import inspect
from typing import Dict, List, Optional

import numpy as np

from bplint.gradcheck import losses, numeric
from bplint.gradcheck import params as P
from bplint.gradcheck.check import LARGE_RATE, SMALL_RATE, Checker, Penalty, StepRaised
from bplint.gradcheck.instantiate import CheckError
from bplint.gradcheck.verdicts import OK, WRONG_GRADIENT

DRAWS = 4  # data drawn at most this many times to avoid kinks

_LAYOUTS = {"rows": "a batch of rows", "columns": "a batch of columns",
            "samples": "rows, forward one at a time", "sample": "one sample", "given": "as given"}


def _comparison(update, grad, value, penalty: Optional[Penalty]) -> numeric.Comparison:
    """The update against the loss differentiated: with the step's L2 penalty added, unless the
    loss method already has it."""
    if penalty is not None and not penalty.in_loss:
        return numeric.compare_penalised(update, grad, value)
    return numeric.compare(update, grad)


def _row(path, start, after, failed, grad, large, kink, penalty=None) -> dict:
    old, new = start[path], after[path]
    shape = np.shape(old)
    row = {"name": P.display(path), "shape": list(shape), "cosine": None, "error": None, "note": ""}
    if path in failed:
        row.update(verdict=WRONG_GRADIENT, note=f"the update cannot be applied ({failed[path]})")
    elif np.shape(new) != shape:
        row.update(verdict=WRONG_GRADIENT,
                   note=f"the update changes its shape from {shape} to {np.shape(new)}")
    elif not np.all(np.isfinite(new)):
        row.update(verdict=WRONG_GRADIENT, note="the update is not finite")
    else:
        update = np.asarray(new, dtype=float) - old
        keep = ~kink if 0 < kink.sum() < kink.size else np.ones(np.shape(kink), dtype=bool)
        comparison = _comparison(np.asarray(update)[keep], np.asarray(grad)[keep],
                                 np.asarray(old)[keep], penalty)
        row.update(cosine=comparison.cosine, error=comparison.error, verdict=comparison.verdict)
        if kink.any():
            row["note"] = (f"{int(kink.sum())} of {kink.size} elements left out: the loss has a "
                           "kink there (a ReLU exactly at 0)")
        if comparison.verdict == OK and large is not None and path in large:
            change = numeric.nonlinearity(update, SMALL_RATE, np.asarray(large[path]) - old,
                                          LARGE_RATE)
            if change > numeric.LINEARITY:
                row.update(verdict=WRONG_GRADIENT, note=(
                    f"the update does not scale with the learning rate (x100 moves update/rate "
                    f"by {change:.1e}): the step reads a parameter after updating it "
                    f"(stale weights, BP103)"))
    return row


def _score(rows: List[dict]):
    return (sum(r["verdict"] == OK for r in rows),
            -sum(1.0 if r["error"] is None else r["error"] for r in rows))


def _signature(cls: type, names: List[str]) -> List[str]:
    shown = []
    for name in names:
        try:
            params = list(inspect.signature(getattr(cls, name)).parameters)[1:]
        except (TypeError, ValueError, IndexError):
            params = []
        shown.append(f"{name}({', '.join(params)})")
    return shown


def _measure(checker: Checker, setup):
    """Parameters, their starting values, the loss's label and numerical gradients and kinks."""
    network = checker._network(SMALL_RATE, setup.steps, setup.layout)
    paths = checker.parameters(network, setup)
    if not paths:
        raise CheckError("no parameter found: no float array stored by the constructor changes "
                         f"the output of `{checker.plan['forward']}`")
    start = {path: P.copy(P.get(network.instance, path)) for path in paths}
    method, note = checker.loss_method(), ""
    chosen = checker.options.get("loss")
    kinds = [chosen] if chosen in (losses.MSE, losses.CE) else [losses.MSE, losses.CE]
    penalty = checker.penalty(setup.steps, method)
    evaluate = checker.evaluator(network, setup, method, kinds, penalty)
    if method:
        try:
            evaluate()
        except Exception as exc:  # noqa: BLE001 - fall back to the losses the output implies
            if chosen:
                raise CheckError(f"cannot evaluate the loss method `{method}`: "
                                 f"{checker._describe(exc)}") from None
            note = f" (`{method}` could not be called: {type(exc).__name__})"
            method = None
            penalty = checker.penalty(setup.steps, None)
            evaluate = checker.evaluator(network, setup, None, kinds)
    try:
        grads, kinks = numeric.gradients(network.instance, paths, evaluate)
    except Exception as exc:  # noqa: BLE001
        raise CheckError(f"cannot evaluate the loss: {checker._describe(exc)}") from None
    return paths, start, (method, chosen, note, penalty), grads, kinks


def _label(method, chosen, note, penalty: Optional[Penalty], best: str, other: Optional[str]
           ) -> str:
    """The loss differentiated, in words."""
    if method:
        label = f"the class's `{method}` method"
        if penalty is not None and penalty.in_loss:
            return f"{label}, given {penalty.describe()}"
    elif chosen:
        label = losses.TITLES[best]
    elif other is None:
        label = f"{losses.TITLES[best]} (the output is not a probability){note}"
    else:
        label = f"{losses.TITLES[best]} (fits better than {losses.TITLES[other]}){note}"
    if penalty is not None:
        label += f" + the L2 penalty of {penalty.describe()}"
    return label


def _data(checker: Checker, setup, rate: Optional[float]) -> dict:
    """What the class was built and called with: the head of its verdict."""
    targets = setup.targets
    return {
        "class": checker.plan["class"],
        "constructed": checker.builder.signature(),
        "calls": _signature(checker.builder.cls, [checker.plan["forward"], *setup.steps]),
        "inputs": list(setup.inputs.shape), "layout": _LAYOUTS.get(setup.layout, setup.layout),
        "targets": list(np.shape(targets.value)),
        "target_kind": "integer labels" if targets.kind == "labels" else (
            "one-hot" if targets.axis is not None else "uniform in (0.05, 0.95)"),
        "rate": rate,
    }


def _raised(checker: Checker, raised: StepRaised) -> dict:
    rate = SMALL_RATE if (checker.builder.sets_rate or raised.rate_used) else None
    return {**_data(checker, raised.setup, rate), "raised": raised.error, "where": raised.where}


def assess(checker: Checker) -> dict:
    try:
        setup = checker.probe()
    except StepRaised as raised:
        return _raised(checker, raised)
    for draw in range(DRAWS):
        if draw:  # a kink (a ReLU exactly at 0) where the data was drawn: draw again
            setup = checker.redraw(setup, draw)
        paths, start, (method, chosen, note, penalty), grads, kinks = _measure(checker, setup)
        if not any(k.any() for k in kinks.values()):
            break
    after, failed, where, call = checker.run_step(setup, SMALL_RATE, paths, start)
    rate = SMALL_RATE if (checker.builder.sets_rate or call.rate_used) else None
    large = None
    if rate is not None:
        large_after, large_failed, _, _ = checker.run_step(setup, LARGE_RATE, paths, start)
        large = {p: v for p, v in large_after.items()
                 if p not in large_failed and np.shape(v) == np.shape(start[p])}
    moved = [p for p in paths if isinstance(start[p], np.ndarray) or np.shape(after[p]) != ()
             or float(after[p]) != start[p]]  # a float that the step leaves alone is no parameter
    tables: Dict[str, List[dict]] = {}
    for loss, by_path in grads.items():
        if all(p in by_path for p in moved):
            tables[loss] = [_row(p, start, after, failed, by_path[p], large, kinks[p], penalty)
                            for p in moved]
    if not tables:
        raise CheckError("the loss could not be evaluated for every parameter")
    best = max(tables, key=lambda loss: _score(tables[loss]))
    other = next((k for k in tables if k != best), None)
    rows = tables[best]
    for path, row in zip(moved, rows):
        row["where"] = where.get(path)
    return {**_data(checker, setup, rate),
            "loss": _label(method, chosen, note, penalty, best, other), "rows": rows}
