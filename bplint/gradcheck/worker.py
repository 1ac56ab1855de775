"""The subprocess that executes the script's definitions: ``python -m bplint.gradcheck.worker``.

Reads the plan (JSON) on stdin, writes the results (JSON) on stdout. Whatever the user's code
prints is discarded; its warnings are silenced.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import warnings


def _check_all(request: dict) -> dict:
    from bplint.files import UnreadableFile
    from bplint.gradcheck.assess import assess
    from bplint.gradcheck.check import Checker
    from bplint.gradcheck.instantiate import CheckError
    from bplint.gradcheck.loader import LoadError, load
    from bplint.gradcheck.program import read_program

    from bplint.gradcheck.units.imports import install, package_of
    from bplint.gradcheck.units.run import run_units

    path = request["path"]
    install(path)
    units = request.get("units", [])
    try:
        program = read_program(path)
    except UnreadableFile as exc:
        return {"error": f"cannot load the definitions: {exc}"}
    try:
        module, _ = load(path, program.text, package_of(path))
    except LoadError as exc:
        if not units:
            return {"error": f"cannot load the definitions: {exc}"}
        # The networks need every import; a unit only those it uses (the others are skipped).
        unit_module, _ = load(path, program.text, package_of(path), stand_ins=True)
        return {"results": [{"class": plan["class"], "error": f"cannot load the definitions: {exc}"}
                            for plan in request["plans"]],
                "units": run_units(unit_module.__dict__, path, units,
                                   request["options"].get("unit_seconds", 10.0))}
    units = run_units(module.__dict__, path, units, request["options"].get("unit_seconds", 10.0))
    results = []
    for plan in request["plans"]:
        try:
            results.append(assess(Checker(module.__dict__, plan, request["options"], program)))
        except CheckError as exc:
            results.append({"class": plan["class"], "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the user's code failed somewhere unexpected
            results.append({"class": plan["class"],
                            "error": f"the check failed: {type(exc).__name__}: {exc}"})
    return {"results": results, "units": units}


def respond(request: dict) -> dict:
    """The results for one request, the user's output and warnings kept out of the way."""
    try:
        import numpy as np
    except ImportError:
        return {"error": "gradcheck needs NumPy, which this Python cannot import"}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
            np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _check_all(request)


def main() -> None:
    try:  # before the plan arrives, while the parent is still making it
        import importlib

        importlib.import_module("bplint.gradcheck.assess")  # and NumPy with it
    except ImportError:
        pass
    text = sys.stdin.read()
    if not text.strip():
        return  # cancelled
    sys.stdin = open(os.devnull)  # the user's code reads nothing
    out = sys.stdout
    response = respond(json.loads(text))
    out.write(json.dumps(response))
    out.flush()


if __name__ == "__main__":
    main()
