"""``--fix`` never loses code, as properties over the fixtures' mutants (bench/mutate.py): a fixed
file parses, a second ``--fix`` is a no-op, only the fixes' rows change, the line endings, BOM and
mode are kept; and a write that fails leaves the original, no temporary file, and an error."""

from __future__ import annotations

import errno
import functools
import os
import random
import stat
import sys
import tempfile
from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from bplint.autofix import fix_text
from bplint.cli import app
from bplint.config import Config
from bplint.engine import check_source
from bplint.files import SourceFile
from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import fuzz  # noqa: E402  (bench/ is not a package)
import mutate  # noqa: E402

# The mutation operators whose bug has a fix, and the rule that reports it.
OPERATORS = {"mask-added": "BP301", "update-sign": "BP201", "self-dropped-in-backward": "BP101",
             "unsummed-bias": "BP402", "unshifted-softmax": "BP501"}
PER_OPERATOR = 3  # fixtures per operator in the pool (mutating costs a parse and an analysis)
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
SEED3 = FIXTURES / "seeds" / "seed3_mnist_dropout.py"


# A cheap text test for a site of each operator, to skip mutating fixtures that have none.
SITES = {"mask-added": ("binomial", "rand"), "update-sign": ("-=", "+=", "- "),
         "self-dropped-in-backward": ("self.",), "unsummed-bias": ("sum(",),
         "unshifted-softmax": ("max(",)}


@functools.lru_cache(maxsize=None)
def pool() -> Tuple[Tuple[str, str, str], ...]:
    """(fixture, operator, mutant source): for each operator, the mutants of the first few correct
    fixtures (in a fixed shuffled order) that have such a site."""
    candidates = sorted(FIXTURES.rglob("ok_*.py"))
    random.Random(20240611).shuffle(candidates)
    operators = dict(mutate.OPERATORS)
    fixtures = {operator: 0 for operator in OPERATORS}
    found: List[Tuple[str, str, str]] = []
    for path in candidates:
        wanted = [op for op, count in fixtures.items() if count < PER_OPERATOR]
        if not wanted:
            break
        source = path.read_text(encoding="utf-8")
        program = shapes = None
        for operator in wanted:
            if not any(site in source for site in SITES[operator]):
                continue
            try:
                program = program or mutate.Program(source)
                if operator in mutate._NEEDS_SHAPES:
                    shapes = shapes or mutate.ShapeOracle(source)
                    produced = list(operators[operator](program, shapes))
                else:
                    produced = list(operators[operator](program))
            except Exception:  # noqa: BLE001 - bench/mutate.py fails on some programs; not ours
                continue
            sources = sorted({m.source for m in produced if m.equivalent is None
                              and m.source != source and mutate._parses(m.source)})
            if sources:
                fixtures[operator] += 1
                found.extend((path.relative_to(ROOT).as_posix(), operator, text) for text in sources)
    return tuple(found)


def mutants():
    """A mutant: an operator first (so each is as likely), then one of its mutants. Deferred:
    the pool is built when a test first draws, not when the module is collected."""
    def build():
        by_operator = {op: [m for m in pool() if m[1] == op] for op in OPERATORS}
        return st.sampled_from([op for op in OPERATORS if by_operator[op]]).flatmap(
            lambda op: st.sampled_from(by_operator[op]))
    return st.deferred(build)


def test_the_pool_covers_every_fixable_operator():
    assert {operator for _, operator, _ in pool()} == set(OPERATORS)


@settings(max_examples=16, deadline=None, derandomize=True, database=None, suppress_health_check=QUIET)
@given(mutant=mutants(), crlf=st.booleans())
def test_fix_parses_is_idempotent_and_changes_only_its_rows(mutant, crlf):
    path, operator, text = mutant
    if crlf:
        text = text.replace("\n", "\r\n")
    before, errors = check_source(SourceFile(path, text), Config())
    assert errors == []
    done = fix_text(path, text, Config(), unsafe=True)
    if done.text is None:
        assert not [f for f in before if f.fix], "a fixable finding was not fixed"
        return
    assert done.errors == []
    compile(done.text, path, "exec")  # parses
    assert fix_text(path, done.text, Config(), unsafe=True).text is None  # a second --fix: no-op
    changed = set(fuzz.changed_rows(text, done.text))
    first_round = {row for f in before if f.fix for e in f.fix.edits for row in range(e.span.row, e.span.end_row + 1)}
    if not changed <= first_round:  # fixes in later rounds: replay the rounds
        assert changed <= fuzz.edited_rows(path, text, unsafe=True), "rows outside the fixes changed"
    if crlf:
        assert "\n" not in done.text.replace("\r\n", ""), "a bare LF in a CRLF file"
        assert "\r" not in done.text.replace("\r\n", "")
    else:
        assert "\r" not in done.text
    # The mutant's own bug is gone when its rule has a fix for it.
    code = OPERATORS[operator]
    fixable_before = [f for f in before if f.code == code and f.fix]
    after = [f for f in done.findings if f.code == code]
    assert len(after) <= len([f for f in before if f.code == code]) - min(1, len(fixable_before))


@settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=QUIET)
@given(mutant=mutants())
def test_safe_fixes_alone_never_touch_unsafe_ones(mutant):
    path, _, text = mutant
    before, _ = check_source(SourceFile(path, text), Config())
    done = fix_text(path, text, Config(), unsafe=False)
    if done.text is None:
        return
    compile(done.text, path, "exec")
    changed = set(fuzz.changed_rows(text, done.text))
    first_round = {row for f in before if f.fix and f.fix.applicability == "safe"
                   for e in f.fix.edits for row in range(e.span.row, e.span.end_row + 1)}
    if not changed <= first_round:
        assert changed <= fuzz.edited_rows(path, text, unsafe=False), "rows outside the fixes changed"
    assert fix_text(path, done.text, Config(), unsafe=False).text is None


