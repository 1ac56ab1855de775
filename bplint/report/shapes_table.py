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


def render_shapes_text(path: str, rows: List[ShapeRow]) -> str:
    lines = [path]
    current = None
    width = max((len(r.code) for r in rows), default=0)
    for row in rows:
        if row.function != current:
            current = row.function
            lines.append(f"{current}:")
        lines.append(f"  {row.row:>4}  {row.code:<{width}}   {_describe(row.value)}")
    return "\n".join(lines) + "\n"


def render_shapes_json(path: str, rows: List[ShapeRow]) -> str:
    records = [{"filename": path, "function": r.function, "row": r.row, "code": r.code,
                "shape": _dims(r.value), "text": _describe(r.value)} for r in rows]
    return json.dumps(records, indent=2) + "\n"
