"""Pathological inputs: each gives findings or one clear error line and the right exit code,
never a traceback (issue "Never crash, never lose code")."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ASCENDING_SCRIPT, ROOT

BUGGY = ASCENDING_SCRIPT
BP201 = ("BP201 `W += ...` moves `W` up the gradient: the step comes from the error `(pred - y)` "
         "(line {row}), prediction - target, the gradient of the loss; use `-=` to descend "
         "(or flip the error)")
CLEAN = "All checks passed.\n"


def finding(path: str, row: int = 8, column: int = 5) -> str:
    return f"{path}:{row}:{column}: {BP201.format(row=row)}\n"


def write(folder, name: str, data) -> str:
    target = folder / name
    if isinstance(data, str):
        target.write_bytes(data.encode("utf-8"))
    else:
        target.write_bytes(data)
    return name


def bplint(*args: str, cwd, stdin: bytes = b"", timeout: int = 120):
    """The real command in a process of its own: (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "bplint", *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, "BPLINT_NO_CACHE": "1", "NO_COLOR": "1"})
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


# -- text that is unusual but valid ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"# only a comment\n# and another", b"\xef\xbb\xbf",
                                  b"\xef\xbb\xbf# bom and a comment\r\n", b"   \t  \n"],
                         ids=["empty", "blank-lines", "only-comments", "bom-only", "bom-comment",
                              "whitespace"])
def test_files_with_no_code_pass(run_cli, tmp_path, data):
    name = write(tmp_path, "nothing.py", data)
    assert run_cli("check", "--no-config", name, cwd=tmp_path) == (0, CLEAN, "")


@pytest.mark.parametrize("data, column", [
    (b"\xef\xbb\xbf" + BUGGY.encode(), 5),
    (BUGGY.replace("\n", "\r\n").encode(), 5),
    (BUGGY.replace("\n", "\r").encode(), 5),
    (b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode(), 5),
    (BUGGY.replace("    ", "\t").encode(), 2),
], ids=["bom", "crlf", "cr-only", "bom-crlf", "tabs"])
def test_bom_line_endings_and_tabs_keep_rows_and_columns(run_cli, tmp_path, data, column):
    name = write(tmp_path, "net.py", data)
    code, out, err = run_cli("check", "-q", "--no-config", name, cwd=tmp_path)
    assert (code, out, err) == (1, finding(name, 8, column), "")


def test_a_coding_cookie_reads_latin1(run_cli, tmp_path):
    data = ("# -*- coding: latin-1 -*-\n# caf\u00e9\n" + BUGGY).encode("latin-1")
    name = write(tmp_path, "latin.py", data)
    assert run_cli("check", "-q", "--no-config", name, cwd=tmp_path) == (1, finding(name, 10), "")


# -- files that cannot be read as Python ------------------------------------------------------------


@pytest.mark.parametrize("data, reason", [
    (b"import numpy as np\nx = 'caf\xe9'\n",
     "not valid UTF-8 (byte 0xe9 at offset 27) and no coding cookie declares another encoding"),
    (b"# -*- coding: ascii -*-\nimport numpy as np\nx = 'caf\xe9'\n",
     "not valid ascii as its coding cookie declares"),
    (b"# -*- coding: no-such-codec -*-\nx = 1\n",
     "cannot determine the encoding: unknown encoding: no-such-codec"),
    (b"import numpy as np\nx = 1\x00\n", "binary file (contains NUL bytes), not Python source"),
    (b"\x00", "binary file (contains NUL bytes), not Python source"),
], ids=["latin1-no-cookie", "cookie-lies", "unknown-codec", "nul-byte", "only-nul"])
def test_undecodable_files_are_one_error_line(run_cli, tmp_path, data, reason):
    write(tmp_path, "a_net.py", BUGGY)
    write(tmp_path, "bad.py", data)
    code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=tmp_path)
    assert (code, out, err) == (2, finding("a_net.py") + f"bad.py: error: {reason}\n", "")


# -- size and depth ----------------------------------------------------------------------------------


