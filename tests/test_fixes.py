"""Autofixes: ``--fix``, ``--diff`` and ``--unsafe-fixes``, and the promises they keep about the file."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat

import libcst
import pytest

from bplint.autofix import fix_text
from bplint.catalogue import catalogue
from bplint.checks import ALL_CHECKS, FileContext
from bplint.config import Config
from bplint.engine import check_source
from bplint.files import SourceFile
from bplint.model import build_model
from conftest import FIXTURES, expected_findings, fixture_files

SEED3 = FIXTURES / "seeds" / "seed3_mnist_dropout.py"
SEED1 = FIXTURES / "seeds" / "seed1_bp_column_vectors.py"
FIXED_RULES = {"BP101", "BP102", "BP201", "BP301", "BP402", "BP501"}
# The fixtures with a finding of a rule that has fixes (their markers say so).
FIXABLE = [path for path in fixture_files() if {code for _, code in expected_findings(path)} & FIXED_RULES]


def test_fixes_exist_for_the_rules_the_issue_names():
    codes = set()
    for path in FIXABLE:
        findings, _ = check_source(SourceFile(str(path), path.read_text(encoding="utf-8")), Config())
        codes |= {f.code for f in findings if f.fix}
    assert {"BP101", "BP201", "BP301", "BP402", "BP501"} <= codes


@pytest.mark.parametrize("path", FIXABLE, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_a_fixed_fixture_parses_loses_its_fixed_findings_and_is_stable(path):
    """Or, when none of its findings has a fix, is left exactly as it is."""
    text = path.read_text(encoding="utf-8")
    before, _ = check_source(SourceFile(str(path), text), Config())
    done = fix_text(str(path), text, Config(), unsafe=True)
    if not any(f.fix for f in before):  # e.g. a velocity's sign: reported, never rewritten
        assert (done.text, done.fixed) == (None, 0)
        return
    assert done.text is not None and done.fixed >= 1
    compile(done.text, str(path), "exec")
    fixed_codes = {f.code for f in before if f.fix}
    after, errors = check_source(SourceFile(str(path), done.text), Config())
    assert errors == []
    assert len([f for f in after if f.code in fixed_codes]) < len([f for f in before if f.code in fixed_codes])
    assert fix_text(str(path), done.text, Config(), unsafe=True).text is None  # a second --fix: no-op
    # Lines are only inserted, or changed on the rows of fixed findings' edits.
    edited_rows = {edit.span.row for f in before if f.fix for edit in f.fix.edits}
    assert set(_changed_rows(text, done.text)) <= edited_rows


def _changed_rows(before: str, after: str):
    """The original rows that a diff replaces or deletes (insertions are not counted)."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            yield from range(i1 + 1, i2 + 1)


def test_a_fix_is_offered_only_by_a_rule_whose_document_names_it():
    """A fix's applicability is stated once, in the rule's document (``autofix: safe: ...``): a
    check that plans a fix its document does not name would have it dropped."""
    docs = catalogue()
    planned = set()
    for path in FIXABLE:
        text = path.read_text(encoding="utf-8")
        module = libcst.parse_module(text)
        context = FileContext(SourceFile(str(path), text), module, build_model(module))
        planned |= {check.code for check in ALL_CHECKS for report in check.run(context) if report.fix}
    labelled = {code for code, doc in docs.items() if doc.fix_applicability}
    assert planned == labelled == {"BP101", "BP102", "BP201", "BP301", "BP402", "BP501"}


