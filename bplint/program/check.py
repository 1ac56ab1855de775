"""Checking the files of a program together: each module parsed and modelled once, one
interpretation of them all, then each checked file judged with it (reports about the other
modules are left out: a module read only for its facts reports nothing, not even that it does
not parse, which only leaves its facts unknown)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bplint.checks import Check
from bplint.config import Config
from bplint.diagnostics import FileError
from bplint.files import SourceFile, UnreadableFile, is_notebook, read_source
from bplint.judging import FileOutcome, judge
from bplint.model.program import program_model
from bplint.model.units import FileModel, ModulePart
from bplint.parsing import parse_for_checks
from bplint.program.finder import ModuleFinder, module_key
from bplint.program.grouping import Program
from bplint.program.imports import import_statements, statements_of


@dataclass(eq=False)
class _Member:
    path: str
    key: str
    checked: bool
    source: object = None  # SourceFile
    notebook: object = None  # the Notebook its source was joined from
    parsed: object = None  # parsing.Parsed
    error: Optional[FileError] = None
    # Where its imports lead among the program's modules, by (dots, dotted name).
    links: Dict[Tuple[int, str], str] = field(default_factory=dict)


def check_together(program: Program, config: Config, checks: Sequence[Check],
                   check_alone: Callable, texts: Optional[Dict[str, str]] = None) -> list:
    """(path, outcome) for each checked file; ``check_alone`` (the engine's ``check_file``)
    checks the files that are not part of the program's network code one by one (see
    :func:`_network_part`). ``texts`` stand for some modules' files (by key): an editor's
    unsaved buffer, a benchmark's mutant; those are always analysed."""
    texts = texts or {}
    members = _read_all(program, texts)
    finder = ModuleFinder(config.root, config.src)
    analysed = _network_part(members, finder, set(texts))
    model = _model(analysed, finder)
    analyse = _Once(model)
    several = sum(m.checked for m in analysed) > 1
    outcomes = []
    for member in members:
        if not member.checked:
            continue
        if member not in analysed:
            outcomes.append((member.path, check_alone(member.path, config, checks)))
            continue
        errors = [member.error] if member.error is not None else []
        findings: list = []
        if member.parsed is not None:
            seen = analyse.seen_from(member.parsed.model) if several else analyse
            findings, errors = judge(member.parsed, model, config, checks, member.key, seen)
        if member.notebook is not None:
            findings = [member.notebook.map_finding(f) for f in findings]
            errors = member.notebook.errors + [member.notebook.map_error(e) for e in errors]
        outcomes.append((member.path, FileOutcome(tuple(findings), tuple(errors),
                                                  member.source is not None)))
    return outcomes


def load_program(program: Program, config: Config) -> Tuple[List[_Member], Optional[FileModel]]:
    """The program's members, read, parsed and modelled, and the program's model (None when no
    member parses)."""
    members = _read_all(program, {})
    return members, _model(members, ModuleFinder(config.root, config.src))


def _read_all(program: Program, texts: Dict[str, str]) -> List[_Member]:
    return [_read(path, path in program.checked, texts.get(module_key(path)))
            for path in program.members]


def _link_all(members: List[_Member], finder: ModuleFinder) -> None:
    keys = {m.key for m in members}
    for member in members:
        if member.source is not None:
            member.links = _links(finder, member.key, import_statements(member.source.text), keys)


def _network_part(members: List[_Member], finder: ModuleFinder, edited) -> List[_Member]:
    """The members worth analysing together: those that use NumPy, the modules they import (a
    module of sizes and step constants), and the modules that import any of these, however
    indirectly (a script that builds and trains the network). A checked file outside it is checked alone, as it always was (only compiled
    when it cannot hold a network, see :mod:`bplint.prefilter`). Nothing, when no member uses
    NumPy: a folder of other code is checked file by file."""
    _link_all(members, finder)
    network = {m.key for m in members if m.source is not None
               and (m.key in edited or _NUMPY.search(m.source.text))}
    if not network:
        return []
    near = set(network)
    for member in members:
        if member.key in network:
            near |= set(member.links.values())
    grown = True
    while grown:
        grown = False
        for member in members:
            if member.key not in near and set(member.links.values()) & near:
                near.add(member.key)
                grown = True
    return [m for m in members if m.key in near and m.source is not None]


_NUMPY = re.compile(r"\bnumpy\b")


def _model(members: List[_Member], finder: ModuleFinder) -> Optional[FileModel]:
    """The program's model: its members that parse and that the checked files really import
    (through their parsed import statements, not an ``import`` the text scan read in a string)."""
    parsed = []
    for member in members:
        if member.source is None:
            continue
        member.parsed, error = _parsed(member)
        if error is not None:
            member.error = error
            continue
        parsed.append(member)
    keys = {m.key for m in parsed}
    for member in parsed:
        member.links = _links(finder, member.key, statements_of(member.parsed.model.imports), keys)
    reached = {m.key for m in parsed if m.checked}
    pending = list(reached)
    by_key = {m.key: m for m in parsed}
    while pending:
        for target in by_key[pending.pop()].links.values():
            if target in by_key and target not in reached:
                reached.add(target)
                pending.append(target)
    parts = [ModulePart(m.key, m.parsed.model, m.links) for m in parsed if m.key in reached]
    return program_model(parts) if parts else None


# Modules parsed in this process, by path and text: a module that several programs of one run
# import is parsed and modelled once (each program still interprets it with its own callers).
_PARSED: Dict[Tuple[str, str], tuple] = {}


def _parsed(member: _Member):
    if member.notebook is not None:  # its stand-ins and cell map belong to this reading
        return parse_for_checks(member.source)
    key = (member.path, member.source.text)
    if key not in _PARSED:
        _PARSED[key] = parse_for_checks(member.source)
    return _PARSED[key]


def _read(path: str, checked: bool, text: Optional[str] = None) -> _Member:
    member = _Member(path, module_key(path), checked)
    try:
        if text is not None:
            member.source = SourceFile(path, text)
        elif is_notebook(path):
            from bplint.notebooks import read_notebook

            member.notebook = read_notebook(path)
            member.source = member.notebook.source
        else:
            member.source = read_source(path)
    except UnreadableFile as exc:
        member.error = FileError(path, str(exc))
    return member


def _links(finder: ModuleFinder, key: str, statements, keys) -> Dict[Tuple[int, str], str]:
    """Where the module's imports lead, among the program's modules (and namespace folders)."""
    links: Dict[Tuple[int, str], str] = {}
    for statement in statements:
        for spec, found in finder.modules_of(Path(key), statement):
            target = module_key(found)
            if target in keys or found.is_dir():
                links.setdefault(spec, target)
    return links


class _Once:
    """The program's analysis, computed when a check first asks for it, then shared by every
    file (a failure too is kept, and raised again to each file that asks)."""

    def __init__(self, model) -> None:
        self.model = model
        self.result = None
        self.failure: Optional[BaseException] = None

    def __call__(self):
        if self.failure is not None:
            raise self.failure
        if self.result is None:
            from bplint.analysis.interpreter import interpret

            try:
                self.result = interpret(self.model)
            except Exception as exc:  # noqa: BLE001 - each file reports it, as when alone
                self.failure = exc
                raise
        return self.result

    def seen_from(self, module):
        """The analysis as one checked ``module`` sees it (see ``Analysis.seen_from``)."""
        return lambda: self().seen_from(module.holds)
