"""Fuzzing bplint: it never crashes, and ``--fix`` never loses code.

The properties and strategies here are shared with tests/test_fuzz.py and tests/test_fix_safety.py,
which run them on a few examples in CI; this script runs them for as long as you like:

    python bench/fuzz.py                          # every property, 200 examples each
    python bench/fuzz.py --examples 2000          # more examples per property
    python bench/fuzz.py --minutes 30             # rounds of examples, new seeds, for 30 minutes
    python bench/fuzz.py --property mutants --property fix --seed 7

Programs come from hypothesmith (valid Python from the grammar, or from libcst's nodes) and from
mutations of fixtures/**/*.py (operators swapped, statements dropped or duplicated, variables
renamed, ``self.`` deleted). A failure is shrunk by hypothesis; its program is printed and written
to ``fuzz-failure-<property>.py`` in the current folder, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import ast
import io
import keyword
import random
import sys
import time
import tokenize
import traceback
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))
# Generating programs is slow, and hypothesmith's strategies filter a lot: not a bug here.
QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
         HealthCheck.large_base_example]


# -- the properties -----------------------------------------------------------------------------------


class BrokenPromise(AssertionError):
    """bplint broke a promise on a program (not an exception of its own)."""


def check_program(text: str, path: str = "fuzz.py") -> None:
    """``bplint check`` on one program, in process: findings or one-line errors, never an
    exception, and no rule or analysis failing inside (an internal error is caught at the rule
    boundary, but it is still a bug)."""
    from bplint.config import Config
    from bplint.engine import check_stdin

    outcome = check_stdin(path, text.encode("utf-8", errors="surrogatepass"), Config())
    lines = len(text.splitlines()) + 1
    for finding in outcome.findings:
        if not (1 <= finding.span.row <= finding.span.end_row <= lines and finding.span.column >= 1):
            raise BrokenPromise(f"finding outside the file: {finding}")
    for error in outcome.errors:
        rendered = error.render()
        if "\n" in rendered or not rendered.startswith(f"{path}: error: "):
            raise BrokenPromise(f"an error that is not one line: {rendered!r}")
        if "internal error" in rendered:
            raise BrokenPromise(rendered)
    if _compiles(text) and outcome.errors and not all(_tolerated(e.reason) for e in outcome.errors):
        raise BrokenPromise(f"valid Python reported as an error: {outcome.errors}")


def _tolerated(reason: str) -> bool:
    """Errors valid Python may still get: too deep for libcst, or syntax libcst does not know."""
    return "too deep" in reason or "nested" in reason or "libcst" in reason


def _compiles(text: str) -> bool:
    try:
        compile(text, "<fuzz>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_fix(text: str, path: str = "fuzz.py", unsafe: bool = True) -> None:
    """``--fix`` on one program: the result parses, a second ``--fix`` is a no-op, and only the
    rows of the applied edits change (lines may be inserted)."""
    from bplint.autofix import fix_text
    from bplint.config import Config

    done = fix_text(path, text, Config(), unsafe)
    if done.text is None:
        return
    if not _compiles(done.text):
        raise BrokenPromise("the fixed program does not parse")
    if fix_text(path, done.text, Config(), unsafe).text is not None:
        raise BrokenPromise("a second --fix changed the fixed program")
    allowed = edited_rows(path, text, unsafe)
    changed = set(changed_rows(text, done.text))
    if not changed <= allowed:
        raise BrokenPromise(f"rows {sorted(changed - allowed)} changed outside the fixes' edits")


def edited_rows(path: str, text: str, unsafe: bool) -> set:
    """The original rows that the fixes of every round replace (by the round's own positions,
    mapped back to the original through the diff of the rounds before)."""
    import difflib

    from bplint.autofix import MAX_ROUNDS
    from bplint.config import Config
    from bplint.engine import check_source
    from bplint.files import SourceFile
    from bplint.fixes import applicable, apply_fixes

    rows = set()
    current = text
    for _ in range(MAX_ROUNDS):
        findings, errors = check_source(SourceFile(path, current), Config())
        fixes = [f.fix for f in applicable(findings, unsafe)]
        if errors or not fixes:
            break
        candidate, _ = apply_fixes(current, fixes)
        if candidate == current:
            break
        # Map this round's rows back to the original text.
        matcher = difflib.SequenceMatcher(a=text.splitlines(), b=current.splitlines(), autojunk=False)
        back = {}
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                back.update({j1 + k + 1: i1 + k + 1 for k in range(i2 - i1)})
        for fix in fixes:
            for edit in fix.edits:
                for row in range(edit.span.row, edit.span.end_row + 1):
                    rows.add(back.get(row, -row))
        current = candidate
    return rows


def changed_rows(before: str, after: str):
    """The original rows that a diff replaces or deletes (insertions are not counted)."""
    import difflib

    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            yield from range(i1 + 1, i2 + 1)


# -- the strategies ---------------------------------------------------------------------------------


def grammar_programs() -> st.SearchStrategy[str]:
    import hypothesmith

    return hypothesmith.from_grammar()


def node_programs() -> st.SearchStrategy[str]:
    import hypothesmith

    return hypothesmith.from_node()


def numpy_flavoured(programs: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Programs that the cheap text check does not skip: they import NumPy first."""
    return programs.map(lambda text: "import numpy as np\n" + text)


