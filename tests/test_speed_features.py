"""What makes bplint fast enough for every commit, as a user sees it: the cache, parallel files,
and the cheap skip of files that cannot hold network code. (Speed itself is measured by
``bench/run.py``, never asserted here.)"""

from __future__ import annotations

import shutil

import pytest

from bplint.prefilter import might_hold_a_network
from conftest import FIXTURES

SEED3 = FIXTURES / "seeds" / "seed3_mnist_dropout.py"


@pytest.fixture
def project(tmp_path):
    for folder in ("seeds", "scripts"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture
def cached(monkeypatch):
    monkeypatch.delenv("BPLINT_NO_CACHE", raising=False)


def test_parallel_output_is_the_serial_output(run_cli, project):
    serial = run_cli("check", "--no-config", "--jobs", "1", ".", cwd=project)
    parallel = run_cli("check", "--no-config", "--jobs", "2", ".", cwd=project)
    assert serial == parallel
    assert serial[0] == 1 and "Found " in serial[1]


def test_a_second_run_answers_from_the_cache(run_cli, project, cached, monkeypatch):
    first = run_cli("check", "--no-config", ".", cwd=project)
    assert (project / ".bplint_cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    import bplint.engine

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(bplint.engine, "check_source", must_not_run)
    assert run_cli("check", "--no-config", ".", cwd=project) == first


def test_an_edited_file_or_another_selection_misses_the_cache(run_cli, project, cached):
    target = project / "seeds" / SEED3.name
    assert run_cli("check", "--no-config", str(target), cwd=project)[0] == 1
    target.write_text(SEED3.read_text(encoding="utf-8").replace("+= dropout_mask", "*= dropout_mask"),
                      encoding="utf-8")
    assert run_cli("check", "--no-config", str(target), cwd=project)[:2] == (0, "All checks passed.\n")
    target.write_text(SEED3.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("check", "--no-config", "--ignore", "BP301", str(target), cwd=project)[0] == 0


def test_no_cache_writes_no_cache(run_cli, project, cached):
    run_cli("check", "--no-config", "--no-cache", ".", cwd=project)
    assert not (project / ".bplint_cache").exists()


def test_a_file_without_network_code_is_skipped_but_its_syntax_error_reported(run_cli, tmp_path):
    (tmp_path / "plain.py").write_text(
        "class Parser:\n    def step(self):\n        return self.position\n", encoding="utf-8")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    code, out, err = run_cli("check", "--no-config", ".", cwd=tmp_path)
    assert (code, err) == (2, "")
    assert out == ("broken.py: error: syntax error at line 1, column 7: invalid syntax\n"
                   "No problems found; 1 file could not be checked.\n")


@pytest.mark.parametrize("text, expected", [
    ("import numpy as np\n", True),
    ("from numpy.random import rand\n", True),
    ("def forward(self, x):\n    return x\n", True),
    ("h = x.dot(W)\n", True),
    ("h = x @ W\n", True),
    ("h @= W\n", True),
    ("@decorator\ndef f():\n    pass\n", False),
    ("import os\nprint(os.getcwd())\n", False),
])
def test_the_cheap_text_check(text, expected):
    assert might_hold_a_network(text) is expected
