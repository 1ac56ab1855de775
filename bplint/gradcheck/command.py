"""``bplint gradcheck``: plan in this process, execute in a subprocess, print the tables."""

from __future__ import annotations

import json
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from bplint.gradcheck.verdicts import OK

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
NOT_CHECKED = "not-checked"  # the verdict of a JSON record of what could not be checked


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
                  input_shape: Optional[str] = None, loss: Optional[str] = None,
                  program=None) -> dict:
    """What the worker is asked: the plan of every class to check and the options.
    Raises ValueError or PlanError with the message to show."""
    from bplint.gradcheck.plan import make_plans

    return _request(path, make_plans(path, class_name, program), init, input_shape, loss)


def _request(path: str, plans: List[dict], init: Optional[str], input_shape: Optional[str],
             loss: Optional[str]) -> dict:
    shape = _input_shape(input_shape)
    loss = "cross-entropy" if loss in ("ce", "cross_entropy", "crossentropy") else loss
    return {"path": path, "plans": plans,
            "options": {"init": init, "input_shape": shape, "loss": loss}}


def _units(path: str, class_name: Optional[str]
           ) -> Tuple[object, List[dict], Dict[str, list], List[str]]:
    """The file's program, its units (of the class ``class_name`` only, when given), the place
    of each class (for the networks' JSON records), and why a notebook's cells do not compile
    (the others are still checked: a broken cell's names are stand-ins in the program). Raises
    UnreadableFile or ValueError."""
    import ast

    from bplint.gradcheck.program import read_program
    from bplint.gradcheck.units.discover import discover
    from bplint.prefilter import syntax_error

    program = read_program(path)
    try:
        tree = ast.parse(program.text)
    except (SyntaxError, ValueError):  # the sentence comes from the one syntax check
        raise ValueError(program.syntax_error() or syntax_error(program.text, path)
                         or "cannot be parsed") from None
    cells = [error.reason for error in getattr(program.notebook, "errors", [])]
    units = [u for u in discover(tree) if class_name is None or u.get("cls") == class_name]
    places = {node.name: [[node.lineno, node.col_offset + 1],
                          [node.end_lineno or node.lineno, (node.end_col_offset or 0) + 1]]
              for node in tree.body if isinstance(node, ast.ClassDef)}
    return program, units, places, cells


def file_request(program, class_name: Optional[str], init: Optional[str],
                 input_shape: Optional[str], loss: Optional[str], units: List[dict],
                 seconds: float) -> dict:
    """The worker's request for one file's ``program``: its units and its networks (a file of
    units needs no network class)."""
    from bplint.gradcheck.plan import PlanError

    path = program.path
    try:
        request = build_request(path, class_name, init, input_shape, loss, program)
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


def _network_failed(result: dict) -> bool:
    return "raised" in result or any(row["verdict"] != OK for row in result.get("rows", []))


