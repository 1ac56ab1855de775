"""Settings from ``[tool.bplint]`` in the nearest ``pyproject.toml`` and from the command line."""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

KNOWN_KEYS = ("select", "ignore", "exclude", "per-file-ignores", "src")


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the problem."""


@dataclass
class Config:
    select: List[str] = field(default_factory=lambda: ["BP"])
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    root: Optional[Path] = None
    source: Optional[Path] = None
    # The folders absolute imports are looked for in, relative to ``root`` (None: the project
    # folder and its ``src/``; see :mod:`bplint.program.finder`).
    src: Optional[List[str]] = None

    def enabled(self, code: str, path: Optional[str] = None) -> bool:
        """Whether ``code`` is reported; the most specific matching prefix decides, as in ruff."""
        ignore = list(self.ignore)
        if path is not None:
            ignore.extend(self.ignored_for(path))
        best_select = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
        return best_select >= 0 and best_select > best_ignore

    def ignored_for(self, path: str) -> List[str]:
        codes: List[str] = []
        for pattern, listed in self.per_file_ignores.items():
            if _matches(path, pattern, self.root):
                codes.extend(listed)
        return codes


def _matches(path: str, pattern: str, root: Optional[Path]) -> bool:
    candidate = Path(path)
    names = {candidate.name, candidate.as_posix()}
    if root is not None:
        try:
            names.add(candidate.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    return any(fnmatch.fnmatch(name, pattern) for name in names)


def validate_codes(codes: Sequence[str], known: Sequence[str], where: str) -> List[str]:
    result = []
    for code in codes:
        code = code.strip().upper()
        if not code:
            continue
        if not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: unknown rule code or prefix `{code}` "
                              f"(known: {', '.join(known)})")
        result.append(code)
    return result


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest ``pyproject.toml`` with a ``[tool.bplint]`` table, from ``start`` upward."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{pyproject}: error: invalid TOML: {exc}") from None
            if "bplint" in data.get("tool", {}):
                return pyproject
    return None


def load_config(path: Path, known_codes: Sequence[str]) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: error: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: error: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: error: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("bplint") if "tool" in data else None
    if table is None:
        table = data if path.name != "pyproject.toml" else {}
    where = f"{path}: error: [tool.bplint]"
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (known keys: {', '.join(KNOWN_KEYS)})")
    config = Config(root=path.parent, source=path)
    for key in ("select", "ignore", "exclude"):
        if key in table:
            value = table[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of strings")
            if key == "exclude":
                config.exclude = list(value)
            else:
                setattr(config, key, validate_codes(value, known_codes, f"{where} {key}"))
    if "src" in table:
        value = table["src"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: `src` must be a list of folders")
        config.src = list(value)
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where}: `per-file-ignores` must be a table of pattern = [codes]")
    for pattern, codes in per_file.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: per-file-ignores `{pattern}` must be a list of codes")
        config.per_file_ignores[pattern] = validate_codes(codes, known_codes,
                                                          f"{where} per-file-ignores")
    return config
