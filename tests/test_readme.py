"""The README's first screen stays true: its commands and the output it shows."""

from __future__ import annotations

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_screen_commands_match_ci():
    console = re.search(r"```console\n(.*?)```", README, re.S).group(1).splitlines()
    assert console[0] == "$ pip install . && bplint check examples/forward_local.py"
    assert console[1] == "$ pip install -e '.[test]' && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI installs as a new user does, into a virtual environment of its own, at the newest
    # versions allowed, and ends with the README's test command.
    assert 'python -m venv "$venv"' in ci
    assert "pip install --upgrade --upgrade-strategy eager -e '.[test]'" in ci
    assert ci.rstrip().endswith("python -m pytest -q")


def test_shown_output_is_what_bplint_prints(run_cli):
    shown = re.search(r"```text\n(.*?)```", README, re.S).group(1)
    code, out, err = run_cli("check", "examples/forward_local.py", cwd=ROOT)
    assert (code, out, err) == (1, shown, "")


def test_rule_table_lists_every_rule():
    from bplint.catalogue import catalogue

    for doc in catalogue().values():
        assert re.search(rf"^\| {doc.code} \| {re.escape(doc.name)} +\| {doc.severity} ", README, re.M)


def test_gradcheck_example_is_what_gradcheck_prints(run_cli):
    import pytest

    pytest.importorskip("numpy")
    section = README.split("$ bplint gradcheck examples/layers.py", 1)[1]
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    assert run_cli("gradcheck", "examples/layers.py", cwd=ROOT) == (1, shown, "")
