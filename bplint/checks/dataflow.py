"""Dataflow between the methods of a network: BP101, BP102 and BP103."""

from __future__ import annotations

import builtins
import difflib
from typing import Iterable, List, Optional, Set

import libcst as cst

from bplint.analysis.values import Source
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report
from bplint.model import ClassModel, FileModel, Function, dotted_name
from bplint.model.roles import role

_IMPLICIT_GLOBALS = set(dir(builtins)) | {
    "__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__",
    "__path__", "__annotations__", "__class__", "get_ipython", "display", "In", "Out",
}


def _siblings(model: FileModel, function: Function) -> List[Function]:
    """Functions at the same level: the other methods of the class, or other module functions.

    A nested function (a closure inside ``backward``) has the siblings of its outermost function.
    """
    while function.parent is not None:
        function = function.parent
    if function.owner is not None:
        classes = [function.owner, *model.bases_in_file(function.owner)[0],
                   *model.subclasses_of(function.owner)]
        return [m for cls in classes for m in cls.methods.values() if m is not function]
    return [f for f in model.module_functions() if f is not function and f.module == function.module]


def _binder(siblings: List[Function], name: str) -> Optional[Function]:
    """The sibling that binds ``name`` as a local, preferring a forward pass."""
    binders = [s for s in siblings if name in s.bindings]
    binders.sort(key=lambda s: (role(s) != "forward", name in s.params))
    return binders[0] if binders else None


def _module_loop_statements(module: cst.Module) -> set:
    found = set()

    class _Loops(cst.CSTVisitor):
        def __init__(self) -> None:
            self.depth = 0

        def visit_FunctionDef(self, node) -> bool:
            return False

        def visit_ClassDef(self, node) -> bool:
            return False

        def visit_For(self, node) -> None:
            self.depth += 1

        def leave_For(self, node) -> None:
            self.depth -= 1

        def visit_While(self, node) -> None:
            self.depth += 1

        def leave_While(self, node) -> None:
            self.depth -= 1

        def visit_Assign(self, node) -> None:
            if self.depth:
                found.add(node)

    module.visit(_Loops())
    return found


def _refreshed_from(context: FileContext, name: str, binder: Function) -> bool:
    """Whether the module's training loop assigns ``name`` from a call of ``binder`` each step."""
    in_loops = _module_loop_statements(context.module)
    for statement, (function, _) in context.analysis.assignments.items():
        if function is not None or statement not in in_loops:
            continue
        value = statement.value
        if not (isinstance(value, cst.Call) and dotted_name(value.func) == binder.name):
            continue
        for target in statement.targets:
            names = target.target.elements if isinstance(target.target, cst.Tuple) else [target.target]
            if any(isinstance(getattr(n, "value", n), cst.Name) and getattr(n, "value", n).value == name
                   for n in names):
                return True
    return False


