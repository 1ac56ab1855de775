"""``bplint gradcheck`` tells the truth about the user's code.

A training step that raises is the verdict (its error, file and line; exit 1), not a request
for ``--init``; an L2 term taken from a default argument is part of the loss, and the loss line
names the loss differentiated; a notebook is checked like a script, its verdicts naming cells.
"""

from __future__ import annotations

import re
import textwrap

import nbformat

_NUMBERS = re.compile(r"-?\d\.\d{4}|\d\.\de[-+]\d\d")

# A correct two-layer tanh regressor. `train_step(X, y)` hands `backward` the gradient of the
# mean squared error with respect to the output; `backward` adds the L2 term of its default.
REGRESSOR = textwrap.dedent("""\
    import numpy as np


    class TanhRegressor:
        def __init__(self, n_in, n_hidden, n_out, lr=0.1):
            self.W1 = np.random.randn(n_in, n_hidden)
            self.b1 = np.zeros(n_hidden)
            self.W2 = np.random.randn(n_hidden, n_out)
            self.b2 = np.zeros(n_out)
            self.lr = lr

        def forward(self, X):
            self.X = X
            self.h = np.tanh(X @ self.W1 + self.b1)
            return self.h @ self.W2 + self.b2

        def loss(self, X, y):
            return 0.5 * np.sum((self.forward(X) - y) ** 2) / len(X)

        def backward(self, dout, l2=1e-3):
            dW2 = self.h.T @ dout + l2 * self.W2
            dh = dout @ self.W2.T * (1 - self.h ** 2)
            dW1 = self.X.T @ dh + l2 * self.W1
            self.W2 -= self.lr * dW2
            self.b2 -= self.lr * dout.sum(axis=0)
            self.W1 -= self.lr * dW1
            self.b1 -= self.lr * dh.sum(axis=0)

        def train_step(self, X, y):
            out = self.forward(X)
            self.backward((out - y) / len(X))
    """)
LOSS = """\
    def loss(self, X, y):
        return 0.5 * np.sum((self.forward(X) - y) ** 2) / len(X)
"""
# The same loss with an optional L2 term of its own, off by default.
LOSS_WITH_L2 = """\
    def loss(self, X, y, l2=0.0):
        penalty = 0.5 * l2 * (np.sum(self.W1 ** 2) + np.sum(self.W2 ** 2))
        return 0.5 * np.sum((self.forward(X) - y) ** 2) / len(X) + penalty
"""
TANH_DERIVATIVE = "dh = dout @ self.W2.T * (1 - self.h ** 2)"

# A correct one-hidden-layer sigmoid network trained on batches of rows, with a bug to inject.
SIGMOID_NET = textwrap.dedent("""\
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    class SigmoidNet:
        def __init__(self, n_in, n_hidden, n_out, lr=0.5):
            self.W1 = np.random.randn(n_in, n_hidden) * 0.5
            self.W2 = np.random.randn(n_hidden, n_out) * 0.5
            self.lr = lr

        def forward(self, X):
            self.X = X
            self.h = sigmoid(np.dot(X, self.W1))
            self.out = sigmoid(np.dot(self.h, self.W2))
            return self.out

        def backward(self, y):
            d_out = (self.out - y) * self.out * (1 - self.out)
            d_h = np.dot(d_out, self.W2.T) * self.h * (1 - self.h)
            self.W2 -= self.lr * np.dot(self.h.T, d_out)
            self.W1 -= self.lr * np.dot(self.X.T, d_h)
    """)
HEAD = ["net.py: SigmoidNet(n_in=3, n_hidden=4, n_out=2)",
        "  step: forward(X) -> backward(y) at learning rate 0.0001",
        "  data: inputs (5, 3) (a batch of rows), targets (5, 2) (uniform in (0.05, 0.95))",
        ""]
TABLE_HEAD = "  parameter  shape   cosine  rel. error  verdict"


def write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")
    return name


def regressor(loss=LOSS, derivative=TANH_DERIVATIVE, drop_loss=False):
    text = REGRESSOR.replace(LOSS, "" if drop_loss else loss)
    return text.replace(TANH_DERIVATIVE, derivative)


