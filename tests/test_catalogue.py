"""The rule catalogue: every document is complete, and its examples show exactly its rule."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bplint.catalogue import catalogue
from bplint.checks import ALL_CHECKS
from bplint.config import Config
from bplint.engine import check_paths
from conftest import ROOT

DOCS = list(catalogue().values())


def test_every_check_has_a_document_and_every_document_a_check():
    assert sorted(check.code for check in ALL_CHECKS) == sorted(catalogue())


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.code)
def test_document_is_complete(doc):
    assert doc.severity in ("error", "warning")
    assert doc.summary and doc.name
    assert doc.fix, f"{doc.code} lacks a one-line `fix:` hint"
    assert doc.autofix and doc.autofix.split(":")[0] in ("safe", "unsafe", "none"), doc.code
    for section in ("What it catches", "Why it breaks training", "Example", "Fix"):
        assert doc.section(section), f"{doc.code} lacks a '{section}' section"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.code)
def test_bad_example_triggers_exactly_its_rule(doc, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(doc.example("Example"), encoding="utf-8")
    codes = {f.code for f in check_paths([str(bad)], Config()).findings}
    assert codes == {doc.code}


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.code)
def test_good_example_triggers_nothing(doc, tmp_path):
    good = tmp_path / "good.py"
    good.write_text(doc.example("Fix"), encoding="utf-8")
    result = check_paths([str(good)], Config())
    assert result.findings == [] and result.errors == []


def test_non_editable_install_answers_explain(tmp_path):
    """``pip install .`` (not editable) ships the documents: ``bplint explain`` works from it."""
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
         "--disable-pip-version-check", "--target", str(target), str(ROOT)],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (target / "bplint" / "rules" / "BP301.md").is_file()
    environment = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-m", "bplint", "explain", "BP301"], cwd=tmp_path,
                          env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# BP301 dropout-mask-added")
    located = subprocess.run([sys.executable, "-c", "import bplint; print(bplint.__file__)"],
                             cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert located.stdout.startswith(str(target))
