"""How good are bplint's findings? Recall on injected bugs, precision on real code we did not write.

    python bench/corpus.py --fetch     # once: the pinned real-code corpus, into bench/.cache/
    python bench/quality.py            # the table (fixtures, real corpus, mutants of both)
    python bench/quality.py --misses   # also every missed mutant, to read

Recall: every correct fixture (and every real-corpus file) is mutated by ``bench/mutate.py``, one
bug at a time; a mutant is caught when bplint reports the expected rule at the expected line that
it did not report on the original. Mutants whose bug no shape can show are counted apart. Each
mutant is checked in its program, as ``bplint check`` on that file would: with the project
modules it imports, as they are on disk (``bplint.engine.check_text``).

Precision: every finding on the unmodified real corpus is listed. The ones reviewed as real bugs
are in ``bench/known_real_bugs.tsv`` (path in the corpus, line, code, why) and count as hits; every
other one counts against the target of at most one finding per 10,000 lines.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import re
import sys
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402  (bench/ is not a package)
import mutate  # noqa: E402

KNOWN_REAL_BUGS = BENCH / "known_real_bugs.tsv"
# Mutants per operator per real-corpus file: real files are long and each mutant re-lints the file.
REAL_MUTANTS_PER_OPERATOR = 2
_MARKER = re.compile(r"#\s*(expect|known-miss|false-positive):\s*(BP\d{3}(?:\s*,\s*BP\d{3})*)")


@dataclass(frozen=True)
class Outcome:
    group: str          # "fixtures" or "real"
    path: str
    operator: str
    code: str
    row: int
    description: str
    verdict: str        # "caught", "missed" or "equivalent"
    reported: Tuple[str, ...] = ()  # the new codes bplint did report, for a miss


def lint(path: str, text: str) -> Optional[List[Tuple[str, int]]]:
    """(code, row) of every finding, or None when the file cannot be analysed."""
    from bplint.config import Config
    from bplint.engine import check_text

    outcome = check_text(path, text, Config())
    if outcome.errors and not outcome.findings:
        return None
    return [(f.code, f.span.row) for f in outcome.findings]


def correct_fixtures() -> List[Path]:
    """Fixtures with no bug in them: no marker but the expected warnings (BP5xx warnings)."""
    from bplint.catalogue import catalogue

    warnings = {code for code, doc in catalogue().items() if doc.severity == "warning"}
    chosen = []
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        parts = path.relative_to(ROOT / "fixtures").parts
        if parts[0].startswith("programs") and "_bad" in parts[1]:
            continue  # a module of a buggy multi-file program (the bug may be in another file)
        markers = _MARKER.findall(path.read_text(encoding="utf-8"))
        if all(kind == "expect" and set(re.findall(r"BP\d{3}", codes)) <= warnings
               for kind, codes in markers):
            chosen.append(path)
    return chosen


def judge(group: str, path: str, original: str, per_operator: Optional[int],
          operators: Sequence[str] = ()) -> List[Outcome]:
    baseline = lint(path, original)
    if baseline is None:
        return []
    try:
        found = mutate.mutants(original, operators)
    except Exception:  # noqa: BLE001 - a program libcst cannot mutate has no mutants
        return []
    if per_operator is not None:
        found = _spread(found, per_operator)
    before = Counter(code for code, _ in baseline)
    outcomes = []
    for mutant in found:
        if mutant.equivalent:
            outcomes.append(Outcome(group, path, mutant.operator, mutant.code, mutant.row,
                                    f"{mutant.description} ({mutant.equivalent})", "equivalent"))
            continue
        after = lint(path, mutant.source) or []
        codes = {mutant.code} | set(mutant.also)
        if mutant.lines:
            new = [(code, row) for code, row in after if (code, row) not in baseline]
            caught = any(code == mutant.code and row in mutant.lines for code, row in new) or \
                any(code in mutant.also for code, _ in new)
        else:
            counts = Counter(code for code, _ in after)
            new = [(code, 0) for code in counts if counts[code] > before[code]]
            caught = any(code in codes for code, _ in new)
        outcomes.append(Outcome(group, path, mutant.operator, mutant.code, mutant.row, mutant.description,
                                "caught" if caught else "missed", tuple(sorted({c for c, _ in new}))))
    return outcomes


def _spread(found: Sequence[mutate.Mutant], limit: int) -> List[mutate.Mutant]:
    """At most ``limit`` mutants per operator, spread over the file."""
    by_operator: Dict[str, List[mutate.Mutant]] = defaultdict(list)
    for mutant in found:
        by_operator[mutant.operator].append(mutant)
    chosen = []
    for group in by_operator.values():
        step = max(1, len(group) // limit)
        chosen.extend(group[::step][:limit])
    return chosen


def _judge_task(task: Tuple[str, str, Optional[int], Tuple[str, ...]]) -> List[Outcome]:
    group, path, limit, operators = task
    warnings.simplefilter("ignore", SyntaxWarning)  # real code has ``x is not 0``; not ours to say
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return judge(group, path, text, limit, operators)


def _lint_task(path: str) -> Tuple[str, int, Optional[List[Tuple[str, int]]]]:
    warnings.simplefilter("ignore", SyntaxWarning)
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return path, len(text.splitlines()), lint(path, text)


# -- the table -----------------------------------------------------------------------------------


def recall_table(outcomes: Sequence[Outcome], by: str) -> List[str]:
    groups = sorted({o.group for o in outcomes})
    keys = sorted({getattr(o, by) for o in outcomes})
    header = f"{by:<30}" + "".join(f"{g + ' caught/real':>22}{'equiv':>7}" for g in groups)
    lines = [header, "-" * len(header)]
    totals = {g: Counter() for g in groups}
    for k in keys:
        row = f"{k:<30}"
        for g in groups:
            verdicts = Counter(o.verdict for o in outcomes if o.group == g and getattr(o, by) == k)
            totals[g] += verdicts
            row += _cell(verdicts)
        lines.append(row)
    lines.append("-" * len(header))
    lines.append(f"{'all':<30}" + "".join(_cell(totals[g]) for g in groups))
    return lines


def _cell(verdicts: Counter) -> str:
    real = verdicts["caught"] + verdicts["missed"]
    if not real and not verdicts["equivalent"]:
        return f"{'-':>22}{'':>7}"
    rate = f"{100 * verdicts['caught'] / real:5.1f}%" if real else "    -"
    return f"{verdicts['caught']:>7}/{real:<5} {rate:>7}{verdicts['equivalent']:>7}"


def read_known_bugs() -> Set[Tuple[str, int, str]]:
    if not KNOWN_REAL_BUGS.exists():
        return set()
    with KNOWN_REAL_BUGS.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return {(r[0], int(r[1]), r[2]) for r in rows[1:]}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every missed mutant")
    parser.add_argument("--no-real", action="store_true", help="fixtures only (no fetched corpus)")
    parser.add_argument("--operator", action="append", default=[],
                        help="only this mutation operator (repeatable); see bench/mutate.py")
    parser.add_argument("--jobs", type=int, default=multiprocessing.cpu_count())
    args = parser.parse_args(argv)

    operators = tuple(args.operator)
    tasks = [("fixtures", str(p), None, operators) for p in correct_fixtures()]
    real_files: List[Path] = [] if args.no_real else corpus.real_corpus_files()
    tasks += [("real", str(p), REAL_MUTANTS_PER_OPERATOR, operators) for p in real_files]
    with multiprocessing.Pool(args.jobs) as pool:
        outcomes = [o for batch in pool.imap_unordered(_judge_task, tasks, chunksize=2) for o in batch]
        linted = pool.map(_lint_task, [str(p) for p in real_files], chunksize=4)

    print(f"Mutants of {len(tasks)} correct programs "
          f"({sum(1 for t in tasks if t[0] == 'fixtures')} fixtures, {len(real_files)} real-corpus files)")
    print()
    print("\n".join(recall_table(outcomes, "operator")))
    print()
    print("\n".join(recall_table(outcomes, "code")))
    if args.misses:
        print("\nMissed mutants:")
        for o in sorted(outcomes, key=lambda o: (o.operator, o.path, o.row)):
            if o.verdict == "missed":
                other = f" (reported {', '.join(o.reported)})" if o.reported else ""
                print(f"  {_short(o.path)}:{o.row}: {o.operator} {o.code}: {o.description}{other}")
    if real_files:
        _precision(linted)
    return 0


def _precision(linted) -> None:
    known = read_known_bugs()
    lines = sum(n for _, n, _ in linted)
    unparsed = [path for path, _, findings in linted if findings is None]
    findings = sorted((_short(path), row, code) for path, _, found in linted for code, row in found or [])
    alarms = [f for f in findings if (f[0], f[1], f[2]) not in known]
    print(f"\nReal corpus: {len(linted)} files, {lines} lines ({len(unparsed)} files bplint cannot analyse)")
    print(f"findings: {len(findings)}; reviewed real bugs: {len(findings) - len(alarms)}; "
          f"other findings: {len(alarms)} = {10000 * len(alarms) / max(lines, 1):.2f} per 10,000 lines")
    for path, row, code in findings:
        mark = "real bug" if (path, row, code) in known else "unreviewed"
        print(f"  {path}:{row}: {code} [{mark}]")


def _short(path: str) -> str:
    for base in (corpus.CACHE, ROOT):
        try:
            return str(Path(path).resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return path


if __name__ == "__main__":
    sys.exit(main())
