"""Frames and scopes: the values a function (or a module's top-level code) holds while it is
interpreted, the summaries functions share, and how a name is looked up (locals, enclosing
functions, the module's globals, the builtins)."""

from __future__ import annotations

import builtins
from typing import Dict, Optional

import libcst as cst

from bplint.analysis.values import BOTTOM, UNKNOWN, Source, Value, join
from bplint.model.units import Function

_BUILTINS = set(dir(builtins))


class Env:
    """The values (and reaching definitions) of the names and ``self.x`` attributes of a frame."""

    __slots__ = ("values", "definitions")

    def __init__(self, values=None, definitions=None) -> None:
        self.values: Dict[str, Value] = dict(values or {})
        self.definitions: Dict[str, Optional[cst.CSTNode]] = dict(definitions or {})

    def copy(self) -> "Env":
        return Env(self.values, self.definitions)

    def joined(self, other: "Env") -> "Env":
        values = dict(self.values)
        for key, value in other.values.items():
            values[key] = join(values[key], value) if key in values else value
        definitions = dict(self.definitions)
        for key, node in other.definitions.items():
            if key in definitions and definitions[key] is not node:
                definitions[key] = None
            else:
                definitions[key] = node
        return Env(values, definitions)

    def same_as(self, other: "Env") -> bool:
        return self.values == other.values


class Summaries:
    """What functions share: parameters passed, values returned, attributes, module globals.

    Every entry only grows (by join) from round to round, so the rounds reach a fixed point.
    """

    TABLES = ("params", "returns", "attributes", "globals")

    def __init__(self) -> None:
        self.tables = {name: {} for name in self.TABLES}
        self.changed = False

    def get(self, table: str, key, default=None):
        return self.tables[table].get(key, default)

    def contains(self, table: str, key) -> bool:
        return key in self.tables[table]

    def join_into(self, table: str, key, value: Value) -> None:
        entries = self.tables[table]
        old = entries.get(key)
        new = value if old is None else join(old, value)
        if new != old:
            entries[key] = new
            self.changed = True


class Frame:
    """A function's (or a module's top-level code's) values while it is interpreted; ``module``
    is the key of the module whose globals its free names read."""

    def __init__(self, function: Optional[Function], env: Env, module: str = "") -> None:
        self.function = function
        self.env = env
        self.module = function.module if function is not None else module
        self.returned = BOTTOM
        self.yielded = BOTTOM
        # Parameters updated in this frame and not used by a forward pass since: location -> update.
        self.updated: Dict[str, cst.CSTNode] = {}


class Scopes:
    """Part of :class:`~bplint.analysis.interpreter.Interpreter` (whose state it reads and writes):
    names read and stored in frames and modules."""

    def lookup(self, name: str) -> Value:
        env = self.frame.env
        if name in env.values:
            return env.values[name]
        function = self.frame.function
        if function is not None:
            if name in function.bindings and name not in function.declared_global:
                return BOTTOM
            if function.parent is not None and function.parent.resolves(name):
                return self._enclosing(function, name)
        module = self.frame.module
        if self.summaries.contains("globals", (module, name)):
            return self.summaries.get("globals", (module, name))
        if name in self.model.bindings_of(module):
            return BOTTOM
        if name in _BUILTINS:
            return Value(source=Source.CONST, ref="builtins." + name)
        return UNKNOWN  # an undefined name (BP101 tells)

    def _note_enclosing(self, function: Optional[Function]) -> None:
        """Remember what a nested function's free names hold in the frame that defines it."""
        if function is None or function.parent is None or function.parent is not self.frame.function:
            return
        seen = self.enclosing_values.setdefault(function, {})
        for name, value in self.frame.env.values.items():
            seen[name] = join(seen[name], value) if name in seen else value

    def _enclosing(self, function: Function, name: str) -> Value:
        """A free name of a nested function: its value in the enclosing function."""
        scope = function
        while scope.parent is not None:
            parent = scope.parent
            if name in parent.bindings and name not in parent.declared_global:
                value = self.enclosing_values.get(scope, {}).get(name)
                if value is None:
                    value = self.final_locals.get(parent, {}).get(name)
                return UNKNOWN if value is None or value == BOTTOM else value
            scope = parent
        return UNKNOWN

    def _store_name(self, name: str, value: Value, statement) -> None:
        env = self.frame.env
        env.values[name] = value
        env.definitions[name] = statement
        function = self.frame.function
        if function is None or name in function.declared_global:
            self.summaries.join_into("globals", (self.frame.module, name), value)

    def _global_of(self, module: str, name: str) -> Value:
        """What a module of the program binds ``name`` to (unknown when it does not say)."""
        value = self.summaries.get("globals", (module, name))
        if value is not None:
            return value
        return BOTTOM if name in self.model.bindings_of(module) else UNKNOWN

    def _env_key(self, node) -> Optional[str]:
        if isinstance(node, cst.Name):
            return node.value
        function = self.frame.function
        self_name = function.self_name if function else None
        if (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and node.value.value == self_name):
            return "self." + node.attr.value
        return None
