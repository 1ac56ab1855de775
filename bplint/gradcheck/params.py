"""A network's parameters: the float arrays its constructor stores on the instance.

Found as attributes, entries of dicts and lists held by attributes, and attributes of the script's
own objects held there (a list of layers), two levels deep. A path such as
``(("attr", "params"), ("item", "W1"))`` names each one; ``params['W1']`` is how it is shown.
Python floats are candidates too (a scalar bias ``self.b = 0.0``).
"""

from __future__ import annotations

from typing import Iterator, List, Tuple

import numpy as np

Path = Tuple[Tuple[str, object], ...]


def _is_float_array(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0


def _is_scalar(value: object) -> bool:
    return isinstance(value, (float, np.floating)) and not isinstance(value, bool)


def _walk(value: object, path: Path, module: str, depth: int) -> Iterator[Path]:
    if _is_float_array(value) or _is_scalar(value):
        yield path
    elif depth >= 2:
        return
    elif isinstance(value, dict):
        for key, item in list(value.items()):
            if isinstance(key, (str, int)):
                yield from _walk(item, path + (("item", key),), module, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, path + (("item", index),), module, depth + 1)
    elif type(value).__module__ == module and hasattr(value, "__dict__"):
        for name, item in list(vars(value).items()):
            yield from _walk(item, path + (("attr", name),), module, depth + 1)


def candidates(instance: object) -> List[Path]:
    """Every float array or float on the instance, each object once (the first path wins)."""
    seen, paths = set(), []
    for name, value in list(vars(instance).items()):
        for path in _walk(value, (("attr", name),), type(instance).__module__, 0):
            obj = get(instance, path)
            if isinstance(obj, np.ndarray):
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
            paths.append(path)
    return paths


def get(instance: object, path: Path) -> object:
    value = instance
    for kind, key in path:
        value = getattr(value, key) if kind == "attr" else value[key]
    return value


def put(instance: object, path: Path, new: object) -> None:
    """Store ``new`` at ``path``: into the existing array when it can, else by rebinding."""
    current = get(instance, path)
    if isinstance(current, np.ndarray) and isinstance(new, np.ndarray) and current.shape == new.shape \
            and current.dtype == new.dtype:
        np.copyto(current, new)
        return
    holder = get(instance, path[:-1])
    kind, key = path[-1]
    if kind == "attr":
        setattr(holder, key, new)
    elif isinstance(holder, tuple):
        raise TypeError(f"cannot replace {display(path)} inside a tuple")
    else:
        holder[key] = new


def to_float64(instance: object) -> None:
    """Single-precision parameters become float64, for finite differences that can be trusted."""
    for path in candidates(instance):
        value = get(instance, path)
        if isinstance(value, np.ndarray) and value.dtype != np.float64:
            put(instance, path, value.astype(np.float64))


def display(path: Path) -> str:
    text = ""
    for kind, key in path:
        text += f".{key}" if kind == "attr" else f"[{key!r}]"
    return text.lstrip(".")


def copy(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.copy()
    return float(value) if np.ndim(value) == 0 else np.array(value, dtype=float)
