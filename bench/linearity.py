"""Does bplint's time grow linearly with the size of one file?

    python bench/linearity.py                    # 5k, 20k and 80k lines, 1 round
    python bench/linearity.py --rounds 3 --sizes 5000,20000

Each size is one file of varied network programs from fixtures/ one after the other, every
program's names tagged so that none collide (generate.network_file; the smaller files are
prefixes of the larger). Times per size, each in a fresh process:
- wall: `bplint check --no-config -q --exit-zero FILE` as a whole (start-up included);
- analysis (--in-process): `bplint.engine.check_source` on the file read in advance.
Growth is super-linear when the time per line of the largest file exceeds 1.5x the smallest's.
A size whose time, extrapolated from the two before it (t ~ lines**k), exceeds --budget
seconds is skipped and reported as such (a run is also killed after twice the budget).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (bench/ is not a package)
import run  # noqa: E402

IN_PROCESS = """\
import sys, time
from bplint.config import Config
from bplint.engine import check_source
from bplint.files import read_source
source = read_source(sys.argv[1])
start = time.perf_counter()
findings, errors = check_source(source, Config())
print(time.perf_counter() - start)
"""
LIMIT = 1.5


def analysis_seconds(path: Path, timeout: float) -> float | None:
    try:
        done = subprocess.run([sys.executable, "-c", IN_PROCESS, str(path)], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        print(f"  in-process check failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
        return None
    return float(done.stdout.split()[-1])


def projected(results: list, lines: int) -> float | None:
    """Seconds the next size would take, extrapolating t ~ lines**k from the last two sizes."""
    measured = [(n, t) for _, n, t, *_ in results if t is not None]
    if not measured:
        return None
    (n1, t1), (n2, t2) = measured[-2:] if len(measured) > 1 else (measured[0], measured[0])
    k = math.log(t2 / t1) / math.log(n2 / n1) if n2 != n1 else 1.0
    return t2 * (lines / n2) ** max(k, 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,20000,80000", help="lines per file (comma-separated)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--in-process", action="store_true",
                        help="also time check_source alone, in a fresh process (doubles the time)")
    parser.add_argument("--budget", type=float, default=600,
                        help="skip a size projected to take longer than this many seconds (default 600)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bplint = run.find_tool("bplint")
    check = ([bplint] if bplint else [sys.executable, "-m", "bplint"]) + [
        "check", "--no-config", "-q", "--exit-zero"]

    results = []  # (size, lines, wall, analysis, peak MB, note)
    for size in sizes:
        path = generate.CACHE / "linearity" / f"net_{size}.py"
        lines = generate.build_network_file(path, size)
        guess = projected(results, lines)
        if guess is not None and guess > args.budget:
            results.append((size, lines, None, None, None, f"skipped: projected {guess:.0f} s"))
            print(f"  {lines} lines: skipped, projected {guess:.0f} s > --budget {args.budget:.0f}")
            continue
        walls, analyses, peak, note = [], [], 0.0, ""
        for _ in range(args.rounds):
            wall, rss, code, _out, _err = run.run_once(check + [str(path)], generate.CACHE,
                                                       timeout=2 * args.budget)
            if code is None:
                note = f"killed after {wall:.0f} s"
                break
            walls.append(wall)
            peak = max(peak, rss)
            if args.in_process:
                analyses.append(analysis_seconds(path, 2 * args.budget))
        wall = statistics.median(walls) if walls else None
        analysis = None if not analyses or None in analyses else statistics.median(analyses)
        results.append((size, lines, wall, analysis, peak, note))
        print(f"  {lines} lines: {'-' if wall is None else f'{wall:.2f} s'} {note}", flush=True)

    def cell(seconds, lines, per_line=False):
        if seconds is None:
            return "-"
        return f"{seconds / lines * 1e3:.2f}" if per_line else f"{seconds:.2f}"

    print()
    print(run.table(
        ["lines", "wall s", "wall ms/line", "analysis s", "analysis ms/line", "peak MB", "note"],
        [[n, cell(w, n), cell(w, n, True), cell(a, n), cell(a, n, True),
          "-" if p is None else f"{p:.0f}", note] for _, n, w, a, p, note in results]))
    for name, index in (("wall", 2), ("analysis", 3)):
        measured = [r for r in results if r[index] is not None]
        if len(measured) < 2:
            continue
        first, last = measured[0], measured[-1]
        growth = (last[index] / last[1]) / (first[index] / first[1])
        k = math.log(last[index] / first[index]) / math.log(last[1] / first[1])
        verdict = "SUPER-LINEAR" if growth > LIMIT else "linear"
        print(f"{name}: time/line at {last[1]} lines = {growth:.2f}x that at {first[1]} "
              f"(limit {LIMIT}x): {verdict}; time ~ lines^{k:.2f}")
    if any(r[2] is None for r in results):
        print("note: a size not measured was projected over --budget; the verdict above "
              "compares the smallest and largest measured sizes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
