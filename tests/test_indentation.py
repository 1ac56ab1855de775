"""Files whose indentation mixes tabs and spaces the way CPython accepts and libcst does not.

CPython lets one block spell its level as ``"    \\t"`` (a tab stop at 8) while the block inside
it uses 12 spaces; libcst's tokenizer rejects that. bplint analyses such a file re-indented and
reports findings at the file's own rows and columns, counting a tab as one column.
"""

from __future__ import annotations

import libcst
import nbformat
from nbformat import v4

import bplint.parsing
from bplint.indentation import reindent
from conftest import ASCENDING_SCRIPT

# A two-layer net whose backward climbs the gradient of W2 (BP201 on row 23). The backward body
# is indented "    \t" (column 8 for CPython); the block inside its `if` uses 12 spaces.
NET = """\
import numpy as np


class TwoLayerNet:
    def __init__(self, n_in, n_hidden, n_out, lr=0.1):
        self.W1 = np.random.randn(n_in, n_hidden) * 0.1
        self.W2 = np.random.randn(n_hidden, n_out) * 0.1
        self.lr = lr

    def forward(self, X):
        self.X = X
        self.H = np.maximum(0, X @ self.W1)
        self.out = self.H @ self.W2
        return self.out

    def backward(self, dout):
    \tdW2 = self.H.T @ dout
    \tdH = dout @ self.W2.T
    \tif self.lr > 0:
            dH = dH * (self.H > 0)
            dW1 = self.X.T @ dH
    \tself.W1 -= self.lr * dW1
    \tself.W2 += self.lr * dW2


net = TwoLayerNet(3, 5, 1)
X = np.random.randn(8, 3)
y = np.random.randn(8, 1)
for _ in range(10):
    out = net.forward(X)
    net.backward(out - y)
"""
BP201 = ("BP201 `self.W2 += ...` moves `self.W2` up the gradient: the step comes from the error "
         "`out - y` (line 31), prediction - target, the gradient of the loss; use `-=` to descend "
         "(or flip the error)")
# The same net indented with spaces only: what bplint reads the mixed file as.
SPACED = NET.replace("    \t", "        ")


def _write(tmp_path, text, name="net.py"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _libcst_rejects(text):
    try:
        libcst.parse_module(text)
    except libcst.ParserSyntaxError as exc:
        return exc.message
    return None


def test_a_finding_is_at_the_files_own_row_and_column(run_cli, tmp_path):
    compile(NET, "net.py", "exec")  # CPython accepts the file, libcst as it is does not
    assert _libcst_rejects(NET) == "tokenizer error: no matching outer block for dedent"
    _write(tmp_path, NET)
    code, out, err = run_cli("check", "net.py", cwd=tmp_path)
    # Column 6: four spaces and a tab are five characters before `self`.
    assert (code, out, err) == (1, f"net.py:23:6: {BP201}\nFound 1 problem in 1 file.\n", "")


def test_blocks_around_a_tab_spelled_level_are_analysed(run_cli, tmp_path):
    # The body is indented "  "; inside its `if`, "  \t    " (column 12) holds a block of 16 spaces.
    text = NET.replace("""\
    def backward(self, dout):
    \tdW2 = self.H.T @ dout
    \tdH = dout @ self.W2.T
    \tif self.lr > 0:
            dH = dH * (self.H > 0)
            dW1 = self.X.T @ dH
    \tself.W1 -= self.lr * dW1
    \tself.W2 += self.lr * dW2
""", """\
    def backward(self, dout):
      dW2 = self.H.T @ dout
      if self.lr > 0:
      \t    dH = dout @ self.W2.T
      \t    if self.lr > 0:
                dH = dH * (self.H > 0)
      \t    dW1 = self.X.T @ dH
      \t    self.W1 -= self.lr * dW1
      self.W2 += self.lr * dW2
""")
    assert _libcst_rejects(text) == "tokenizer error: no matching outer block for dedent"
    _write(tmp_path, text)
    code, out, err = run_cli("check", "net.py", cwd=tmp_path)
    message = BP201.replace("(line 31)", "(line 32)")
    assert (code, out, err) == (1, f"net.py:24:7: {message}\nFound 1 problem in 1 file.\n", "")


def test_the_source_line_keeps_its_tab_and_the_carets_sit_under_the_code(run_cli, tmp_path):
    _write(tmp_path, NET)
    code, out, err = run_cli("check", "--show-source", "net.py", cwd=tmp_path)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"net.py:23:6: {BP201}"
    assert lines[1] == "23 |     \tself.W2 += self.lr * dW2"
    assert lines[2] == "   |     \t" + "^" * len("self.W2 += self.lr * dW2")


def test_fix_and_diff_leave_the_file_alone_and_still_report(run_cli, tmp_path):
    path = _write(tmp_path, NET)
    code, out, err = run_cli("check", "--diff", "--unsafe-fixes", "net.py", cwd=tmp_path)
    assert (code, out, err) == (0, "", "")
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "net.py", cwd=tmp_path)
    assert (code, out, err) == (1, f"net.py:23:6: {BP201}\n"
                                   "Found 1 problem (0 fixed, 1 remaining).\n", "")
    assert path.read_bytes() == NET.encode("utf-8")


