"""A checked file is analysed with the project modules it imports, found as Python finds them
(the file's folder, package roots, ``src/`` or ``[tool.bplint] src``; relative imports), never
installed packages; findings are reported only in the checked files, and a module that is
missing, broken or part of a cycle leaves its facts unknown, never an error."""

from __future__ import annotations

import textwrap

import pytest

LOSSES = textwrap.dedent('''\
    def squared_error_gradient(prediction, target):
        """d(loss)/d(prediction) of the mean squared error."""
        return target - prediction
    ''')
TRAIN = textwrap.dedent("""\
    import numpy as np

    from losses import squared_error_gradient

    W = np.random.randn(3, 1)
    X = np.random.randn(8, 3)
    y = np.random.randn(8, 1)
    for _ in range(10):
        pred = X @ W
        W -= 0.1 * X.T @ squared_error_gradient(pred, y)
    """)


def bp201(path="train.py", row=10, origin="losses.py"):
    return (f"{path}:{row}:5: BP201 `W -= ...` moves `W` up the gradient: the step comes from the "
            f"error `target - prediction` (line 3 of {origin}), target - prediction, the negative "
            f"gradient of the loss; use `+=` to descend (or flip the error)\n")


FOUND_ONE = "Found 1 problem in 1 file.\n(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n"
PASSED = "All checks passed.\n"


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_sign_from_an_imported_module_is_reported_where_the_step_is(run_cli, tmp_path):
    write(tmp_path, {"losses.py": LOSSES, "train.py": TRAIN})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (1, bp201() + FOUND_ONE, "")
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path) == (1, bp201() + FOUND_ONE, "")


def test_the_imported_module_alone_has_nothing_to_report(run_cli, tmp_path):
    write(tmp_path, {"losses.py": LOSSES, "train.py": TRAIN})
    assert run_cli("check", "--no-cache", "losses.py", cwd=tmp_path) == (0, PASSED, "")


def test_a_module_read_for_its_facts_reports_nothing_of_its_own(run_cli, tmp_path):
    """``demo.py`` has a bug of its own; checking only ``train.py``, which imports it, is silent
    about it (and a correct gradient there makes ``train.py`` clean)."""
    demo = LOSSES.replace("target - prediction", "prediction - target") + TRAIN.replace(
        "from losses import squared_error_gradient\n", "").replace("W -=", "W +=")
    write(tmp_path, {"losses.py": demo, "train.py": TRAIN})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (0, PASSED, "")
    assert run_cli("check", "--no-cache", "losses.py", cwd=tmp_path) == (1, (
        "losses.py:12:5: BP201 `W += ...` moves `W` up the gradient: the step comes from the error "
        "`prediction - target` (line 3), prediction - target, the gradient of the loss; use `-=` "
        "to descend (or flip the error)\n") + FOUND_ONE, "")


@pytest.mark.parametrize("import_line, call", [
    ("import losses", "losses.squared_error_gradient"),
    ("import losses as L", "L.squared_error_gradient"),
    ("from losses import *", "squared_error_gradient"),
    ("from losses import squared_error_gradient as gradient_of", "gradient_of"),
])
def test_every_form_of_import_reaches_the_module(run_cli, tmp_path, import_line, call):
    train = TRAIN.replace("from losses import squared_error_gradient", import_line).replace(
        "squared_error_gradient(pred, y)", f"{call}(pred, y)")
    write(tmp_path, {"losses.py": LOSSES, "train.py": train})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (1, bp201() + FOUND_ONE, "")


def test_a_package_with_relative_imports(run_cli, tmp_path):
    write(tmp_path, {
        "net/__init__.py": "",
        "net/losses.py": LOSSES,
        "net/fit.py": "import numpy as np\n\nfrom .losses import squared_error_gradient\n\n\n"
                      "def fit(X, y, W):\n    for _ in range(10):\n        pred = X @ W\n"
                      "        W -= 0.1 * X.T @ squared_error_gradient(pred, y)\n    return W\n",
        "run.py": "import numpy as np\n\nfrom net.fit import fit\n\n"
                  "fit(np.random.randn(8, 3), np.random.randn(8, 1), np.random.randn(3, 1))\n",
    })
    assert run_cli("check", "--no-cache", "net/fit.py", cwd=tmp_path) == (
        1, bp201("net/fit.py", 9, origin="losses.py").replace(":9:5:", ":9:9:") + FOUND_ONE, "")


def test_a_src_layout_is_found_from_the_project_folder(run_cli, tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'tinynet'\n",
                     "src/tinynet/__init__.py": "", "src/tinynet/losses.py": LOSSES,
                     "scripts/train.py": TRAIN.replace("from losses", "from tinynet.losses")})
    assert run_cli("check", "--no-cache", "scripts/train.py", cwd=tmp_path) == (
        1, bp201("scripts/train.py", origin="../src/tinynet/losses.py") + FOUND_ONE, "")


