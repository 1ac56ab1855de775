"""The command line: ``bplint check``, ``shapes``, ``gradcheck``, ``rules``, ``explain``.

Built on click directly (see pyproject.toml for why not typer); the heavy modules (libcst, the
analysis, the reporters) are imported inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, NoReturn, Optional, Sequence, TextIO

import click

from bplint import __version__
from bplint.catalogue import catalogue
from bplint.config import Config, ConfigError, find_pyproject, load_config, validate_codes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _version(context: click.Context, _option: click.Parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(f"bplint {__version__}")
        context.exit()


@click.group(no_args_is_help=True, context_settings={"help_option_names": ["--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
def app() -> None:
    """Static bug finder for handwritten NumPy backpropagation code."""


def _codes(values: Optional[Sequence[str]]) -> List[str]:
    return [code for value in values or [] for code in value.split(",") if code.strip()]


def _resolve_config(paths: List[str], config_path: Optional[Path], no_config: bool) -> Config:
    known = list(catalogue())
    if no_config:
        return Config()
    if config_path is not None:
        return load_config(config_path, known)
    found = find_pyproject(Path(paths[0]) if paths else Path.cwd())
    return load_config(found, known) if found else Config()


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_ERROR)


def _open_output(path: Path) -> TextIO:
    """The ``--output-file``, opened before the analysis so that a bad path fails at once."""
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        _fail(f"bplint: error: cannot write `{path}`: {exc.strerror or type(exc).__name__}")


@app.command()
@click.argument("paths", nargs=-1)
@click.option("--select", multiple=True, help="Only these codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes (comma-separated).")
@click.option("--exclude", multiple=True, help="More file or folder patterns to skip.")
@click.option("--format", "output_format", default="text", show_default=True,
              help="Output format: text, json, sarif (SARIF 2.1.0) or github (GitHub Actions annotations).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (not when a file could not be checked).")
@click.option("--quiet", "-q", is_flag=True, help="Findings only, no summary line.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Read settings from this TOML file.")
@click.option("--no-config", is_flag=True, help="Ignore pyproject.toml settings.")
@click.option("--statistics", is_flag=True, help="Count the findings per rule instead of listing them.")
@click.option("--show-source", is_flag=True, help="Show each finding's source line, carets under it and a fix hint (text format).")
@click.option("--output-file", "-o", type=click.Path(path_type=Path), help="Write the report to this file instead of stdout.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files, then report what is left.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (or show) fixes that may change the program's meaning.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes to check files in (default: one per core; 1: no extra processes).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .bplint_cache/ (also: BPLINT_NO_CACHE=1).")
@click.option("--stdin-filename", help="The name to report the program read from stdin (`-`) under.")
def check(paths: Sequence[str], select: Sequence[str], ignore: Sequence[str], exclude: Sequence[str],
          output_format: str, exit_zero: bool, quiet: bool, config_path: Optional[Path],
          no_config: bool, statistics: bool, show_source: bool, output_file: Optional[Path],
          fix: bool, diff: bool, unsafe_fixes: bool, jobs: Optional[int], no_cache: bool,
          stdin_filename: Optional[str]) -> None:
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
            data = sys.stdin.buffer.read()
            result.add(check_stdin(stdin_filename or "-", data, config))
            result.findings.sort(key=lambda finding: finding.sort_key())
    colour = sink is None and output_format == "text" and use_colour(sys.stdout)
    report = render_report(result.findings, output_format, quiet=quiet, statistics=statistics,
                           show_source=show_source, colour=colour, fixed=fixed,
                           unsafe_fixes=unsafe_fixes, errors=result.errors)
    if sink is None:
        sys.stdout.write(report)
    else:
        with sink:
            sink.write(report)
    if sink is not None or output_format != "text" or statistics:
        # The report holds them too, but not where a person reads the terminal.
        for error in sorted(result.errors, key=lambda e: e.sort_key()):
            click.echo(error.render(), err=True)
    if result.errors:  # not hidden by --exit-zero: the report is incomplete, not just failing
        sys.exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)


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
    bar = click.progressbar(length=total, file=sys.stderr, label="checking")
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
        click.echo(error.render(), err=True)
    if outcome.result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if outcome.diffs else EXIT_CLEAN)


@app.command()
@click.argument("path")
@click.option("--format", "output_format", default="text", show_default=True, help="Output format: text or json.")
def shapes(path: str, output_format: str) -> None:
    """Show the shape bplint infers for every assigned array, by function ("?" where unknown)."""
    from bplint.engine import infer_shapes
    from bplint.report.shapes_table import render_shapes_json, render_shapes_text

    if output_format not in ("text", "json"):
        _fail(f"bplint: error: unknown format `{output_format}` (choose from text, json)")
    try:
        config = _resolve_config([path], None, False)
    except ConfigError as exc:
        _fail(str(exc))
    rows, errors = infer_shapes(path, config)
    render = render_shapes_json if output_format == "json" else render_shapes_text
    if rows or not errors:  # a notebook's other cells, when one cell does not compile
        sys.stdout.write(render(path, rows))
    for error in errors:
        click.echo(error.render(), err=True)
    if errors:
        sys.exit(EXIT_ERROR)


@app.command()
@click.argument("paths", nargs=-1)
@click.option("--class", "class_name", help="Check only this class (a network, layer, loss or model).")
@click.option("--init", help='Constructor arguments of a network, e.g. "input_size=3,hidden_size=4,output_size=2" (values are Python expressions).')
@click.option("--input-shape", help="A network's inputs' shape, e.g. 5,3.")
@click.option("--loss", help="mse, cross-entropy (ce) or the name of a loss method of the network class (default: the class's loss method, else the better fit).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True, help="Seconds for each unit or network before its check is stopped.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format: text tables or a JSON array with one record per unit.")
def gradcheck(paths: Sequence[str], class_name: Optional[str], init: Optional[str],
              input_shape: Optional[str], loss: Optional[str], timeout: float,
              output_format: str) -> None:
    """Check every hand-written gradient against finite differences: forward/backward function pairs, layers, activations, losses, models and whole networks, in files, folders and notebooks.

    This EXECUTES code from the files (their imports, functions, classes and simple constants, never their other module-level statements), in a subprocess. `bplint check` never executes anything.
    """
    from bplint.gradcheck.command import run_gradcheck

    sys.exit(run_gradcheck(list(paths or ["."]), class_name, init, input_shape, loss, timeout,
                           output_format))


@app.command()
def rules() -> None:
    """List every rule: code, name, severity and summary."""
    docs = list(catalogue().values())
    width = max(len(doc.name) for doc in docs)
    for doc in docs:
        click.echo(f"{doc.code}  {doc.name:<{width}}  {doc.severity:<8} {doc.summary}")


@app.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show a rule's documentation."""
    doc = catalogue().get(code.strip().upper())
    if doc is None:
        _fail(f"bplint: error: unknown rule `{code}` (see `bplint rules`)")
    click.echo(doc.text.rstrip("\n"))


def main() -> None:
    try:
        app(prog_name="bplint")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        sys.stderr.write(f"bplint: error: internal error ({type(exc).__name__}); please report\n")
        sys.exit(EXIT_ERROR)
