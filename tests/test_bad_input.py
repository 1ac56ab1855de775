"""Files that cannot be analysed: one clear line each in the report, the others still checked, exit 2."""

from __future__ import annotations

import textwrap

import pytest

from bplint.checks import gradient
from conftest import ASCENDING_SCRIPT

GOOD_BUGGY = ASCENDING_SCRIPT


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "a_ok.py").write_text(GOOD_BUGGY, encoding="utf-8")
    return tmp_path


def _check(run_cli, folder, name, data: bytes):
    (folder / name).write_bytes(data)
    return run_cli("check", "-q", ".", cwd=folder)


@pytest.mark.parametrize("name, data, reason", [
    ("py2.py", b"print 'hello'\n",
     "py2.py: error: syntax error at line 1, column 1: Missing parentheses in call to 'print'. "
     "Did you mean print(...)?"),
    ("broken.py", b"def f(:\n    pass\n", "broken.py: error: syntax error at line 1, column 7: "),
    ("latin.py", "x = 'caf\u00e9'\n".encode("latin-1"),
     "latin.py: error: not valid UTF-8 (byte 0xe9 at offset 8) and no coding cookie declares "
     "another encoding"),
    ("blob.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     "blob.py: error: binary file (contains NUL bytes), not Python source"),
    ("cookie.py", b"# -*- coding: ascii -*-\nx = '\xe9'\n",
     "cookie.py: error: not valid ascii as its coding cookie declares"),
])
def test_unreadable_files_are_one_line_errors(run_cli, folder, name, data, reason):
    code, out, err = _check(run_cli, folder, name, data)
    assert (code, err) == (2, "")
    first, unreadable = out.splitlines()
    assert first.startswith("a_ok.py:8:5: BP201 ")  # the other file is still checked
    assert unreadable.startswith(reason)


def test_latin1_with_a_coding_cookie_is_read(run_cli, folder):
    data = "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n".encode("latin-1")
    code, out, err = _check(run_cli, folder, "latin.py", data)
    assert (code, err) == (1, "")


def test_missing_path(run_cli, folder):
    code, out, err = run_cli("check", "-q", "a_ok.py", "nope.py", cwd=folder)
    assert (code, err) == (2, "") and out.startswith("a_ok.py:8:5: BP201 ")
    assert out.endswith("\nnope.py: error: no such file or directory\n")


def test_permission_error(run_cli, folder, monkeypatch):
    import builtins

    real_open = builtins.open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    (folder / "secret.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr("bplint.files.open", guarded, raising=False)
    code, out, err = run_cli("check", "-q", ".", cwd=folder)
    assert (code, err) == (2, "") and out.startswith("a_ok.py:8:5: BP201 ")
    assert out.endswith("\nsecret.py: error: permission denied\n")


def test_internal_error_in_one_rule_does_not_stop_the_others(run_cli, folder, monkeypatch):
    def explode(self, context):
        raise KeyError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(gradient.UpdateSign, "run", explode)
    (folder / "b_mask.py").write_text(textwrap.dedent("""\
        import numpy as np
        W = np.random.randn(3, 4)
        x = np.random.randn(2, 3)
        h = x @ W
        h += np.random.binomial(1, 0.5, size=h.shape)
        W -= 0.1 * x.T @ h
        """), encoding="utf-8")
    code, out, err = run_cli("check", "-q", ".", cwd=folder)
    assert (code, err) == (2, "")
    assert out == ("a_ok.py: error: internal error in BP201 (KeyError); please report\n"
                   "b_mask.py: error: internal error in BP201 (KeyError); please report\n"
                   "b_mask.py:5:1: BP301 dropout mask `np.random.binomial(1, 0.5, size=h.shape)` "
                   "is added to `h`; a mask must multiply: use "
                   "`h *= np.random.binomial(1, 0.5, size=h.shape)`\n")


def test_deep_nesting_is_reported_not_raised(run_cli, folder):
    deep = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    code, out, err = _check(run_cli, folder, "deep.py", deep.encode())
    assert (code, err) == (2, "")
    assert out.splitlines()[1].startswith("deep.py: error: ")