def test_its_findings_offer_no_fix(run_cli, tmp_path):
    # Spaced, the same bug has an unsafe fix; mixed, bplint does not offer to edit the file.
    _write(tmp_path, SPACED, "spaced.py")
    code, out, _ = run_cli("check", "--unsafe-fixes", "spaced.py", cwd=tmp_path)
    assert code == 1 and out.endswith("[*] 1 fixable with the `--fix` option.\n")
    _write(tmp_path, NET)
    code, out, _ = run_cli("check", "--unsafe-fixes", "net.py", cwd=tmp_path)
    assert code == 1 and out == f"net.py:23:6: {BP201}\nFound 1 problem in 1 file.\n"


def test_shapes_reads_it_with_the_files_rows(run_cli, tmp_path):
    _write(tmp_path, NET)
    _write(tmp_path, SPACED, "spaced.py")
    code, mixed, err = run_cli("shapes", "net.py", cwd=tmp_path)
    assert (code, err) == (0, "")
    _, spaced, _ = run_cli("shapes", "spaced.py", cwd=tmp_path)
    assert mixed == spaced.replace("spaced.py", "net.py")
    assert "    23  self.W2 += self.lr * dW2                           (5, 1)\n" in mixed


def test_a_notebook_cell_with_mixed_indentation_is_checked(run_cli, tmp_path):
    program, loop = NET.split("\n\nnet = ")
    cells = [v4.new_code_cell(program, id="c1"), v4.new_code_cell("net = " + loop, id="c2")]
    nbformat.write(v4.new_notebook(cells=cells), str(tmp_path / "net.ipynb"))
    code, out, err = run_cli("check", "net.ipynb", cwd=tmp_path)
    message = BP201.replace("(line 31)", "(line 6 of cell 2)")
    assert (code, out, err) == (1, f"net.ipynb:cell 1:23:6: {message}\n"
                                   "Found 1 problem in 1 file.\n", "")


# --- a statement that begins with a line holding only a backslash ------------------------------


def test_a_lone_backslash_before_a_blocks_first_statement_is_read(run_cli, tmp_path):
    # CPython indents the statement as the backslash's line; libcst wants the block's indent first.
    text = ASCENDING_SCRIPT.replace("for _ in range(10):\n", "for _ in range(10):\n    \\\n")
    compile(text, "net.py", "exec")
    assert _libcst_rejects(text).endswith(": expected INDENT")
    _write(tmp_path, text)
    code, out, err = run_cli("check", "-q", "net.py", cwd=tmp_path)
    assert (code, out, err) == (1, "net.py:9:5: BP201 `W += ...` moves `W` up the gradient: the step "
                                   "comes from the error `(pred - y)` (line 9), prediction - target, "
                                   "the gradient of the loss; use `-=` to descend (or flip the error)\n",
                                "")


# --- what libcst still cannot read: why, and where when libcst knows ------------------------

# libcst's parser raises TypeError on this valid expression (no space after `else`).
LIBCST_BUG = "f = () if 0 else(lambda:())\n"


def test_valid_code_libcst_fails_on_is_one_error_not_an_aborted_run(run_cli, tmp_path):
    compile(LIBCST_BUG, "net.py", "exec")
    _write(tmp_path, "import numpy as np\n" + LIBCST_BUG)
    _write(tmp_path, ASCENDING_SCRIPT, "other.py")
    code, out, err = run_cli("check", "-q", ".", cwd=tmp_path)
    assert (code, err) == (2, "")
    assert out.splitlines()[0] == ("net.py: error: cannot be parsed (syntax not supported by libcst: "
                                   "its parser fails with TypeError)")
    assert out.splitlines()[1].startswith("other.py:8:5: BP201 ")


def test_a_re_indented_file_libcst_still_fails_on_says_why(run_cli, tmp_path):
    _write(tmp_path, NET + LIBCST_BUG)
    code, out, err = run_cli("check", "-q", "net.py", cwd=tmp_path)
    assert (code, out, err) == (2, "net.py: error: cannot be parsed (syntax not supported by libcst: "
                                   "its parser fails with TypeError)\n", "")


def test_a_tokenizer_error_names_no_line_rather_than_a_wrong_one(run_cli, tmp_path, monkeypatch):
    # libcst's tokenizer places its errors at 1:1; as if re-indenting could not help this file.
    monkeypatch.setattr(bplint.parsing, "reindent", lambda text: None)
    _write(tmp_path, NET)
    code, out, err = run_cli("check", "-q", "net.py", cwd=tmp_path)
    assert (code, out, err) == (2, "net.py: error: cannot be parsed (syntax not supported by libcst: "
                                   "no matching outer block for dedent)\n", "")


# --- what is rewritten: only the indentation of lines that begin a logical line ---------------


def test_strings_brackets_comments_and_continuations_keep_their_whitespace():
    text = ("def f(x):\n"
            "    \tif x:\n"
            "             y = (1,\n"
            "\t\t2)\n"
            "\t# a comment\n"
            "             s = '''\n"
            "\tkept'''\n"
            "             t = 1 + \\\n"
            "\t3\n"
            "    \treturn y\n")
    compile(text, "f.py", "exec")
    assert reindent(text).text == ("def f(x):\n"
                                   "        if x:\n"
                                   "             y = (1,\n"
                                   "\t\t2)\n"
                                   "\t# a comment\n"
                                   "             s = '''\n"
                                   "\tkept'''\n"
                                   "             t = 1 + \\\n"
                                   "\t3\n"
                                   "        return y\n")


def test_lines_holding_only_a_backslash_give_the_statement_their_indentation():
    text = "def f():\n  \t\\\n\t\\\n  x = 1\n"
    compile(text, "f.py", "exec")
    assert reindent(text).text == "def f():\n\n\n        x = 1\n"


def test_a_file_indented_with_spaces_is_not_rewritten():
    assert reindent(SPACED) is None