def _run(*args: str, cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(old)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@settings(max_examples=6, deadline=None, derandomize=True, database=None, suppress_health_check=QUIET)
@given(mutant=mutants(), ending=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(),
       mode=st.sampled_from([0o644, 0o600, 0o755, 0o444]))
def test_fix_writes_what_fix_text_computed_keeping_bom_endings_and_mode(mutant, ending, bom, mode):
    path, _, text = mutant
    text = text.replace("\n", ending)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    expected = fix_text(path, text, Config(), unsafe=True)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "net.py"
        target.write_bytes(data)
        os.chmod(target, mode)
        code, out, err = _run("check", "--fix", "--unsafe-fixes", "--no-config", "net.py", cwd=Path(folder))
        assert err == "" and code in (0, 1)
        written = target.read_bytes()
        want = expected.text if expected.text is not None else text
        assert written == (b"\xef\xbb\xbf" if bom else b"") + want.encode("utf-8")
        assert stat.S_IMODE(os.stat(target).st_mode) == mode
        assert os.listdir(folder) == ["net.py"]  # no temporary file left


# -- a write that fails -----------------------------------------------------------------------------


def _copy_seed(folder: Path, crlf: bool = False) -> Tuple[Path, bytes]:
    data = SEED3.read_bytes()
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    target = folder / SEED3.name
    target.write_bytes(data)
    return target, data


def _oserror(number: int) -> OSError:
    return OSError(number, os.strerror(number))


@pytest.mark.parametrize("number", [errno.EROFS, errno.ENOSPC], ids=["read-only", "disk-full"])
@pytest.mark.parametrize("where", ["mkstemp", "write", "replace"])
def test_a_failed_write_leaves_the_original_no_temporary_and_says_so(tmp_path, monkeypatch, number, where):
    target, original = _copy_seed(tmp_path, crlf=where == "write")

    def fail(*args, **kwargs):
        raise _oserror(number)

    if where == "mkstemp":  # the folder cannot take a new file
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    elif where == "write":  # the temporary file is made, and filling it fails
        monkeypatch.setattr(os, "fsync", fail)
    else:  # the rename over the original fails
        monkeypatch.setattr(os, "replace", fail)
    code, out, err = _run("check", "--fix", "--no-config", target.name, cwd=tmp_path)
    assert code == 2
    assert (err, out.splitlines(keepends=True)[0]) == ("", (f"{target.name}: error: cannot write the fixed file ({os.strerror(number)}); "
                   "left unchanged\n"))
    assert target.read_bytes() == original
    assert os.listdir(tmp_path) == [target.name]


def test_a_read_only_folder(tmp_path, monkeypatch):
    """A folder without write permission: real when not root; as root (which writes anyway), the
    temporary file is refused as the kernel would refuse it."""
    folder = tmp_path / "ro"
    folder.mkdir()
    target, original = _copy_seed(folder)
    if os.geteuid() == 0:
        real = tempfile.mkstemp

        def refuse(*args, dir=None, **kwargs):
            if dir is not None and Path(dir).resolve() == folder.resolve():
                raise _oserror(errno.EACCES)
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    folder.chmod(0o555)
    try:
        code, out, err = _run("check", "--fix", "--no-config", target.name, cwd=folder)
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert (err, out.splitlines(keepends=True)[0]) == ("", f"{target.name}: error: cannot write the fixed file (Permission denied); left unchanged\n")
    assert target.read_bytes() == original
    assert os.listdir(folder) == [target.name]


def test_a_failed_write_keeps_the_other_files_fixed(tmp_path, monkeypatch):
    first, _ = _copy_seed(tmp_path)
    second = tmp_path / "other.py"
    second.write_bytes(SEED3.read_bytes())
    real = os.replace

    def refuse_first(source, destination, *args, **kwargs):
        if Path(destination).name == first.name:
            raise _oserror(errno.ENOSPC)
        return real(source, destination, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse_first)
    code, out, err = _run("check", "--fix", "--no-config", ".", cwd=tmp_path)
    assert code == 2
    assert (err, out.splitlines(keepends=True)[0]) == ("", f"{first.name}: error: cannot write the fixed file (No space left on device); left unchanged\n")
    assert first.read_bytes() == SEED3.read_bytes()
    assert b"layer_1_delta *= dropout_mask" in second.read_bytes()
    assert sorted(os.listdir(tmp_path)) == sorted([first.name, second.name])


def test_fix_prints_no_warning_about_the_users_code(tmp_path):
    """The parse check of a fixed file compiles it: Python's own warnings about the user's code
    (``1 is 1``) are not printed, nor turned into errors by ``-W error``."""
    import subprocess

    target = tmp_path / "net.py"
    for warnings in ("default", "error"):
        target.write_bytes(SEED3.read_bytes() + b'assert (target, "message")\nok = 1 is 1\n')
        done = subprocess.run([sys.executable, "-m", "bplint", "check", "--fix", "--no-config", "net.py"],
                              cwd=tmp_path, capture_output=True, timeout=120,
                              env={**os.environ, "BPLINT_NO_CACHE": "1", "PYTHONWARNINGS": warnings})
        assert (done.returncode, done.stdout, done.stderr) == (
            0, b"Found 1 problem (1 fixed, 0 remaining).\n", b"")
        assert b"layer_1_delta *= dropout_mask" in target.read_bytes()