def test_a_50000_line_file(run_cli, tmp_path):
    """50,000 lines that the text prefilter skips (only compiled), and a 5,000-line network file
    with a bug on its last line: a 50,000-line network file takes minutes to parse with libcst on
    this machine, too long for the test suite."""
    write(tmp_path, "big.py", "".join(f"value_{i} = {i} * 2 + 1\n" for i in range(50_000)))
    filler = "".join(f"x{i} = {i} + 1\n" for i in range(4_990))
    write(tmp_path, "big_net.py", filler + BUGGY)
    code, out, err = run_cli("check", "-q", "--no-config", "big.py", "big_net.py", cwd=tmp_path)
    assert (code, out, err) == (1, finding("big_net.py", 4_998), "")


def test_a_huge_array_literal(run_cli, tmp_path):
    """100,000 numbers in a data file, and 10,000 in a network's weight."""
    write(tmp_path, "data.py", "DATA = [" + ", ".join(str(i) for i in range(100_000)) + "]\n")
    numbers = ", ".join(f"{i}.0" for i in range(10_000))
    network = BUGGY.replace("W = np.random.randn(3, 1)", f"W = np.array([{numbers}])")
    network = network.replace("randn(8, 3)", "randn(8, 10_000)").replace("randn(8, 1)", "randn(8)")
    write(tmp_path, "net.py", network)
    code, out, err = run_cli("check", "-q", "--no-config", "data.py", "net.py", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == finding("net.py")


def test_deep_nesting_in_a_real_process(tmp_path):
    """Nesting 1,000 deep: a stack overflow would kill the process, so run the real command."""
    write(tmp_path, "a_net.py", BUGGY)
    write(tmp_path, "parens.py", "import numpy as np\nx = " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    write(tmp_path, "unary.py", "import numpy as np\nx = " + "-" * 1000 + "1\n")
    write(tmp_path, "lists.py", "import numpy as np\nx = " + "[" * 1000 + "]" * 1000 + "\n")
    code, out, err = bplint("check", "-q", "--no-config", ".", cwd=tmp_path)
    assert (code, err) == (2, "")
    assert out == (finding("a_net.py")
                   + "lists.py: error: syntax error at line 2, column 205: too many nested parentheses\n"
                   "parens.py: error: syntax error at line 2, column 205: too many nested parentheses\n"
                   "unary.py: error: too deeply nested to analyse\n")


def _nested_functions(depth: int) -> str:
    text = "import numpy as np\n"
    for level in range(depth):
        text += " " * level + f"def f{level}(X, W, y):\n"
    body = BUGGY.split("\n\n", 1)[1]
    return text + textwrap.indent(body, " " * depth)


def test_100_nested_functions(run_cli, tmp_path):
    """CPython allows 99 levels of indentation: 100 nested functions are a syntax error, and 98
    nested functions holding a buggy update are checked like any other."""
    write(tmp_path, "deep100.py", _nested_functions(100))
    write(tmp_path, "deep98.py", _nested_functions(98))
    code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=tmp_path)
    assert (code, err) == (2, "")
    assert out == ("deep100.py: error: syntax error at line 102, column 1: too many levels of "
                   "indentation\n" + finding("deep98.py", 105, 103))


# -- the file system ---------------------------------------------------------------------------------


def test_a_symlink_loop_inside_a_folder(run_cli, tmp_path):
    folder = tmp_path / "project"
    (folder / "sub").mkdir(parents=True)
    write(folder, "net.py", BUGGY)
    os.symlink("..", folder / "sub" / "up")          # a folder loop: not followed
    os.symlink("self", folder / "self")                # a link to itself, not a .py
    os.symlink("cycle.py", folder / "cycle.py")        # a .py link to itself
    code, out, err = run_cli("check", "-q", "--no-config", "project", cwd=tmp_path)
    assert (code, err) == (2, "")
    assert out == "project/cycle.py: error: Too many levels of symbolic links\n" + finding("project/net.py")


def test_an_unreadable_file(run_cli, tmp_path, monkeypatch):
    write(tmp_path, "a_net.py", BUGGY)
    secret = tmp_path / "secret.py"
    write(tmp_path, "secret.py", BUGGY)
    if os.geteuid() == 0:  # root reads a mode-000 file anyway: refuse it in open() instead
        real_open = builtins.open

        def refuse(path, *args, **kwargs):
            if os.path.basename(str(path)) == "secret.py":
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr("bplint.files.open", refuse, raising=False)
    else:
        secret.chmod(0)
    try:
        code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=tmp_path)
    finally:
        secret.chmod(0o644)
    assert (code, out, err) == (2, finding("a_net.py") + "secret.py: error: permission denied\n", "")


