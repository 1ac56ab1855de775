"""Notebooks read as their author wrote them: IPython's own test for a magic, a cell that does not
compile reported on its own while the others are checked, notebooks on stdin, `bplint shapes`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest
from nbformat import v4

from bplint.config import Config
from bplint.diagnostics import FileError
from bplint.engine import check_paths, check_stdin
from bplint.notebooks import mask_cell, write_cells
from conftest import ASCENDING_SCRIPT, FIXTURES

NOTEBOOKS = FIXTURES / "notebooks"
PLANAR = "planar_data_ok.ipynb"
PRINT_STATEMENT = "Missing parentheses in call to 'print'. Did you mean print(...)?"
SEED3_BP301 = ("cell 8:14:9: BP301 dropout mask `dropout_mask` is added to `layer_1_delta`; a mask "
               "must multiply: use `layer_1_delta *= dropout_mask`")
ASCENDING_BP201 = ("`W += ...` moves `W` up the gradient: the step comes from the error "
                   "`(pred - y)` (line 8), prediction - target, the gradient of the loss; use `-=` "
                   "to descend (or flip the error)")


def _notebook(path, *cells):
    """Write a notebook of code cells; ("markdown", text) is a markdown cell."""
    made = [v4.new_markdown_cell(cell[1], id=f"c{number}") if isinstance(cell, tuple)
            else v4.new_code_cell(cell, id=f"c{number}")
            for number, cell in enumerate(cells, start=1)]
    nbformat.write(v4.new_notebook(cells=made), str(path))
    return path


def _checked(path):
    """(findings as (cell, row, column, code), errors) of one notebook."""
    result = check_paths([str(path)], Config())
    return [(f.cell, f.span.row, f.span.column, f.code) for f in result.findings], result.errors


def _print_error(path, cell, row):
    return FileError(str(path), f"syntax error in cell {cell} at line {row}, column 1: "
                                f"{PRINT_STATEMENT}", row=row, column=1, cell=cell)


def _bplint(*args, data: bytes, cwd):
    """``python -m bplint ARGS`` with ``data`` on stdin: (exit code, stdout + stderr lines)."""
    done = subprocess.run([sys.executable, "-m", "bplint", *args], input=data, cwd=cwd,
                          capture_output=True, check=False)
    return done.returncode, (done.stdout + done.stderr).decode("utf-8").splitlines()


# --- what IPython runs as a magic, and what it runs as Python ----------------------------------


def test_an_operator_or_a_string_is_code_not_a_magic():
    lines = [
        "print('I have m = %d examples' % m)",
        "s = 'x = %s' % y",
        "a = b % c",
        "x = y if z else w % 2",
        'print("shell escapes look like `files = !ls`")',
        "    print ('Cost after iteration %i: %f' %(i, cost))",
        "f(a=1 % 2)",
        "flags = x != y",
    ]
    assert [mask_cell(line) for line in lines] == [([line], [False]) for line in lines]


def test_what_ipython_runs_as_a_magic_is_masked():
    magics = {
        "files = !ls": "files = ...",
        "x = %time f()": "x = ...",
        "    out = !ls -l": "    out = ...",
        "a.b[0] = %sx ls": "a.b[0] = ...",
        "names: list = !ls": "names: list = ...",
        "%matplotlib inline": "pass",
        "!pip install numpy": "pass",
    }
    assert {line: mask_cell(line) for line in magics} == {
        line: ([masked], [True]) for line, masked in magics.items()}


def test_a_planar_data_notebook_is_checked_not_skipped(run_cli):
    # Its cells print with `%` formatting, which was once taken for a magic: the notebook was
    # skipped as a syntax error.
    assert run_cli("check", PLANAR, cwd=NOTEBOOKS) == (0, "All checks passed.\n", "")


def test_a_bug_in_the_planar_data_notebook_is_found(tmp_path):
    path = shutil.copy(NOTEBOOKS / PLANAR, tmp_path)
    model = nbformat.read(str(path), as_version=4).cells[8].source
    write_cells(str(path), {9: model.replace("parameters[key] - learning_rate",
                                             "parameters[key] + learning_rate")})
    findings = check_paths([str(path)], Config()).findings
    assert [(f.cell, f.span.row, f.span.column, f.code, f.message) for f in findings] == [(
        9, 16, 9, "BP201",
        "`parameters[key] = parameters[key] + ...` moves `parameters[key]` up the gradient: the "
        "step comes from the error `A2 - Y` (line 5), prediction - target, the gradient of the "
        "loss; use `-` to descend (or flip the error)")]


# --- a cell that does not compile --------------------------------------------------------------


def test_a_cell_that_does_not_compile_is_one_error_and_the_others_are_checked(run_cli, tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", "import numpy as np", ("markdown", "# Train"),
                     'print "loading"\nlr = 0.1', ASCENDING_SCRIPT)
    assert _checked(path) == ([(4, 8, 5, "BP201")], [_print_error(path, 3, 1)])
    code, out, err = run_cli("check", "nb.ipynb", cwd=tmp_path)
    lines = (out + err).splitlines()
    assert code == 2
    assert f"nb.ipynb:cell 4:8:5: BP201 {ASCENDING_BP201}" in lines
    assert f"nb.ipynb: error: syntax error in cell 3 at line 1, column 1: {PRINT_STATEMENT}" in lines


def test_every_cell_that_does_not_compile_is_reported_in_order(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", "x = 1\nprint x", "import numpy as np",
                     "def f(:\n    pass")
    assert _checked(path) == ([], [
        _print_error(path, 1, 2),
        FileError(str(path), "syntax error in cell 3 at line 1, column 7: invalid syntax",
                  row=1, column=7, cell=3),
    ])


FORWARD_AND_BACKWARD = textwrap.dedent("""\
    def forward(X, W1, W2):
        hidden = np.tanh(X @ W1)
        return hidden @ W2


    def backward(X, y, out, W2):
        d_out = out - y
        d_hidden = (d_out @ W2.T) * (1 - hidden ** 2)
        return X.T @ d_hidden, hidden.T @ d_out""")
TRAINING = textwrap.dedent("""\
    X = np.random.randn(8, 3)
    y = np.random.randn(8, 1)
    W1 = np.random.randn(3, 4)
    W2 = np.random.randn(4, 1)
    for _ in range(10):
        out = forward(X, W1, W2)
        dW1, dW2 = backward(X, y, out, W2)
        W1 -= 0.1 * dW1
        W2 -= 0.1 * dW2""")


def test_a_name_a_broken_cell_binds_is_unknown_not_undefined(tmp_path):
    # `backward` reads the global `hidden`: with no cell binding it, that is BP101.
    unbound = _notebook(tmp_path / "unbound.ipynb", "import numpy as np", FORWARD_AND_BACKWARD,
                        "pass", TRAINING)
    assert [code for *_, code in _checked(unbound)[0]] == ["BP101", "BP101"]
    # The broken cell would have bound it: nothing is known of it, so nothing is reported.
    broken = _notebook(tmp_path / "broken.ipynb", "import numpy as np", FORWARD_AND_BACKWARD,
                       'print "first pass"\nhidden = np.tanh(X @ W1)', TRAINING)
    assert _checked(broken) == ([], [_print_error(broken, 3, 1)])


NET = textwrap.dedent("""\
    class Net:
        def __init__(self):
            self.W = np.random.randn(3, 1)

        def forward(self, X):
            return np.tanh(X @ self.W)

        def backward(self, X, y, lr):
            grad = (self.out - y) * (1 - self.out ** 2)
            self.W -= lr * X.T @ grad""")
NET_DATA = "net = Net()\nX = np.random.randn(8, 3)\ny = np.random.randn(8, 1)\n"
NET_TRAINING = "for _ in range(10):\n    net.backward(X, y, 0.1)"


def test_an_attribute_a_broken_cell_stores_is_not_reported_missing(tmp_path):
    # No cell stores `net.out`: BP102, as for a file.
    missing = _notebook(tmp_path / "missing.ipynb", "import numpy as np", NET,
                        NET_DATA + 'print "ready"', NET_TRAINING)
    assert _checked(missing) == ([(2, 9, 17, "BP102"), (2, 9, 38, "BP102")],
                                 [_print_error(missing, 3, 4)])
    # The broken cell stores it from outside the class, as a working cell would.
    stored = _notebook(tmp_path / "stored.ipynb", "import numpy as np", NET,
                       NET_DATA + 'net.out = net.forward(X)\nprint "ready"', NET_TRAINING)
    assert _checked(stored) == ([], [_print_error(stored, 3, 5)])


@pytest.mark.parametrize("first_cell, row, column", [('import numpy as np\nprint "hi"', 2, 1),
                                                     ('import numpy as np; print "hi"', 1, 21)])
def test_the_imports_of_a_broken_cell_still_import(tmp_path, first_cell, row, column):
    # BP201 needs `np` to be NumPy: the stand-in for the cell keeps its import.
    script = ASCENDING_SCRIPT.replace("import numpy as np\n", "")
    path = _notebook(tmp_path / "nb.ipynb", first_cell, script)
    assert _checked(path) == ([(2, 7, 5, "BP201")], [FileError(
        str(path), f"syntax error in cell 1 at line {row}, column {column}: {PRINT_STATEMENT}",
        row=row, column=column, cell=1)])


# --- a notebook on stdin -----------------------------------------------------------------------


def test_stdin_named_ipynb_is_read_as_a_notebook(tmp_path):
    data = (NOTEBOOKS / "seed3_mnist_dropout.ipynb").read_bytes()
    code, lines = _bplint("check", "--no-config", "-", "--stdin-filename", "lab.ipynb",
                          data=data, cwd=tmp_path)
    assert (code, lines[0]) == (1, f"lab.ipynb:{SEED3_BP301}")


def test_stdin_notebook_without_a_name_is_still_read_as_a_notebook(tmp_path):
    """Read as Python, a notebook's JSON is one dict literal and would silently pass."""
    data = (NOTEBOOKS / "seed3_mnist_dropout.ipynb").read_bytes()
    code, lines = _bplint("check", "--no-config", "-", data=data, cwd=tmp_path)
    assert (code, lines[0]) == (1, f"-:{SEED3_BP301}")


