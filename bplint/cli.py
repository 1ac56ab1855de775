"""The command line: ``bplint check``, ``bplint rules``, ``bplint explain``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional, TextIO

import typer

from bplint import __version__
from bplint.catalogue import catalogue
from bplint.config import Config, ConfigError, find_pyproject, load_config, validate_codes

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Static bug finder for handwritten NumPy backpropagation code.")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bplint {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """Static bug finder for handwritten NumPy backpropagation code."""


def _codes(values: Optional[List[str]]) -> List[str]:
    return [code for value in values or [] for code in value.split(",") if code.strip()]


def _resolve_config(paths: List[str], config_path: Optional[Path], no_config: bool) -> Config:
    known = list(catalogue())
    if no_config:
        return Config()
    if config_path is not None:
        return load_config(config_path, known)
    found = find_pyproject(Path(paths[0]) if paths else Path.cwd())
    return load_config(found, known) if found else Config()


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_ERROR)


def _open_output(path: Path) -> TextIO:
    """The ``--output-file``, opened before the analysis so that a bad path fails at once."""
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        _fail(f"bplint: error: cannot write `{path}`: {exc.strerror or type(exc).__name__}")
        raise  # unreachable: _fail exits


@app.command()
def check(
    paths: Optional[List[str]] = typer.Argument(None, help="Files or folders to check (default: .)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these codes or prefixes (comma-separated)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these codes or prefixes (comma-separated)."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", help="More file or folder patterns to skip."),
    output_format: str = typer.Option("text", "--format", help="Output format: text, json, sarif (SARIF 2.1.0) or github (GitHub Actions annotations)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Findings only, no summary line."),
    config_path: Optional[Path] = typer.Option(None, "--config", help="Read settings from this TOML file."),
    no_config: bool = typer.Option(False, "--no-config", help="Ignore pyproject.toml settings."),
    statistics: bool = typer.Option(False, "--statistics", help="Count the findings per rule instead of listing them."),
    show_source: bool = typer.Option(False, "--show-source", help="Show each finding's source line, carets under it and a fix hint (text format)."),
    output_file: Optional[Path] = typer.Option(None, "--output-file", "-o", help="Write the report to this file instead of stdout."),
    fix: bool = typer.Option(False, "--fix", help="Apply safe fixes to the files, then report what is left."),
    diff: bool = typer.Option(False, "--diff", help="Print the fixes as a unified diff; write nothing."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="Also apply (or show) fixes that may change the program's meaning."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Processes to check files in (default: one per core; 1: no extra processes)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write .bplint_cache/ (also: BPLINT_NO_CACHE=1)."),
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", help="The name to report the program read from stdin (`-`) under."),
) -> None:
    """Check Python files for backpropagation bugs (`-` reads a program from stdin)."""
    from bplint.engine import Result, check_paths, check_stdin
    from bplint.parallel import default_jobs
    from bplint.report import FORMATS
    from bplint.report.terminal import render_report, use_colour

    paths = list(paths or (["-"] if stdin_filename else ["."]))
    read_stdin = "-" in paths
    files = [path for path in paths if path != "-"]
    if output_format not in FORMATS:
        _fail(f"bplint: error: unknown format `{output_format}` (choose from {', '.join(FORMATS)})")
    if read_stdin and (fix or diff):
        _fail("bplint: error: --fix and --diff rewrite files; they cannot read stdin (`-`)")
    try:
        config = _resolve_config([stdin_filename or p if p == "-" else p for p in paths],
                                 config_path, no_config)
        known = list(catalogue())
        if select:
            config.select = validate_codes(_codes(select), known, "bplint: error: --select")
        config.ignore += validate_codes(_codes(ignore), known, "bplint: error: --ignore")
    except ConfigError as exc:
        _fail(str(exc))
    config.exclude += _codes(exclude)
    sink = _open_output(output_file) if output_file is not None else None
    if diff:
        _show_diff(paths, config, unsafe_fixes, sink)
    fixed = None
    if fix:
        from bplint.autofix import fix_paths

        outcome = fix_paths(paths, config, unsafe_fixes, write=True)
        result, fixed = outcome.result, outcome.fixed
    else:
        result = check_paths(files, config, jobs=jobs or default_jobs(),
                             cache=None if no_cache else _cache(config),
                             progress=_progress_bar) if files else Result()
        if read_stdin:
            data = typer.get_binary_stream("stdin").read()
            result.add(check_stdin(stdin_filename or "-", data, config))
            result.findings.sort(key=lambda finding: finding.sort_key())
    colour = sink is None and output_format == "text" and use_colour(sys.stdout)
    report = render_report(result.findings, output_format, quiet=quiet, statistics=statistics,
                           show_source=show_source, colour=colour, fixed=fixed,
                           unsafe_fixes=unsafe_fixes)
    if sink is None:
        sys.stdout.write(report)
    else:
        with sink:
            sink.write(report)
    for error in result.errors:
        typer.echo(error.render(), err=True)
    if result.errors:
        raise typer.Exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


def _cache(config: Config):
    """The cache in the project's root (the folder of its pyproject.toml) or the current folder."""
    if os.environ.get("BPLINT_NO_CACHE"):
        return None
    from bplint.cache import Cache

    return Cache(config.root or Path.cwd(), config)


