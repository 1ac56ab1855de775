"""What a fresh install gives a user: no warning from bplint's own imports, even under ``-W
error``, and a start-up that imports neither the analysis nor a heavy command-line library."""

from __future__ import annotations

import os
import subprocess
import sys

from bplint import __version__
from conftest import ASCENDING_SCRIPT


def _bplint(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, BPLINT_NO_CACHE="1")
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, "-W", "error", "-m", "bplint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


def test_warnings_as_errors_change_nothing(tmp_path):
    (tmp_path / "net.py").write_text(ASCENDING_SCRIPT, encoding="utf-8")
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    clean = _bplint("check", "--no-config", "clean.py", cwd=tmp_path)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "All checks passed.\n", "")
    buggy = _bplint("check", "--no-config", "-q", "net.py", cwd=tmp_path)
    assert (buggy.returncode, buggy.stderr) == (1, "")
    assert buggy.stdout.startswith("net.py:8:5: BP201 ")


def test_version_imports_no_analysis_and_no_heavy_cli_library(tmp_path):
    probe = ("import sys\n"
             "from bplint.cli import app\n"
             "try:\n"
             "    app(['--version'], prog_name='bplint')\n"
             "except SystemExit:\n"
             "    pass\n"
             "heavy = {'libcst', 'pydantic', 'rich', 'typer', 'bplint.analysis'}\n"
             "print(sorted(m for m in sys.modules if m in heavy))\n")
    done = subprocess.run([sys.executable, "-W", "error", "-c", probe], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"bplint {__version__}\n[]\n", "")


def test_every_package_is_installed():
    """pyproject.toml lists the packages by hand: a new subpackage left out would be missing
    from a (non-editable) `pip install .`."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib

    from conftest import ROOT

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "bplint").rglob("__init__.py")}
    assert found <= listed, found - listed


def _import_graph(root) -> dict:
    """Module -> the bplint modules it imports, anywhere in it (function-level imports too):
    ``from bplint.checks import layers`` imports the submodule, not the package."""
    import ast

    files = {}
    for path in (root / "bplint").rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        files[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    graph = {}
    for name, path in files.items():
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(files)
                whole = {node.module} if len(subs) < len(node.names) and node.module in files else set()
                graph[name].update(subs | whole)
        graph[name].discard(name)
    return graph


def test_no_import_cycles():
    """Modules import one way (the analysis never imports the checks that read it, the engine
    never comes back from the modules it drives)."""
    from conftest import ROOT

    graph = _import_graph(ROOT)
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join(path + [start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    assert not cycles, cycles[:3]
