"""The four seed scripts that started the project, linted as a user runs bplint on them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES, ROOT

SEEDS = FIXTURES / "seeds"
SEED_FILES = ["seed1_bp_column_vectors.py", "seed2_bp_xor_rows.py", "seed3_mnist_dropout.py",
              "seed4_regression_relu.py"]

EXPECTED_TEXT = """\
seed1_bp_column_vectors.py:31:55: BP101 name `hidden` is a local variable of `forward` (line 20) and is undefined in `backward`; store it as `self.hidden` in `forward` and read `self.hidden` here
seed1_bp_column_vectors.py:33:49: BP101 name `hidden` is a local variable of `forward` (line 20) and is undefined in `backward`; store it as `self.hidden` in `forward` and read `self.hidden` here
seed3_mnist_dropout.py:42:9: BP301 dropout mask `dropout_mask` is added to `layer_1_delta`; a mask must multiply: use `layer_1_delta *= dropout_mask`
seed4_regression_relu.py:45:22: BP102 `self.a1` is read in `backward` but never assigned in class `NeuralNetwork`; `forward` computes a local `a1` (line 19): store it there with `self.a1 = a1`
seed4_regression_relu.py:48:53: BP102 `self.a1` is read in `backward` but never assigned in class `NeuralNetwork`; `forward` computes a local `a1` (line 19): store it there with `self.a1 = a1`
Found 5 problems in 3 files.
[*] 1 fixable with the `--fix` option.
(4 hidden fixes can be enabled with the `--unsafe-fixes` option.)
"""


def test_seeds_text_output_is_exact(run_cli):
    code, out, err = run_cli("check", *SEED_FILES, cwd=SEEDS)
    assert (code, out, err) == (1, EXPECTED_TEXT, "")


def test_correct_seed_alone_passes(run_cli):
    code, out, err = run_cli("check", "seed2_bp_xor_rows.py", cwd=SEEDS)
    assert (code, out, err) == (0, "All checks passed.\n", "")


def _flip(text: str, row: int) -> str:
    lines = text.split("\n")
    line = lines[row - 1]
    lines[row - 1] = line.replace("+=", "-=") if "+=" in line else line.replace("-=", "+=")
    return "\n".join(lines)


def _update_rows(text: str):
    return [n for n, line in enumerate(text.split("\n"), 1)
            if re.search(r"self\.(weights|bias)\d\s*[+-]=", line)]


@pytest.mark.parametrize("seed", ["seed2_bp_xor_rows.py", "seed4_regression_relu.py"])
def test_flipping_any_update_gives_bp201_there_only(tmp_path, seed):
    original = (SEEDS / seed).read_text(encoding="utf-8")
    rows = _update_rows(original)
    assert len(rows) == 4
    before = check_paths([str(SEEDS / seed)], Config()).findings
    for row in rows:
        mutant = tmp_path / f"{row}_{seed}"
        mutant.write_text(_flip(original, row), encoding="utf-8")
        findings = check_paths([str(mutant)], Config()).findings
        assert [(f.span.row, f.code) for f in findings if f.code == "BP201"] == [(row, "BP201")]
        others = [(f.span.row, f.code) for f in findings if f.code != "BP201"]
        assert others == [(f.span.row, f.code) for f in before]


def test_module_entry_point_and_console_script(tmp_path):
    for command in ([sys.executable, "-m", "bplint"], ["bplint"]):
        done = subprocess.run([*command, "check", "--no-config", *SEED_FILES], cwd=SEEDS,
                              capture_output=True, text=True)
        assert done.returncode == 1
        assert done.stdout == EXPECTED_TEXT


def test_check_does_not_import_numpy():
    probe = ("import sys; from bplint.cli import main; sys.argv = ['bplint', 'check', '--no-config', "
             f"{str(SEEDS / 'seed2_bp_xor_rows.py')!r}]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "assert 'numpy' not in sys.modules, 'numpy was imported'")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_derivative_of_the_pre_activation_in_seed2(tmp_path):
    text = (SEEDS / "seed2_bp_xor_rows.py").read_text(encoding="utf-8")
    mutant = tmp_path / "seed2.py"
    mutant.write_text(text.replace("self.sigmoid_derivative(self.activated_hidden_layer)",
                                   "self.sigmoid_derivative(self.hidden_layer)"), encoding="utf-8")
    assert [(f.span.row, f.code) for f in check_paths([str(mutant)], Config()).findings] == \
        [(31, "BP203")]


def test_updating_weights2_before_propagating_in_seed2(tmp_path):
    lines = (SEEDS / "seed2_bp_xor_rows.py").read_text(encoding="utf-8").split("\n")
    update = lines.pop(33)  # self.weights2 += ...
    assert update.strip().startswith("self.weights2 +=")
    lines.insert(29, update)  # above self.error_hidden = ...
    mutant = tmp_path / "seed2.py"
    mutant.write_text("\n".join(lines), encoding="utf-8")
    findings = [(f.span.row, f.code) for f in check_paths([str(mutant)], Config()).findings]
    assert findings == [(31, "BP103")]
    assert lines[30].strip().startswith("self.error_hidden")