def _progress_bar(total: int):
    """A progress bar on stderr for many files, when stderr is a terminal; else nothing."""
    if total < 50 or not sys.stderr.isatty():
        return None
    bar = typer.progressbar(length=total, file=sys.stderr, label="checking")
    bar.__enter__()
    done = [0]

    def tick(count: int) -> None:
        bar.update(count)
        done[0] += count
        if done[0] >= total:
            bar.__exit__(None, None, None)

    return tick


def _show_diff(paths: List[str], config: Config, unsafe: bool, sink) -> None:
    """``--diff``: the fixes as a unified diff, nothing written; exit 1 when there is one."""
    from bplint.autofix import fix_paths

    outcome = fix_paths(paths, config, unsafe, write=False)
    text = "".join(outcome.diffs)
    if outcome.diffs:
        count = "1 problem" if outcome.fixed == 1 else f"{outcome.fixed} problems"
        text += f"\nWould fix {count}.\n"
    if sink is None:
        sys.stdout.write(text)
    else:
        with sink:
            sink.write(text)
    for error in outcome.result.errors:
        typer.echo(error.render(), err=True)
    if outcome.result.errors:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if outcome.diffs else EXIT_CLEAN)


@app.command()
def shapes(
    path: str = typer.Argument(..., help="A Python file."),
    output_format: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Show the shape bplint infers for every assigned array, by function ("?" where unknown)."""
    from bplint.engine import infer_shapes
    from bplint.report.shapes_table import render_shapes_json, render_shapes_text

    if output_format not in ("text", "json"):
        _fail(f"bplint: error: unknown format `{output_format}` (choose from text, json)")
    rows, errors = infer_shapes(path)
    for error in errors:
        typer.echo(error.render(), err=True)
    if errors:
        raise typer.Exit(EXIT_ERROR)
    render = render_shapes_json if output_format == "json" else render_shapes_text
    sys.stdout.write(render(path, rows))


@app.command()
def gradcheck(
    script: str = typer.Argument(..., help="A Python file that defines a network class."),
    class_name: Optional[str] = typer.Option(None, "--class", help="Check only this class."),
    init: Optional[str] = typer.Option(None, "--init", help='Constructor arguments, e.g. "input_size=3,hidden_size=4,output_size=2" (values are Python expressions).'),
    input_shape: Optional[str] = typer.Option(None, "--input-shape", help="The inputs' shape, e.g. 5,3."),
    loss: Optional[str] = typer.Option(None, "--loss", help="mse, cross-entropy (ce) or the name of a loss method of the class (default: the class's loss method, else the better fit)."),
    timeout: float = typer.Option(20.0, "--timeout", min=0.1, help="Seconds before the check is stopped."),
) -> None:
    """Check each network's training step against finite differences of its loss.

    This EXECUTES code from SCRIPT (its imports, functions, classes and simple constants, never its other module-level statements), in a subprocess. `bplint check` never executes anything.
    """
    from bplint.gradcheck.command import run_gradcheck

    raise typer.Exit(run_gradcheck(script, class_name, init, input_shape, loss, timeout))


@app.command()
def rules() -> None:
    """List every rule: code, name, severity and summary."""
    docs = list(catalogue().values())
    width = max(len(doc.name) for doc in docs)
    for doc in docs:
        typer.echo(f"{doc.code}  {doc.name:<{width}}  {doc.severity:<8} {doc.summary}")


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code, such as BP301.")) -> None:
    """Show a rule's documentation."""
    doc = catalogue().get(code.strip().upper())
    if doc is None:
        _fail(f"bplint: error: unknown rule `{code}` (see `bplint rules`)")
    typer.echo(doc.text.rstrip("\n"))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        sys.stderr.write(f"bplint: error: internal error ({type(exc).__name__}); please report\n")
        sys.exit(EXIT_ERROR)
