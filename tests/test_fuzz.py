"""Never crash: bplint on generated programs (hypothesmith) and on mutated fixtures gives findings
or one-line errors, never an exception. Bounded and derandomized here; ``python bench/fuzz.py``
runs the same properties for as long as you like."""

from __future__ import annotations

import ast
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from bplint.cli import app
from bplint.config import Config
from bplint.engine import check_paths
from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import fuzz  # noqa: E402  (bench/ is not a package)

QUIET = fuzz.QUIET
# hypothesmith compiles what it generates: Python's warnings about those programs are not ours.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
BOUNDED = dict(deadline=None, derandomize=True, database=None, suppress_health_check=QUIET)


@settings(max_examples=20, **BOUNDED)
@given(fuzz.grammar_programs())
def test_programs_from_the_grammar(program):
    fuzz.check_program(program)


@settings(max_examples=20, **BOUNDED)
@given(fuzz.numpy_flavoured(fuzz.grammar_programs()))
def test_programs_from_the_grammar_that_the_prefilter_lets_through(program):
    fuzz.check_program(program)


@settings(max_examples=6, **BOUNDED)
@given(fuzz.numpy_flavoured(fuzz.node_programs()))
def test_programs_from_libcst_nodes(program):
    fuzz.check_program(program)


@settings(max_examples=40, **BOUNDED)
@given(fuzz.mutated_fixtures())
def test_mutated_fixtures(example):
    path, _, program = example
    fuzz.check_program(program, path)


# -- through the command line and check_paths ------------------------------------------------------

ERROR_LINE = re.compile(r"^\S.*: error: [^\n]+$")


def _cli(folder: str, *args: str):
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, ["check", "--no-config", *args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@settings(max_examples=8, **BOUNDED)
@given(st.lists(st.one_of(fuzz.mutated_fixtures().map(lambda e: e[2]),
                          fuzz.numpy_flavoured(fuzz.grammar_programs())), min_size=1, max_size=3))
def test_the_command_line_on_a_folder_of_generated_programs(programs):
    with tempfile.TemporaryDirectory() as folder:
        for number, program in enumerate(programs):
            Path(folder, f"p{number}.py").write_text(program, encoding="utf-8")
        code, out, err = _cli(folder, "-q", ".")
        assert code in (0, 1, 2)
        assert (code == 2) == bool(err)
        assert all(ERROR_LINE.match(line) for line in err.splitlines()), err
        assert "Traceback" not in out + err and "internal error" not in err
        assert (code == 1) == bool(out) or code == 2
        result = check_paths([folder], Config())
        assert len(result.errors) == len(err.splitlines())
        assert len(result.findings) == len(out.splitlines())


# -- the mutations themselves -------------------------------------------------------------------------

SAMPLE = FIXTURES / "seeds" / "seed1_bp_column_vectors.py"


def test_each_mutation_edits_the_program_and_keeps_it_parsing():
    text = SAMPLE.read_text(encoding="utf-8")
    for name, mutation in fuzz.MUTATIONS.items():
        results = {mutation(text, where, choice) for where in range(40) for choice in range(3)}
        assert text not in results or len(results) > 1, name
        for result in results:
            ast.parse(result)  # every mutation keeps valid Python valid


def test_mutations_are_what_they_say():
    text = "class N:\n    def f(self, x):\n        self.h = x @ self.W\n        return self.h + 1\n"
    assert fuzz.swap_operator(text, 0, 0) == text.replace("x @ self.W", "x * self.W")
    assert fuzz.drop_statement(text, 0, 0) == text.replace("self.h = x @ self.W", "pass")
    assert fuzz.duplicate_statement(text, 1, 0).count("return self.h + 1\n") == 2
    assert fuzz.delete_self(text, 0, 0) == text.replace("self.h = ", "h = ")
    assert "self.h" not in fuzz.rename_variable(text, fuzz._names(fuzz._tokens(text)).index("h"), 10)
    assert fuzz.swap_operator("x = 1\n", 0, 0) == "x = 1\n"  # no site: unchanged