def test_a_file_deleted_between_discovery_and_reading(run_cli, tmp_path, monkeypatch):
    import bplint.engine

    write(tmp_path, "a_net.py", BUGGY)
    write(tmp_path, "gone.py", BUGGY)
    real_discover = bplint.engine.discover

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (tmp_path / "gone.py").unlink()
        return found

    monkeypatch.setattr(bplint.engine, "discover", discover_then_delete)
    code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=tmp_path)
    assert (code, out, err) == (2, finding("a_net.py") + "gone.py: error: no such file or directory\n", "")


def test_a_file_deleted_before_fix_writes_it(run_cli, tmp_path, monkeypatch):
    import bplint.autofix

    write(tmp_path, "net.py", BUGGY)
    real_fix_text = bplint.autofix.fix_text

    def fix_then_delete(path, *args, **kwargs):
        done = real_fix_text(path, *args, **kwargs)
        os.unlink(path)
        return done

    monkeypatch.setattr(bplint.autofix, "fix_text", fix_then_delete)
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "--no-config", "net.py", cwd=tmp_path)
    assert code == 2
    assert (err, out.splitlines(keepends=True)[0]) == ("", "net.py: error: cannot write the fixed file (No such file or directory); left unchanged\n")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_path_given_twice_is_checked_and_reported_once(run_cli, tmp_path):
    write(tmp_path, "net.py", BUGGY)
    code, out, err = run_cli("check", "--no-config", "net.py", "./net.py", "net.py", ".", cwd=tmp_path)
    assert (code, err) == (1, "")
    assert out == (finding("net.py") + "Found 1 problem in 1 file.\n"
                   "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n")


# -- standard input ------------------------------------------------------------------------------


@pytest.fixture
def run_stdin(monkeypatch):
    from click.testing import CliRunner

    from bplint.cli import app

    def run(stdin: bytes, *args: str, cwd):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, list(args), input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


def test_stdin_is_read_for_a_dash(run_stdin, tmp_path):
    assert run_stdin(BUGGY.encode(), "check", "-q", "--no-config", "-", cwd=tmp_path) == \
        (1, finding("-"), "")
    assert run_stdin(b"x = 1\n", "check", "--no-config", "-", cwd=tmp_path) == (0, CLEAN, "")


def test_stdin_filename_names_it(run_stdin, tmp_path):
    expected = (1, finding("net.py"), "")
    assert run_stdin(BUGGY.encode(), "check", "-q", "--no-config", "--stdin-filename", "net.py", "-",
                     cwd=tmp_path) == expected
    # Without a path, --stdin-filename reads stdin (as ruff does).
    assert run_stdin(BUGGY.encode(), "check", "-q", "--no-config", "--stdin-filename", "net.py",
                     cwd=tmp_path) == expected


def test_stdin_with_files_and_per_file_ignores(run_stdin, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bplint.per-file-ignores]\n"ignored_*.py" = ["BP201"]\n', encoding="utf-8")
    write(tmp_path, "b_net.py", BUGGY)
    code, out, err = run_stdin(BUGGY.encode(), "check", "-q", "--stdin-filename", "a_net.py",
                               "-", "b_net.py", cwd=tmp_path)
    assert (code, out, err) == (1, finding("a_net.py") + finding("b_net.py"), "")
    assert run_stdin(BUGGY.encode(), "check", "-q", "--stdin-filename", "ignored_net.py", "-",
                     cwd=tmp_path) == (0, "", "")


@pytest.mark.parametrize("data, reason", [
    (b"x = 'caf\xe9'\n", "not valid UTF-8 (byte 0xe9 at offset 8) and no coding cookie declares "
                         "another encoding"),
    (b"x = 1\x00", "binary file (contains NUL bytes), not Python source"),
    (b"import numpy as np\ndef f(:\n", "syntax error at line 2, column 7: invalid syntax"),
], ids=["latin1", "nul", "syntax"])
def test_unreadable_stdin_is_one_error_line(run_stdin, tmp_path, data, reason):
    assert run_stdin(data, "check", "-q", "--no-config", "-", cwd=tmp_path) == (2, f"-: error: {reason}\n", "")


def test_fix_refuses_stdin(run_stdin, tmp_path):
    for flag in ("--fix", "--diff"):
        assert run_stdin(BUGGY.encode(), "check", flag, "--no-config", "-", cwd=tmp_path) == (
            2, "", "bplint: error: --fix and --diff rewrite files; they cannot read stdin (`-`)\n")


