"""The rule catalogue: one Markdown document per rule in ``rules/`` (installed as bplint.rules).

A document starts with ``# CODE name``, then ``severity:`` and ``summary:`` lines, then the
sections *What it catches*, *Why it breaks training*, *Example* and *Fix*. The documents are
the single source of each rule's name, severity and summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Dict, Optional

_HEADER = re.compile(r"^# (?P<code>BP\d{3}) (?P<name>[a-z0-9-]+)\s*$")
_FIELD = re.compile(r"^(?P<key>severity|summary|fix|autofix):\s*(?P<value>.+?)\s*$")
_BLOCK = re.compile(r"^## (?P<section>[^\n]+)\n(?P<body>.*?)(?=^## |\Z)", re.M | re.S)
_CODE = re.compile(r"```python\n(?P<code>.*?)```", re.S)


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    severity: str
    summary: str
    text: str
    fix: Optional[str] = None
    # What ``--fix`` does: "safe: ...", "unsafe: ..." (only with ``--unsafe-fixes``), or None.
    autofix: Optional[str] = None

    @property
    def fix_applicability(self) -> Optional[str]:
        label = self.autofix.split(":")[0].strip() if self.autofix else "none"
        return None if label == "none" else label

    def section(self, title: str) -> str:
        for match in _BLOCK.finditer(self.text):
            if match.group("section").strip().lower() == title.lower():
                return match.group("body").strip()
        return ""

    def example(self, title: str) -> str:
        """The first Python code block of a section (``Example`` or ``Fix``)."""
        match = _CODE.search(self.section(title))
        return match.group("code") if match else ""


def parse_rule_doc(text: str) -> RuleDoc:
    lines = text.splitlines()
    header = _HEADER.match(lines[0]) if lines else None
    if header is None:
        raise ValueError("a rule document starts with '# BPxxx name'")
    fields: Dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("## "):
            break
        match = _FIELD.match(line)
        if match:
            fields[match.group("key")] = match.group("value")
    return RuleDoc(header.group("code"), header.group("name"), fields.get("severity", "error"),
                   fields.get("summary", ""), text, fields.get("fix"), fields.get("autofix"))


@lru_cache(maxsize=1)
def catalogue() -> Dict[str, RuleDoc]:
    """Every rule document, by code, in code order."""
    docs = {}
    for entry in resources.files("bplint.rules").iterdir():
        if entry.name.startswith("BP") and entry.name.endswith(".md"):
            doc = parse_rule_doc(entry.read_text(encoding="utf-8"))
            docs[doc.code] = doc
    return dict(sorted(docs.items()))