SWAPS: Dict[str, Tuple[str, ...]] = {
    "+": ("-", "*", "@"), "-": ("+", "*", "@"), "*": ("+", "-", "@"), "@": ("*", "+", "-"),
    "+=": ("-=", "*=", "@="), "-=": ("+=", "*=", "@="), "*=": ("+=", "-=", "@="),
    "@=": ("*=", "+=", "-="),
}


def _lines(text: str) -> List[str]:
    return io.StringIO(text).readlines()  # split as tokenize splits


def _tokens(text: str) -> List[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []


def _replace(text: str, start: Tuple[int, int], end: Tuple[int, int], new: str) -> str:
    lines = _lines(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    a = offsets[start[0] - 1] + start[1]
    b = offsets[end[0] - 1] + end[1]
    return text[:a] + new + text[b:]


def _binary(before: tokenize.TokenInfo) -> bool:
    """Whether an operator after this token is binary (``a - b``), not unary (``-b``, ``*args``)."""
    if before.type == tokenize.NAME:
        return not keyword.iskeyword(before.string) or before.string in ("True", "False", "None")
    return before.type in (tokenize.NUMBER, tokenize.STRING) or before.string in (")", "]", "}")


def swap_operator(text: str, where: int, choice: int) -> str:
    """``+`` <-> ``-`` <-> ``*`` <-> ``@`` between operands, their in-place forms, and a unary
    ``-`` <-> ``+``."""
    tokens = [t for t in _tokens(text) if t.type not in (tokenize.COMMENT, tokenize.NL)]
    sites = []
    for before, token in zip(tokens, tokens[1:]):
        if token.type != tokenize.OP or token.string not in SWAPS:
            continue
        if token.string.endswith("=") or _binary(before):
            sites.append((token, SWAPS[token.string]))
        elif token.string in "+-":
            sites.append((token, ("-" if token.string == "+" else "+",)))
    if not sites:
        return text
    token, options = sites[where % len(sites)]
    return _replace(text, token.start, token.end, options[choice % len(options)])


def _simple_statements(text: str) -> List[Tuple[int, int]]:
    """(first, last) rows of the statements that start their line and are not compound."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = _lines(text)
    compound = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
                ast.While, ast.With, ast.AsyncWith, ast.Try) + ((ast.Match,) if hasattr(ast, "Match") else ())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, compound) and node.end_lineno:
            line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
            if len(line) - len(line.lstrip(" \t")) == node.col_offset:
                found.append((node.lineno, node.end_lineno))
    return sorted(set(found))


def drop_statement(text: str, where: int, choice: int) -> str:
    """A statement becomes ``pass`` (its indentation kept, so the block stays valid)."""
    statements = _simple_statements(text)
    if not statements:
        return text
    first, last = statements[where % len(statements)]
    lines = _lines(text)
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip(" \t"))]
    ending = lines[last - 1][len(lines[last - 1].rstrip("\r\n")):] or "\n"
    return "".join(lines[: first - 1] + [f"{indent}pass{ending}"] + lines[last:])


def duplicate_statement(text: str, where: int, choice: int) -> str:
    statements = _simple_statements(text)
    if not statements:
        return text
    first, last = statements[where % len(statements)]
    lines = _lines(text)
    copy = lines[first - 1: last]
    if not copy[-1].endswith(("\n", "\r")):
        copy = copy[:-1] + [copy[-1] + "\n"]
        lines = lines[:last - 1] + [lines[last - 1] + "\n"] + lines[last:]
    return "".join(lines[:last] + copy + lines[last:])


def _names(tokens: Sequence[tokenize.TokenInfo]) -> List[str]:
    return sorted({t.string for t in tokens if t.type == tokenize.NAME and not keyword.iskeyword(t.string)
                   and not keyword.issoftkeyword(t.string)})


def rename_variable(text: str, where: int, choice: int) -> str:
    """Every occurrence of one name becomes another name of the file (or a new one)."""
    tokens = _tokens(text)
    names = _names(tokens)
    if not names:
        return text
    old = names[where % len(names)]
    targets = [n for n in names if n != old] + [old + "_renamed"]
    new = targets[choice % len(targets)]
    for token in reversed(tokens):
        if token.type == tokenize.NAME and token.string == old:
            text = _replace(text, token.start, token.end, new)
    return text


def rename_one_use(text: str, where: int, choice: int) -> str:
    """One occurrence of a name becomes another name of the file (a typo)."""
    tokens = [t for t in _tokens(text) if t.type == tokenize.NAME and not keyword.iskeyword(t.string)
              and not keyword.issoftkeyword(t.string)]
    if not tokens:
        return text
    token = tokens[where % len(tokens)]
    targets = [n for n in _names(tokens) if n != token.string] or [token.string + "_renamed"]
    return _replace(text, token.start, token.end, targets[choice % len(targets)])


def delete_self(text: str, where: int, choice: int) -> str:
    """``self.hidden`` -> ``hidden`` at one place."""
    tokens = _tokens(text)
    sites = [(a, b) for a, b in zip(tokens, tokens[1:])
             if a.type == tokenize.NAME and a.string == "self" and b.string == "."]
    if not sites:
        return text
    a, b = sites[where % len(sites)]
    return _replace(text, a.start, b.end, "")


MUTATIONS: Dict[str, Callable[[str, int, int], str]] = {
    "swap-operator": swap_operator,
    "drop-statement": drop_statement,
    "duplicate-statement": duplicate_statement,
    "rename-variable": rename_variable,
    "rename-one-use": rename_one_use,
    "delete-self": delete_self,
}


@st.composite
def mutated_fixtures(draw, files: Sequence[Path] = tuple(FIXTURE_FILES), max_edits: int = 3):
    """(fixture, edits, program): a fixture after one to ``max_edits`` random edits."""
    path = draw(st.sampled_from(list(files)))
    text = path.read_text(encoding="utf-8")
    edits = draw(st.lists(st.tuples(st.sampled_from(sorted(MUTATIONS)), st.integers(0, 1 << 16),
                                    st.integers(0, 1 << 16)), min_size=1, max_size=max_edits))
    for name, where, choice in edits:
        text = MUTATIONS[name](text, where, choice)
    return path.relative_to(ROOT).as_posix(), tuple(edits), text


def describe(example) -> str:
    """A program, or a mutated fixture with its edits, as text to reproduce a failure."""
    if isinstance(example, tuple):
        path, edits, text = example
        return f"# {path} after {list(edits)}\n{text}"
    return example


# -- running the properties long ------------------------------------------------------------------

# name -> (strategy, property on the example)
PROPERTIES: Dict[str, Tuple[Callable[[], st.SearchStrategy], Callable]] = {
    "grammar": (grammar_programs, check_program),
    "node": (node_programs, check_program),
    "grammar-numpy": (lambda: numpy_flavoured(grammar_programs()), check_program),
    "mutants": (mutated_fixtures, lambda example: check_program(example[2], example[0])),
    "fix": (mutated_fixtures, lambda example: check_fix(example[2], example[0])),
}


def run_property(name: str, examples: int, seed_value: Optional[int]) -> Optional[str]:
    """Run one property; the failing program (shrunk) as text, or None when it held."""
    make, prop = PROPERTIES[name]
    failing: List[str] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=QUIET,
              print_blob=False)
    @given(make())
    def test(example):
        try:
            prop(example)
        except Exception:
            failing.append(describe(example) + "\n# " + traceback.format_exc().replace("\n", "\n# "))
            raise

    if seed_value is not None:
        test = seed(seed_value)(test)
    try:
        test()
    except Exception:  # noqa: BLE001 - reported with its program
        return failing[-1] if failing else traceback.format_exc()
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per property and round")
    parser.add_argument("--minutes", type=float, default=0, help="keep going, new seeds, this long")
    parser.add_argument("--property", action="append", choices=sorted(PROPERTIES), default=[],
                        help="only this property (repeatable)")
    parser.add_argument("--seed", type=int, default=None, help="the first round's seed")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=SyntaxWarning)  # hypothesmith compiles its programs
    names = args.property or list(PROPERTIES)
    deadline = time.monotonic() + args.minutes * 60
    seeds = random.Random(args.seed)
    failures = 0
    round_ = 0
    while True:
        round_ += 1
        for name in names:
            seed_value = args.seed if round_ == 1 and args.seed is not None else seeds.randrange(1 << 32)
            started = time.monotonic()
            failure = run_property(name, args.examples, seed_value)
            spent = time.monotonic() - started
            if failure is None:
                print(f"round {round_}: {name}: {args.examples} examples held "
                      f"(seed {seed_value}, {spent:.0f} s)", flush=True)
                continue
            failures += 1
            out = Path(f"fuzz-failure-{name}.py")
            out.write_text(failure, encoding="utf-8")
            print(f"round {round_}: {name}: FAILED (seed {seed_value}); program in {out}:\n{failure}",
                  flush=True)
        if time.monotonic() >= deadline:
            break
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
