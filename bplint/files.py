"""Finding the files to check and reading them as text."""

from __future__ import annotations

import fnmatch
import io
import os
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from bplint.diagnostics import FileError

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".venv", "venv", "env", ".tox", ".nox", "build", "dist",
    "__pycache__", "node_modules", "site-packages", ".eggs", ".ipynb_checkpoints",
)
# What folders are searched for: Python files and Jupyter notebooks.
SUFFIXES = (".py", ".ipynb")


class UnreadableFile(Exception):
    """The file cannot be turned into text; the message is the reason shown to the user."""


@dataclass
class SourceFile:
    path: str
    text: str
    lines: List[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def line(self, row: int) -> str:
        return self.lines[row - 1] if 0 < row <= len(self.lines) else ""


def _excluded(path: Path, patterns: Sequence[str], root: Optional[Path]) -> bool:
    posix = path.as_posix()
    if root is not None:
        try:
            posix = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(posix, pattern):
            return True
        if fnmatch.fnmatch(posix, pattern + "/*") or fnmatch.fnmatch(posix, "*/" + pattern):
            return True
    return False


def discover(paths: Iterable[str], excludes: Sequence[str],
             root: Optional[Path] = None) -> Tuple[List[str], List[FileError]]:
    """The Python files and notebooks named by ``paths``: files as given, folders searched
    recursively for ``*.py`` and ``*.ipynb``.

    Excludes apply to what is found inside folders; a file named explicitly is always checked,
    as in ruff and flake8. Patterns match a file or folder name, or its path relative to ``root``
    (the folder of the configuration that lists them).
    """
    patterns = list(DEFAULT_EXCLUDES) + list(excludes)
    found: List[str] = []
    errors: List[FileError] = []
    for given in paths:
        if Path(given).is_dir():
            found.extend(_walk(Path(given), patterns, root))
        elif Path(given).exists():
            found.append(given)
        else:
            errors.append(FileError(given, "no such file or directory"))
    unique = sorted(set(os.path.normpath(p) for p in found))
    return unique, errors


def _walk(top: Path, patterns: Sequence[str], root: Optional[Path]) -> List[str]:
    files = []
    for folder, dirnames, filenames in os.walk(top):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not _excluded(here / d, patterns, root))
        for name in filenames:
            candidate = here / name
            if name.endswith(SUFFIXES) and not _excluded(candidate, patterns, root):
                files.append(str(candidate))
    return files


def is_notebook(path: str) -> bool:
    """A Jupyter notebook, read by :mod:`bplint.notebooks` rather than as Python source."""
    return path.lower().endswith(".ipynb")


def read_source(path: str) -> SourceFile:
    """Read a file as text, honouring a BOM or a PEP 263 coding cookie."""
    return SourceFile(path, decode_source(read_bytes(path)))


def read_bytes(path: str) -> bytes:
    """The bytes of a file, or :class:`UnreadableFile` saying why not."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except IsADirectoryError:
        raise UnreadableFile("is a directory") from None
    except FileNotFoundError:
        raise UnreadableFile("no such file or directory") from None
    except OSError as exc:
        raise UnreadableFile(exc.strerror or "cannot be read") from None
    return data


def decode_source(data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableFile("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise UnreadableFile(f"cannot determine the encoding: {exc.msg}") from None
        encoding = "utf-8"  # undecodable first lines and no cookie: say so below
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-8", "utf-8-sig"):
            reason = (f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}) "
                      "and no coding cookie declares another encoding")
        else:
            reason = f"not valid {encoding} as its coding cookie declares"
        raise UnreadableFile(reason) from None
