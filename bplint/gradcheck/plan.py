"""The static plan (parent process, no NumPy): which classes are networks, how to build and step them.

From bplint's model of the file: a network class has a forward method and a training step that
takes targets and (itself or through the methods it calls on ``self``) updates parameters. The
constructor's parameters are classified by name (learning rates, regularisation strengths, sizes
such as ``hidden_size``) and, where the names do not tell, with the shape pass: a size (``() = 3``
at a call site, or unknown), a list of sizes (``(3, 24, 12)``), or objects (a list of layers).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from bplint.gradcheck import naming
from bplint.gradcheck.naming import sizes_for
from bplint.model import ClassModel, FileModel, Function, build_model
from bplint.model.locations import is_numeric_literal, read_locations, update_site
from bplint.model.roles import role

# Step names in order of preference when several methods could be the training step.
_STEP_RANK = ("backward", "backprop", "backpropagate", "backpropagation", "back_propagation",
              "train_step", "step", "train_batch", "update", "train", "fit")


class PlanError(Exception):
    """The file or the named class cannot be checked; the message says why."""


def _update_sites(function: Function):
    found = []

    class _Sites(cst.CSTVisitor):
        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            site = update_site(node)
            if site is not None:
                found.append(site)

        def visit_Assign(self, node: cst.Assign) -> None:
            site = update_site(node)
            if site is not None:
                found.append(site)

    function.node.visit(_Sites())
    return found


def _delegates(function: Function) -> bool:
    """Whether a method calls a training step of another object (``layer.backward(grad, lr)``)."""
    found = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and not (
                    isinstance(func.value, cst.Name) and func.value.value == function.self_name):
                name = func.attr.value.lower().lstrip("_")
                if name in ("backward", "backprop", "update", "step") or name.startswith("backward"):
                    found.append(node)

    function.node.visit(_Calls())
    return bool(found)


def _stored_update(site) -> bool:
    """An update of something stored (an attribute or a container entry), not of a local total."""
    key = site.key or ""
    if is_numeric_literal(site.change):
        return False  # ``d[range(n), y] -= 1``: building a gradient, not taking a step
    return key.startswith(".") or key.endswith("[]")


class _Class:
    """One class with its in-file bases' methods (its own override them)."""

    def __init__(self, model: FileModel, cls: ClassModel) -> None:
        self.cls = cls
        bases, _ = model.bases_in_file(cls)
        self.methods: Dict[str, Function] = {}
        for owner in [cls, *bases]:
            for name, method in owner.methods.items():
                self.methods.setdefault(name, method)
        self.sites = {name: _update_sites(m) for name, m in self.methods.items()}
        self.delegates = {name: _delegates(m) for name, m in self.methods.items()}

    def updates(self, name: str, seen: Optional[Set[str]] = None) -> bool:
        seen = set() if seen is None else seen
        if name in seen or name not in self.methods:
            return False
        seen.add(name)
        if any(_stored_update(site) for site in self.sites[name]) or self.delegates[name]:
            return True
        return any(self.updates(callee, seen) for callee in self.methods[name].self_calls)

    def calls(self, name: str, other: str, seen: Optional[Set[str]] = None) -> bool:
        seen = set() if seen is None else seen
        if name in seen or name not in self.methods:
            return False
        seen.add(name)
        callees = self.methods[name].self_calls
        return other in callees or any(self.calls(c, other, seen) for c in callees)

    def arguments(self, name: str) -> List[str]:
        method = self.methods[name]
        return [p for p in method.params if p != method.self_name]

    def forward(self) -> Optional[str]:
        for name in naming.FORWARD_NAMES:
            if name in self.methods:
                return name
        for name, method in self.methods.items():
            if role(method) == "forward":
                return name
        return None

    def steps(self, forward: Optional[str]) -> List[List[str]]:
        """Candidate training steps, best first: one method, or a backward then an update."""
        candidates = [n for n in self.methods
                      if not n.startswith("__") and n != forward and n not in naming.LOSS_NAMES]
        takes_targets = {n for n in candidates if any(naming.is_target(a) for a in self.arguments(n))}
        single = [n for n in candidates if n in takes_targets and self.updates(n)]

        def rank(name: str) -> Tuple:
            epochs = any(naming.is_epochs(a) for a in self.arguments(name))
            outer = any(self.calls(name, other) for other in single if other != name)
            named = _STEP_RANK.index(name) if name in _STEP_RANK else len(_STEP_RANK)
            return (epochs, outer, named, name)

        if single:
            return [[name] for name in sorted(single, key=rank)]
        backs = sorted((n for n in takes_targets if not self.updates(n)), key=rank)
        ups = sorted((n for n in candidates if n not in takes_targets and self.updates(n)), key=rank)
        return [[b, u] for b in backs for u in ups]

    def reached(self, steps: List[str]) -> List[str]:
        """The methods a training step runs: its own and those they call on ``self``."""
        order: List[str] = []
        waiting = list(steps)
        while waiting:
            name = waiting.pop(0)
            if name in order or name not in self.methods or name in naming.LOSS_NAMES:
                continue
            order.append(name)
            waiting.extend(sorted(self.methods[name].self_calls))
        return order

    def penalties(self, steps: List[str]) -> List[List[str]]:
        """``[method, parameter]`` of each regularisation strength with a default in the methods
        a step runs (``backward(self, dout, l2=1e-4)``, called by ``train_step(X, y)``)."""
        return [[name, param] for name in self.reached(steps)
                for param in self.methods[name].defaults if naming.is_regularisation(param)]

    def learning_rates(self, model: FileModel) -> Tuple[List[str], List[str], List[str]]:
        """Attributes, module globals and plain names that an update multiplies by a step size."""
        attributes, names = set(), set()
        for sites in self.sites.values():
            for site in sites:
                for key in read_locations(site.change):
                    if not key:
                        continue
                    bare = key.lstrip(".")
                    if "." in bare or "[" in bare or not naming.is_learning_rate(bare, in_update=True):
                        continue
                    (attributes if key.startswith(".") else names).add(bare)
        for method in self.methods.values():
            attributes.update(a for a in method.attribute_stores if naming.is_learning_rate(a))
        read = {name for method in self.methods.values() for name, _ in method.reads}
        module_globals = {n for n in model.module_bindings
                          if (n in names or (n in read and naming.is_learning_rate(n)))}
        return sorted(attributes), sorted(module_globals), sorted(names)


