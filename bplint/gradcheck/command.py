"""``bplint gradcheck``: plan in this process, execute in a subprocess, print the tables."""

from __future__ import annotations

import sys
from typing import List, Optional

from bplint.gradcheck.verdicts import OK

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def _input_shape(text: Optional[str]) -> Optional[List[int]]:
    if not text:
        return None
    try:
        shape = [int(part) for part in text.replace("x", ",").split(",") if part.strip()]
    except ValueError:
        shape = []
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"--input-shape {text!r}: write positive sizes separated by commas, e.g. 5,3")
    return shape


def build_request(path: str, class_name: Optional[str] = None, init: Optional[str] = None,
                  input_shape: Optional[str] = None, loss: Optional[str] = None) -> dict:
    """What the worker is asked: the plan of every class to check and the options.
    Raises ValueError or PlanError with the message to show."""
    from bplint.gradcheck.plan import make_plans

    shape = _input_shape(input_shape)
    plans = make_plans(path, class_name)
    loss = "cross-entropy" if loss in ("ce", "cross_entropy", "crossentropy") else loss
    return {"path": path, "plans": plans,
            "options": {"init": init, "input_shape": shape, "loss": loss}}


def run_gradcheck(path: str, class_name: Optional[str] = None, init: Optional[str] = None,
                  input_shape: Optional[str] = None, loss: Optional[str] = None,
                  timeout: float = 20.0) -> int:
    """Print a table per network class of ``path``; the exit code (0 ok, 1 a parameter failed,
    2 a class could not be checked)."""
    from bplint.gradcheck.runner import RunError, Worker

    worker = Worker(timeout)  # starts importing NumPy while the plan is made
    from bplint.gradcheck.plan import PlanError
    from bplint.gradcheck.report import render_result

    def error(message: str) -> int:
        sys.stderr.write(f"{path}: error: {message}\n")
        return EXIT_ERROR

    try:
        request = build_request(path, class_name, init, input_shape, loss)
    except (ValueError, PlanError) as exc:
        worker.cancel()
        return error(str(exc))
    try:
        answer = worker.run(request)
    except RunError as exc:
        return error(str(exc))
    if "error" in answer:
        return error(answer["error"])
    for index, result in enumerate(answer["results"]):
        if "error" in result:
            error(f"{result['class']}: {result['error']}")
            continue
        if index:
            sys.stdout.write("\n")
        sys.stdout.write(render_result(path, result))
    return exit_code(answer)


def exit_code(answer: dict) -> int:
    """2 when something could not be checked, else 1 when a parameter failed, else 0."""
    results = answer.get("results", [])
    if "error" in answer or any("error" in result for result in results):
        return EXIT_ERROR
    if any(row["verdict"] != OK for result in results for row in result["rows"]):
        return EXIT_FAILED
    return EXIT_OK
