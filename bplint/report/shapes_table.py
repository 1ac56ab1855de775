"""``bplint shapes``: the inferred shape of every assigned array, by function."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional

from bplint.analysis.shapes import Free, shape_text
from bplint.analysis.values import Value


@dataclass(frozen=True)
class ShapeRow:
    function: str
    row: int
    code: str
    value: Value
    # for a notebook: the cell (numbered as findings are); ``row`` then counts in the cell
    cell: Optional[int] = None


def statement_summary(code: str) -> str:
    """A statement as its row shows it: its first line, spaces collapsed, cut at 72 characters."""
    summary = " ".join(code.split("\n")[0].split())
    return summary if len(summary) <= 72 else summary[:69] + "..."


def _describe(value: Value) -> str:
    if value.items is not None and not value.unsized:
        return "(" + ", ".join(_describe(item) for item in value.items) + ")"
    if value.entries is not None:
        return "dict"
    if value.instance_of is not None:
        return "instance of " + "/".join(sorted(c.name for c in value.instance_of))
    if value.function is not None or value.ref is not None:
        return "function"
    if value.shape == () and value.dim is not None:
        return f"() = {value.dim}"
    return shape_text(value.shape)


def _dims(value: Value) -> Optional[list]:
    if value.items is not None and not value.unsized:
        return [_dims(item) for item in value.items]
    if value.shape is None or value.entries is not None or value.instance_of is not None:
        return None
    return [str(d) if isinstance(d, Free) else d for d in value.shape]


def _where(row: ShapeRow) -> str:
    """A file's row, or ``cell 3:12`` in a notebook (as ``bplint check`` places findings)."""
    return f"{row.row:>4}" if row.cell is None else f"cell {row.cell}:{row.row}"


def render_shapes_text(path: str, rows: List[ShapeRow]) -> str:
    lines = [path]
    current = None
    width = max((len(r.code) for r in rows), default=0)
    places = max((len(_where(r)) for r in rows), default=0)
    for row in rows:
        if row.function != current:
            current = row.function
            lines.append(f"{current}:")
        lines.append(f"  {_where(row):<{places}}  {row.code:<{width}}   {_describe(row.value)}")
    return "\n".join(lines) + "\n"


def render_shapes_json(path: str, rows: List[ShapeRow]) -> str:
    records = [{"filename": path, "cell": r.cell, "function": r.function, "row": r.row,
                "code": r.code, "shape": _dims(r.value), "text": _describe(r.value)} for r in rows]
    return json.dumps(records, indent=2) + "\n"
