"""The table printed for each class: one row per parameter, then the notes and a summary."""

from __future__ import annotations

from typing import List

from bplint.gradcheck.verdicts import OK

HEADERS = ("parameter", "shape", "cosine", "rel. error", "verdict")


def _shape(shape: List[int]) -> str:
    return str(tuple(shape))


def _cells(row: dict) -> List[str]:
    cosine = "-" if row["cosine"] is None else f"{row['cosine']:.4f}"
    error = "-" if row["error"] is None else f"{row['error']:.1e}"
    return [row["name"], _shape(row["shape"]), cosine, error, row["verdict"]]


def render_table(rows: List[dict]) -> List[str]:
    cells = [list(HEADERS)] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in cells]


def summary(rows: List[dict]) -> str:
    bad = [row for row in rows if row["verdict"] != OK]
    count = f"{len(rows)} parameter{'s' if len(rows) != 1 else ''}"
    if not bad:
        return f"{count}: all ok."
    listed = ", ".join(f"{row['name']} ({row['verdict']})" for row in bad)
    return f"{count}: {len(bad)} failed: {listed}."


def _head(path: str, result: dict) -> List[str]:
    rate = (f" at learning rate {result['rate']:g}" if result["rate"] is not None
            else " at the class's own learning rate (none found to set)")
    return [
        f"{path}: {result['constructed']}",
        f"  step: {' -> '.join(result['calls'])}{rate}",
        f"  data: inputs {_shape(result['inputs'])} ({result['layout']}), "
        f"targets {_shape(result['targets'])} ({result['target_kind']})",
    ]


def _note(path: str, row: dict) -> str:
    """Under the table: where a failing parameter is updated, and the row's note."""
    parts = []
    if row["verdict"] != OK and row.get("where"):
        parts.append(f"updated at {path}:{row['where']}")
    if row["note"]:
        parts.append(row["note"])
    return "; ".join(parts)


def render_result(path: str, result: dict) -> str:
    if "raised" in result:
        lines = [*_head(path, result), "",
                 f"the training step raised {result['raised']} at {path}:{result['where']}"]
        return "\n".join(lines) + "\n"
    lines = [*_head(path, result), f"  loss: {result['loss']}", "", *render_table(result["rows"])]
    notes = [(row["name"], _note(path, row)) for row in result["rows"]]
    if any(note for _, note in notes):
        lines += ["", *(f"  {name}: {note}" for name, note in notes if note)]
    lines += ["", summary(result["rows"])]
    return "\n".join(lines) + "\n"