class ForwardLocalInBackward(Check):
    code = "BP101"
    needs_analysis = False  # the stale-global variant asks for it only when it matters

    def run(self, context: FileContext) -> Iterable[Report]:
        model, own = context.model, context.own_model
        if own.star_import or not (own.weight_keys or any(role(f) for f in own.functions)):
            return  # a star import hides bindings; a file with no product and no pass is no network
        for function in context.own_functions:
            siblings = _siblings(model, function)
            if not siblings:
                continue
            for name, node in function.reads:
                if function.resolves(name) or name in _IMPLICIT_GLOBALS:
                    continue
                if name in function.declared_nonlocal:
                    continue
                binder = _binder(siblings, name)
                if binder is None:
                    continue
                if name in model.bindings_of(function.module):
                    if not self._stale_global(context, function, binder, name):
                        continue
                    yield Report(node, self._stale_message(context, function, binder, name),
                                 self._fix(function, binder, name, node),
                                 hint=self._hint(context, function, binder, name))
                else:
                    yield Report(node, self._message(context, function, binder, name),
                                 self._fix(function, binder, name, node),
                                 hint=self._hint(context, function, binder, name))

    @staticmethod
    def _hint(context: FileContext, reader: Function, binder: Function, name: str) -> str:
        """Where to keep the value, in the program's names: on the instance after the binder's
        last assignment of it, or as a value passed between the functions."""
        if not (binder.is_method and reader.self_name):
            return f"return `{name}` from `{binder.name}` and pass it to `{reader.name}`"
        me = reader.self_name
        store = _store_local(binder, name)
        where = f"after line {context.place(store.node)}, " if store is not None else ""
        return (f"in `{binder.name}`, {where}store `{binder.self_name}.{name} = {name}`; "
                f"here read `{me}.{name}`")

    @staticmethod
    def _fix(reader: Function, binder: Function, name: str, read: cst.CSTNode) -> Optional[FixPlan]:
        """Store the local on the instance where forward computes it, and read it from there.
        Unsafe: the reader may have meant another value."""
        store = _store_local(binder, name)
        if store is None or not reader.self_name:
            return None
        return FixPlan(f"Store `{binder.self_name}.{name}` in `{binder.name}` and read it here",
                       (store, Change(read, f"{reader.self_name}.{name}")))

    @staticmethod
    def _stale_global(context: FileContext, reader: Function, binder: Function, name: str) -> bool:
        """Reading a global on purpose is fine; reading it where forward's local was meant is not.

        The global must itself be a network value (an activation left over from a test cell),
        not data such as labels that a forward pass happens to name the same.
        """
        if role(reader) != "backward" or role(binder) != "forward":
            return False
        if binder.local_binding(name) is None:
            return False
        if _refreshed_from(context, name, binder):
            return False  # ``hidden, out = forward(X)`` before each step: the global is current
        value = context.analysis.global_value(reader.module, name)
        return value is not None and value.source == Source.NETWORK

    def _what(self, context: FileContext, binder: Function, name: str) -> str:
        kind = "a parameter" if name in binder.params else "a local variable"
        line = context.place(binder.bindings[name])
        return f"{kind} of `{binder.name}` (line {line})"

    def _message(self, context, reader: Function, binder: Function, name: str) -> str:
        what = self._what(context, binder, name)
        head = f"name `{name}` is {what} and is undefined in `{reader.name}`"
        if binder.is_method and reader.self_name:
            me = reader.self_name
            return (f"{head}; store it as `{me}.{name}` in `{binder.name}` "
                    f"and read `{me}.{name}` here")
        return f"{head}; return it from `{binder.name}` and pass it to `{reader.name}`"

    def _stale_message(self, context, reader: Function, binder: Function, name: str) -> str:
        what = self._what(context, binder, name)
        line = context.place(context.model.bindings_of(reader.module)[name])
        head = (f"name `{name}` is {what}, but `{reader.name}` reads the module-level `{name}` "
                f"(line {line}), a stale value, not the one `{binder.name}` computed")
        if binder.is_method and reader.self_name:
            me = reader.self_name
            return f"{head}; store it as `{me}.{name}` in `{binder.name}` and read `{me}.{name}` here"
        return f"{head}; return it from `{binder.name}` and pass it to `{reader.name}`"