def test_stdin_in_a_real_process(tmp_path):
    data = b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode()
    assert bplint("check", "-q", "--no-config", "--stdin-filename", "sub/net.py", "-", cwd=tmp_path,
                  stdin=data) == (1, finding("sub/net.py"), "")


# -- internal errors ---------------------------------------------------------------------------------

SEEDS = ROOT / "fixtures" / "seeds"
SILENT_GLOBAL = ROOT / "fixtures" / "scripts" / "bad_BP101_silent_global.py"
SEED1_BP101 = ("seed1.py:{row}:{column}: BP101 name `hidden` is a local variable of `forward` (line 20) "
               "and is undefined in `backward`; store it as `self.hidden` in `forward` and read "
               "`self.hidden` here\n")
SEED3_BP301 = ("seed3.py:42:9: BP301 dropout mask `dropout_mask` is added to `layer_1_delta`; a mask "
               "must multiply: use `layer_1_delta *= dropout_mask`\n")


@pytest.fixture
def seeds(tmp_path):
    (tmp_path / "seed1.py").write_bytes((SEEDS / "seed1_bp_column_vectors.py").read_bytes())
    (tmp_path / "seed3.py").write_bytes((SEEDS / "seed3_mnist_dropout.py").read_bytes())
    (tmp_path / "silent.py").write_bytes(SILENT_GLOBAL.read_bytes())
    write(tmp_path, "a_net.py", BUGGY)
    write(tmp_path, "plain.py", "x = 1\n")
    return tmp_path


def test_an_exception_in_one_rule_is_reported_once_per_file(run_cli, seeds, monkeypatch):
    from bplint.checks import gradient

    calls = []

    def explode(self, context):
        calls.append(context.source.path)
        raise ZeroDivisionError("division by zero")
        yield  # pragma: no cover

    monkeypatch.setattr(gradient.UpdateSign, "run", explode)
    code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=seeds)
    assert (code, err) == (2, "")
    # Every other rule still ran, on every file; each failure is one line, first in its file.
    failed = "{}: error: internal error in BP201 (ZeroDivisionError); please report\n".format
    assert out == (failed("a_net.py") + failed("seed1.py") + SEED1_BP101.format(row=31, column=55)
                   + SEED1_BP101.format(row=33, column=49) + failed("seed3.py") + SEED3_BP301
                   + failed("silent.py") + "silent.py:33:11: BP101 name `h` is a local variable of "
                   "`forward` (line 24), but `backward` reads the module-level `h` (line 43), a stale "
                   "value, not the one `forward` computed; return it from `forward` and pass it to "
                   "`backward`\n")
    assert len(calls) == 4  # once per file that trains a network (plain.py is not read)


def test_an_exception_in_the_analysis_is_reported_once_and_model_rules_still_run(run_cli, seeds,
                                                                                 monkeypatch):
    import bplint.analysis.interpreter

    calls = []

    def explode(model):
        calls.append(model)
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(bplint.analysis.interpreter, "interpret", explode)
    code, out, err = run_cli("check", "-q", "--no-config", ".", cwd=seeds)
    assert (code, err) == (2, "")
    # BP101 needs only the model: still reported (its stale-global variant, which asks the
    # analysis, is not, and does not report the failure a second time).
    failed = "{}: error: internal error in the analysis (ZeroDivisionError); please report\n".format
    assert out == (failed("a_net.py") + failed("seed1.py") + SEED1_BP101.format(row=31, column=55)
                   + SEED1_BP101.format(row=33, column=49) + failed("seed3.py") + failed("silent.py"))
    assert len(calls) == 4  # not run again for a rule that asks after it failed


def test_an_exception_outside_the_rules_is_one_line_not_a_traceback(seeds, monkeypatch, capsys):
    """The command's last line of defence (``bplint.cli.main``), as a console script runs it."""
    import bplint.cli
    import bplint.report.terminal

    def explode(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(bplint.report.terminal, "render_report", explode)
    monkeypatch.setattr(sys, "argv", ["bplint", "check", "--no-config", "a_net.py"])
    monkeypatch.chdir(seeds)
    with pytest.raises(SystemExit) as stop:
        bplint.cli.main()
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "", "bplint: error: internal error (ZeroDivisionError); please report\n")
