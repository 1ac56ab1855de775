"""Deterministic corpora for the performance benchmarks (``bench/run.py``, ``bench/linearity.py``).

- NN: handwritten NumPy network code, made by varying the correct programs in ``fixtures/``
  (files named ``ok_*``, or with no ``# expect:`` marker; the ``bad_*`` files that only carry a
  ``# known-miss:`` marker are buggy and left out). Each variant renames every identifier the
  program binds (variables, parameters, functions, classes, attributes it stores) consistently,
  with a tag so that programs concatenated into one file do not collide; method names keep
  their prefix (``forward_k3``), since bplint reads roles from them. Hidden sizes, learning
  rates, epoch counts and seeds written as literals are redrawn. Markers are stripped.
  Activations and layer counts are not varied: that would need a matching derivative.
- plain: a seeded subset of the standard library's own sources (no tests, no site-packages,
  only files that compile under this Python).

Everything is seeded: the same Python and fixtures give the same bytes.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import keyword
import random
import re
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import libcst as cst

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FIXTURES = ROOT / "fixtures"
CACHE = BENCH / ".cache" / "perf"
SEED = 20240601

_MARKER = re.compile(r"[ \t]*#\s*(?:expect|known-miss|false-positive):[^\n]*")
_FUTURE = re.compile(r"^from __future__ import [^\n]*\n", re.MULTILINE)
# Attribute names of arrays, lists and dicts: never renamed, or `x.T` would become `x.T_k3`.
_KEEP = {"self", "cls", "T", "shape", "size", "ndim", "dtype", "flat", "real", "imag", "copy",
         "append", "extend", "pop", "insert", "keys", "values", "items", "get", "update",
         "reshape", "sum", "mean", "max", "min", "dot", "ravel", "flatten", "astype", "fill",
         "item", "clip", "argmax", "std", "var", "transpose", "squeeze", "tolist", "any", "all"}
_RESERVED = set(dir(builtins)) | set(keyword.kwlist) | _KEEP

HIDDEN_SIZES = [4, 8, 16, 32, 64]
LEARNING_RATES = ["0.001", "0.005", "0.01", "0.05", "0.1", "0.5"]
EPOCHS = [200, 500, 1000, 2000, 5000, 10000]


def correct_fixtures() -> List[Path]:
    """The correct programs of fixtures/, sorted."""
    found = []
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("ok_") or ("# expect:" not in text and "# known-miss:" not in text):
            found.append(path)
    return found


def count_lines(text: str) -> int:
    return len(text.splitlines())


@dataclass
class Program:
    """One fixture, parsed once, with what may be renamed."""

    name: str
    module: cst.Module
    names: Set[str]        # every identifier the program binds and may rename
    attributes: Set[str]   # those also used as attributes (`self.W1`, methods)
    callables: Set[str]    # functions and classes: renamed keeping their prefix; keywords too
    imported: Set[str]

    @classmethod
    def load(cls, path: Path) -> "Program":
        text = _FUTURE.sub("", _MARKER.sub("", path.read_text(encoding="utf-8")))
        tree = ast.parse(text)
        names, attributes, callables, imported, strings = set(), set(), set(), set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                callables.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                names.update(node.names)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                attributes.add(node.attr)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            if isinstance(node, ast.ClassDef):  # class-level names are attributes too
                for item in node.body:
                    for sub in ast.walk(item) if not isinstance(item, ast.FunctionDef) else [item]:
                        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                            attributes.add(sub.id)
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        attributes.add(item.name)
        # Names that also appear as whole strings (`getattr(self, "W1")`, `params["W1"]`) stay.
        drop = _RESERVED | imported | strings
        keep = lambda s: {n for n in s if n not in drop and not n.startswith("__")}  # noqa: E731
        names = keep(names | attributes)
        return cls(path.stem, cst.parse_module(text), names, keep(attributes), callables, imported)


def _new_name(name: str, tag: str, style: str, callable_: bool) -> str:
    if style == "camel" and not callable_ and "_" in name.strip("_"):
        head, *rest = name.split("_")
        return head + "".join(part.capitalize() for part in rest) + tag.capitalize()
    return f"{name}_{tag}"


def _root_name(node: cst.BaseExpression) -> str:
    while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else ""


def _callee(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _literal(value: cst.BaseExpression, kind: str, rng: random.Random) -> cst.BaseExpression:
    """A redrawn literal for a hidden size, learning rate or epoch count, or ``value`` itself."""
    if kind == "hidden" and isinstance(value, cst.Integer):
        return cst.Integer(str(rng.choice(HIDDEN_SIZES)))
    if kind == "lr" and isinstance(value, cst.Float):
        return cst.Float(rng.choice(LEARNING_RATES))
    if kind == "epochs" and isinstance(value, cst.Integer) and int(value.value, 0) >= 50:
        return cst.Integer(str(rng.choice(EPOCHS)))
    return value


def _kind(name: str) -> str:
    low = name.lower()
    if "hidden" in low and not any(w in low for w in ("weight", "layer", "idx", "index")):
        return "hidden"
    if low in {"lr", "eta", "alpha", "learningrate"} or "learning_rate" in low or low.startswith("lr_"):
        return "lr"
    if "epoch" in low or low in {"iterations", "n_iter", "num_iters", "iters", "steps"}:
        return "epochs"
    return ""


class _Vary(cst.CSTTransformer):
    def __init__(self, program: Program, mapping: Dict[str, str], rng: random.Random) -> None:
        super().__init__()
        self.p, self.map, self.rng = program, mapping, rng
        self.skip: Set[int] = set()  # Name nodes that are attributes or keywords: decided above

    def visit_Import(self, node) -> bool:
        return False

    def visit_ImportFrom(self, node) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if id(original) in self.skip or original.value not in self.map:
            return updated
        return updated.with_changes(value=self.map[original.value])

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        attr = original.attr.value
        if attr in self.p.attributes and _root_name(original.value) not in self.p.imported:
            return updated.with_changes(attr=cst.Name(self.map[attr]))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        callee = _callee(original.func)
        local = callee in self.p.callables
        args = []
        for old, new in zip(original.args, updated.args):
            if old.keyword is not None:
                value = _literal(new.value, _kind(old.keyword.value), self.rng)
                keyword = new.keyword
                if local and old.keyword.value in self.map:
                    keyword = cst.Name(self.map[old.keyword.value])
                new = new.with_changes(keyword=keyword, value=value)
            args.append(new)
        if callee == "seed" and args and isinstance(args[0].value, cst.Integer):
            args[0] = args[0].with_changes(value=cst.Integer(str(self.rng.randrange(1000))))
        return updated.with_changes(args=args)

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        if updated.default is None:
            return updated
        return updated.with_changes(default=_literal(updated.default, _kind(original.name.value), self.rng))

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        target = original.targets[0].target
        name = target.value if isinstance(target, cst.Name) else (
            target.attr.value if isinstance(target, cst.Attribute) else "")
        if len(original.targets) != 1 or not name:
            return updated
        return updated.with_changes(value=_literal(updated.value, _kind(name), self.rng))


def vary(program: Program, rng: random.Random, tag: str) -> str:
    """The program with its names tagged (so that variants never collide) and literals redrawn."""
    style = rng.choice(["suffix", "camel"])
    mapping: Dict[str, str] = {}
    for name in sorted(program.names):
        new = _new_name(name, tag, style, name in program.callables)
        mapping[name] = new if new not in mapping.values() else f"{name}_{tag}"
    return program.module.visit(_Vary(program, mapping, rng)).code


_PROGRAMS: List[Program] = []


def programs() -> List[Program]:
    if not _PROGRAMS:
        _PROGRAMS.extend(Program.load(path) for path in correct_fixtures())
    return _PROGRAMS


def network_programs(seed: int) -> Iterator[str]:
    """An endless, seeded stream of varied network programs, each tagged uniquely."""
    rng = random.Random(seed)
    pool = programs()
    for index in range(10**9):
        yield vary(rng.choice(pool), rng, f"p{index:x}")


def network_file(target_lines: int, seed: int = SEED) -> str:
    """One file of at least ``target_lines`` lines: varied programs one after the other. The
    same seed gives the same programs in the same order, so a smaller file is a prefix."""
    parts, lines = [], 0
    for text in network_programs(seed):
        parts.append(text)
        lines += count_lines(text)
        if lines >= target_lines:
            return "\n\n".join(parts)
    raise AssertionError("unreachable")


def build_network_file(path: Path, target_lines: int, seed: int = SEED) -> int:
    """Write :func:`network_file` to ``path`` (reused while unchanged); returns its lines."""
    stamp, marker = _stamp("nn", target_lines, seed), path.with_suffix(".stamp")
    if not (path.is_file() and marker.is_file() and marker.read_text() == stamp):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(network_file(target_lines, seed), encoding="utf-8")
        marker.write_text(stamp)
    return count_lines(path.read_text(encoding="utf-8"))


def _stamp(kind: str, *params) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(repr((kind, params)).encode())
    if kind == "nn":
        for path in correct_fixtures():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _cached(dest: Path, stamp: str) -> Tuple[int, int] | None:
    marker = dest / ".stamp"
    if marker.is_file():
        saved, files, lines = marker.read_text().split()
        if saved == stamp:
            return int(files), int(lines)
    return None


def _finish(dest: Path, stamp: str, files: int, lines: int) -> Tuple[int, int]:
    (dest / ".stamp").write_text(f"{stamp} {files} {lines}\n")
    return files, lines


def build_nn_corpus(dest: Path, target_lines: int, seed: int = SEED) -> Tuple[int, int]:
    """Files of 1-3 varied programs (40-100 lines wanted each) until ``target_lines`` lines,
    100 files per folder. Returns (files, lines); reuses an identical earlier build."""
    stamp = _stamp("nn", target_lines, seed)
    if (done := _cached(dest, stamp)) is not None:
        return done
    shutil.rmtree(dest, ignore_errors=True)
    rng = random.Random(seed)
    stream = network_programs(seed + 1)
    files = lines = 0
    while lines < target_lines:
        want, parts, size = rng.randint(40, 100), [], 0
        while size < want:
            parts.append(next(stream))
            size += count_lines(parts[-1])
        text = "\n\n".join(parts)
        path = dest / f"d{files // 100:02d}" / f"net_{files:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files, lines = files + 1, lines + count_lines(text)
    return _finish(dest, stamp, files, lines)


def _stdlib_candidates() -> List[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    skip = {"test", "tests", "idle_test", "site-packages", "__pycache__", "lib2to3"}
    found = []
    for path in sorted(stdlib.rglob("*.py")):
        rel = path.relative_to(stdlib)
        if skip & set(rel.parts[:-1]) or rel.name.startswith("test_"):
            continue
        found.append(path)
    return found


def build_plain_corpus(dest: Path, target_lines: int, seed: int = SEED) -> Tuple[int, int]:
    """A seeded subset of the standard library of about ``target_lines`` lines, copied with
    its folders. Returns (files, lines)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    stamp = _stamp("plain", target_lines, seed, str(stdlib))
    if (done := _cached(dest, stamp)) is not None:
        return done
    shutil.rmtree(dest, ignore_errors=True)
    candidates = _stdlib_candidates()
    random.Random(seed).shuffle(candidates)
    files = lines = 0
    for path in candidates:
        if lines >= target_lines:
            break
        data = path.read_bytes()
        try:
            compile(data, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        target = dest / path.relative_to(stdlib)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files, lines = files + 1, lines + count_lines(data.decode("utf-8", "replace"))
    return _finish(dest, stamp, files, lines)


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print("nn", build_nn_corpus(CACHE / "nn", size))
    print("plain", build_plain_corpus(CACHE / "plain", size))