class UncachedAttribute(Check):
    code = "BP102"
    needs_analysis = False

    def run(self, context: FileContext) -> Iterable[Report]:
        model = context.model
        for cls in context.own_classes:
            if not self._visible(model, cls):
                continue
            family = [cls, *model.bases_in_file(cls)[0]]
            stored = set()
            bound = set()
            for klass in family + model.subclasses_of(cls):
                stored.update(klass.attribute_stores())
                bound.update(klass.body_bindings)
            for method in self._functions_of(model, cls):
                for attribute, node in method.attribute_reads:
                    if attribute in stored or attribute in bound:
                        continue
                    if attribute.startswith("__") or attribute in model.foreign_attribute_stores:
                        continue
                    yield Report(node, self._message(context, cls, method, attribute, stored),
                                 self._fix(cls, attribute),
                                 hint=self._hint(context, cls, method, attribute, stored))

    @staticmethod
    def _visible(model: FileModel, cls: ClassModel) -> bool:
        """Every attribute of the class can be seen in this file, and the class is a network.

        A base class or mixin meant to be completed elsewhere reads attributes it never stores;
        a network class has a forward or backward pass, or multiplies by a weight of its own.
        """
        ancestors, external = model.bases_in_file(cls)
        if external or any(c.dynamic_attributes for c in [cls, *ancestors]):
            return False
        if any(model.bases_in_file(sub)[1] for sub in model.subclasses_of(cls)):
            return False  # a mixin: a subclass completes it with a base defined elsewhere
        family = [cls, *ancestors]
        if UncachedAttribute._calls_undefined_method(family):
            return False  # an abstract base: the methods it calls are defined by subclasses
        trained = {key[1:] for key in model.weight_keys if key.startswith(".")}
        if not any(role(m) for c in family for m in c.methods.values()) and \
                not any(trained & set(c.attribute_stores()) for c in family):
            return False
        decorators = {d.decorator for d in cls.node.decorators}
        return all(getattr(d, "value", None) == "dataclass" for d in decorators)

    @staticmethod
    def _calls_undefined_method(family: List[ClassModel]) -> bool:
        known = set()
        for klass in family:
            known.update(klass.methods, klass.attribute_stores(), klass.body_bindings)
        return any(name not in known and not name.startswith("__")
                   for klass in family for method in klass.methods.values()
                   for name in method.self_calls)

    @staticmethod
    def _functions_of(model: FileModel, cls: ClassModel) -> List[Function]:
        def top(function: Function) -> Function:
            while function.parent is not None:
                function = function.parent
            return function
        return [f for f in model.functions if top(f).owner is cls and f.self_name]

    @staticmethod
    def _fix(cls: ClassModel, attribute: str) -> Optional[FixPlan]:
        """Store the local a sibling computes under the attribute's name (forward's first).
        Unsafe: the attribute may have been meant to hold something else."""
        for sibling in sorted(cls.methods.values(), key=lambda m: role(m) != "forward"):
            store = _store_local(sibling, attribute)
            if store is not None:
                return FixPlan(f"Store `{sibling.self_name}.{attribute}` in `{sibling.name}`",
                               (store,))
        return None

    @staticmethod
    def _computing_sibling(cls: ClassModel, attribute: str) -> Optional[Function]:
        """The method (forward first) that computes a local named like the attribute."""
        for sibling in sorted(cls.methods.values(), key=lambda m: role(m) != "forward"):
            if sibling.local_binding(attribute) is not None:
                return sibling
        return None

    def _message(self, context, cls: ClassModel, method: Function, attribute: str, stored) -> str:
        me = method.self_name
        head = (f"`{me}.{attribute}` is read in `{method.name}` but never assigned in class "
                f"`{cls.name}`")
        sibling = self._computing_sibling(cls, attribute)
        if sibling is not None:
            return (f"{head}; `{sibling.name}` computes a local `{attribute}` "
                    f"(line {context.place(sibling.local_binding(attribute))}): store it there "
                    f"with `{me}.{attribute} = {attribute}`")
        close = difflib.get_close_matches(attribute, sorted(stored), n=1)
        if close:
            return f"{head}; did you mean `{me}.{close[0]}`?"
        return f"{head} (AttributeError at run time); assign it before it is read"

    def _hint(self, context, cls: ClassModel, method: Function, attribute: str, stored) -> str:
        me = method.self_name
        sibling = self._computing_sibling(cls, attribute)
        if sibling is not None:
            store = _store_local(sibling, attribute)
            line = store.node if store is not None else sibling.local_binding(attribute)
            return (f"in `{sibling.name}`, after line {context.place(line)}, store "
                    f"`{sibling.self_name}.{attribute} = {attribute}`")
        close = difflib.get_close_matches(attribute, sorted(stored), n=1)
        if close:
            return f"read `{me}.{close[0]}`, which class `{cls.name}` assigns"
        return f"assign `{me}.{attribute}` (in `__init__` or the forward pass) before `{method.name}` reads it"


def _store_local(method: Function, name: str) -> Optional[Change]:
    """``self.x = x`` after the method's last assignment of the local ``x``, when that assignment
    is a statement of the method's own body (so the stored value is the one it ends with)."""
    if not (method.is_method and method.self_name) or not isinstance(method.node.body, cst.IndentedBlock):
        return None
    assignments = [line.body[0] for line in method.node.body.body
                   if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
                   and isinstance(line.body[0], cst.Assign) and len(line.body[0].targets) == 1
                   and isinstance(line.body[0].targets[0].target, cst.Name)
                   and line.body[0].targets[0].target.value == name]
    if not assignments:
        return None
    return Change(assignments[-1], f"{method.self_name}.{name} = {name}", after=True)


def _attribute_names(node: cst.CSTNode) -> Set[str]:
    """The dotted name of every attribute chain in an expression (``self.W2`` in ``d @ self.W2.T``)."""
    found: Set[str] = set()

    class _Attributes(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            found.add(dotted_name(attribute))

    node.visit(_Attributes())
    return found


class StaleWeights(Check):
    code = "BP103"

    def run(self, context: FileContext) -> Iterable[Report]:
        for node, (key, update) in context.analysis.stale_reads.items():
            target = self.target_of(update)
            if key.startswith(".") and dotted_name(target) not in _attribute_names(node):
                continue  # ``b.grad.eval += g`` is not the ``weight.eval`` this product reads
            name = self.short(context.code(target), 40)
            line = context.place(update)
            yield Report(node, (
                f"`{name}` was already updated on line {line}, so this carries the error back "
                f"through the new weights, not the ones forward used; compute every layer's delta "
                f"before updating any weight"),
                hint=f"move the update of `{name}` on line {line} below this line, after every delta")
