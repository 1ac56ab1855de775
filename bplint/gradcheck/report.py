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


def render_result(path: str, result: dict) -> str:
    rate = (f" at learning rate {result['rate']:g}" if result["rate"] is not None
            else " at the class's own learning rate (none found to set)")
    lines = [
        f"{path}: {result['constructed']}",
        f"  step: {' -> '.join(result['calls'])}{rate}",
        f"  data: inputs {_shape(result['inputs'])} ({result['layout']}), "
        f"targets {_shape(result['targets'])} ({result['target_kind']})",
        f"  loss: {result['loss']}",
        "",
        *render_table(result["rows"]),
    ]
    notes = [f"  {row['name']}: {row['note']}" for row in result["rows"] if row["note"]]
    if notes:
        lines += ["", *notes]
    lines += ["", summary(result["rows"])]
    return "\n".join(lines) + "\n"
