"""Judging one parsed file: the enabled checks run on its model and analysis (its own, or its
program's), and their reports become findings, with suppressions and expected errors left out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, List, Tuple

from bplint.catalogue import catalogue
from bplint.checks import ALL_CHECKS, Check, FileContext
from bplint.config import Config
from bplint.diagnostics import FileError, Finding
from bplint.fixes import plan_to_fix
from bplint.parsing import Parsed
from bplint.suppression import expected_error_rows, is_suppressed


@dataclass(frozen=True)
class FileOutcome:
    """What checking one file gave: its findings, its errors, and whether it could be read."""

    findings: Tuple[Finding, ...]
    errors: Tuple[FileError, ...]
    checked: bool


def trains_a_network(model) -> bool:
    """Whether the file multiplies matrices and moves something by a step: training code."""
    return bool(model.weight_keys) and bool(model.trainable_locations())


class _AnalysisFailed(Exception):
    """A rule asked for the analysis of a file after it failed (and was reported)."""


class _FailedAnalysis:
    """Stands in for an analysis that raised, so that it is neither run nor reported again."""

    def __getattr__(self, name: str):
        raise _AnalysisFailed(name)


def judge(parsed: Parsed, model, config: Config, checks: Iterable[Check] = ALL_CHECKS,
          module_key: str = "", analyse=None) -> Tuple[List[Finding], List[FileError]]:
    """Run the enabled checks on one file. ``model`` is the file's own, or its program's (then
    ``module_key`` names the file in it, ``analyse`` gives the program's one analysis, and
    reports about the program's other modules are left out)."""
    source, module, layout = parsed.source, parsed.module, parsed.layout
    enabled = [c for c in checks if config.enabled(c.code, source.path)]
    context = FileContext(source, module, model, module_key, analyse)
    docs = catalogue()
    findings: List[Finding] = []
    errors: List[FileError] = []
    if not trains_a_network(model):
        # The gradient, dropout, shape and numerics rules are about training code: a file with no
        # matrix product or no update (a library, most test suites) is not read by them.
        enabled = [check for check in enabled if not check.needs_analysis]
    if any(check.needs_analysis for check in enabled):
        try:
            context.analysis
        except RecursionError:
            errors.append(FileError(source.path, "too deeply nested to analyse"))
            enabled = [check for check in enabled if not check.needs_analysis]
            context.__dict__["analysis"] = _FailedAnalysis()
        except Exception as exc:  # noqa: BLE001 - reported once; the model-only rules still run
            errors.append(FileError(
                source.path, f"internal error in the analysis ({type(exc).__name__}); please report"))
            enabled = [check for check in enabled if not check.needs_analysis]
            context.__dict__["analysis"] = _FailedAnalysis()
    for check in enabled:
        try:
            doc = docs[check.code]
            for report in check.run(context):
                if not context.holds(report.node):
                    continue
                span = layout.span(context.position(report.node))
                if layout.reindented:  # its fixes would edit the re-indented text, not the file
                    report = replace(report, fix=None)
                if is_suppressed(source.line(span.row), check.code):
                    continue
                fix = report.fix
                if fix is not None and not all(context.holds(c.node) for c in fix.changes):
                    fix = None  # it would edit another module of the program
                findings.append(Finding(source.path, span, check.code, doc.name, doc.severity,
                                        report.message,
                                        fix=plan_to_fix(context, fix, doc.fix_applicability),
                                        hint=report.hint))
        except _AnalysisFailed:
            pass  # a model-only rule that asks the failed analysis: reported once, above
        except RecursionError:
            errors.append(FileError(source.path, f"too deeply nested to analyse ({check.code})"))
        except Exception as exc:  # noqa: BLE001 - one failing rule must not stop the others
            errors.append(FileError(
                source.path, f"internal error in {check.code} ({type(exc).__name__}); please report"))
    if findings and "raise" in source.text:  # a test expecting the error: not a bug
        expected = expected_error_rows(module, context.position)
        findings = [f for f in findings if f.span.row not in expected]
    return findings, errors
