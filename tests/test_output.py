"""``bplint check`` output comforts: --statistics, --output-file, colour, --show-source."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from bplint.catalogue import parse_rule_doc
from bplint.report import terminal
from bplint.report.terminal import caret_line, fix_hint, use_colour
from conftest import FIXTURES, UNGUARDED_LOG_SCRIPT

SEEDS = FIXTURES / "seeds"
SEED_FILES = ["seed1_bp_column_vectors.py", "seed2_bp_xor_rows.py", "seed3_mnist_dropout.py",
              "seed4_regression_relu.py"]
SEED3 = "seed3_mnist_dropout.py"
SEED3_LINE = ("seed3_mnist_dropout.py:42:9: BP301 dropout mask `dropout_mask` is added to "
              "`layer_1_delta`; a mask must multiply: use `layer_1_delta *= dropout_mask`")
SEED1_MESSAGE = ("BP101 name `hidden` is a local variable of `forward` (line 20) and is undefined in "
                 "`backward`; store it as `self.hidden` in `forward` and read `self.hidden` here")
ESC = "\x1b["
FIXABLE = "[*] 1 fixable with the `--fix` option.\n"


# --statistics ------------------------------------------------------------------------------

def test_statistics_counts_per_rule_by_count_then_code(run_cli):
    code, out, err = run_cli("check", "--statistics", *SEED_FILES, cwd=SEEDS)
    assert (code, err) == (1, "")
    assert out == ("   2  BP101  forward-local-in-backward\n"
                   "   2  BP102  uncached-attribute\n"
                   "   1  BP301  dropout-mask-added\n"
                   "Found 5 problems in 3 files.\n[*] 1 fixable with the `--fix` option.\n"
                   "(4 hidden fixes can be enabled with the `--unsafe-fixes` option.)\n")


def test_statistics_quiet_and_clean(run_cli):
    assert run_cli("check", "--statistics", "-q", SEED3, cwd=SEEDS) == (
        1, "   1  BP301  dropout-mask-added\n", "")
    assert run_cli("check", "--statistics", "seed2_bp_xor_rows.py", cwd=SEEDS) == (
        0, "All checks passed.\n", "")
    assert run_cli("check", "--statistics", "--exit-zero", SEED3, cwd=SEEDS)[0] == 0


def test_statistics_as_json(run_cli):
    code, out, _ = run_cli("check", "--statistics", "--format", "json", *SEED_FILES, cwd=SEEDS)
    assert code == 1
    assert json.loads(out) == [
        {"code": "BP101", "name": "forward-local-in-backward", "count": 2},
        {"code": "BP102", "name": "uncached-attribute", "count": 2},
        {"code": "BP301", "name": "dropout-mask-added", "count": 1},
    ]


# --output-file -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_file_gets_the_report_and_stdout_nothing(run_cli, tmp_path, fmt):
    _, expected, _ = run_cli("check", "--format", fmt, SEED3, cwd=SEEDS)
    target = tmp_path / "report.out"
    code, out, err = run_cli("check", "--format", fmt, "--output-file", str(target), SEED3, cwd=SEEDS)
    assert (code, out, err) == (1, "", "")
    assert target.read_text(encoding="utf-8") == expected


def test_output_file_replaces_an_old_report_and_clean_exits_zero(run_cli, tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old report\n" * 50, encoding="utf-8")
    assert run_cli("check", "-o", str(target), "seed2_bp_xor_rows.py", cwd=SEEDS) == (0, "", "")
    assert target.read_text(encoding="utf-8") == "All checks passed.\n"


def test_output_file_holds_the_unchecked_files_and_stderr_names_them(run_cli, tmp_path):
    target = tmp_path / "report.txt"
    code, out, err = run_cli("check", "-o", str(target), SEED3, "missing.py", cwd=SEEDS)
    assert (code, out) == (2, "")
    assert err == "missing.py: error: no such file or directory\n"
    assert target.read_text(encoding="utf-8") == (
        "missing.py: error: no such file or directory\n" + SEED3_LINE
        + "\nFound 1 problem in 1 file; 1 file could not be checked.\n" + FIXABLE)


@pytest.mark.parametrize("where", ["no-such-folder/report.txt", "."])
def test_unwritable_output_file_is_a_one_line_error(run_cli, tmp_path, where):
    target = tmp_path / where
    code, out, err = run_cli("check", "--output-file", str(target), SEED3, cwd=SEEDS)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"bplint: error: cannot write `{target}`: ")


# colour ------------------------------------------------------------------------------------

SEED3_COLOURED = ("\x1b[1mseed3_mnist_dropout.py\x1b[0m:\x1b[2m42:9\x1b[0m: \x1b[1;31mBP301\x1b[0m "
                  + SEED3_LINE.split(": BP301 ", 1)[1])


def test_force_color_colours_path_position_and_code(run_cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert run_cli("check", SEED3, cwd=SEEDS) == (
        1, SEED3_COLOURED + "\nFound 1 problem in 1 file.\n" + FIXABLE, "")


def test_no_color_wins_over_force_color(run_cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert run_cli("check", SEED3, cwd=SEEDS) == (1, SEED3_LINE + "\nFound 1 problem in 1 file.\n" + FIXABLE, "")


def test_piped_output_has_no_escapes(run_cli):
    code, out, _ = run_cli("check", "--show-source", *SEED_FILES, cwd=SEEDS)
    assert code == 1 and ESC not in out


def test_colour_is_for_text_on_stdout_only(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run_cli("check", "--format", "json", SEED3, cwd=SEEDS)
    assert code == 1 and ESC not in out and json.loads(out)[0]["code"] == "BP301"
    target = tmp_path / "report.txt"
    assert run_cli("check", "-o", str(target), SEED3, cwd=SEEDS) == (1, "", "")
    assert ESC not in target.read_text(encoding="utf-8")


def test_warnings_are_yellow(run_cli, monkeypatch, tmp_path):
    (tmp_path / "loss.py").write_text(UNGUARDED_LOG_SCRIPT, encoding="utf-8")
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run_cli("check", "-q", "loss.py", cwd=tmp_path)
    assert code == 1
    assert out.startswith("\x1b[1mloss.py\x1b[0m:\x1b[2m10:25\x1b[0m: \x1b[1;33mBP504\x1b[0m warning: ")


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty, environ, expected", [
    (True, {}, True),
    (False, {}, False),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),
    (False, {"FORCE_COLOR": "1"}, True),
    (False, {"FORCE_COLOR": ""}, False),
    (True, {"NO_COLOR": "yes", "FORCE_COLOR": "1"}, False),
])
def test_use_colour(tty, environ, expected):
    assert use_colour(_Stream(tty), environ) is expected


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
@pytest.mark.parametrize("no_color, coloured", [("", True), ("1", False)])
def test_a_real_terminal_gets_colour(no_color, coloured):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    if no_color:
        env["NO_COLOR"] = no_color
    primary, secondary = os.openpty()
    try:
        process = subprocess.run([sys.executable, "-m", "bplint", "check", SEED3], cwd=SEEDS,
                                 stdout=secondary, stderr=subprocess.PIPE, env=env, timeout=120)
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    out = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert process.returncode == 1
    assert out.startswith(SEED3_COLOURED if coloured else SEED3_LINE)


# --show-source -----------------------------------------------------------------------------

SEED3_SOURCE = SEED3_LINE + """
42 |         layer_1_delta += dropout_mask  # expect: BP301
   |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: multiply by the mask: `layer_1_delta *= dropout_mask`

