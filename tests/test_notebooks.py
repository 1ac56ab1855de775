"""Jupyter notebooks: code cells checked as one program, findings placed in their cells."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest
from nbformat import v4

from bplint.config import Config
from bplint.diagnostics import FileError
from bplint.engine import check_paths
from bplint.files import discover
from bplint.notebooks import mask_cell, read_notebook, render_cells, write_cells
from conftest import ASCENDING_SCRIPT, FIXTURES, ROOT

NOTEBOOKS = FIXTURES / "notebooks"
VALID = ["bug_across_cells.ipynb", "ok_magics.ipynb", "seed3_mnist_dropout.ipynb"]

SEED3_BP301 = ("seed3_mnist_dropout.ipynb:cell 8:14:9: BP301 dropout mask `dropout_mask` is added "
               "to `layer_1_delta`; a mask must multiply: use `layer_1_delta *= dropout_mask`")
ACROSS_BP201 = ("bug_across_cells.ipynb:cell 6:5:5: BP201 `W2 += ...` moves `W2` up the gradient: "
                "the step comes from the error `output - y` (line 2 of cell 4), prediction - target, "
                "the gradient of the loss; use `-=` to descend (or flip the error)")
INVALID = "invalid.ipynb: error: invalid notebook: 'outputs' is a required property (at cells/0)\n"

BUGGY_SCRIPT = ASCENDING_SCRIPT


def _notebook(path, *cells):
    """Write a notebook; a cell is source text (code) or ("markdown" | "raw", text)."""
    made = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, tuple):
            kind, text = cell
            made.append(v4.new_markdown_cell(text, id=f"c{number}") if kind == "markdown"
                        else v4.new_raw_cell(text, id=f"c{number}"))
        else:
            made.append(v4.new_code_cell(cell, id=f"c{number}"))
    nbformat.write(v4.new_notebook(cells=made), str(path))
    return path


def _cell_sources(path):
    return [cell.source for cell in nbformat.read(str(path), as_version=4).cells]


# --- the fixtures, as a user sees them ---------------------------------------------------------


def test_seed3_notebook_text_is_exact(run_cli):
    code, out, err = run_cli("check", "seed3_mnist_dropout.ipynb", cwd=NOTEBOOKS)
    assert (code, out, err) == (1, SEED3_BP301 + "\nFound 1 problem in 1 file.\n"
                                  "[*] 1 fixable with the `--fix` option.\n", "")


def test_bug_across_cells_points_at_both_cells(run_cli):
    code, out, err = run_cli("check", "bug_across_cells.ipynb", cwd=NOTEBOOKS)
    assert (code, out, err) == (1, ACROSS_BP201 + "\nFound 1 problem in 1 file.\n"
                                  "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n", "")


def test_a_name_only_an_earlier_sanity_check_cell_left_behind_is_stale(run_cli):
    """Cells run in order: ``backward`` (cell 6) reads the global ``act`` that the check in cell 5
    left, not the activation ``forward`` computes on each step (BP101's stale-global case)."""
    stale = ("train.ipynb:cell 6:{}: BP101 name `act` is a local variable of "
             "`forward` (line 2 of cell 3), but `backward` reads the module-level `act` (line 1 of "
             "cell 5), a stale value, not the one `forward` computed; return it from `forward` and "
             "pass it to `backward`\n")
    assert run_cli("check", "train.ipynb", cwd=FIXTURES / "programs" / "cells_stale_global") == (
        1, stale.format("3:11") + stale.format("5:31") + "Found 2 problems in 1 file.\n", "")


def test_magics_and_shell_escapes_are_masked_and_silent(run_cli):
    assert run_cli("check", "ok_magics.ipynb", cwd=NOTEBOOKS) == (0, "All checks passed.\n", "")


def test_json_records_carry_the_cell(run_cli, tmp_path):
    shutil.copy(NOTEBOOKS / "seed3_mnist_dropout.ipynb", tmp_path)
    (tmp_path / "script.py").write_text(BUGGY_SCRIPT, encoding="utf-8")
    code, out, err = run_cli("check", "--format", "json", ".", cwd=tmp_path)
    assert (code, err) == (1, "")
    records = [(r["filename"], r["code"], r["cell"], r["location"], r["end_location"])
               for r in json.loads(out)]
    assert records == [
        ("script.py", "BP201", None, {"row": 8, "column": 5}, {"row": 8, "column": 32}),
        ("seed3_mnist_dropout.ipynb", "BP301", 8, {"row": 14, "column": 9},
         {"row": 14, "column": 38}),
    ]


def test_folder_discovery_finds_notebooks_and_reports_the_invalid_one(run_cli):
    # --no-config: the project's own configuration excludes fixtures/
    code, out, err = run_cli("check", "--no-config", ".", cwd=NOTEBOOKS)
    assert (code, out, err) == (2, f"{ACROSS_BP201}\n{INVALID}{SEED3_BP301}\n"
                                  "Found 2 problems in 2 files; 1 file could not be checked.\n"
                                  "[*] 1 fixable with the `--fix` option.\n"
                                  "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n",
                                "")


def test_invalid_fixture_alone(run_cli):
    assert run_cli("check", "invalid.ipynb", cwd=NOTEBOOKS) == (
        2, INVALID + "No problems found; 1 file could not be checked.\n", "")


def test_discover_skips_checkpoints_and_honours_excludes(tmp_path):
    for name in ("a.ipynb", "b.py", "notes.txt", "sub/c.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb",
                 "old/d.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found, errors = discover([str(tmp_path)], ["old"], tmp_path)
    assert errors == []
    assert [p[len(str(tmp_path)) + 1:] for p in found] == ["a.ipynb", "b.py", "sub/c.ipynb"]


# --- invalid notebooks and syntax errors -------------------------------------------------------


@pytest.mark.parametrize("data, reason", [
    (b"print('not json')\n", "not JSON (Expecting value at line 1, column 1)"),
    (b'{"nbformat": 4,', "not JSON (Expecting property name enclosed in double quotes at line 1, "
                         "column 16)"),
    (b"[1, 2]", "a JSON list, not an object"),
    (b'{"cells": []}', "no `nbformat` version number"),
    (b'{"nbformat": 99, "nbformat_minor": 0, "cells": []}', "Unsupported nbformat version 99"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "The notebook is invalid and is missing an expected key: cells"),
    (b"\xff\xfe{}", "not valid UTF-8 (byte 0xff at offset 0)"),
])
def test_invalid_notebook_is_one_line_and_others_are_checked(run_cli, tmp_path, data, reason):
    (tmp_path / "nb.ipynb").write_bytes(data)
    (tmp_path / "script.py").write_text(BUGGY_SCRIPT, encoding="utf-8")
    code, out, err = run_cli("check", "-q", ".", cwd=tmp_path)
    assert (code, err) == (2, "")
    unreadable, finding = out.splitlines()
    assert unreadable == f"nb.ipynb: error: invalid notebook: {reason}"
    assert finding.startswith("script.py:8:5: BP201 ")


def test_syntax_error_names_the_cell_and_line(run_cli, tmp_path):
    _notebook(tmp_path / "nb.ipynb", "import numpy as np", ("markdown", "# Model"),
              "x = 1\ndef broken(:\n    pass")
    code, out, err = run_cli("check", "nb.ipynb", cwd=tmp_path)
    assert (code, out, err) == (
        2, "nb.ipynb: error: syntax error in cell 3 at line 2, column 12: invalid syntax\n"
           "No problems found; 1 file could not be checked.\n", "")


def test_cells_compile_separately_like_jupyter(tmp_path):
    # Joined, these two cells would parse; Jupyter runs each on its own and fails on both.
    path = _notebook(tmp_path / "nb.ipynb", "x = (1,", "2)")
    assert [(e.cell, e.reason) for e in check_paths([str(path)], Config()).errors] == [
        (1, "syntax error in cell 1 at line 1, column 5: '(' was never closed"),
        (2, "syntax error in cell 2 at line 1, column 2: unmatched ')'"),
    ]


def test_empty_notebook_is_clean(run_cli, tmp_path):
    nbformat.write(v4.new_notebook(), str(tmp_path / "empty.ipynb"))
    assert run_cli("check", "empty.ipynb", cwd=tmp_path) == (0, "All checks passed.\n", "")


def test_markdown_and_raw_cells_are_ignored(run_cli, tmp_path):
    _notebook(tmp_path / "nb.ipynb", ("markdown", "W += lr * dW  {{ not python"),
              ("raw", "def (:"), "import numpy as np")
    assert run_cli("check", "nb.ipynb", cwd=tmp_path) == (0, "All checks passed.\n", "")


# --- masking -----------------------------------------------------------------------------------


def test_mask_cell_keeps_rows_and_python():
    source = textwrap.dedent('''\
        %matplotlib inline
        !pip install numpy
        x = !ls
        files = %sx ls
        ?np.dot
        np.dot??
        for i in range(3):
            %timeit -n 10 f(i)  # noqa
            %time y = g(i)
            !echo hi \\
              there
        s = """
        %not a magic in a string
        """
        z = (1,
        %not_a_magic_in_brackets
        )
        w = 1  # a question?
        %time for i in x: pass
        /autocall f 1''')
    lines, masked = mask_cell(source)
    assert lines == [
        "pass",
        "pass",
        "x = ...",
        "files = ...",
        "pass",
        "pass",
        "for i in range(3):",
        "    if 1:         f(i)  # noqa",
        "    if 1: y = g(i)",
        "    pass",
        "",
        's = """',
        "%not a magic in a string",
        '"""',
        "z = (1,",
        "%not_a_magic_in_brackets",
        ")",
        "w = 1  # a question?",
        "pass",
        "pass",
    ]
    assert [row for row, flag in enumerate(masked, 1) if flag] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11,
                                                                   19, 20]


def test_cell_magics():
    assert mask_cell("\n%%time\nx = 1\n!ls") == (["", "pass", "x = 1", "pass"],
                                                 [False, True, False, True])
    assert mask_cell("%%capture out\nx = 1") == (["pass", "x = 1"], [True, False])
    assert mask_cell("%%bash\nls -l\nif [ -d x ]; then ls; fi") == (["", "", ""], [True] * 3)
    assert mask_cell("%%writefile f.py\ndef f(:") == (["", ""], [True, True])


def test_time_cell_magic_body_is_checked(tmp_path):
    # ``%%time`` on the training cell: the bug is still found, one row further down.
    path = shutil.copy(NOTEBOOKS / "seed3_mnist_dropout.ipynb", tmp_path)
    training = _cell_sources(path)[7]
    assert write_cells(str(path), {8: "%%time\n" + training})
    findings = check_paths([str(path)], Config()).findings
    assert [(f.cell, f.span.row, f.span.column, f.code) for f in findings] == [(8, 15, 9, "BP301")]


def test_magics_do_not_hide_a_bug(tmp_path):
    path = shutil.copy(NOTEBOOKS / "ok_magics.ipynb", tmp_path)
    network = _cell_sources(path)[3]
    row = network.splitlines().index(
        "        self.weights2 += self.activated_hidden_layer.T.dot(self.delta_output) "
        "* learning_rate") + 1
    lines = network.splitlines()
    lines[row - 1] = lines[row - 1].replace("+=", "-=")
    write_cells(str(path), {4: "\n".join(lines)})
    findings = check_paths([str(path)], Config()).findings
    assert [(f.cell, f.span.row, f.span.column, f.code) for f in findings] == [(4, row, 9, "BP201")]


def test_message_lines_in_the_same_cell_stay_plain(tmp_path):
    _notebook(tmp_path / "nb.ipynb", ("markdown", "# Net"), "import numpy as np", textwrap.dedent("""\
        class Net:
            def __init__(self):
                self.W = np.random.randn(3, 1)

            def forward(self, X):
                hidden = X @ self.W
                return hidden

            def backward(self, X):
                return hidden * 2"""))
    findings = check_paths([str(tmp_path / "nb.ipynb")], Config()).findings
    assert [(f.cell, f.span.row, f.code) for f in findings] == [(3, 10, "BP101")]
    assert "`forward` (line 6)" in findings[0].message


# --- suppression and configuration -------------------------------------------------------------


@pytest.mark.parametrize("comment, reported", [
    ("  # noqa: BP301", False), ("  # bplint: ignore[BP301]", False), ("  # noqa", False),
    ("  # noqa: BP201", True),
])
def test_noqa_in_a_cell(tmp_path, comment, reported):
    path = shutil.copy(NOTEBOOKS / "seed3_mnist_dropout.ipynb", tmp_path)
    lines = _cell_sources(path)[7].split("\n")
    assert lines[13] == "        layer_1_delta += dropout_mask"
    lines[13] += comment
    write_cells(str(path), {8: "\n".join(lines)})
    findings = check_paths([str(path)], Config()).findings
    assert [f.code for f in findings] == (["BP301"] if reported else [])


def test_per_file_ignores_and_excludes_apply_to_notebooks(run_cli, tmp_path):
    shutil.copy(NOTEBOOKS / "seed3_mnist_dropout.ipynb", tmp_path / "a.ipynb")
    (tmp_path / "old").mkdir()
    shutil.copy(NOTEBOOKS / "bug_across_cells.ipynb", tmp_path / "old" / "b.ipynb")
    shutil.copy(NOTEBOOKS / "bug_across_cells.ipynb", tmp_path / "c.ipynb")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.bplint]
        exclude = ["old"]

        [tool.bplint.per-file-ignores]
        "a.ipynb" = ["BP301"]
        """), encoding="utf-8")
    code, out, err = run_cli("check", "-q", ".", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == ACROSS_BP201.replace("bug_across_cells.ipynb", "c.ipynb") + "\n"


# --- reading and writing -----------------------------------------------------------------------


def test_row_map_counts_all_cells():
    notebook = read_notebook(str(NOTEBOOKS / "seed3_mnist_dropout.ipynb"))
    assert sorted(notebook.cells) == [2, 4, 5, 6, 8]
    assert notebook.rows[0] == (2, 1) and notebook.rows[2] == (4, 1)
    assert notebook.locate(len(notebook.rows)) == (8, 31)


@pytest.mark.parametrize("name", VALID)
def test_render_with_no_changes_is_byte_for_byte(name):
    original = (NOTEBOOKS / name).read_bytes()
    assert render_cells(str(NOTEBOOKS / name), {}) == original


def test_write_cells_changes_only_the_given_cell(tmp_path):
    path = shutil.copy(NOTEBOOKS / "seed3_mnist_dropout.ipynb", tmp_path)
    before = json.loads((tmp_path / "seed3_mnist_dropout.ipynb").read_text(encoding="utf-8"))
    fixed = _cell_sources(path)[7].replace("layer_1_delta += dropout_mask",
                                           "layer_1_delta *= dropout_mask")
    assert write_cells(str(path), {8: fixed}) is True
    after = json.loads((tmp_path / "seed3_mnist_dropout.ipynb").read_text(encoding="utf-8"))
    assert "".join(after["cells"][7].pop("source")) == fixed
    before["cells"][7].pop("source")
    assert after == before
    assert check_paths([str(path)], Config()).findings == []


def test_write_cells_without_changes_leaves_the_file_alone(tmp_path):
    path = tmp_path / "nb.ipynb"
    text = json.dumps(json.loads((NOTEBOOKS / "ok_magics.ipynb").read_text("utf-8")), indent=2)
    path.write_text(text, encoding="utf-8")  # not as nbformat writes it
    assert write_cells(str(path), {}) is False
    assert write_cells(str(path), {4: _cell_sources(path)[3]}) is False
    assert path.read_text(encoding="utf-8") == text


def test_write_cells_keeps_crlf_and_refuses_non_code_cells(tmp_path):
    path = tmp_path / "nb.ipynb"
    crlf = (NOTEBOOKS / "bug_across_cells.ipynb").read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    assert render_cells(str(path), {}) == crlf
    with pytest.raises(ValueError, match="cell 1 is not a code cell"):
        write_cells(str(path), {1: "x = 1"})


def test_version_3_notebooks_are_read_and_written(tmp_path):
    from nbformat import v3

    notebook = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_text_cell("markdown", source="# title"),
        v3.new_code_cell(input=BUGGY_SCRIPT),
    ])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(notebook), encoding="utf-8")
    findings = check_paths([str(path)], Config()).findings
    assert [(f.cell, f.span.row, f.code) for f in findings] == [(2, 8, "BP201")]
    assert render_cells(str(path), {}) == path.read_bytes()
    write_cells(str(path), {2: BUGGY_SCRIPT.replace("W +=", "W -=")})
    assert json.loads(path.read_text("utf-8"))["nbformat"] == 3
    assert check_paths([str(path)], Config()).findings == []


def test_nbformat_is_imported_only_for_notebooks(tmp_path):
    (tmp_path / "script.py").write_text(BUGGY_SCRIPT, encoding="utf-8")
    program = ("import sys; from bplint.config import Config; from bplint.engine import check_paths; "
               f"check_paths([{str(tmp_path / 'script.py')!r}], Config()); "
               "print('nbformat' in sys.modules, 'bplint.notebooks' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out == "False False\n"


def test_map_finding_makes_spans_and_fix_edits_cell_relative(tmp_path):
    from bplint.diagnostics import Edit, Finding, Fix, Span

    _notebook(tmp_path / "nb.ipynb", "import numpy as np\n%matplotlib inline",
              ("markdown", "# Train"), "W = np.zeros(3)\nW += dW  # line 2 of cell 3")
    notebook = read_notebook(str(tmp_path / "nb.ipynb"))
    assert notebook.rows == [(1, 1), (1, 2), (3, 1), (3, 2)]

    def finding(*edits):
        fix = Fix("safe", "descend", tuple(Edit(span, text) for span, text in edits))
        return Finding(notebook.path, Span(4, 1, 4, 8), "BP201", "update-sign", "error",
                       "the step (line 3)", fix)

    mapped = notebook.map_finding(finding((Span(4, 3, 4, 5), "-=")))
    assert (mapped.cell, mapped.span, mapped.message) == (3, Span(2, 1, 2, 8), "the step (line 1)")
    assert mapped.fix.edits == (Edit(Span(2, 3, 2, 5), "-="),)
    # an edit in another cell, or on a masked IPython line, cannot be applied to this cell
    assert notebook.map_finding(finding((Span(1, 1, 1, 2), "x"))).fix is None
    assert notebook.map_finding(finding((Span(2, 1, 2, 2), "x"))).fix is None
    assert notebook.map_error(FileError(notebook.path, "cannot be parsed at line 3")).reason == \
        "cannot be parsed at line 1 of cell 3"