class _Run:
    """What ``bplint gradcheck PATH...`` found, file by file, and how to say it.

    What could not be checked (a file, a network class, a notebook cell, a unit out of time) is
    never left out: a line ``path: error: reason`` in the text report (also on stderr for JSON),
    a record with ``verdict`` ``not-checked`` in JSON, and a count in the summary."""

    def __init__(self, output_format: str) -> None:
        self.output_format = output_format
        self.records: List[dict] = []
        self.blocks: List[str] = []
        self.unchecked: List[str] = []  # the paths of what could not be checked, once each
        self.networks: List[dict] = []
        self.failed_networks = 0

    def error(self, path: str, message: str, unit: Optional[str] = None) -> None:
        line = f"{path}: error: {message}"
        self.unchecked.append(path)
        self.blocks.append(line)
        if self.output_format == "json":
            sys.stderr.write(line + "\n")
        self.records.append({"filename": path, "cell": None, "unit": unit,
                             "kind": "network" if unit else "file", "verdict": NOT_CHECKED,
                             "location": None, "end_location": None, "parameters": [],
                             "message": message, "line": None})

    def add(self, program, units: List[dict], places: Dict[str, list], answer: dict) -> None:
        from bplint.gradcheck.report import render_result
        from bplint.gradcheck.units import report

        records = [report.record(program, unit, result)
                   for unit, result in zip(units, answer.get("units", []))]
        for result in answer.get("units", []):
            if result.get("timed_out"):
                self.unchecked.append(program.path)
        networks = [result for result in answer.get("results", []) if "error" not in result]
        records += [report.network_record(program, result, places.get(result["class"]))
                    for result in networks]
        self.records.extend(records)
        self.networks.extend(networks)
        self.failed_networks += sum(1 for result in networks if _network_failed(result))
        text = report.render_units(program, records[:len(units)])
        if not units and not answer.get("results"):
            text = [f"{program.path}: nothing to check (no forward/backward unit, no network class)"]
        self.blocks.extend(block for block in ["\n".join(text)] if block)
        self.blocks.extend(render_result(program.path, result) for result in networks)
        for result in answer.get("results", []):
            if "error" in result:
                self.error(program.path, f"{result['class']}: {result['error']}", result["class"])

    def render(self) -> str:
        if self.output_format == "json":
            return json.dumps(self.records, indent=2, ensure_ascii=False) + "\n"
        parts = [block.rstrip("\n") for block in self.blocks]
        summary = self._summary()
        return "\n\n".join(parts + ([summary] if summary else [])) + ("\n" if parts else "")

    def _summary(self) -> str:
        """The last line when there is more than one network's table to read: units, networks,
        and what could not be checked."""
        from bplint.gradcheck.units.report import summary

        units = [r for r in self.records if r["kind"] not in ("network", "file")]
        if not units and not self.unchecked and len(self.networks) <= 1:
            return ""
        parts = [summary(units).rstrip(".")] if units else []
        if self.networks:
            count = len(self.networks)
            parts.append(f"{count} network{'s' if count != 1 else ''}: "
                         f"{count - self.failed_networks} ok"
                         + (f", {self.failed_networks} failed" if self.failed_networks else ""))
        unchecked = len(set(self.unchecked))
        if unchecked:
            parts.append(f"{unchecked} file{'s' if unchecked != 1 else ''} could not be "
                         "checked in full")
        return "; ".join(parts) + "."

    def exit_code(self) -> int:
        """1 when a gradient is wrong or the code raised, else 2 when something could not be
        checked (or nothing could), else 0."""
        from bplint.gradcheck.units.report import FAILED

        if self.failed_networks or any(r["verdict"] in FAILED for r in self.records):
            return EXIT_FAILED
        checked = any(r["verdict"] not in ("skipped", NOT_CHECKED) for r in self.records)
        return EXIT_ERROR if self.unchecked or not checked else EXIT_OK


def run_gradcheck(paths: Sequence[str], class_name: Optional[str] = None,
                  init: Optional[str] = None, input_shape: Optional[str] = None,
                  loss: Optional[str] = None, timeout: float = 20.0,
                  output_format: str = "text") -> int:
    """Check every unit and network class of the files, folders and notebooks ``paths``; print
    the verdicts in ``output_format`` (text or json); the exit code (0 all ok, 1 a gradient is
    wrong or the code raised, 2 something could not be checked, or nothing could). With
    ``class_name``, files without that class are passed over (an error only when none has it)."""
    from bplint.files import UnreadableFile, discover
    from bplint.gradcheck.plan import PlanError
    from bplint.gradcheck.runner import RunError, Worker

    files, missing_paths = discover(paths, [])
    run = _Run(output_format)
    for error in missing_paths:
        run.error(error.path, error.reason)
    absent: List[str] = []
    for path in files:
        worker = Worker(timeout * 2)  # starts importing NumPy while the plan is made
        try:
            program, units, places, cells = _units(path, class_name)
            request = file_request(program, class_name, init, input_shape, loss, units, timeout)
        except PlanError as exc:
            worker.cancel()
            if class_name is not None and str(exc).startswith(f"no class `{class_name}`"):
                absent.append(str(exc))
            else:
                run.error(path, str(exc))
            continue
        except (UnreadableFile, ValueError, SyntaxError) as exc:
            worker.cancel()
            run.error(path, str(exc))
            continue
        for reason in cells:
            run.error(path, reason)
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
    if class_name is not None and len(absent) == len(files) and files:
        run.error(", ".join(paths), absent[0] if len(files) == 1 else
                  f"no class `{class_name}` in any of the {len(files)} files")
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
