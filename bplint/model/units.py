"""The units of a file that can hold a network: the module, its classes, and their functions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from bplint.model.locations import UpdateSite, dotted_name, draws_noise, is_numeric_literal, read_locations


@dataclass(eq=False)
class Function:
    """A ``def`` (module function, method or nested function) and what its body binds and reads."""

    node: cst.FunctionDef
    name: str
    owner: Optional["ClassModel"]
    parent: Optional["Function"]
    params: List[str] = field(default_factory=list)
    # Default values of parameters, by name.
    defaults: Dict[str, cst.BaseExpression] = field(default_factory=dict)
    # Every name bound in the body, with its first binding node; parameters included.
    bindings: Dict[str, cst.CSTNode] = field(default_factory=dict)
    declared_global: Set[str] = field(default_factory=set)
    declared_nonlocal: Set[str] = field(default_factory=set)
    # Names read in the body (not inside nested functions), in source order.
    reads: List[Tuple[str, cst.Name]] = field(default_factory=list)
    # ``self.x`` reads and stores made in this function (nested functions included).
    attribute_reads: List[Tuple[str, cst.Attribute]] = field(default_factory=list)
    # Methods called on ``self`` (``self.step(...)``), by name.
    self_calls: Set[str] = field(default_factory=set)
    attribute_stores: Dict[str, cst.CSTNode] = field(default_factory=dict)
    # No loop, ``try``, ``with``, nested definition or ``yield``: small helpers like this are
    # interpreted again at each call.
    straight_line: bool = True
    # Locations this function moves with ``+=``, ``-=`` or ``x = x ± ...``.
    updated_keys: Set[str] = field(default_factory=set)
    decorators: Set[str] = field(default_factory=set)
    # The module it is defined in, in a program of several (see :mod:`bplint.model.program`).
    module: str = ""

    @property
    def is_method(self) -> bool:
        return self.owner is not None and self.parent is None

    @property
    def self_name(self) -> Optional[str]:
        """The name the instance goes by inside this function, if it is (or is nested in) a method."""
        if self.parent is not None:
            inner = self.parent.self_name
            return None if inner in self.bindings else inner
        if self.owner is None or "staticmethod" in self.decorators or not self.params:
            return None
        if "classmethod" in self.decorators:
            return None
        return self.params[0]

    def local_binding(self, name: str) -> Optional[cst.CSTNode]:
        """The node that binds ``name`` as a local of this function (not a parameter), if any."""
        if name in self.params:
            return None
        return self.bindings.get(name)

    def resolves(self, name: str) -> bool:
        """Whether ``name`` is bound here or in an enclosing function (closure), including the
        function a method's class is defined in."""
        scope: Optional[Function] = self
        while scope is not None:
            if name in scope.bindings and name not in scope.declared_global:
                return True
            scope = scope.parent if scope.parent is not None or scope.owner is None else scope.owner.enclosing
        return False


@dataclass(eq=False)
class ClassModel:
    node: cst.ClassDef
    name: str
    bases: List[str] = field(default_factory=list)
    methods: Dict[str, Function] = field(default_factory=dict)
    # Names bound in the class body: methods, class attributes, annotations.
    body_bindings: Set[str] = field(default_factory=set)
    # True where attributes may be created in ways a reader cannot see.
    dynamic_attributes: bool = False
    # The function a class is defined in: its methods can read that function's locals.
    enclosing: Optional["Function"] = None
    module: str = ""

    def attribute_stores(self) -> Dict[str, cst.CSTNode]:
        stores: Dict[str, cst.CSTNode] = {}
        for method in self.methods.values():
            for attribute, node in method.attribute_stores.items():
                stores.setdefault(attribute, node)
        return stores


@dataclass(eq=False)
class ModulePart:
    """One module of a program: its key (the file's real path), its model, and the key of the
    module (or namespace folder) each of its imports names, by (dots, dotted name)."""

    key: str
    model: "FileModel"
    links: Dict[Tuple[int, str], str] = field(default_factory=dict)