def test_stdin_notebook_with_a_broken_cell(tmp_path):
    _notebook(tmp_path / "nb.ipynb", "import numpy as np", 'print "loading"', ASCENDING_SCRIPT)
    outcome = check_stdin("lab.ipynb", (tmp_path / "nb.ipynb").read_bytes(), Config())
    assert [(f.cell, f.span.row, f.code) for f in outcome.findings] == [(3, 8, "BP201")]
    assert outcome.errors == (_print_error("lab.ipynb", 2, 1),)


def test_invalid_notebook_on_stdin_is_one_error_line(tmp_path):
    code, lines = _bplint("check", "--no-config", "-q", "-", "--stdin-filename", "lab.ipynb",
                          data=b'{"nbformat": 4,', cwd=tmp_path)
    assert (code, lines) == (2, ["lab.ipynb: error: invalid notebook: not JSON (Expecting property "
                                 "name enclosed in double quotes at line 1, column 16)"])


# --- bplint shapes -----------------------------------------------------------------------------


def test_shapes_of_a_notebook_are_placed_in_their_cells(run_cli):
    code, out, err = run_cli("shapes", PLANAR, cwd=NOTEBOOKS)
    assert (code, err) == (0, "")
    assert out.startswith(f"{PLANAR}\npetals:\n  cell 4:1   m (parameter)   ")
    assert re.search(r"^  cell 5:3   m = X\.shape\[1\] +\(\) = 400$", out, re.M)
    # a masked line shows what the cell says, not what was analysed
    assert re.search(r"^  cell 6:1   files = !ls +\?$", out, re.M)
    assert re.search(r"^  cell 11:3  A2, cache = forward_propagation\(X, parameters\) +"
                     r"\(\(\?, 400\), dict\)$", out, re.M)


