"""Comments that silence findings on their line: ``# noqa``, ``# noqa: BP301``, ``# bplint: ignore[BP301]``."""

from __future__ import annotations

import re
from typing import Optional, Set

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