@dataclass(eq=False)
class FileModel:
    module: cst.Module
    classes: Dict[str, ClassModel] = field(default_factory=dict)
    functions: List[Function] = field(default_factory=list)
    module_bindings: Dict[str, cst.CSTNode] = field(default_factory=dict)
    star_import: bool = False
    # Attribute names stored through something other than ``self`` (``net.a1 = ...``).
    foreign_attribute_stores: Set[str] = field(default_factory=set)
    _by_node: Dict[cst.FunctionDef, Function] = field(default_factory=dict, repr=False)
    _trainable: Optional[Set[str]] = field(default=None, repr=False)
    # Every ``T += e`` / ``T -= e`` / ``T = T ± e`` in the file, keyed by its statement.
    update_sites: Dict[cst.CSTNode, UpdateSite] = field(default_factory=dict)
    # Names called anywhere: ``f(...)`` and ``obj.f(...)``; such functions wait for their callers.
    called_names: Set[str] = field(default_factory=set)
    # Locations used directly as a matrix-product operand or added to a product (``x @ W + b``).
    weight_keys: Set[str] = field(default_factory=set)
    # Locations ever bound to a plain number (for names: counters and loss totals).
    scalar_locations: Set[str] = field(default_factory=set)
    # Updates of a loop variable that runs over parameters written out (``for p, g in
    # zip([W1, b1], [dW1, db1]): p -= lr * g``): statement -> the locations it moves.
    update_aliases: Dict[cst.CSTNode, frozenset] = field(default_factory=dict)
    # Every ``import`` and ``from ... import`` statement, in source order.
    imports: List[cst.CSTNode] = field(default_factory=list)
    # In the model of a program of several modules: the modules, in the order they run.
    parts: Tuple["ModulePart", ...] = ()
    # A package's (or namespace folder's) modules of the program, by key and name.
    submodules: Dict[str, Dict[str, str]] = field(default_factory=dict)
    _parts_by_key: Optional[Dict[str, "ModulePart"]] = field(default=None, repr=False)
    _positions: Optional[dict] = field(default=None, repr=False)
    _node_ids: Optional[Set[int]] = field(default=None, repr=False)

    def trainable_locations(self) -> Set[str]:
        """Locations updated by a non-constant change: the parameters a network trains.

        A plain variable that once held a number is a counter or a loss total; an attribute
        (``self.b = 0.0``) may be a scalar bias. Noise added to data
        (``y += 0.05 * np.random.randn(...)``) or centred with its own mean is not a training step.
        """
        if self._trainable is not None:
            return self._trainable
        keys = set()
        for site in self.update_sites.values():
            key = site.key
            if not key or is_numeric_literal(site.change):
                continue
            if key in self.scalar_locations and isinstance(site.target, cst.Name):
                continue
            if draws_noise(site.change):
                continue
            if read_locations(site.change) <= {key, site.key.rstrip("[]")}:
                continue  # ``X -= X.mean(0)``: data normalised in place
            keys.add(key)
            keys |= self.update_aliases.get(site.statement, frozenset())
        self._trainable = keys  # computed once per file
        return keys

    def positions(self):
        """Every node's place in the module (as costly as a parse: only when a report needs it)."""
        if self._positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions

    def holds(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is part of this module's tree (a walk over node fields, once: a
        fifth of a parse, against a whole parse for positions)."""
        if self._node_ids is None:
            self._node_ids = _node_ids(self.module)
        return id(node) in self._node_ids

    def bodies(self) -> List[Tuple[str, cst.Module]]:
        """Each module's key and syntax tree, in the order their top-level code runs."""
        return [(part.key, part.model.module) for part in self.parts] or [("", self.module)]

    def bindings_of(self, module: str) -> Dict[str, cst.CSTNode]:
        """The names a module binds at its top level."""
        part = self.part(module)
        return part.model.module_bindings if part is not None else self.module_bindings

    def submodule(self, package: str, name: str) -> Optional[str]:
        return self.submodules.get(package, {}).get(name)

    def part(self, module: str) -> Optional["ModulePart"]:
        if not self.parts:
            return None
        if self._parts_by_key is None:
            self._parts_by_key = {part.key: part for part in self.parts}
        return self._parts_by_key.get(module)

    def module_functions(self) -> List[Function]:
        return [f for f in self.functions if f.owner is None and f.parent is None]

    @property
    def class_by_node(self) -> Dict[cst.ClassDef, ClassModel]:
        """The classes by their ``class`` statement (the last definition of a name in a module)."""
        models = [part.model for part in self.parts] or [self]
        return {cls.node: cls for model in models for cls in model.classes.values()}

    @property
    def function_by_node(self) -> Dict[cst.FunctionDef, Function]:
        if len(self._by_node) != len(self.functions):
            self._by_node = {function.node: function for function in self.functions}
        return self._by_node

    def bases_in_file(self, cls: ClassModel) -> Tuple[List[ClassModel], bool]:
        """The class's ancestors defined in this file (in a program, in any of its modules), and
        whether any ancestor is defined elsewhere."""
        found: List[ClassModel] = []
        external = False
        pending = [(cls.module, base) for base in cls.bases]
        seen = {(cls.module, cls.name)}
        while pending:
            module, base = pending.pop()
            if base == "object" or (module, base) in seen:
                continue
            seen.add((module, base))
            model = self._class_named(module, base) if self.parts else self.classes.get(base)
            if model is None:
                external = True
                continue
            found.append(model)
            pending.extend((model.module, b) for b in model.bases)
        return found, external

    def direct_bases(self, cls: ClassModel) -> List[ClassModel]:
        """The class's bases the program defines, in the order written (for ``super()``)."""
        found = [self._class_named(cls.module, base) if self.parts else self.classes.get(base)
                 for base in cls.bases]
        return [base for base in found if base is not None and base is not cls]

    def _class_named(self, module: str, dotted: str, depth: int = 0) -> Optional[ClassModel]:
        """The class ``dotted`` names in ``module``: defined there, or imported into it
        (``from base import Layer``, ``import layers as L`` then ``L.Layer``, a star import)."""
        part = self.part(module)
        if part is None or depth > 8:
            return None
        head, _, rest = dotted.partition(".")
        if not rest and head in part.model.classes:
            return part.model.classes[head]
        for statement in part.model.imports:
            target = _imported_as(statement, head, rest, part.links)
            if target is not None:
                found = self._class_named(target[0], target[1], depth + 1)
                if found is not None:
                    return found
        return None

    def subclasses_of(self, cls: ClassModel) -> List[ClassModel]:
        result = []
        for other in self.classes.values():
            if other is not cls and cls in self.bases_in_file(other)[0]:
                result.append(other)
        return result


