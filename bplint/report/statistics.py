"""``bplint check --statistics``: how many findings each rule has, instead of the findings.

Text, as ruff prints it: ``   3  BP301  dropout-mask-added``, most frequent first (then by code),
then the usual summary line. JSON: ``[{"code": ..., "name": ..., "count": ...}]`` in that order.
Files that could not be checked are one more row, without a code: ``   1         file-not-checked``
(``"code": null`` in JSON), after the rules.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from bplint.diagnostics import NOT_CHECKED, FileError, Finding
from bplint.report.text import summary, unchecked_files


def rule_counts(findings: List[Finding], errors: Sequence[FileError] = ()
                ) -> List[Tuple[Optional[str], str, int]]:
    """(code, name, count) for every rule with findings, by count descending, then code; then
    (None, "file-not-checked", count) when some files could not be checked."""
    counts = Counter(f.code for f in findings)
    names: Dict[str, str] = {f.code: f.name for f in findings}
    rows: List[Tuple[Optional[str], str, int]] = [
        (code, names[code], count)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    if errors:
        rows.append((None, NOT_CHECKED, unchecked_files(errors)))
    return rows


def render_statistics(findings: List[Finding], output_format: str = "text",
                      quiet: bool = False, errors: Sequence[FileError] = ()) -> str:
    rows = rule_counts(findings, errors)
    if output_format == "json":
        records = [{"code": code, "name": name, "count": count} for code, name, count in rows]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    width = max([4] + [len(str(count)) for _, _, count in rows])
    code_width = max([5] + [len(code) for code, _, _ in rows if code])
    lines = [f"{count:>{width}}  {code or '':<{code_width}}  {name}" for code, name, count in rows]
    if not quiet:
        lines.extend(summary(findings, errors=errors))
    return "\n".join(lines) + ("\n" if lines else "")