def test_shapes_json_of_a_notebook_carries_the_cell(run_cli):
    code, out, _ = run_cli("shapes", "--format", "json", PLANAR, cwd=NOTEBOOKS)
    assert code == 0
    records = {(r["cell"], r["row"]): r for r in json.loads(out)}
    assert records[(5, 3)] == {"filename": PLANAR, "cell": 5, "function": "module", "row": 3,
                               "code": "m = X.shape[1]", "shape": [], "text": "() = 400"}
    assert records[(9, 5)]["code"] == "dZ2 = A2 - Y"


NET_PY = ("import numpy as np\n\n\nclass Net:\n    def __init__(self, n_in, hidden):\n"
          "        self.W = np.random.randn(n_in, hidden)\n\n"
          "    def forward(self, X):\n        self.h = np.tanh(X @ self.W)\n        return self.h\n")


def test_shapes_of_a_file_are_unchanged_and_have_no_cell(run_cli, tmp_path):
    (tmp_path / "net.py").write_text(NET_PY, encoding="utf-8")
    assert run_cli("shapes", "net.py", cwd=tmp_path) == (0, textwrap.dedent("""\
        net.py
        Net.__init__:
             5  n_in (parameter)                         ?
             5  hidden (parameter)                       ?
             6  self.W = np.random.randn(n_in, hidden)   (n_in, hidden)
        Net.forward:
             8  X (parameter)                            ?
             9  self.h = np.tanh(X @ self.W)             (N, hidden)
        """), "")
    _, out, _ = run_cli("shapes", "--format", "json", "net.py", cwd=tmp_path)
    assert {record["cell"] for record in json.loads(out)} == {None}


def test_shapes_of_a_notebook_with_a_broken_cell_shows_the_other_cells(run_cli, tmp_path):
    _notebook(tmp_path / "nb.ipynb", "import numpy as np", 'print "loading"', ASCENDING_SCRIPT)
    code, out, err = run_cli("shapes", "nb.ipynb", cwd=tmp_path)
    assert (code, out) == (2, textwrap.dedent("""\
        nb.ipynb
        module:
          cell 3:3  W = np.random.randn(3, 1)     (3, 1)
          cell 3:4  X = np.random.randn(8, 3)     (8, 3)
          cell 3:5  y = np.random.randn(8, 1)     (8, 1)
          cell 3:7  pred = X @ W                  (8, 1)
          cell 3:8  W += 0.1 * X.T @ (pred - y)   (3, 1)
        """))
    assert err == f"nb.ipynb: error: syntax error in cell 2 at line 1, column 1: {PRINT_STATEMENT}\n"
