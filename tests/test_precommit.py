"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit as a user's repository
would run it: ``pre-commit try-repo <this repository> bplint --files ...``.

try-repo clones this repository at HEAD (``--ref``), so the hook tested is the committed one, as on
a clean clone in CI. It builds the hook's environment with pip (network, tens of seconds), so there
are two runs only, sharing one PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None,
                                reason="needs git: pre-commit clones this repository with it")

SEEDS = FIXTURES / "seeds"


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo() -> tuple:
    """This repository and the commit try-repo uses: HEAD, which must have the hook manifest."""
    head = _git("rev-parse", "HEAD", cwd=ROOT)
    listed = subprocess.run(["git", "cat-file", "-e", f"{head}:.pre-commit-hooks.yaml"], cwd=ROOT,
                            capture_output=True)
    if listed.returncode != 0:
        pytest.fail(".pre-commit-hooks.yaml is not committed: pre-commit try-repo tests HEAD")
    return str(ROOT), head


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _staged_project(folder: Path, seed: str) -> Path:
    """A new git repository with a copy of a seed script staged as ``train.py``."""
    folder.mkdir()
    _git("init", "-q", cwd=folder)
    shutil.copyfile(next(SEEDS.glob(seed)), folder / "train.py")
    _git("add", "train.py", cwd=folder)
    return folder


def _try_repo(project: Path, hook_repo: tuple, home: Path) -> subprocess.CompletedProcess:
    repo, ref = hook_repo
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", repo, "bplint", "--ref", ref,
         "--files", "train.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900)


def test_hook_fails_on_a_buggy_script(tmp_path, hook_repo, pre_commit_home):
    project = _staged_project(tmp_path / "buggy", "seed3*.py")
    done = _try_repo(project, hook_repo, pre_commit_home)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "bplint" in output and "Failed" in output, output
    assert "train.py:42:9: BP301 dropout mask `dropout_mask` is added to `layer_1_delta`" in output


def test_hook_passes_on_a_clean_script(tmp_path, hook_repo, pre_commit_home):
    project = _staged_project(tmp_path / "clean", "seed2*.py")
    done = _try_repo(project, hook_repo, pre_commit_home)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Passed" in output and not re.search(r"BP\d{3}", output), output
