"""The units' verdicts: a table per file, and one JSON record per unit.

JSON record (``bplint gradcheck --format json``): ``filename``, ``cell`` (a notebook's cell,
numbered as ``bplint check`` numbers them; null for a .py file), ``unit``, ``kind``, ``verdict``,
``location`` and ``end_location`` (``{"row", "column"}``, 1-based, of the backward code checked,
in its cell for a notebook), ``parameters`` (``name``, ``verdict``, ``relative_error``),
``message``, and ``line`` (where the first wrong gradient is computed, or the code raised).
"""

from __future__ import annotations

from typing import List, Optional, Tuple

OK = "ok"
FAILED = ("wrong-gradient", "wrong-sign", "no-update", "error")
HEADERS = ("unit", "kind", "verdict", "detail")


def _place(program, row: int) -> Tuple[Optional[int], int]:
    """(cell, row in it) for a notebook, (None, row) for a file."""
    if program.notebook is None:
        return None, row
    return program.notebook.locate(row)


def record(program, unit: dict, result: dict) -> dict:
    cell, row = _place(program, unit["location"][0])
    _, end_row = _place(program, unit["end_location"][0])
    line = result.get("line")
    return {
        "filename": program.path,
        "cell": cell,
        "unit": unit["unit"],
        "kind": result.get("kind", unit["kind"]),
        "verdict": result["verdict"],
        "location": {"row": row, "column": unit["location"][1]},
        "end_location": {"row": end_row, "column": unit["end_location"][1]},
        "parameters": [{"name": p["name"], "verdict": p["verdict"],
                        "relative_error": p["relative_error"]} for p in result["parameters"]],
        "message": result["message"],
        "line": None if line is None else program.where(line),
    }


def network_record(program, result: dict, place: Optional[list]) -> dict:
    """A whole network's training step (the table of :mod:`bplint.gradcheck.report`) as a
    record: ``kind`` ``network``, its place that of its class."""
    start, end = place or [[1, 1], [1, 1]]
    cell, row = _place(program, start[0])
    _, end_row = _place(program, end[0])
    if "raised" in result:
        verdict, message, line = "error", f"the training step raised {result['raised']}", result["where"]
        parameters = []
    else:
        parameters = [{"name": r["name"], "verdict": r["verdict"].replace(" ", "-"),
                       "relative_error": r["error"]} for r in result["rows"]]
        bad = [p for p in parameters if p["verdict"] != OK]
        verdict = bad[0]["verdict"] if bad else OK
        message = (f"{len(parameters)} parameters: all ok" if not bad else
                   ", ".join(f"{p['name']} ({p['verdict']})" for p in bad))
        line = next((r.get("where") for r in result["rows"] if r["verdict"] != "ok" and r.get("where")), None)
    return {"filename": program.path, "cell": cell, "unit": result["class"], "kind": "network",
            "verdict": verdict, "location": {"row": row, "column": start[1]},
            "end_location": {"row": end_row, "column": end[1]}, "parameters": parameters,
            "message": message, "line": line}


def _detail(program, record_: dict) -> str:
    where = f" at {program.path}:{record_['line']}" if record_["line"] else ""
    return f"{record_['message']}{where}"


def render_units(program, records: List[dict]) -> List[str]:
    if not records:
        return []
    rows = [list(HEADERS)] + [[r["unit"], r["kind"], r["verdict"], _detail(program, r)]
                              for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = [f"{program.path}: {len(records)} unit{'s' if len(records) != 1 else ''}"]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths))
                     + "  " + row[-1])
    return lines


def summary(records: List[dict]) -> str:
    counts = {}
    for r in records:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    order = [OK, *FAILED, "skipped"]
    parts = [f"{counts[v]} {v}" for v in order if v in counts]
    return f"{len(records)} unit{'s' if len(records) != 1 else ''}: {', '.join(parts)}."
