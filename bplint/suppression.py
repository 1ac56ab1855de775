"""What silences a finding: a comment on its line (``# noqa``, ``# noqa: BP301``,
``# bplint: ignore[BP301]``), or a test block that expects the error (``with pytest.raises``)."""

from __future__ import annotations

import re
from typing import Optional, Set

import libcst as cst

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+\d+(?:\s*,\s*[A-Za-z]+\d+)*))?", re.I)
_IGNORE = re.compile(r"#\s*bplint:\s*ignore\[(?P<codes>[^\]]*)\]", re.I)


def suppressed_codes(line: str) -> Optional[Set[str]]:
    """The codes a line's comment suppresses: an empty set means all; None means none."""
    if "#" not in line:
        return None
    codes: Set[str] = set()
    found = False
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(line):
            found = True
            listed = match.group("codes")
            if not listed:
                return set()
            codes.update(code.strip().upper() for code in listed.split(",") if code.strip())
    return codes if found else None


def is_suppressed(line: str, code: str) -> bool:
    codes = suppressed_codes(line)
    if codes is None:
        return False
    return not codes or any(code.startswith(c) for c in codes)


def expected_error_rows(module: cst.Module, position) -> Set[int]:
    """The rows of ``with pytest.raises(...)`` / ``with self.assertRaises(...)`` bodies: a test
    that expects an error (mismatched shapes, a failed cast) there is not a bug."""
    rows: Set[int] = set()

    class _With(cst.CSTVisitor):
        def visit_With(self, node: cst.With) -> None:
            for item in node.items:
                call = item.item
                func = call.func if isinstance(call, cst.Call) else None
                name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
                if name in _RAISES:
                    span = position(node.body)
                    rows.update(range(span.start.line, span.end.line + 1))

    module.visit(_With())
    return rows


_RAISES = {"raises", "assertRaises", "assertRaisesRegex", "assert_raises", "assert_raises_regex",
           "assertWarns", "warns", "deprecated_call"}
