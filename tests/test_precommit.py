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

from bplint import __version__
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


def _readme_snippet() -> str:
    """The ``.pre-commit-config.yaml`` that the README's pre-commit section tells users to write."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## pre-commit\n", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readme_snippet_works_as_written(tmp_path, hook_repo, pre_commit_home):
    """The README's config, run by the real ``pre-commit run`` on a clean script. Its ``rev`` is
    this version's release tag; the repository it names is this one, cloned at the tested commit
    (with the tag added when a fresh clone has not fetched it), since no network reaches GitHub."""
    snippet = _readme_snippet()
    rev = re.search(r"^\s*rev: (\S+)$", snippet, re.MULTILINE).group(1)
    assert rev == f"v{__version__}"
    release = tmp_path / "bplint"
    _git("clone", "-q", hook_repo[0], str(release), cwd=tmp_path)
    _git("checkout", "-q", hook_repo[1], cwd=release)
    if subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{rev}"], cwd=release,
                      capture_output=True).returncode != 0:
        _git("tag", rev, cwd=release)
    project = _staged_project(tmp_path / "clean", "seed2*.py")
    config = snippet.replace("https://github.com/bplint/bplint", str(release))
    assert config != snippet
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    env = dict(os.environ, PRE_COMMIT_HOME=str(pre_commit_home), PRE_COMMIT_COLOR="never")
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--files", "train.py"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "bplint" in output and "Passed" in output and not re.search(r"BP\d{3}", output), output
