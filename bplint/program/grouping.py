"""Gathering the checked files into programs: the files analysed together in one interpretation.

A checked file's program holds the project modules it imports, transitively. Checked files that
reach one another through imports (``train.py`` imports ``model.py``, which is checked too) are
one program, so that what ``train.py`` passes sizes ``model.py``'s weights and a sign flipped in
``optim.py`` is judged with the gradient ``solver.py`` hands it. A checked file that imports
nothing of the project is a program of its own, checked exactly as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence

from bplint.files import UnreadableFile, decode_source, is_notebook, read_bytes
from bplint.program.finder import ModuleFinder, module_key
from bplint.program.imports import ImportStatement, import_statements

# A program reads at most this many modules besides its checked files: beyond, imports are
# left unknown (a vendored library under the project folder must not make every run slow).
MAX_MODULES = 64
# Checked files that reach one another are analysed together up to this many modules; a larger
# program (a library's whole source tree) is checked file by file, as bplint checks a file that
# imports nothing: one joint fixed point over hundreds of modules costs several times more.
MAX_JOINT = 64


@dataclass(frozen=True)
class Program:
    """``members`` in the order they run (a module before the modules that import it), as
    paths; ``checked`` are those whose findings are reported, the others are read for facts."""

    members: tuple
    checked: FrozenSet[str]

    @property
    def single(self) -> bool:
        return len(self.members) == 1


def group_programs(files: Sequence[str], finder: ModuleFinder,
                   texts: Optional[Dict[str, str]] = None) -> List[Program]:
    """The programs of the checked ``files``, in the order of their first checked file;
    ``texts`` are modules' texts (by key) that stand for what is on disk (unsaved edits)."""
    keys = {module_key(path): path for path in files}
    graph = _ImportGraph(finder, texts or {})
    reach = {path: graph.closure(path) for path in files}
    parent = {path: path for path in files}

    def top(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for path in files:
        for reached in reach[path]:
            other = keys.get(reached)
            if other is not None and top(other) != top(path):
                parent[top(other)] = top(path)
    groups: Dict[str, List[str]] = {}
    for path in files:
        groups.setdefault(top(path), []).append(path)
    programs = []
    for checked in groups.values():
        members = graph.run_order(checked, keys)
        if len(members) > MAX_JOINT:
            programs.extend(Program((path,), frozenset([path])) for path in checked)
        else:
            programs.append(Program(tuple(members), frozenset(checked)))
    return programs


class _ImportGraph:
    def __init__(self, finder: ModuleFinder, texts: Dict[str, str]) -> None:
        self.finder = finder
        self.texts = texts
        self._edges: Dict[str, List[str]] = {}

    def imported(self, key: str) -> List[str]:
        """The project files a module's imports reach, by key, in the order written."""
        if key not in self._edges:
            reached: List[str] = []
            text = self.texts.get(key)
            for statement in (import_statements(text) if text is not None else _statements(key)):
                for _, found in self.finder.modules_of(Path(key), statement):
                    target = module_key(found)
                    if found.is_file() and target != key and target not in reached:
                        reached.append(target)
            self._edges[key] = reached
        return self._edges[key]

    def closure(self, path: str) -> List[str]:
        start = module_key(path)
        seen = {start}
        pending = [start]
        found: List[str] = []
        while pending and len(found) < MAX_MODULES:
            for target in self.imported(pending.pop()):
                if target not in seen:
                    seen.add(target)
                    found.append(target)
                    pending.append(target)
        return found

    def run_order(self, checked: List[str], keys: Dict[str, str]) -> List[str]:
        """Depth first from each checked file: imported modules before their importers (a cycle
        is broken where it is met), as paths (a checked file by the name it was given)."""
        order: List[str] = []
        state: Dict[str, bool] = {}

        def visit(key: str) -> None:
            if key in state or len(order) > MAX_MODULES + len(checked):
                return
            state[key] = False
            for target in self.imported(key):
                visit(target)
            state[key] = True
            order.append(keys.get(key, key))

        for path in checked:
            visit(module_key(path))
        return order


def _statements(key: str) -> List[ImportStatement]:
    try:
        data = read_bytes(key)
        text = _notebook_code(data) if is_notebook(key) else decode_source(data)
    except (UnreadableFile, ValueError):
        return []  # reported when the file is checked; a module read only for facts is unknown
    return import_statements(text)


def _notebook_code(data: bytes) -> str:
    document = json.loads(data)
    cells = document.get("cells", []) if isinstance(document, dict) else []
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append(source if isinstance(source, str) else "".join(map(str, source)))
    return "\n".join(sources)