def test_other_source_roots_are_named_in_the_configuration(run_cli, tmp_path):
    files = {"lib/losses.py": LOSSES, "scripts/train.py": TRAIN}
    write(tmp_path, {**files, "pyproject.toml": "[tool.bplint]\n"})
    assert run_cli("check", "--no-cache", "scripts/train.py", cwd=tmp_path) == (0, PASSED, "")
    write(tmp_path, {"pyproject.toml": '[tool.bplint]\nsrc = ["lib"]\n'})
    assert run_cli("check", "--no-cache", "scripts/train.py", cwd=tmp_path) == (
        1, bp201("scripts/train.py", origin="../lib/losses.py") + FOUND_ONE, "")


def test_src_must_be_a_list_of_folders(run_cli, tmp_path):
    write(tmp_path, {"pyproject.toml": '[tool.bplint]\nsrc = "lib"\n', "train.py": TRAIN})
    code, out, err = run_cli("check", "train.py", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err.endswith("pyproject.toml: error: [tool.bplint]: `src` must be a list of folders\n")


def test_an_installed_package_is_never_read(run_cli, tmp_path):
    """``numpy`` and ``json`` are outside the project: as unknown as before."""
    write(tmp_path, {"train.py": TRAIN.replace("from losses import squared_error_gradient",
                                               "from json import loads as squared_error_gradient")})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (0, PASSED, "")


@pytest.mark.parametrize("losses", [
    "def squared_error_gradient(prediction, target:\n    return target - prediction\n",
    b"\xff\xfe\x00 not text",
    None,
], ids=["syntax error", "binary", "missing"])
def test_a_broken_or_missing_module_is_unknown_not_an_error(run_cli, tmp_path, losses):
    write(tmp_path, {"train.py": TRAIN})
    if isinstance(losses, bytes):
        (tmp_path / "losses.py").write_bytes(losses)
    elif losses is not None:
        write(tmp_path, {"losses.py": losses})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (0, PASSED, "")


def test_an_import_cycle_is_followed_once(run_cli, tmp_path):
    write(tmp_path, {"losses.py": "import train\n\n" + LOSSES, "train.py": TRAIN})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (
        1, bp201().replace("line 3 of", "line 5 of") + FOUND_ONE, "")


def test_the_cache_knows_when_an_imported_module_changes(run_cli, tmp_path):
    write(tmp_path, {"losses.py": LOSSES, "train.py": TRAIN})
    assert run_cli("check", "train.py", cwd=tmp_path) == (1, bp201() + FOUND_ONE, "")
    assert run_cli("check", "train.py", cwd=tmp_path) == (1, bp201() + FOUND_ONE, "")
    write(tmp_path, {"losses.py": LOSSES.replace("target - prediction", "prediction - target")})
    assert run_cli("check", "train.py", cwd=tmp_path) == (0, PASSED, "")


def test_unsaved_text_is_checked_with_the_modules_on_disk(tmp_path):
    """An editor's buffer (or a benchmark's mutant) of one file, the other modules as saved."""
    from bplint.config import Config
    from bplint.engine import check_text

    write(tmp_path, {"losses.py": LOSSES, "train.py": "print('not written yet')\n"})
    outcome = check_text(str(tmp_path / "train.py"), TRAIN, Config())
    assert [(f.span.row, f.code) for f in outcome.findings] == [(10, "BP201")]
    assert check_text(str(tmp_path / "losses.py"), LOSSES, Config()).findings == ()


def test_fix_sees_the_program_too(run_cli, tmp_path):
    write(tmp_path, {"losses.py": LOSSES, "train.py": TRAIN})
    assert run_cli("check", "--no-cache", "--fix", "train.py", cwd=tmp_path) == (
        1, bp201() + "Found 1 problem (0 fixed, 1 remaining).\n"
                     "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n", "")
    assert run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "train.py", cwd=tmp_path) == (
        0, "Found 1 problem (1 fixed, 0 remaining).\n", "")
    assert (tmp_path / "train.py").read_text().splitlines()[-1] == \
        "    W += 0.1 * X.T @ squared_error_gradient(pred, y)"


def test_shapes_use_the_sizes_another_module_defines(run_cli, tmp_path):
    write(tmp_path, {"settings.py": "HIDDEN = 16\n",
                     "net.py": "import numpy as np\n\nfrom settings import HIDDEN\n\n"
                               "W = np.zeros((3, HIDDEN))\nh = np.ones((5, 3)) @ W\n"})
    assert run_cli("shapes", "net.py", cwd=tmp_path) == (0, (
        "net.py\n"
        "module:\n"
        "     5  W = np.zeros((3, HIDDEN))   (3, 16)\n"
        "     6  h = np.ones((5, 3)) @ W     (5, 16)\n"), "")


