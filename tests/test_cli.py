"""The command line as a user sees it: output formats, options, configuration, exit codes."""

from __future__ import annotations

import json
import textwrap

import pytest

from bplint import __version__
from bplint.catalogue import catalogue
from conftest import UNGUARDED_LOG_SCRIPT

BUGGY = textwrap.dedent("""\
    import numpy as np


    def train(X, y, epochs, lr):
        W = np.random.randn(X.shape[1], 1)
        for _ in range(epochs):
            h = np.tanh(X @ W)
            mask = (np.random.rand(*h.shape) < 0.5) / 0.5
            h = h + mask
            error = h - y
            W += lr * X.T @ error
        return W
    """)
CLEAN = BUGGY.replace("h = h + mask", "h = h * mask").replace("W += lr", "W -= lr")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "buggy.py").write_text(BUGGY, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def test_text_output_and_summary(run_cli, project):
    code, out, err = run_cli("check", ".", cwd=project)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("buggy.py:9:13: BP301 dropout mask combined by `+` in `h + mask`; a mask "
                        "must multiply: use `h * mask`")
    assert lines[1] == ("buggy.py:11:9: BP201 `W += ...` moves `W` up the gradient: the step comes "
                        "from the error `h - y` (line 10), prediction - target, the gradient of the "
                        "loss; use `-=` to descend (or flip the error)")
    assert lines[2:] == ["Found 2 problems in 1 file.", "[*] 1 fixable with the `--fix` option.",
                         "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)"]


def test_quiet_omits_summary(run_cli, project):
    code, out, _ = run_cli("check", "--quiet", "buggy.py", cwd=project)
    assert code == 1 and len(out.splitlines()) == 2
    code, out, _ = run_cli("check", "-q", "clean.py", cwd=project)
    assert (code, out) == (0, "")


def test_clean_file_passes(run_cli, project):
    assert run_cli("check", "clean.py", cwd=project) == (0, "All checks passed.\n", "")


def test_json_output_has_ruffs_shape(run_cli, project):
    code, out, _ = run_cli("check", "--format", "json", "buggy.py", cwd=project)
    assert code == 1
    records = json.loads(out)
    assert [r["code"] for r in records] == ["BP301", "BP201"]
    first = records[0]
    assert set(first) == {"code", "name", "message", "hint", "severity", "filename", "location",
                          "end_location", "fix", "url", "cell"}
    assert first["name"] == "dropout-mask-added" and first["severity"] == "error"
    assert first["hint"] == "multiply by the mask: `h * mask`"
    assert first["filename"] == "buggy.py"
    assert first["location"] == {"row": 9, "column": 13}
    assert first["end_location"] == {"row": 9, "column": 21}
    assert first["fix"]["applicability"] == "safe"


def test_json_output_for_no_findings_is_an_empty_array(run_cli, project):
    assert run_cli("check", "--format", "json", "clean.py", cwd=project) == (0, "[]\n", "")


@pytest.mark.parametrize("args, codes", [
    (["--select", "BP3"], ["BP301"]),
    (["--select", "BP2,BP3"], ["BP301", "BP201"]),
    (["--ignore", "BP3"], ["BP201"]),
    (["--select", "BP", "--ignore", "BP201"], ["BP301"]),
    (["--select", "BP201", "--ignore", "BP2"], ["BP201"]),
])
def test_select_and_ignore_take_prefixes(run_cli, project, args, codes):
    code, out, _ = run_cli("check", "--format", "json", *args, "buggy.py", cwd=project)
    assert [r["code"] for r in json.loads(out)] == codes
    assert code == 1


def test_unknown_code_is_a_usage_error(run_cli, project):
    code, out, err = run_cli("check", "--select", "BP999", "buggy.py", cwd=project)
    assert code == 2 and out == ""
    assert "unknown rule code or prefix `BP999`" in err


def test_exit_zero(run_cli, project):
    code, out, _ = run_cli("check", "--exit-zero", "buggy.py", cwd=project)
    assert code == 0 and "Found 2 problems" in out


def test_unknown_format_is_a_usage_error(run_cli, project):
    code, _, err = run_cli("check", "--format", "xml", "buggy.py", cwd=project)
    assert code == 2 and "unknown format `xml`" in err


def test_version(run_cli):
    assert run_cli("--version") == (0, f"bplint {__version__}\n", "")


def test_rules_lists_the_catalogue(run_cli):
    code, out, _ = run_cli("rules")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(catalogue())
    assert lines[0].split()[:3] == ["BP101", "forward-local-in-backward", "error"]


def test_explain_prints_the_rule_document(run_cli):
    code, out, _ = run_cli("explain", "bp301")
    assert code == 0
    assert out.startswith("# BP301 dropout-mask-added\n")
    assert "## Why it breaks training" in out
    code, _, err = run_cli("explain", "BP999")
    assert code == 2 and "unknown rule `BP999`" in err


@pytest.mark.parametrize("comment, reported", [
    ("  # noqa", []),
    ("  # noqa: BP301", []),
    ("  # NOQA:BP3", []),
    ("  # noqa: BP201", ["BP301"]),
    ("  # bplint: ignore[BP301]", []),
    ("  # bplint: ignore[BP101, BP201]", ["BP301"]),
])
def test_suppression_comments(run_cli, tmp_path, comment, reported):
    text = BUGGY.replace("h = h + mask", "h = h + mask" + comment).replace("W += lr", "W -= lr")
    (tmp_path / "s.py").write_text(text, encoding="utf-8")
    code, out, _ = run_cli("check", "--format", "json", "s.py", cwd=tmp_path)
    assert [r["code"] for r in json.loads(out)] == reported
    assert code == (1 if reported else 0)


def _pyproject(folder, body):
    (folder / "pyproject.toml").write_text("[tool.bplint]\n" + textwrap.dedent(body), encoding="utf-8")


def test_config_select_ignore_and_per_file_ignores(run_cli, project):
    _pyproject(project, """\
        ignore = ["BP201"]
        [tool.bplint.per-file-ignores]
        "bug*.py" = ["BP3"]
        """)
    assert run_cli("check", "buggy.py", cwd=project)[:2] == (0, "All checks passed.\n")
    code, out, _ = run_cli("check", "--no-config", "-q", "buggy.py", cwd=project)
    assert code == 1 and len(out.splitlines()) == 2


def test_config_is_found_from_the_checked_path_upward(run_cli, project, tmp_path_factory):
    _pyproject(project, 'select = ["BP2"]\n')
    (project / "pkg").mkdir()
    (project / "pkg" / "buggy.py").write_text(BUGGY, encoding="utf-8")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    code, out, _ = run_cli("check", "-q", str(project / "pkg"), cwd=elsewhere)
    assert code == 1 and [line.split()[1] for line in out.splitlines()] == ["BP201"]


def test_config_exclude_and_default_excludes(run_cli, project):
    _pyproject(project, 'exclude = ["generated"]\n')
    for folder in ("generated", ".venv", "build", "node_modules"):
        (project / folder).mkdir()
        (project / folder / "buggy.py").write_text(BUGGY, encoding="utf-8")
    code, out, _ = run_cli("check", "-q", ".", cwd=project)
    assert {line.split(":")[0] for line in out.splitlines()} == {"buggy.py"}
    code, out, _ = run_cli("check", "-q", "--exclude", "buggy.py", ".", cwd=project)
    assert (code, out) == (0, "")


def test_explicit_config_file(run_cli, project):
    (project / "other.toml").write_text('[tool.bplint]\nselect = ["BP3"]\n', encoding="utf-8")
    code, out, _ = run_cli("check", "-q", "--config", "other.toml", "buggy.py", cwd=project)
    assert [line.split()[1] for line in out.splitlines()] == ["BP301"]


@pytest.mark.parametrize("body, message", [
    ('colour = "always"\n', "unknown key `colour`"),
    ('select = ["BP777"]\n', "unknown rule code or prefix `BP777`"),
    ('select = "BP1"\n', "`select` must be a list of strings"),
    ("select = [\n", "invalid TOML"),
])
def test_bad_config_is_a_clear_error(run_cli, project, body, message):
    _pyproject(project, body)
    code, out, err = run_cli("check", "buggy.py", cwd=project)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pyproject.toml: error:" in err and message in err


def test_warnings_say_so_in_text_and_json(run_cli, tmp_path):
    (tmp_path / "loss.py").write_text(UNGUARDED_LOG_SCRIPT, encoding="utf-8")
    code, out, _ = run_cli("check", "-q", "loss.py", cwd=tmp_path)
    assert code == 1
    assert out.startswith("loss.py:10:25: BP504 warning: `np.log(p)` takes the log of a sigmoid")
    code, out, _ = run_cli("check", "--format", "json", "loss.py", cwd=tmp_path)
    assert [(r["code"], r["severity"]) for r in json.loads(out)] == [("BP504", "warning")]
