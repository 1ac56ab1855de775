"""Shape inference: NumPy's rules, the seeds with a `.T` removed, and `bplint shapes`."""

from __future__ import annotations

import json
import re

import pytest

from bplint.analysis import shapes
from bplint.analysis.shapes import Free
from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES

SEEDS = FIXTURES / "seeds"


@pytest.mark.parametrize("a, b, result, problem", [
    ((4, 3), (3,), (4, 3), None),
    ((4, 3), (1, 3), (4, 3), None),
    ((5, 1), (5,), (5, 5), "outer"),
    (("N", 1), ("N",), ("N", "N"), "outer"),
    ((4, 3), (4,), None, "incompatible"),
    ((2, "hidden"), (1, "output"), None, "incompatible"),
    ((2, "hidden"), (2, 7), (2, 7), None),  # a name next to a number: the number
    ((Free("N"), 3), (Free("N"), 1), (Free("N"), 3), None),
    (None, (3,), None, None),
])
def test_broadcast(a, b, result, problem):
    outcome = shapes.broadcast(a, b)
    assert (outcome.shape, outcome.problem) == (result, problem)


@pytest.mark.parametrize("a, b, result, mismatch", [
    ((4, 3), (3, 5), (4, 5), None),
    ((4, 3), (5, 3), None, (3, 5)),
    ((3,), (3, 5), (5,), None),
    ((5, 3), (3,), (5,), None),
    (("N", "out"), ("hidden", "out"), None, ("out", "hidden")),
    ((Free("N"), "hidden"), (Free("N"), "out"), None, ("hidden", Free("N"))),
    ((Free("N"), "hidden").__class__(("hidden", Free("N"))), (Free("N"), "out"), ("hidden", "out"), None),
])
def test_matmul(a, b, result, mismatch):
    product = shapes.matmul(a, b)
    assert (product.shape, product.mismatch) == (result, mismatch)


def test_reductions_reshape_and_in_place_rule():
    assert shapes.reduce((4, 3), 0, True) == (1, 3)
    assert shapes.reduce((4, 3), 1, False) == (4,)
    assert shapes.reduce((4, 3), None, False) == ()
    assert shapes.reshape((4, 3), [-1, 1]) == (12, 1)
    assert shapes.reshape((7,), [-1, 1]) == (7, 1)
    assert shapes.fits_in_place((1, 4), (4, 4)) is False
    assert shapes.fits_in_place((4, 4), (1, 4)) is True
    assert shapes.fits_in_place((3, 4), (4, 3)) is False
    assert shapes.fits_in_place((1, "h"), (Free("N"), "h")) is False
    assert shapes.index((10, 3), [("slice", 1)]) == (1, 3)
    assert shapes.index((10, 3), [("slice", shapes.FULL), ("int",)]) == (10,)
    assert shapes.index((10,), [("slice", shapes.FULL), ("newaxis",)]) == (10, 1)


def _findings(path):
    return [(f.span.row, f.code) for f in check_paths([str(path)], Config()).findings]


def _uses(text: str, row: int):
    """The rows of updates that read the variable assigned on ``row``."""
    lines = text.split("\n")
    assignment = re.match(r"\s*([\w.]+)\s*=[^=]", lines[row - 1])
    if assignment is None:
        return []  # the row is itself an update
    target = assignment.group(1)
    return [n for n, line in enumerate(lines, 1)
            if n > row and re.search(r"[+-]=", line) and re.search(rf"\b{re.escape(target)}\b", line)]


# seed4 reads ``self.a1``, never stored (BP102): its shape is that of ``forward``'s local ``a1``.
@pytest.mark.parametrize("seed, row", [
    ("seed2_bp_xor_rows.py", 30), ("seed2_bp_xor_rows.py", 32), ("seed2_bp_xor_rows.py", 34),
    ("seed4_regression_relu.py", 45), ("seed4_regression_relu.py", 48),
    ("seed4_regression_relu.py", 49),
])
def test_removing_a_transpose_in_backward_is_found(tmp_path, seed, row):
    text = (SEEDS / seed).read_text(encoding="utf-8")
    lines = text.split("\n")
    assert ".T" in lines[row - 1]
    lines[row - 1] = lines[row - 1].replace(".T", "", 1)
    mutant = tmp_path / seed
    mutant.write_text("\n".join(lines), encoding="utf-8")
    found = [r for r, code in _findings(mutant) if code in ("BP401", "BP402")]
    assert found and set(found) <= {row, *_uses(text, row)}


def test_unsummed_bias_gradient_in_seed2(tmp_path):
    text = (SEEDS / "seed2_bp_xor_rows.py").read_text(encoding="utf-8")
    mutant = tmp_path / "seed2.py"
    mutant.write_text(text.replace("np.sum(self.delta_hidden, axis=0, keepdims=True)",
                                   "self.delta_hidden"), encoding="utf-8")
    assert _findings(mutant) == [(33, "BP402")]


def test_shapes_command_shows_concrete_shapes_bound_by_calls(run_cli):
    code, out, err = run_cli("shapes", "seed2_bp_xor_rows.py", cwd=SEEDS)
    assert code == 0 and err == ""
    assert re.search(r"^BPNeuralNetwork\.train:\n +37  X \(parameter\) +\(4, 3\)$", out, re.M)
    assert re.search(r"^ +15  self\.hidden_layer = np\.dot\(X, self\.weights1\) \+ self\.bias1 +\(4, 4\)$",
                     out, re.M)
    assert re.search(r"^ +18  self\.activated_output_layer = .* +\(4, 1\)$", out, re.M)


def test_shapes_command_shows_named_sizes_for_a_class_nobody_builds(run_cli):
    code, out, _ = run_cli("shapes", "seed1_bp_column_vectors.py", cwd=SEEDS)
    assert code == 0
    assert re.search(r"^ +20  hidden = self\.activation\(.*\) +\(hidden_size, 1\)$", out, re.M)
    code, out, _ = run_cli("shapes", "seed4_regression_relu.py", cwd=SEEDS)
    # forward sees 4 training rows and 1 test row: the rows are unknown, the columns are not
    assert re.search(r"^ +18  z1 = np\.dot\(x, self\.weights1\) \+ self\.bias1 +\(\?, 10\)$", out, re.M)


def test_shapes_command_json(run_cli, tmp_path):
    (tmp_path / "net.py").write_text(
        "import numpy as np\n\n\nclass Net:\n    def __init__(self, n_in, hidden):\n"
        "        self.W = np.random.randn(n_in, hidden)\n\n"
        "    def forward(self, X):\n        self.h = np.tanh(X @ self.W)\n        return self.h\n",
        encoding="utf-8")
    code, out, _ = run_cli("shapes", "--format", "json", "net.py", cwd=tmp_path)
    assert code == 0
    records = {r["code"]: r for r in json.loads(out)}
    assert records["self.W = np.random.randn(n_in, hidden)"]["shape"] == ["n_in", "hidden"]
    assert records["self.h = np.tanh(X @ self.W)"]["shape"] == ["N", "hidden"]
    assert records["self.h = np.tanh(X @ self.W)"]["function"] == "Net.forward"


def test_shapes_command_on_a_bad_file(run_cli, tmp_path):
    (tmp_path / "bad.py").write_text("def f(:\n", encoding="utf-8")
    code, out, err = run_cli("shapes", "bad.py", cwd=tmp_path)
    assert code == 2 and out == "" and err.startswith("bad.py: error: syntax error")
