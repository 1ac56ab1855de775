"""How much of real forward/backward code `bplint gradcheck` checks, and how many wrong gradients
it catches.

Two measures, from one run of ``bplint gradcheck --format json`` per folder:

1. **Labelled units** (default: ``tests/data/units_review``, written by a helper who never saw
   the checker, each unit labelled ``ok`` or ``wrong`` in ``EXPECTED.tsv`` and confirmed there by
   its author's own finite differences): the share of labelled units found and checked (not
   ``skipped``), the recall on the wrong ones, and the false alarms on the correct ones.
2. **The real corpus** (``--corpus``: the pinned PyPI packages of ``bench/corpus.py``, fetched
   with ``python bench/corpus.py --fetch``): units found, the share checked, and every verdict
   that is not ``ok``, for a person to read (no labels: real code).
3. **Seeded wrong math in real code** (``--mutants``, with ``--corpus``): every real unit judged
   ``ok`` is mutated, one mutation at a time, in the function that computes its gradient: the
   returned gradient negated (``negate``), halved (``halve``), or the function's first product
   replaced by its left factor (``drop-factor``: a dropped derivative, mask or scale). A mutant
   is caught when its verdict is a failure. The mutant is a copy beside the original (so its
   imports resolve the same way), removed afterwards.

    python bench/gradcheck_units.py [--labelled FOLDER] [--corpus [--mutants]] [--misses]

Seconds are wall-clock on this machine, for the whole run (one subprocess per file).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "units_review"


def gradcheck(paths: List[str], timeout: float = 20.0) -> Tuple[List[dict], float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bplint", "gradcheck", "--format", "json",
                           "--timeout", str(timeout), *paths],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    try:
        records = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        records = []
    return records, seconds, done.stderr


def unit_key(record: dict, folder: Path) -> Tuple[str, str]:
    """(file relative to the folder, the forward function or class) of a record."""
    name = record["unit"].split("/")[0].split("[")[0].split("(")[0]
    return str(Path(record["filename"]).resolve().relative_to(folder.resolve())), name


def labelled(folder: Path, show_misses: bool) -> None:
    expected: Dict[Tuple[str, str], Tuple[str, str]] = {}
    with open(folder / "EXPECTED.tsv", encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if row:
                expected[(row[0], row[1])] = (row[2], row[3] if len(row) > 3 else "")
    records, seconds, errors = gradcheck([str(folder)])
    verdicts: Dict[Tuple[str, str], List[dict]] = {}
    for record in records:
        if record["unit"] is not None:  # a file that could not be checked has no unit
            verdicts.setdefault(unit_key(record, folder), []).append(record)
    found = checked = caught = wrong = alarms = correct = 0
    misses: List[str] = []
    for key, (label, bug) in sorted(expected.items()):
        got = verdicts.get(key, [])
        judged = [r for r in got if r["verdict"] != "skipped"]
        found += bool(got)
        checked += bool(judged)
        failed = any(r["verdict"] not in ("ok", "skipped") for r in judged)
        if label == "wrong":
            wrong += 1
            caught += failed
            if not failed:
                misses.append(f"missed   {key[0]}:{key[1]}: {bug} -> "
                              f"{[(r['verdict'], r['message']) for r in got] or 'not found'}")
        else:
            correct += 1
            alarms += failed
            if failed or not judged:
                kind = "ALARM" if failed else "unchecked"
                misses.append(f"{kind:<8} {key[0]}:{key[1]} -> "
                              f"{[(r['verdict'], r['message']) for r in got] or 'not found'}")
    total = len(expected)
    print(f"labelled units ({folder.relative_to(ROOT)}): {total} ({correct} ok, {wrong} wrong), "
          f"{seconds:.1f} s")
    print(f"  found {found}/{total} ({100 * found / total:.0f}%), "
          f"checked {checked}/{total} ({100 * checked / total:.0f}%)")
    print(f"  recall on wrong units: {caught}/{wrong} ({100 * caught / max(wrong, 1):.0f}%)")
    print(f"  false alarms on correct units: {alarms}/{correct}")
    if show_misses:
        print("\n".join("  " + line for line in misses))
        if errors.strip():
            print("  stderr:\n" + "\n".join("    " + line for line in errors.splitlines()))


def corpus(show_misses: bool) -> List[dict]:
    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import real_corpus_files

    files = [str(path) for path in real_corpus_files()]
    if not files:
        print("real corpus: not fetched (python bench/corpus.py --fetch)")
        return []
    records, seconds, _ = gradcheck(files)
    units = [r for r in records if r["kind"] not in ("network", "file")]
    judged = [r for r in units if r["verdict"] != "skipped"]
    print(f"real corpus: {len(files)} files, {len(units)} units found, {len(judged)} checked "
          f"({100 * len(judged) / max(len(units), 1):.0f}%), {seconds:.1f} s")
    counts: Dict[str, int] = {}
    for record in units:
        counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
    print("  verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    if show_misses:
        for record in units:
            if record["verdict"] != "ok":
                print(f"  {record['verdict']:<14} {record['filename']}:{record['location']['row']} "
                      f"{record['unit']}: {record['message']}")
    return units


class _Mutation(ast.NodeTransformer):
    """One mutation of the function defined at ``row``."""

    def __init__(self, row: int, operator: str) -> None:
        self.row, self.operator, self.done = row, operator, False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.lineno != self.row:
            return self.generic_visit(node)
        if self.operator == "drop-factor":
            for child in ast.walk(node):
                for field, value in ast.iter_fields(child):
                    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult) and not \
                            isinstance(value.left, ast.Constant) and not isinstance(value.right, ast.Constant):
                        setattr(child, field, value.left)
                        self.done = True
                        return node
            return node
        returns = sorted((n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value),
                         key=lambda n: n.lineno)
        if not returns:
            return node
        last = returns[-1]
        target = last.value.elts[0] if isinstance(last.value, ast.Tuple) and last.value.elts else last.value
        mutated = (ast.UnaryOp(ast.USub(), target) if self.operator == "negate"
                   else ast.BinOp(ast.Constant(0.5), ast.Mult(), target))
        if isinstance(last.value, ast.Tuple):
            last.value.elts[0] = mutated
        else:
            last.value = mutated
        self.done = True
        return node


OPERATORS = ("negate", "halve", "drop-factor")


def mutant_verdict(record: dict, operator: str) -> Optional[str]:
    """The verdict on the unit of ``record`` after one mutation; None when it does not apply."""
    source = Path(record["filename"])
    tree = ast.parse(source.read_text(encoding="utf-8"))
    mutation = _Mutation(record["location"]["row"], operator)
    tree = ast.fix_missing_locations(mutation.visit(tree))
    if not mutation.done:
        return None
    mutant = source.with_name(f"_bplint_mutant_{source.stem}.py")
    mutant.write_text(ast.unparse(tree), encoding="utf-8")
    try:
        records, _, _ = gradcheck([str(mutant)])
    finally:
        os.unlink(mutant)
    same = [r for r in records if r["unit"] == record["unit"]]
    return same[0]["verdict"] if same else "not found"


def mutants(units: List[dict], show_misses: bool) -> None:
    started = time.monotonic()
    tally: Dict[str, List[int]] = {op: [0, 0] for op in OPERATORS}
    missed: List[str] = []
    for record in units:
        if record["verdict"] != "ok" or record["cell"] is not None:
            continue
        for operator in OPERATORS:
            verdict = mutant_verdict(record, operator)
            if verdict is None or verdict in ("skipped", "not found"):
                continue
            tally[operator][1] += 1
            if verdict != "ok":
                tally[operator][0] += 1
            else:
                missed.append(f"  missed {operator:<11} {record['filename']}:{record['location']['row']} "
                              f"{record['unit']}")
    caught = sum(c for c, _ in tally.values())
    total = sum(t for _, t in tally.values())
    print(f"seeded wrong math in real units: caught {caught}/{total} "
          f"({100 * caught / max(total, 1):.0f}%), {time.monotonic() - started:.0f} s")
    for operator, (c, t) in tally.items():
        print(f"  {operator:<11} {c}/{t}")
    if show_misses:
        print("\n".join(missed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--corpus", action="store_true", help="also the real PyPI corpus")
    parser.add_argument("--mutants", action="store_true",
                        help="with --corpus: seed wrong math into every real unit judged ok")
    parser.add_argument("--misses", action="store_true", help="list what is missed or wrong")
    args = parser.parse_args()
    labelled(args.labelled, args.misses)
    if args.corpus:
        units = corpus(args.misses)
        if args.mutants:
            mutants(units, args.misses)


if __name__ == "__main__":
    main()