def test_fix_on_seed3_changes_line_42_and_nothing_else(tmp_path, run_cli):
    target = tmp_path / SEED3.name
    shutil.copy(SEED3, target)
    original = SEED3.read_bytes()
    code, out, err = run_cli("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out == "Found 1 problem (1 fixed, 0 remaining).\n"
    fixed = target.read_bytes()
    before, after = original.split(b"\n"), fixed.split(b"\n")
    assert len(before) == len(after)
    assert [row + 1 for row, (a, b) in enumerate(zip(before, after)) if a != b] == [42]
    assert after[41] == b"        layer_1_delta *= dropout_mask  # expect: BP301"
    code, out, _ = run_cli("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert (code, out) == (0, "All checks passed.\n")
    assert target.read_bytes() == fixed


def test_unsafe_fixes_wait_for_the_flag(tmp_path, run_cli):
    target = tmp_path / SEED1.name
    shutil.copy(SEED1, target)
    code, out, _ = run_cli("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert code == 1
    assert out.endswith("Found 2 problems (0 fixed, 2 remaining).\n"
                        "(2 hidden fixes can be enabled with the `--unsafe-fixes` option.)\n")
    assert target.read_bytes() == SEED1.read_bytes()
    code, out, _ = run_cli("check", "--fix", "--unsafe-fixes", "--no-config", target.name, cwd=tmp_path)
    assert (code, out) == (0, "Found 2 problems (2 fixed, 0 remaining).\n")
    text = target.read_text(encoding="utf-8")
    assert "        self.hidden = hidden\n" in text
    assert "self.derivative(self.hidden)" in text


def test_check_without_fix_says_what_is_fixable(run_cli):
    code, out, _ = run_cli("check", "--no-config", "seed3_mnist_dropout.py", cwd=SEED3.parent)
    assert code == 1
    assert out.endswith("Found 1 problem in 1 file.\n[*] 1 fixable with the `--fix` option.\n")


def test_diff_prints_the_fix_and_writes_nothing(tmp_path, run_cli):
    target = tmp_path / SEED3.name
    shutil.copy(SEED3, target)
    code, out, err = run_cli("check", "--diff", "--no-config", target.name, cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out.startswith(f"--- a/{target.name}\n+++ b/{target.name}\n")
    assert "-        layer_1_delta += dropout_mask  # expect: BP301\n" in out
    assert "+        layer_1_delta *= dropout_mask  # expect: BP301\n" in out
    assert out.endswith("\nWould fix 1 problem.\n")
    assert target.read_bytes() == SEED3.read_bytes()
    shutil.copy(FIXTURES / "seeds" / "seed2_bp_xor_rows.py", target)
    assert run_cli("check", "--diff", "--no-config", target.name, cwd=tmp_path)[:2] == (0, "")


def test_fix_keeps_crlf_bom_encoding_and_mode(tmp_path, run_cli):
    text = SEED3.read_text(encoding="utf-8").replace("\n", "\r\n")
    target = tmp_path / "crlf_bom.py"
    target.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    os.chmod(target, 0o640)
    code, _, _ = run_cli("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert code == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == text.count("\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"layer_1_delta *= dropout_mask" in data
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    latin = tmp_path / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n# caf\u00e9\n" + SEED3.read_text(encoding="utf-8"))
                      .encode("latin-1", errors="replace"))
    assert run_cli("check", "--fix", "--no-config", latin.name, cwd=tmp_path)[0] == 0
    assert b"# caf\xe9\n" in latin.read_bytes()


def test_an_insertion_keeps_crlf(tmp_path, run_cli):
    target = tmp_path / "seed1_crlf.py"
    target.write_bytes(SEED1.read_bytes().replace(b"\n", b"\r\n"))
    run_cli("check", "--fix", "--unsafe-fixes", "--no-config", target.name, cwd=tmp_path)
    data = target.read_bytes()
    assert b"        self.hidden = hidden\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_failed_write_leaves_the_original_and_says_so(tmp_path, run_cli, monkeypatch):
    target = tmp_path / SEED3.name
    shutil.copy(SEED3, target)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    code, out, err = run_cli("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert code == 2
    assert (err, out.splitlines(keepends=True)[0]) == ("", (f"{target.name}: error: cannot write the fixed file (No space left on device); "
                   "left unchanged\n"))
    assert target.read_bytes() == SEED3.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_json_carries_the_fix_ruff_style(run_cli):
    code, out, _ = run_cli("check", "--format", "json", "--no-config", "seed3_mnist_dropout.py",
                           cwd=SEED3.parent)
    record = json.loads(out)[0]
    assert record["fix"] == {
        "applicability": "safe",
        "message": "Multiply by the dropout mask",
        "edits": [{"content": "*=", "location": {"row": 42, "column": 23},
                   "end_location": {"row": 42, "column": 25}}],
    }