def test_a_module_attribute_set_by_another_module_is_its_value_too(run_cli, tmp_path):
    """``settings.N_IN = X.shape[1]`` in the script changes what ``net.py`` reads."""
    write(tmp_path, {
        "settings.py": "N_IN = 2\n",
        "net.py": "import numpy as np\n\nimport settings\n\n\ndef init(n_out):\n"
                  "    return np.random.randn(settings.N_IN, n_out) * 0.1\n\n\n"
                  "def forward(X, W):\n    return X @ W\n",
        "train.py": "import numpy as np\n\nimport settings\nfrom net import forward, init\n\n"
                    "X = np.random.randn(16, 5)\nsettings.N_IN = X.shape[1]\nW = init(3)\n"
                    "for _ in range(3):\n    out = forward(X, W)\n"
                    "    W -= 0.1 * X.T @ (out - 1.0) / len(X)\n",
    })
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path) == (0, PASSED, "")


def test_dropout_scaled_at_test_time_in_another_module(run_cli, tmp_path):
    write(tmp_path, {
        "mlp.py": "import numpy as np\n\nKEEP = 0.8\n\n\ndef train_step(X, Y, W1, W2, lr):\n"
                  "    h = np.maximum(0, X @ W1)\n    mask = np.random.rand(*h.shape) < KEEP\n"
                  "    out = (h * mask) @ W2\n    d = out - Y\n    dh = (d @ W2.T) * mask * (h > 0)\n"
                  "    W2 -= lr * (h * mask).T @ d\n    W1 -= lr * X.T @ dh\n",
        "infer.py": "import numpy as np\n\nfrom mlp import KEEP\n\n\ndef predict(X, W1, W2):\n"
                    "    return (np.maximum(0, X @ W1) * KEEP) @ W2\n",
        "train.py": "import numpy as np\n\nfrom infer import predict\nfrom mlp import train_step\n\n"
                    "X = np.random.randn(16, 3)\nY = np.random.randn(16, 1)\n"
                    "W1 = np.random.randn(3, 8) * 0.3\nW2 = np.random.randn(8, 1) * 0.3\n"
                    "for i in range(10):\n    train_step(X, Y, W1, W2, 0.01)\n"
                    "print(predict(X, W1, W2).shape)\n",
    })
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path) == (0, PASSED, "")


def test_an_import_written_in_a_string_is_not_followed(run_cli, tmp_path):
    """``>>> import train`` in a docstring does not make the script's sizes the module's."""
    net = ('"""Usage:\n\n    >>> import train\n"""\nimport numpy as np\n\n\n'
           'def forward(X, W):\n    return X @ W\n')
    train = ("import numpy as np\n\nfrom net import forward\n\nW = np.random.randn(3, 1)\n"
             "X = np.random.randn(8, 4)\nout = forward(X, W)\n")
    write(tmp_path, {"net.py": net, "train.py": train})
    assert run_cli("check", "--no-cache", "net.py", cwd=tmp_path) == (0, PASSED, "")


def test_an_import_after_a_semicolon_is_followed(run_cli, tmp_path):
    write(tmp_path, {"losses.py": LOSSES,
                     "train.py": TRAIN.replace("import numpy as np\n\nfrom losses import squared_error_gradient",
                                               "import numpy as np; from losses import squared_error_gradient\n")})
    assert run_cli("check", "--no-cache", "train.py", cwd=tmp_path) == (1, bp201(row=9) + FOUND_ONE, "")


def test_a_module_that_gets_numpy_through_a_star_import_is_analysed(run_cli, tmp_path):
    write(tmp_path, {
        "utils.py": "import numpy as np\n\n\ndef error_gradient(prediction, target):\n"
                    "    return target - prediction\n",
        "model.py": "from utils import *\n\n\ndef fit(X, y, W):\n    for _ in range(10):\n"
                    "        pred = X @ W\n        W -= 0.1 * X.T @ error_gradient(pred, y)\n"
                    "    return W\n",
    })
    assert run_cli("check", "--no-cache", "model.py", cwd=tmp_path) == (1, (
        "model.py:7:9: BP201 `W -= ...` moves `W` up the gradient: the step comes from the error "
        "`target - prediction` (line 5 of utils.py), target - prediction, the negative gradient "
        "of the loss; use `+=` to descend (or flip the error)\n") + FOUND_ONE, "")


def test_a_program_too_large_to_analyse_together_is_checked_file_by_file(run_cli, tmp_path,
                                                                        monkeypatch):
    import bplint.program.grouping

    write(tmp_path, {"losses.py": LOSSES, "train.py": TRAIN})
    monkeypatch.setattr(bplint.program.grouping, "MAX_JOINT", 1)
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path) == (0, PASSED, "")


def test_a_buffer_piped_in_under_its_file_name_is_checked_in_its_program(tmp_path, monkeypatch):
    """``bplint check --stdin-filename train.py -``, as an editor pipes an unsaved buffer."""
    from bplint.config import Config
    from bplint.engine import check_stdin

    write(tmp_path, {"losses.py": LOSSES, "train.py": "print('saved before the edit')\n"})
    monkeypatch.chdir(tmp_path)
    outcome = check_stdin("train.py", TRAIN.encode(), Config())
    assert [(f.path, f.span.row, f.code) for f in outcome.findings] == [("train.py", 10, "BP201")]
    assert check_stdin("elsewhere.py", TRAIN.encode(), Config()).findings == ()
