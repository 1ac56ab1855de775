"""Where a project's imports lead: files of the project, found as Python would find them.

The roots an absolute import is looked for in, in order: the importing file's folder (a script's
``sys.path[0]``); the folder above its top package (the folders up from it that hold an
``__init__.py``); then the project's source roots: ``[tool.bplint] src`` when given, relative to
the configuration's folder, else the project folder and its ``src/`` (as ruff's ``src``). The
project folder is the configuration's folder, or the nearest one up that holds a
``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``.git``. A relative import is looked for from
the importing file's package. Installed packages are never read: a name found in no root (NumPy,
the standard library, anything installed) is outside the program.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bplint.program.imports import ImportStatement

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def module_key(path) -> str:
    """One name per file however it is reached (``./a.py``, ``pkg/../a.py``, a link)."""
    return os.path.realpath(path)


class ModuleFinder:
    def __init__(self, root: Optional[Path] = None, src: Optional[Sequence[str]] = None) -> None:
        self.root = Path(module_key(root)) if root is not None else None
        self.src = list(src) if src is not None else None
        self._roots: Dict[Path, Tuple[Path, ...]] = {}
        self._found: Dict[Tuple[Path, str], Optional[Path]] = {}

    def roots(self, importer: Path) -> Tuple[Path, ...]:
        folder = Path(module_key(importer)).parent
        if folder not in self._roots:
            top = folder
            while (top / "__init__.py").is_file() and top.parent != top:
                top = top.parent
            project = self.root or _project_folder(folder)
            sources = [project / s for s in self.src] if self.src is not None \
                else [project, project / "src"]
            ordered: List[Path] = []
            for candidate in (folder, top, *sources):
                if candidate not in ordered and candidate.is_dir():
                    ordered.append(candidate)
            self._roots[folder] = tuple(ordered)
        return self._roots[folder]

    def module(self, importer: Path, level: int, dotted: str) -> Optional[Path]:
        """The file (or namespace folder) ``from <level dots><dotted>`` names, if in the project."""
        if level:
            base = Path(module_key(importer)).parent
            for _ in range(level - 1):
                base = base.parent
            bases: Sequence[Path] = (base,)
        else:
            if not dotted:
                return None
            bases = self.roots(importer)
        for base in bases:
            found = self._at(base, dotted)
            if found is not None:
                return found
        return None

    def _at(self, base: Path, dotted: str) -> Optional[Path]:
        if (base, dotted) not in self._found:
            self._found[(base, dotted)] = _module_at(base, dotted)
        return self._found[(base, dotted)]

    def modules_of(self, importer: Path, statement: ImportStatement) -> List[Tuple[Tuple[int, str], Path]]:
        """What one statement reaches, each with the (level, dotted name) it is reached by: the
        module, the packages on its way (``import a.b`` runs ``a/__init__.py``), and imported
        names that are modules themselves (``from pkg import layers``)."""
        reached: List[Tuple[Tuple[int, str], Path]] = []
        parts = statement.module.split(".") if statement.module else []
        for end in range(1, len(parts) + 1):
            dotted = ".".join(parts[:end])
            found = self.module(importer, statement.level, dotted)
            if found is not None:
                reached.append(((statement.level, dotted), found))
        if statement.level and not parts:
            package = self.module(importer, statement.level, "")
            if package is not None:
                reached.append(((statement.level, ""), package))
        for name in statement.names:
            if name == "*":
                continue
            dotted = f"{statement.module}.{name}" if statement.module else name
            found = self.module(importer, statement.level, dotted)
            if found is not None:
                reached.append(((statement.level, dotted), found))
        return reached


def _module_at(base: Path, dotted: str) -> Optional[Path]:
    target = base.joinpath(*dotted.split(".")) if dotted else base
    if dotted:
        candidate = target.parent / (target.name + ".py")
        if candidate.is_file():
            return candidate
    package = target / "__init__.py"
    if package.is_file():
        return package
    if dotted and target.is_dir():
        return target  # a namespace package: a folder of modules without ``__init__.py``
    return None


def _project_folder(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder
