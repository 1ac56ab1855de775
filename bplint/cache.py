"""``.bplint_cache/``: findings of unchanged files, so a second run checks only what changed.

An entry is keyed on the file's path and bytes, those of the other files of its program, bplint's version and the effective configuration
(the rules selected and ignored, per file), so any change to one of them is a miss. The cache is
one JSON file per bplint version, read at start and written once at the end (atomically); a
cache that cannot be read or written is ignored, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Dict, Optional, Sequence

from bplint import __version__
from bplint.config import Config
from bplint.diagnostics import Edit, FileError, Finding, Fix, Span

FOLDER = ".bplint_cache"


class Cache:
    def __init__(self, root: Path, config: Config) -> None:
        self.folder = root / FOLDER
        self.file = self.folder / __version__ / "findings.json"
        self.config_key = json.dumps([config.select, config.ignore, sorted(config.per_file_ignores.items()),
                                      str(config.root)], default=str)
        self.entries: Dict[str, dict] = self._load()
        self.keys: Dict[str, str] = {}
        self.changed = False

    def _load(self) -> Dict[str, dict]:
        try:
            return json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _key(self, path: str, program: Sequence[str] = ()) -> Optional[str]:
        try:
            data = Path(path).read_bytes()
            others = [Path(member).read_bytes() for member in program if member != path]
        except OSError:
            return None
        digest = hashlib.sha256()
        for part in (_code_stamp(), self.config_key, os.path.abspath(path), *program):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for content in (data, *others):
            digest.update(hashlib.sha256(content).digest())
        return digest.hexdigest()

    def get(self, path: str, program: Sequence[str] = ()):
        """The cached outcome of the file as it is now, in its program as it is now (the files
        analysed with it: a change to any of them is a miss), or None."""
        key = self._key(path, program)
        if key is None:
            return None
        self.keys[path] = key
        record = self.entries.get(key)
        return _outcome(record) if record is not None else None

    def put(self, path: str, outcome) -> None:
        key = self.keys.get(path)
        if key is not None and outcome.checked:
            self.entries[key] = {"findings": [asdict(f) for f in outcome.findings],
                                 "errors": [asdict(e) for e in outcome.errors]}
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by bplint\n*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
        except OSError:
            return  # a read-only checkout: no cache, same findings
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(self.entries, stream)
            os.replace(temporary, self.file)
        except OSError:
            if os.path.exists(temporary):
                os.unlink(temporary)


_STAMP: list = []


def _code_stamp() -> str:
    """bplint's version and the state of its own code and rule documents (their names, sizes and
    modification times), so that an edited checkout never answers from an older bplint's cache."""
    if not _STAMP:
        import bplint
        from importlib import resources

        package = Path(bplint.__file__).parent
        files = sorted(package.rglob("*.py")) + sorted(Path(str(resources.files("bplint.rules"))).glob("*.md"))
        stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
        _STAMP.append(__version__ + hashlib.sha256(repr(stats).encode()).hexdigest())
    return _STAMP[0]


def _outcome(record: dict):
    from bplint.engine import FileOutcome

    return FileOutcome(tuple(_finding(f) for f in record["findings"]),
                       tuple(FileError(**e) for e in record["errors"]), True)


def _finding(record: dict) -> Finding:
    fix = record.get("fix")
    if fix is not None:
        fix = Fix(fix["applicability"], fix["message"],
                  tuple(Edit(Span(**e["span"]), e["content"]) for e in fix["edits"]))
    return Finding(record["path"], Span(**record["span"]), record["code"], record["name"],
                   record["severity"], record["message"], fix, record.get("cell"),
                   record.get("hint"))