def table_lines(out):
    """The lines from the loss line on, each table row without its cosine and relative error
    (the verdict is what is asserted): ``W1 (3, 4) ok``."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  loss: "))
    table = range(start + 3, lines.index("", start + 2))
    return [" ".join(_NUMBERS.sub("", line).split()) if i in table else line
            for i, line in enumerate(lines) if i >= start]


# -- a training step that raises ---------------------------------------------------------------

def test_a_missing_attribute_is_the_verdict_with_and_without_init(run_cli, tmp_path):
    """backward reads `self.hidden`, which forward never stores; --init changes nothing."""
    net = SIGMOID_NET.replace("self.h * (1 - self.h)", "self.hidden * (1 - self.hidden)")
    write(tmp_path, "net.py", net)
    expected = "\n".join(HEAD + [
        "the training step raised AttributeError: 'SigmoidNet' object has no attribute "
        "'hidden' at net.py:22"]) + "\n"
    assert run_cli("gradcheck", "net.py", cwd=tmp_path) == (1, expected, "")
    assert run_cli("gradcheck", "net.py", "--init", "n_in=3,n_hidden=4,n_out=2",
                   cwd=tmp_path) == (1, expected, "")


def test_a_shape_mismatched_product_is_the_verdict(run_cli, tmp_path):
    """`np.dot(d_out, self.W2)` needs `self.W2.T`: the ValueError is raised on its line."""
    write(tmp_path, "net.py", SIGMOID_NET.replace("np.dot(d_out, self.W2.T)", "np.dot(d_out, self.W2)"))
    code, out, err = run_cli("gradcheck", "net.py", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out.splitlines() == HEAD + [
        "the training step raised ValueError: shapes (5,2) and (4,2) not aligned: "
        "2 (dim 1) != 4 (dim 0) at net.py:22"]


# -- an L2 term from a default argument ----------------------------------------------------------

OK_ROWS = ["  parameter  shape   cosine  rel. error  verdict",
           "W1 (3, 4) ok", "b1 (4,) ok", "W2 (4, 2) ok", "b2 (2,) ok", "", "4 parameters: all ok."]


def test_an_l2_default_missing_from_the_loss_method_is_added_to_it(run_cli, tmp_path):
    write(tmp_path, "net.py", regressor())
    code, out, err = run_cli("gradcheck", "net.py", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert table_lines(out) == [
        "  loss: the class's `loss` method + the L2 penalty of `backward`'s l2=0.001", "",
        *OK_ROWS]


def test_a_loss_method_that_takes_the_strength_is_given_the_steps(run_cli, tmp_path):
    """loss(X, y, l2=0.0) leaves its L2 term out by default; the step's l2=1e-3 is passed."""
    write(tmp_path, "net.py", regressor(loss=LOSS_WITH_L2))
    code, out, err = run_cli("gradcheck", "net.py", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert table_lines(out) == [
        "  loss: the class's `loss` method, given `backward`'s l2=0.001", "", *OK_ROWS]


def test_without_a_loss_method_the_l2_default_joins_the_implied_loss(run_cli, tmp_path):
    write(tmp_path, "net.py", regressor(drop_loss=True))
    code, out, err = run_cli("gradcheck", "net.py", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert table_lines(out) == [
        "  loss: squared error (the output is not a probability) + the L2 penalty of "
        "`backward`'s l2=0.001", "", *OK_ROWS]


def test_a_wrong_derivative_is_still_wrong_beside_an_l2_default(run_cli, tmp_path):
    write(tmp_path, "net.py", regressor(derivative="dh = dout @ self.W2.T * (1 - self.h)"))
    code, out, err = run_cli("gradcheck", "net.py", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert table_lines(out) == [
        "  loss: the class's `loss` method + the L2 penalty of `backward`'s l2=0.001", "",
        TABLE_HEAD, "W1 (3, 4) wrong gradient", "b1 (4,) wrong gradient", "W2 (4, 2) ok",
        "b2 (2,) ok", "", "  W1: updated at net.py:26", "  b1: updated at net.py:27", "",
        "4 parameters: 2 failed: W1 (wrong gradient), b1 (wrong gradient)."]


# -- notebooks ---------------------------------------------------------------------------------

def notebook(folder, name, program):
    """A lab notebook: a title, the imports (after a magic), the class, then a training cell."""
    imports, cls = program.split("\n\n\n", 1)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lab 3: backpropagation"),
                nbformat.v4.new_code_cell("%matplotlib inline\n" + imports),
                nbformat.v4.new_code_cell(cls),
                nbformat.v4.new_code_cell("net = TanhRegressor(3, 4, 2)\nnet.train_step(X, y)")]
    nbformat.write(nb, str(folder / name))
    return name


def test_a_correct_notebook_is_ok(run_cli, tmp_path):
    notebook(tmp_path, "lab.ipynb", regressor())
    code, out, err = run_cli("gradcheck", "lab.ipynb", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "lab.ipynb: TanhRegressor(n_in=3, n_hidden=4, n_out=2)"
    assert table_lines(out)[-1] == "4 parameters: all ok."


def test_a_notebooks_wrong_gradient_names_the_cell(run_cli, tmp_path):
    notebook(tmp_path, "lab.ipynb", regressor(derivative="dh = dout @ self.W2.T * (1 - self.h)"))
    code, out, err = run_cli("gradcheck", "lab.ipynb", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert table_lines(out)[-4:] == [
        "  W1: updated at lab.ipynb:cell 3:23", "  b1: updated at lab.ipynb:cell 3:24", "",
        "4 parameters: 2 failed: W1 (wrong gradient), b1 (wrong gradient)."]


def test_a_notebooks_step_that_raises_names_the_cell(run_cli, tmp_path):
    notebook(tmp_path, "lab.ipynb", regressor(derivative="dh = dout @ self.W2.T * (1 - self.a1 ** 2)"))
    code, out, err = run_cli("gradcheck", "lab.ipynb", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == ("the training step raised AttributeError: 'TanhRegressor' "
                                    "object has no attribute 'a1' at lab.ipynb:cell 3:19")
