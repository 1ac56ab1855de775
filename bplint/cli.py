"""The command line: ``bplint check``, ``bplint rules``, ``bplint explain``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

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


@app.command()
def check(
    paths: Optional[List[str]] = typer.Argument(None, help="Files or folders to check (default: .)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these codes or prefixes (comma-separated)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these codes or prefixes (comma-separated)."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", help="More file or folder patterns to skip."),
    output_format: str = typer.Option("text", "--format", help="Output format: text or json."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Findings only, no summary line."),
    config_path: Optional[Path] = typer.Option(None, "--config", help="Read settings from this TOML file."),
    no_config: bool = typer.Option(False, "--no-config", help="Ignore pyproject.toml settings."),
) -> None:
    """Check Python files for backpropagation bugs."""
    from bplint.engine import check_paths
    from bplint.report import FORMATS

    paths = list(paths or ["."])
    if output_format not in FORMATS:
        _fail(f"bplint: error: unknown format `{output_format}` (choose from {', '.join(FORMATS)})")
    try:
        config = _resolve_config(paths, config_path, no_config)
        known = list(catalogue())
        if select:
            config.select = validate_codes(_codes(select), known, "bplint: error: --select")
        config.ignore += validate_codes(_codes(ignore), known, "bplint: error: --ignore")
    except ConfigError as exc:
        _fail(str(exc))
    config.exclude += _codes(exclude)
    result = check_paths(paths, config)
    sys.stdout.write(FORMATS[output_format](result.findings, quiet=quiet))
    for error in result.errors:
        typer.echo(error.render(), err=True)
    if result.errors:
        raise typer.Exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


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
