"""``bplint check --statistics``: how many findings each rule has, instead of the findings.

Text, as ruff prints it: ``   3  BP301  dropout-mask-added``, most frequent first (then by code),
then the usual summary line. JSON: ``[{"code": ..., "name": ..., "count": ...}]`` in that order.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Dict, List, Tuple

from bplint.diagnostics import Finding
from bplint.report.text import render_text


def rule_counts(findings: List[Finding]) -> List[Tuple[str, str, int]]:
    """(code, name, count) for every rule with findings, by count descending, then code."""
    counts = Counter(f.code for f in findings)
    names: Dict[str, str] = {f.code: f.name for f in findings}
    return [(code, names[code], count)
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def render_statistics(findings: List[Finding], output_format: str = "text",
                      quiet: bool = False) -> str:
    rows = rule_counts(findings)
    if output_format == "json":
        records = [{"code": code, "name": name, "count": count} for code, name, count in rows]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    width = max([4] + [len(str(count)) for _, _, count in rows])
    lines = [f"{count:>{width}}  {code}  {name}" for code, name, count in rows]
    summary = render_text(findings, quiet=quiet).splitlines()[len(findings):]
    lines.extend(summary)
    return "\n".join(lines) + ("\n" if lines else "")
