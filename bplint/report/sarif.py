"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run: ``tool.driver`` lists every rule of the catalogue (so a viewer can show a rule's
documentation even for a run without findings), and each finding is a result whose location is a
URI relative to ``%SRCROOT%`` (the current directory). Columns are 1-based and count characters,
as in :class:`bplint.diagnostics.Span` (``columnKind: unicodeCodePoints``); end columns are
exclusive in both. A notebook finding keeps the URI of the ``.ipynb`` and carries its code cell in
``properties.cell`` of the location (SARIF has no notion of cells): its rows count in that cell.

A file that could not be checked is a tool execution notification (``invocations[0].
toolExecutionNotifications``, descriptor ``file-not-checked``, at the file and line where known),
and the invocation's ``executionSuccessful`` is then false.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from urllib.parse import quote

from bplint import __version__
from bplint.catalogue import RuleDoc, catalogue
from bplint.diagnostics import NOT_CHECKED, FileError, Finding, Fix, Span

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/bplint/bplint"
SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning"}


def _level(severity: str) -> str:
    return _LEVELS.get(severity, "warning")


def _rule(doc: RuleDoc) -> dict:
    full = doc.section("What it catches") or doc.summary
    help_text = "\n\n".join(part for part in (doc.fix, doc.section("Fix")) if part) or doc.summary
    return {
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": _level(doc.severity)},
    }


def _base_uri(cwd: Path) -> str:
    uri = cwd.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _artifact_location(path: str, cwd: Path) -> dict:
    """A URI reference relative to %SRCROOT% (the current directory) when the file is inside it,
    else an absolute ``file:`` URI."""
    absolute = Path(os.path.abspath(os.path.join(cwd, path)))
    try:
        relative = absolute.relative_to(cwd)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict:
    return {"startLine": span.row, "startColumn": span.column,
            "endLine": span.end_row, "endColumn": span.end_column}


def _cell_properties(finding: Finding) -> dict:
    return {"properties": {"cell": finding.cell}} if finding.cell is not None else {}


def _fix(finding: Finding, fix: Fix, artifact: dict) -> dict:
    replacements = [{"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.content}}
                    for edit in fix.edits]
    change = {"artifactLocation": dict(artifact), "replacements": replacements}
    change.update(_cell_properties(finding))
    return {"description": {"text": fix.message}, "artifactChanges": [change],
            "properties": {"applicability": fix.applicability}}


def _result(finding: Finding, rule_index: Dict[str, int], cwd: Path,
            artifacts: Dict[str, dict]) -> dict:
    artifact = artifacts.get(finding.path)
    if artifact is None:
        artifact = artifacts[finding.path] = _artifact_location(finding.path, cwd)
    location = {"physicalLocation": {"artifactLocation": dict(artifact),
                                     "region": _region(finding.span)}}
    location.update(_cell_properties(finding))
    result = {"ruleId": finding.code}
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    result.update({"level": _level(finding.severity), "message": {"text": finding.message},
                   "locations": [location]})
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [_fix(finding, finding.fix, artifact)]
    return result


def _notification(error: FileError, cwd: Path, artifacts: Dict[str, dict]) -> dict:
    artifact = artifacts.get(error.path)
    if artifact is None:
        artifact = artifacts[error.path] = _artifact_location(error.path, cwd)
    physical: dict = {"artifactLocation": dict(artifact)}
    if error.row is not None:
        physical["region"] = {"startLine": error.row, "startColumn": error.column or 1}
    location: dict = {"physicalLocation": physical}
    if error.cell is not None:
        location["properties"] = {"cell": error.cell}
    return {"descriptor": {"id": NOT_CHECKED}, "level": "error",
            "message": {"text": f"{error.path}: {error.reason}"}, "locations": [location]}


def build_sarif(findings: List[Finding], cwd: Optional[Path] = None,
                errors: Sequence[FileError] = ()) -> dict:
    """The SARIF log as a dictionary (``cwd`` is %SRCROOT%; default: the current directory)."""
    cwd = Path(os.path.abspath(cwd if cwd is not None else os.getcwd()))
    docs = list(catalogue().values())
    rule_index = {doc.code: index for index, doc in enumerate(docs)}
    artifacts: Dict[str, dict] = {}
    results = [_result(f, rule_index, cwd, artifacts) for f in findings]
    notifications = [_notification(e, cwd, artifacts)
                     for e in sorted(errors, key=FileError.sort_key)]
    run = {
        "tool": {"driver": {"name": "bplint", "version": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [_rule(doc) for doc in docs]}},
        "invocations": [{"executionSuccessful": not notifications,
                         "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {SRCROOT: {"uri": _base_uri(cwd)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(findings: List[Finding], quiet: bool = False,
                 errors: Sequence[FileError] = ()) -> str:
    """The SARIF log as JSON; ``quiet`` changes nothing (there is no summary to omit)."""
    return json.dumps(build_sarif(findings, errors=errors), indent=2, ensure_ascii=False) + "\n"