def _imported_as(statement: cst.CSTNode, head: str, rest: str,
                 links: Dict[Tuple[int, str], str]) -> Optional[Tuple[str, str]]:
    """Where ``head.rest`` leads through one import statement: (module key, name there)."""
    if isinstance(statement, cst.ImportFrom):
        level = len(statement.relative)
        package = dotted_name(statement.module) if statement.module is not None else ""
        if isinstance(statement.names, cst.ImportStar):
            target = links.get((level, package))
            return (target, ".".join(filter(None, (head, rest)))) if target else None
        for alias in statement.names:
            original = dotted_name(alias.name) or ""
            local = dotted_name(alias.asname.name) if alias.asname is not None else original
            if local != head:
                continue
            submodule = links.get((level, f"{package}.{original}" if package else original))
            if submodule is not None and rest:
                return submodule, rest
            target = links.get((level, package))
            return (target, ".".join(filter(None, (original, rest)))) if target else None
        return None
    if isinstance(statement, cst.Import):
        for alias in statement.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None:
                if dotted_name(alias.asname.name) == head and rest:
                    target = links.get((0, full))
                    return (target, rest) if target else None
            elif full.split(".")[0] == head and rest:
                name = f"{head}.{rest}"
                module, _, attribute = name.rpartition(".")
                target = links.get((0, module))
                return (target, attribute) if target else None
    return None


_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _node_ids(module: cst.Module) -> Set[int]:
    seen: Set[int] = set()
    pending: List[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        seen.add(id(node))
        names = _FIELDS.get(type(node))
        if names is None:
            names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
        for name in names:
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                pending.append(value)
            elif isinstance(value, (tuple, list)):
                pending.extend(item for item in value if isinstance(item, cst.CSTNode))
    return seen
