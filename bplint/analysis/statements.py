"""The interpreter's statements: blocks, branches and loops (iterated to a fixed point), imports
(a module of the program binds its values), assignments and updates (``W -= lr * dW``)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from bplint.analysis import direction as dirn
from bplint.analysis import shapes
from bplint.analysis.facts import CombinationFact, UpdateFact
from bplint.analysis.network_kinds import subtracts_its_max
from bplint.analysis.values import (
    ANY_KEY, BOTTOM, PROJECT, UNKNOWN, Direction, Source, Value, combine_sources,
    element_of, join,
)
from bplint.model.build import dotted_name
from bplint.model.locations import literal_key, location_key
from bplint.model.units import ClassModel

MAX_LOOP_PASSES = 6


def _class_value(cls: ClassModel) -> Value:
    return Value(source=Source.CONST, function=cls)


class Statements:
    """Part of :class:`~bplint.analysis.interpreter.Interpreter` (whose state it reads and writes):
    what each statement does to the frame's values, and what it tells the checks."""

    def _block(self, statements) -> None:
        for statement in statements:
            self._statement(statement)

    def _body(self, suite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self._block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self._small(small, suite)
        else:
            self._block(getattr(suite, "body", []))

    def _statement(self, statement) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self._small(small, statement)
            return
        handler = getattr(self, "_stmt_" + type(statement).__name__, None)
        if handler is not None:
            handler(statement)

    def _small(self, small, line) -> None:
        if isinstance(small, cst.Assign):
            self._assign(small)
        elif isinstance(small, cst.AugAssign):
            self._augassign(small)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._store(small.target, self.eval(small.value), small)
        elif isinstance(small, cst.Expr):
            self.eval(small.value)
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self.frame.returned = join(self.frame.returned, self.eval(small.value))
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            self._import(small)

    def _stmt_FunctionDef(self, node: cst.FunctionDef) -> None:
        function = self.model.function_by_node.get(node)
        self._note_enclosing(function)
        self._store_name(node.name.value, Value(source=Source.CONST, function=function), node)

    def _stmt_ClassDef(self, node: cst.ClassDef) -> None:
        cls = self.model.class_by_node.get(node)
        if cls is not None:
            self._store_name(node.name.value, _class_value(cls), node)

    def _stmt_If(self, node: cst.If) -> None:
        self.eval(node.test)
        before = self.frame.env
        self.frame.env = before.copy()
        self.guards.append((node, "body"))
        self._body(node.body)
        self.guards[-1] = (node, "orelse")
        after_body = self.frame.env
        self.frame.env = before.copy()
        if node.orelse is not None:
            if isinstance(node.orelse, cst.If):
                self._stmt_If(node.orelse)
            else:
                self._body(node.orelse.body)
        self.guards.pop()
        self.frame.env = after_body.joined(self.frame.env)

    def _loop(self, node, bind_target) -> None:
        entry = self.frame.env
        updated = self.frame.updated
        self.loop_depth += 1
        for _ in range(MAX_LOOP_PASSES):
            self.frame.env = entry.copy()
            self.frame.updated = {}  # an update at the end of a step is meant for the next one
            bind_target()
            self._body(node.body)
            widened = entry.joined(self.frame.env)
            if widened.same_as(entry):
                entry = widened
                break
            entry = widened
        self.loop_depth -= 1
        self.frame.env = entry
        self.frame.updated = updated
        if node.orelse is not None:
            self._body(node.orelse.body)

    def _stmt_For(self, node: cst.For) -> None:
        iterated = element_of(self.eval(node.iter))
        self._loop(node, lambda: self._store(node.target, iterated, node))

    def _stmt_While(self, node: cst.While) -> None:
        self._loop(node, lambda: self.eval(node.test))

    def _stmt_With(self, node: cst.With) -> None:
        for item in node.items:
            value = self.eval(item.item)
            if item.asname is not None:
                self._store(item.asname.name, value, node)
        self._body(node.body)

    def _stmt_Try(self, node) -> None:
        before = self.frame.env.copy()
        self._body(node.body)
        merged = self.frame.env
        for handler in node.handlers:
            self.frame.env = before.joined(merged)
            if handler.name is not None:
                self._store(handler.name.name, UNKNOWN, handler)
            self._body(handler.body)
            merged = merged.joined(self.frame.env)
        self.frame.env = merged
        if node.orelse is not None:
            self._body(node.orelse.body)
        if node.finalbody is not None:
            self._body(node.finalbody.body)

    _stmt_TryStar = _stmt_Try

    def _stmt_Match(self, node) -> None:
        self.eval(node.subject)
        before = self.frame.env
        merged = before
        for case in node.cases:
            self.frame.env = before.copy()
            self._body(case.body)
            merged = merged.joined(self.frame.env)
        self.frame.env = merged

    def _import(self, node) -> None:
        part = self.model.part(self.frame.module)
        links = part.links if part is not None else {}
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self._store_name(alias.asname.name.value, self._module_value(links, 0, full), node)
                else:
                    top = full.split(".")[0]
                    self._store_name(top, self._module_value(links, 0, top), node)
        elif node.module is not None or (node.relative and links):
            level = len(node.relative)
            module = dotted_name(node.module) or "" if node.module is not None else ""
            if isinstance(node.names, cst.ImportStar):
                self._import_all(links.get((level, module)), node)
                return
            for alias in node.names:
                imported = dotted_name(alias.name) or ""
                local = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(local, cst.Name):
                    self._store_name(local.value, self._imported(links, level, module, imported), node)

    def _module_value(self, links, level: int, module: str) -> Value:
        """A module an import names: one of the program's (its globals are read through it),
        else a reference outside the program (``numpy``)."""
        key = links.get((level, module))
        if key is not None:
            return Value(source=Source.CONST, ref=PROJECT + key)
        return Value(source=Source.CONST, ref="." * level + module)

    def _imported(self, links, level: int, module: str, name: str) -> Value:
        """``from module import name``: the program module's global, or its submodule."""
        dotted = f"{module}.{name}" if module else name
        if (level, dotted) in links:
            return self._module_value(links, level, dotted)
        key = links.get((level, module))
        if key is not None:
            return self._global_of(key, name)
        return Value(source=Source.CONST, ref=f"{'.' * level}{module}.{name}")

    def _import_all(self, module: Optional[str], node) -> None:
        """``from module import *``: every public global of a module of the program."""
        if module is None:
            return
        for table_key, value in list(self.summaries.tables["globals"].items()):
            owner, name = table_key
            if owner == module and not name.startswith("_"):
                self._store_name(name, value, node)

    def _assign(self, node: cst.Assign) -> None:
        site = self.model.update_sites.get(node)
        if site is not None:
            self._update(node, site.target, site.sign, site.change)
            return
        value = self.eval(node.value)
        self._note_assignment(node, value)
        for target in node.targets:
            self._store(target.target, value, node)

    def _note_assignment(self, statement, value: Value) -> None:
        """What ``bplint shapes`` shows: the value each assignment stores, in its function.

        An activation stored outside a derivative's own code tells which activation forward
        applied to that pre-activation.
        """
        self.observed.assignments[statement] = (self.frame.function, value)
        kind = value.kind
        if kind and kind[0] == "act" and kind[2] is not None and not self.in_derivative:
            self.activation_of_pre.setdefault(kind[2], kind[1])

    def _augassign(self, node: cst.AugAssign) -> None:
        site = self.model.update_sites.get(node)
        if site is not None:
            self._update(node, site.target, site.sign, site.change)
            return
        old = self.eval(node.target)
        change = self.eval(node.value)
        operator = type(node.operator).__name__.replace("Assign", "")
        value = self._binary(operator, old, change, node)
        self._note_assignment(node, value)
        self._store(node.target, value, node)

    def _update(self, statement, target, sign: int, change_node) -> None:
        before = self.eval(target)
        change = self.eval(change_node)
        if sign < 0:
            change = dirn.negate(change)
        key = location_key(target)
        if before.mask or change.mask:
            # ``h += mask`` is reported at the statement, ``h = h + mask`` at its expression.
            where = statement.value if isinstance(statement, cst.Assign) else statement
            self.observed.combinations[where] = CombinationFact(
                where, "+" if sign > 0 else "-", before, change)
        step_definition = None
        change_key = self._env_key(change_node)
        if change_key is not None:
            step_definition = self.frame.env.definitions.get(change_key)
        self.observed.updates[statement] = UpdateFact(
            statement, target, key, key in self.trainable, before, change, step_definition)
        if isinstance(target, cst.Subscript) and self._is_error_idiom(target, before, change):
            container = self.eval(target.value)
            self.errors[statement] = Direction.GRADIENT
            kind = ("error", container.kind[1]) if container.kind and container.kind[0] == "act" else None
            self._store(target.value, container.with_(direction=Direction.GRADIENT, origin=statement,
                                                      kind=kind), statement)
            return
        if change.raw_delta is not None and before.direction == Direction.NONE:
            self.observed.raw_delta_updates.setdefault(change.raw_delta, statement)
        if change.undropped is not None and before.direction == Direction.NONE:
            self.observed.undropped_updates.setdefault(change.undropped[0], statement)
        if key in self.trainable and before.direction == Direction.NONE and not self.inlining \
                and not key.endswith("[]"):  # entries of one container are not told apart
            self.frame.updated[key] = statement
        if change.direction == Direction.BOTTOM:
            after = before  # nothing known of the step yet: a later round will tell
        elif before.direction == Direction.NONE:
            # A parameter moved by a step stays a parameter: it does not become a gradient.
            after = before.with_(source=combine_sources(before.source, change.source))
        else:
            direction, value_sign = dirn.sum_direction(before, change)
            after = Value(source=combine_sources(before.source, change.source),
                          direction=direction, sign=value_sign,
                          origin=before.origin or change.origin,
                          shape=shapes.broadcast(before.shape, change.shape).shape)
        if sign < 0 and subtracts_its_max(cst.BinaryOperation(target, cst.Subtract(), change_node)):
            after = after.with_(kind=("shifted",))  # ``z -= z.max(axis=1, keepdims=True)``
        self._note_assignment(statement, after)
        self._store(target, after, statement)

    def _is_error_idiom(self, target: cst.Subscript, before: Value, change: Value) -> bool:
        """``probs[range(N), y] -= 1``: the softmax cross-entropy gradient ``probs - onehot(y)``.

        A prediction from the network, with the entries picked out by the targets lowered by one.
        """
        if before.source != Source.NETWORK or before.direction != Direction.NONE:
            return False
        if before.entries is not None or before.items is not None:
            return False
        if change.source != Source.CONST or change.sign >= 0 or change.is_gradient_like:
            return False
        # Indexed by the targets (labels), or by sampled actions in a policy gradient.
        indices = [e.slice.value for e in target.slice if isinstance(e.slice, cst.Index)]
        return any(self.eval(index).source != Source.CONST for index in indices)

    def _store(self, target, value: Value, statement) -> None:
        if isinstance(statement, (cst.Assign, cst.AnnAssign)):
            self._note_initialisation(target, value, statement)
        value = self._parameter_initialisation(target, value)
        if isinstance(target, cst.Name):
            self._store_name(target.value, value, statement)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            for index, element in enumerate(elements):
                if value.items is not None and len(value.items) == len(elements) and not starred:
                    item = value.items[index]
                elif value.items is not None or value.entries is not None:
                    item = element_of(value) if not starred else UNKNOWN
                elif value.source == Source.BOTTOM:
                    item = BOTTOM
                else:
                    item = value.with_(mask=False) if value.ref is None else UNKNOWN
                self._store(element.value, item, statement)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value, UNKNOWN, statement)
        elif isinstance(target, cst.Attribute):
            owner = self.eval(target.value)
            key = self._env_key(target)
            if key is not None:
                self.frame.env.values[key] = value
                self.frame.env.definitions[key] = statement
            for cls in owner.instance_of or ():
                self.summaries.join_into("attributes", (cls.name, target.attr.value), value)
            if owner.ref is not None and owner.ref.startswith(PROJECT):
                # ``cfg.N_IN = X.shape[1]``: another module of the program's global changes
                self.summaries.join_into("globals", (owner.ref[len(PROJECT):], target.attr.value),
                                         value)
        elif isinstance(target, cst.Subscript):
            container = self.eval(target.value)
            index = target.slice[0].slice if len(target.slice) == 1 else None
            key = literal_key(index.value) if isinstance(index, cst.Index) else None
            if container.entries is not None:
                entries = dict(container.entries)
                if key is None:
                    key = ANY_KEY
                    value = join(entries.get(key, BOTTOM), value)
                entries[key] = value
                updated = container.with_(entries=tuple(sorted(entries.items(), key=lambda kv: repr(kv[0]))))
            elif container.items is not None:
                updated = container
            else:
                updated = join(container, value.with_(mask=False, items=None, entries=None))
                updated = updated.with_(source=combine_sources(container.source, value.source)
                                        if container.source != Source.BOTTOM else value.source,
                                        shape=container.shape, raw_delta=None)  # ``d[z <= 0] = 0``
            if isinstance(target.value, (cst.Name, cst.Attribute, cst.Subscript)):
                self._store(target.value, updated, statement)
