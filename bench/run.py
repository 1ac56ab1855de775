"""bplint's speed, against the libcst parse floor and other linters, on two generated corpora.

    python bench/run.py               # 100k-line corpora, 3 rounds (pylint: 1)
    python bench/run.py --skip-slow   # without pylint
    python bench/run.py --quick       # 10% corpora, 1 round: a smoke run
    python bench/run.py --rounds 5
    python bench/run.py --against /tmp/old/bin/bplint   # another bplint, timed in the same run

Each tool runs as a whole process on a folder. Wall time is the median over the rounds. Peak
memory is the maximum RSS that GNU `/usr/bin/time -f %M` reports for the tool (its ru_maxrss:
for a process tree, the largest single process, not the sum over workers); without
/usr/bin/time, os.wait4's ru_maxrss of the child, which Linux floors at this script's own RSS.
Corpora (see generate.py) are built into bench/.cache/perf/ and reused while unchanged.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (bench/ is not a package)

PERF = generate.CACHE
FULL_LINES = 100_000
LIBCST_FLOOR = """\
import pathlib, sys
import libcst
failed = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        libcst.parse_module(path.read_bytes())
    except Exception:
        failed += 1
if failed:
    print(failed, "files did not parse", file=sys.stderr)
"""
# Without GNU time, os.wait4's ru_maxrss is used, which on Linux never reads below the RSS of
# this script at the fork (~50 MB): a floor, not the tool's own peak.
TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None


@dataclass
class Row:
    corpus: str
    tool: str
    lines: int
    walls: List[float] = field(default_factory=list)
    rss_mb: float = 0.0
    out_lines: int = 0
    notes: List[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.median


def run_once(cmd: List[str], cwd: Path, timeout: Optional[float] = None) -> tuple:
    """(wall seconds, peak RSS in MB, exit code, stdout lines, stderr lines) of one process;
    after ``timeout`` seconds the process is killed (exit code None)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        if TIME:  # GNU time forks the tool from a tiny process: its RSS is the tool's own
            cmd = [TIME, "-f", "%M", "-o", rss.name] + cmd
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL)) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        killed = timer is not None and not timer.is_alive() and wall >= timeout
        if timer:
            timer.cancel()
        proc.returncode = None if killed else os.waitstatus_to_exitcode(status)
        report = rss.read().split() if TIME else []
        peak_kb = int(report[-1]) if report and report[-1].isdigit() else usage.ru_maxrss
        counts = []
        for handle in (out, err):
            handle.seek(0)
            counts.append(handle.read().count(b"\n"))
    return wall, peak_kb / 1024, proc.returncode, counts[0], counts[1]


def measure(row: Row, cmd: List[str], rounds: int, before: Optional[Callable] = None) -> Row:
    for _ in range(rounds):
        if before:
            before()
        wall, rss, code, out_lines, err_lines = run_once(cmd, PERF)
        row.walls.append(wall)
        row.rss_mb = max(row.rss_mb, rss)
        row.out_lines = out_lines
    if code not in (0, 1):
        row.notes.append(f"exit {code}")
    if err_lines:
        row.notes.append(f"{err_lines} stderr lines")
    print(f"  {row.corpus:<6} {row.tool:<34} {row.median:8.2f} s", flush=True)
    return row


