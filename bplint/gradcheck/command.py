"""``bplint gradcheck``: plan in this process, execute in a subprocess, print the tables."""

from __future__ import annotations

import json
import sys
from typing import Dict, List, Optional, Sequence, Tuple

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

    return _request(path, make_plans(path, class_name), init, input_shape, loss)


def _request(path: str, plans: List[dict], init: Optional[str], input_shape: Optional[str],
             loss: Optional[str]) -> dict:
    shape = _input_shape(input_shape)
    loss = "cross-entropy" if loss in ("ce", "cross_entropy", "crossentropy") else loss
    return {"path": path, "plans": plans,
            "options": {"init": init, "input_shape": shape, "loss": loss}}


def _units(path: str, class_name: Optional[str]) -> Tuple[object, List[dict], Dict[str, list]]:
    """The file's program, its units (of the class ``class_name`` only, when given), and the
    place of each class (for the networks' JSON records). Raises UnreadableFile or ValueError."""
    import ast

    from bplint.gradcheck.program import read_program
    from bplint.gradcheck.units.discover import discover
    from bplint.prefilter import syntax_error

    program = read_program(path)
    reason = program.syntax_error() or syntax_error(program.text, path)
    if reason is not None:
        raise ValueError(reason)
    tree = ast.parse(program.text)
    units = [u for u in discover(tree) if class_name is None or u.get("cls") == class_name]
    places = {node.name: [[node.lineno, node.col_offset + 1],
                          [node.end_lineno or node.lineno, (node.end_col_offset or 0) + 1]]
              for node in tree.body if isinstance(node, ast.ClassDef)}
    return program, units, places


def file_request(path: str, class_name: Optional[str], init: Optional[str],
                 input_shape: Optional[str], loss: Optional[str], units: List[dict],
                 seconds: float) -> dict:
    """The worker's request for one file: its units and its networks (a file of units needs
    no network class)."""
    from bplint.gradcheck.plan import PlanError

    try:
        request = build_request(path, class_name, init, input_shape, loss)
    except PlanError:
        if class_name is not None and not units:
            raise
        request = _request(path, [], init, input_shape, loss)
    # A cs231n classifier (``loss`` returns ``loss, grads``) is checked as a model, its gradients
    # against its loss; another class with a training step as a network; not both.
    models = {u["cls"] for u in units if u["kind"] == "model"}
    request["plans"] = [plan for plan in request["plans"] if plan["class"] not in models]
    networks = {plan["class"] for plan in request["plans"]}
    request["units"] = [u for u in units if u.get("cls") not in networks]
    request["options"]["unit_seconds"] = seconds
    return request


class _Run:
    """What ``bplint gradcheck PATH...`` found, file by file, and how to say it."""

    def __init__(self, output_format: str) -> None:
        self.output_format = output_format
        self.records: List[dict] = []
        self.blocks: List[str] = []
        self.answers: List[dict] = []
        self.errors = 0
        self.checked = 0

    def error(self, path: str, message: str) -> None:
        self.errors += 1
        sys.stderr.write(f"{path}: error: {message}\n")

    def add(self, program, units: List[dict], places: Dict[str, list], answer: dict) -> None:
        from bplint.gradcheck.report import render_result
        from bplint.gradcheck.units import report

        self.answers.append(answer)
        records = [report.record(program, unit, result)
                   for unit, result in zip(units, answer.get("units", []))]
        networks = [result for result in answer.get("results", []) if "error" not in result]
        for result in answer.get("results", []):
            if "error" in result:
                self.error(program.path, f"{result['class']}: {result['error']}")
        records += [report.network_record(program, result, places.get(result["class"]))
                    for result in networks]
        self.records.extend(records)
        self.checked += sum(1 for r in records if r["verdict"] != "skipped")
        text = report.render_units(program, records[:len(units)])
        tables = [render_result(program.path, result) for result in networks]
        if not units and not answer.get("results"):
            text = [f"{program.path}: nothing to check (no forward/backward unit, no network class)"]
        self.blocks.extend(block for block in ["\n".join(text), *tables] if block)

    def render(self) -> str:
        if self.output_format == "json":
            return json.dumps(self.records, indent=2, ensure_ascii=False) + "\n"
        from bplint.gradcheck.units.report import summary

        units = [r for r in self.records if r["kind"] != "network"]
        parts = [block.rstrip("\n") for block in self.blocks]
        parts += [summary(units)] if units else []
        return "\n\n".join(parts) + ("\n" if parts else "")

    def exit_code(self) -> int:
        from bplint.gradcheck.units.report import FAILED

        if any(r["verdict"] in FAILED for r in self.records if r["kind"] != "network"):
            return EXIT_FAILED
        if self.errors or not self.checked:
            return EXIT_ERROR
        return max([exit_code(answer) for answer in self.answers] + [EXIT_OK])


def run_gradcheck(paths: Sequence[str], class_name: Optional[str] = None,
                  init: Optional[str] = None, input_shape: Optional[str] = None,
                  loss: Optional[str] = None, timeout: float = 20.0,
                  output_format: str = "text") -> int:
    """Check every unit and network class of the files, folders and notebooks ``paths``; print
    the verdicts in ``output_format`` (text or json); the exit code (0 all ok, 1 a gradient is
    wrong or the code raised, 2 something could not be checked, or nothing could)."""
    from bplint.files import UnreadableFile, discover
    from bplint.gradcheck.plan import PlanError
    from bplint.gradcheck.runner import RunError, Worker

    files, missing_paths = discover(paths, [])
    run = _Run(output_format)
    for error in missing_paths:
        run.error(error.path, error.reason)
    for path in files:
        worker = Worker(timeout * 2)  # starts importing NumPy while the plan is made
        try:
            program, units, places = _units(path, class_name)
            request = file_request(path, class_name, init, input_shape, loss, units, timeout)
        except (UnreadableFile, ValueError, PlanError, SyntaxError) as exc:
            worker.cancel()
            run.error(path, str(exc))
            continue
        units = request["units"]
        if not units and not request["plans"]:
            worker.cancel()
            run.add(program, [], places, {})
            continue
        worker.timeout = timeout * (len(units) + len(request["plans"]))  # each has its own time
        try:
            answer = worker.run(request)
        except RunError as exc:
            run.error(path, str(exc))
            continue
        if "error" in answer:
            run.error(path, answer["error"])
            continue
        run.add(program, units, places, answer)
    sys.stdout.write(run.render())
    return run.exit_code()


def exit_code(answer: dict) -> int:
    """2 when something could not be checked, else 1 when a training step raised or a parameter
    failed, else 0."""
    results = answer.get("results", [])
    if "error" in answer or any("error" in result for result in results):
        return EXIT_ERROR
    if any("raised" in result for result in results):
        return EXIT_FAILED
    if any(row["verdict"] != OK for result in results for row in result["rows"]):
        return EXIT_FAILED
    return EXIT_OK