def _init_params(klass: _Class) -> List[Tuple[str, bool]]:
    """The constructor's parameters (name, has a default), without ``self`` and star arguments."""
    init = klass.methods.get("__init__")
    if init is None:
        return []
    params = init.node.params
    stars = {star.name.value for star in (params.star_arg, params.star_kwarg)
             if isinstance(star, cst.Param)}
    return [(name, name in init.defaults) for name in klass.arguments("__init__") if name not in stars]


def _named_sizes(klass: _Class) -> bool:
    """Whether every constructor parameter that needs a value says by its name what it is (then
    the shape pass, the slow part of the plan, is not needed)."""
    return all(has_default or naming.is_learning_rate(name) or naming.is_regularisation(name)
               or naming.is_epochs(name) or naming.is_size(name)
               for name, has_default in _init_params(klass))


def _shape_values(path: str) -> Dict[Tuple[str, str], object]:
    """The shape pass's value of every constructor parameter, by (function, parameter)."""
    from bplint.engine import infer_shapes

    try:
        rows, errors = infer_shapes(path)
    except Exception:  # noqa: BLE001 - the shape pass only refines the names; never fatal
        return {}
    values = {}
    for row in rows:
        if row.code.endswith(" (parameter)"):
            values[(row.function, row.code[: -len(" (parameter)")])] = row.value
    return values


def _init_plan(klass: _Class, shapes: Dict) -> List[dict]:
    init = klass.methods.get("__init__")
    owner = init.owner.name if init is not None and init.owner is not None else klass.cls.name
    entries, slots = [], 0
    for name, has_default in _init_params(klass):
        value = shapes.get((f"{owner}.__init__", name))
        if naming.is_learning_rate(name):
            kind = "lr"
        elif naming.is_regularisation(name):
            kind = "reg"
        elif has_default:
            kind = "default"
        elif naming.is_epochs(name):
            kind = "one"
        elif value is not None and getattr(value, "items", None) is not None:
            items = value.items
            if any(getattr(item, "instance_of", None) for item in items):
                kind = "objects"
            else:
                kind = "sizes"
        else:
            kind = "size"
        entry = {"name": name, "kind": kind}
        if kind == "sizes":
            entry["count"] = max(len(value.items), 2)
            slots += entry["count"]
        elif kind == "size":
            slots += 1
        entries.append(entry)
    sizes = iter(sizes_for(slots))
    for entry in entries:
        if entry["kind"] == "sizes":
            entry["value"] = [next(sizes) for _ in range(entry.pop("count"))]
        elif entry["kind"] == "size":
            entry["value"] = next(sizes)
    return entries


def _parse(path: str, program=None) -> FileModel:
    """The model of the file's program; ``program``, when given, was read and its syntax judged
    by the caller (a notebook's cells that do not compile are stand-ins in it)."""
    from bplint.files import UnreadableFile
    from bplint.gradcheck.program import read_program
    from bplint.prefilter import syntax_error

    if program is None:
        try:
            program = read_program(path)
        except UnreadableFile as exc:
            raise PlanError(str(exc)) from None
        reason = program.syntax_error() or syntax_error(program.text, path)
        if reason is not None:
            raise PlanError(reason)
    from bplint.engine import parse_source
    from bplint.files import SourceFile

    module, error = parse_source(SourceFile(path, program.text))  # rows are the program's
    if error is not None:
        raise PlanError(error.reason)
    try:
        return build_model(module)
    except RecursionError:
        raise PlanError("too deeply nested to analyse") from None


def make_plans(path: str, only: Optional[str] = None, program=None) -> List[dict]:
    """One plan per network class of the file (or for the class named ``only``); ``program``:
    the file's program when the caller has read it (see :func:`_parse`)."""
    model = _parse(path, program)
    if only is not None and only not in model.classes:
        known = ", ".join(sorted(model.classes)) or "none"
        raise PlanError(f"no class `{only}` in the file (classes: {known})")
    plans = []
    shapes = None
    for cls in model.classes.values():
        if only is not None and cls.name != only:
            continue
        klass = _Class(model, cls)
        forward = klass.forward()
        steps = klass.steps(forward)
        if only is None and (forward is None or not steps):
            continue
        if forward is None:
            raise PlanError(f"class `{cls.name}` has no forward method "
                            f"(one of {', '.join(naming.FORWARD_NAMES[:4])}...)")
        if not steps:
            raise PlanError(f"class `{cls.name}` has no training step: a method that takes the "
                            "targets (`y`, `targets`...) and updates parameters")
        if shapes is None and not _named_sizes(klass):
            shapes = _shape_values(path)
        attributes, module_globals, names = klass.learning_rates(model)
        plans.append({"class": cls.name, "init": _init_plan(klass, shapes or {}), "forward": forward,
                      "steps": steps[:4], "penalties": [klass.penalties(s) for s in steps[:4]],
                      "lr_attributes": attributes,
                      "lr_globals": module_globals, "lr_names": names})
    if not plans:
        raise PlanError("no network class found (a class with a forward method and a training "
                        "step that takes targets and updates parameters); name one with --class")
    return plans