"""


def test_show_source(run_cli):
    assert run_cli("check", "--show-source", SEED3, cwd=SEEDS) == (
        1, SEED3_SOURCE + "Found 1 problem in 1 file.\n" + FIXABLE, "")


def test_show_source_help_names_the_findings_own_values(run_cli):
    code, out, _ = run_cli("check", "--show-source", "-q", "seed1_bp_column_vectors.py", cwd=SEEDS)
    assert code == 1
    assert out == f"""\
seed1_bp_column_vectors.py:31:55: {SEED1_MESSAGE}
31 |         hidden_delta = hidden_error * self.derivative(hidden)  # expect: BP101
   |                                                       ^^^^^^
   = help: in `forward`, after line 20, store `self.hidden = hidden`; here read `self.hidden`

seed1_bp_column_vectors.py:33:49: {SEED1_MESSAGE}
33 |         self.weights_ho += np.dot(output_delta, hidden.T)  # expect: BP101
   |                                                 ^^^^^^
   = help: in `forward`, after line 20, store `self.hidden = hidden`; here read `self.hidden`

"""


def test_show_source_coloured(run_cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run_cli("check", "--show-source", "-q", SEED3, cwd=SEEDS)
    assert code == 1
    assert out == (SEED3_COLOURED + "\n"
                   "42 |         layer_1_delta += dropout_mask  # expect: BP301\n"
                   "   |         \x1b[1;31m^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\x1b[0m\n"
                   "   = \x1b[1mhelp:\x1b[0m multiply by the mask: `layer_1_delta *= dropout_mask`\n"
                   "\n")


def test_show_source_with_nothing_to_show_and_in_json(run_cli):
    assert run_cli("check", "--show-source", "seed2_bp_xor_rows.py", cwd=SEEDS) == (
        0, "All checks passed.\n", "")
    _, plain, _ = run_cli("check", "--format", "json", SEED3, cwd=SEEDS)
    assert run_cli("check", "--format", "json", "--show-source", SEED3, cwd=SEEDS) == (1, plain, "")


def test_text_without_the_new_flags_is_unchanged(run_cli):
    from bplint.config import Config
    from bplint.engine import check_paths
    from bplint.report.text import render_text

    code, out, _ = run_cli("check", *SEED_FILES, cwd=SEEDS)
    findings = check_paths([str(SEEDS / name) for name in SEED_FILES], Config()).findings
    expected = render_text(findings).replace(str(SEEDS) + os.sep, "")
    assert (code, out) == (1, expected)


@pytest.mark.parametrize("line, column, end, expected", [
    ("x = a + b", 5, 10, ("    ", "^^^^^")),
    ("x = a + b", 5, 5, ("    ", "^")),            # an empty span still gets a caret
    ("x = a + b", 5, None, ("    ", "^^^^^")),     # a span that goes on: to the end of the line
    ("x = (a +", 5, None, ("    ", "^^^^")),
    ("x = a", 9, 12, ("        ", "^")),           # past the end of the line
    ("\tx = a + b", 6, 11, ("\t    ", "^^^^^")),   # tabs kept so the carets line up
    ("s = '日本' + b", 5, 9, ("    ", "^^^^^^")),   # wide characters take two columns
])
def test_caret_line(line, column, end, expected):
    assert caret_line(line, column, end) == expected


def test_fix_hint_is_the_rule_documents_fix_line(monkeypatch):
    assert fix_hint("BP301") == "multiply by the mask: `delta *= mask`"
    documents = {"BP777": parse_rule_doc("# BP777 made-up\n\nseverity: error\nsummary: S.\n")}
    monkeypatch.setattr(terminal, "catalogue", lambda: documents)
    assert fix_hint("BP777") == "see `bplint explain BP777` for an example and its fix"


def test_show_source_in_a_notebook_shows_the_cell_line(run_cli, tmp_path):
    pytest.importorskip("bplint.notebooks")
    source = (SEEDS / SEED3).read_text(encoding="utf-8")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Dropout\n"]},
            {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": None,
             "outputs": [], "source": source.splitlines(keepends=True)},
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    code, out, _ = run_cli("check", "--show-source", "-q", "nb.ipynb", cwd=tmp_path)
    assert code == 1
    assert out == ("nb.ipynb:cell 2:" + SEED3_LINE.split(":", 1)[1] + "\n"
                   + SEED3_SOURCE.split("\n", 1)[1])