def find_tool(name: str) -> Optional[str]:
    """The tool next to this Python (no pyenv shim in the timing), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() else shutil.which(name)


def clear_bplint_cache(corpus: Path) -> None:
    for folder in (PERF / ".bplint_cache", corpus / ".bplint_cache"):
        shutil.rmtree(folder, ignore_errors=True)


def table(headers: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per tool (default 3)")
    parser.add_argument("--quick", action="store_true", help="10%% corpora and 1 round")
    parser.add_argument("--skip-slow", action="store_true", help="skip pylint")
    parser.add_argument("--against", metavar="BPLINT",
                        help="another bplint executable (an earlier version in its own virtual "
                             "environment), timed with --jobs 1 in the same run")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    target = FULL_LINES // 10 if args.quick else FULL_LINES
    base = PERF / "quick" if args.quick else PERF
    base.mkdir(parents=True, exist_ok=True)

    print("building corpora ...", flush=True)
    corpora: Dict[str, tuple] = {
        "NN": (base / "nn", *generate.build_nn_corpus(base / "nn", target)),
        "plain": (base / "plain", *generate.build_plain_corpus(base / "plain", target)),
    }
    small = PERF / "startup" / "small.py"
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_text(generate.network_file(1), encoding="utf-8")
    empty_rc = PERF / "empty.pylintrc"
    empty_rc.write_text("")
    for name, (path, files, lines) in corpora.items():
        print(f"  {name}: {files} files, {lines} lines in {path.relative_to(generate.ROOT)}")

    bplint = find_tool("bplint")
    bplint_cmd = [bplint] if bplint else [sys.executable, "-m", "bplint"]
    help_text = subprocess.run(bplint_cmd + ["check", "--help"], capture_output=True, text=True).stdout
    has_jobs, has_no_cache = "--jobs" in help_text, "--no-cache" in help_text
    check = bplint_cmd + ["check", "--no-config", "-q", "--exit-zero"]
    no_cache = ["--no-cache"] if has_no_cache else []
    notes = []
    if not has_jobs:
        notes.append("`bplint check --jobs` does not exist: the bplint row is its default run "
                     "(single process); the jobs speed-up is skipped.")
    if not has_no_cache:
        notes.append("`bplint check --no-cache` does not exist: the cache rows are skipped.")
    linters = {}
    for name in ("ruff", "pyflakes", "pylint"):
        linters[name] = find_tool(name)
        if linters[name] is None:
            notes.append(f"{name} is not installed (pip install {name}): skipped.")
    if args.skip_slow:
        linters["pylint"] = None
        notes.append("pylint skipped (--skip-slow).")

    cores = os.cpu_count()
    print(f"timing ({rounds} round(s); {cores} cores) ...", flush=True)
    rows: List[Row] = []
    single: Dict[str, Row] = {}
    default_nn: Optional[Row] = None
    cold = warm = None
    against: Dict[str, Row] = {}
    for corpus, (path, files, lines) in corpora.items():
        new = lambda tool: Row(corpus, tool, lines)  # noqa: E731
        clear = lambda: clear_bplint_cache(path)  # noqa: E731
        rows.append(measure(new("libcst parse (floor)"),
                            [sys.executable, "-c", LIBCST_FLOOR, str(path)], rounds))
        if has_jobs:
            single[corpus] = measure(new("bplint --jobs 1"),
                                     check + no_cache + ["--jobs", "1", str(path)], rounds, clear)
            rows.append(single[corpus])
        default = measure(new(f"bplint (default jobs{', ' + str(cores) + ' cores' if has_jobs else ''})"),
                          check + no_cache + [str(path)], rounds, clear)
        rows.append(default)
        single.setdefault(corpus, default)
        if corpus == "NN":
            default_nn = default
        if args.against:
            other = [args.against, "check", "--no-config", "-q", "--exit-zero", "--no-cache"]
            against[corpus] = measure(new("other bplint --jobs 1 (--against)"),
                                      other + ["--jobs", "1", str(path)], rounds, clear)
            rows.append(against[corpus])
        if corpus == "NN" and has_no_cache:
            cold, warm = new("bplint, cache: first run"), new("bplint, cache: second run")
            for _ in range(rounds):
                measure(cold, check + [str(path)], 1, clear)
                measure(warm, check + [str(path)], 1)
            if not any((d / ".bplint_cache").exists() for d in (PERF, path)):
                cold.notes.append("no .bplint_cache/ found under the corpus or cwd")
            rows += [cold, warm]
        if linters["ruff"]:
            rows.append(measure(new("ruff --select ALL (threads)"),
                                [linters["ruff"], "check", "--isolated", "--no-cache", "--select",
                                 "ALL", "--exit-zero", "-q", str(path)], rounds))
        if linters["pyflakes"]:
            rows.append(measure(new("pyflakes"), [linters["pyflakes"], str(path)], rounds))
        if linters["pylint"]:
            rows.append(measure(new("pylint --disable=all --enable=E"),
                                [linters["pylint"], f"--rcfile={empty_rc}", "--disable=all",
                                 "--enable=E", "--recursive=y", "--persistent=n", "--exit-zero",
                                 "-sn", str(path)], 1))

    startup = Row("small", "bplint check small.py", generate.count_lines(small.read_text()))
    measure(startup, check + no_cache + [str(small)], 10)
    import_only = measure(Row("-", "python -c 'import libcst'", 0),
                          [sys.executable, "-c", "import libcst"], 10)

    print()
    print(f"Python {platform.python_version()}, {cores} cores, rounds: {rounds} (pylint 1); "
          "wall = median seconds, peak = max RSS of one process "
          + ("(/usr/bin/time %M)" if TIME else "(os.wait4; floored at this script's RSS)"))
    print(table(["corpus", "tool", "wall s", "lines/s", "peak MB", "out lines", "notes"],
                [[r.corpus, r.tool, f"{r.median:.2f}", f"{r.lines_per_s:,.0f}" if r.lines else "-",
                  f"{r.rss_mb:.0f}", r.out_lines, "; ".join(r.notes)] for r in rows + [startup, import_only]]))

    def verdict(value: Optional[float], limit: float, at_most: bool) -> str:
        if value is None:
            return "SKIP"
        return "PASS" if (value <= limit if at_most else value >= limit) else "MISS"

    nn_single, floor_nn = single["NN"], rows[0]
    speedup = single["NN"].median / default_nn.median if has_jobs else None
    plain_ratio = single["plain"].lines_per_s / nn_single.lines_per_s
    cache_ratio = warm.median / cold.median if cold else None
    peak = max(r.rss_mb for r in rows if r.corpus == "NN" and r.tool.startswith("bplint"))
    goals = [
        ("bplint single process / libcst floor, NN", nn_single.median / floor_nn.median, 2.0, True, "x"),
        (f"default jobs speed-up vs --jobs 1, NN ({cores} cores)", speedup, 1.7, False, "x"),
        ("lines/s plain / lines/s NN (bplint single)", plain_ratio, 10.0, False, "x"),
        ("cached second run / first run, NN", cache_ratio, 0.10, True, ""),
        ("start-up: one small file, median of 10 (s)", startup.median, 0.35, True, " s"),
        ("peak memory on NN (MB)", peak, 300, True, " MB"),
    ]
    if "NN" in against:
        goals.append(("bplint --jobs 1 / the other bplint's, NN (no loss)",
                      nn_single.median / against["NN"].median, 1.05, True, "x"))
    print()
    print(table(["target", "measured", "goal", "result"],
                [[name, "n/a" if v is None else (f"{v:.0%}" if unit == "" else f"{v:.2f}{unit}"),
                  ("<= " if at_most else ">= ") + (f"{limit:.0%}" if unit == "" else f"{limit:g}{unit}"),
                  verdict(v, limit, at_most)] for name, v, limit, at_most, unit in goals]))
    for note in notes:
        print("note:", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
