"""One walk over the syntax tree that builds the :class:`FileModel`.

Python's scoping is followed where it matters for the rules: function bodies, lambdas and
comprehensions have their own names; class bodies do not leak into methods; ``global`` and
``nonlocal`` are honoured. Only names in expression (load) position are recorded as reads.
"""

from __future__ import annotations

from typing import List, Optional, Set, Union

import libcst as cst

from bplint.model.locations import dotted_name, is_numeric_literal, location_key, update_site
from bplint.model.units import ClassModel, FileModel, Function

_DYNAMIC_HOOKS = {"__getattr__", "__getattribute__", "__setattr__"}


def loop_ranges(target: cst.BaseExpression, iterable: cst.BaseExpression,
                sequence_of=lambda node: None) -> dict:
    """What each name of a ``for`` target takes, where the loop runs over the program's own
    locations written out: ``for p, g in zip([W1, b1], [dW1, db1])``, ``for p, g in ((W1, dW1),
    (b1, db1))``, ``for p in (W1, W2)``: name -> the location keys (``{"W1", "b1"}`` for ``p``).
    ``sequence_of`` gives the literal list a name or attribute holds (``zip(params, grads)``)."""
    columns = _columns(iterable, sequence_of)
    if columns is None:
        return {}
    names = [target] if isinstance(target, cst.Name) else (
        [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [])
    if len(names) == 1 and isinstance(target, cst.Name) and len(columns) > 1:
        return {}  # ``for pair in zip(a, b)``: a tuple, not a location
    if len(names) != len(columns):
        return {}
    ranges = {}
    for name, column in zip(names, columns):
        keys = {location_key(e) for e in column}
        if isinstance(name, cst.Name) and column and None not in keys:
            ranges[name.value] = frozenset(keys)
    return ranges


def _columns(iterable: cst.BaseExpression, sequence_of):
    """The element expressions of each position of a literal loop: one column per zipped list
    (or per position of literal tuples), else None."""
    iterable = sequence_of(iterable) or iterable
    if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) \
            and iterable.func.value == "zip" and iterable.args \
            and all(a.keyword is None and not a.star for a in iterable.args):
        lists = [sequence_of(a.value) or a.value for a in iterable.args]
        if all(isinstance(v, (cst.List, cst.Tuple)) for v in lists):
            return [[e.value for e in v.elements] for v in lists]
        return None
    if not isinstance(iterable, (cst.List, cst.Tuple)) or not iterable.elements:
        return None
    rows = [e.value for e in iterable.elements]
    if all(isinstance(r, (cst.Tuple, cst.List)) for r in rows):
        width = len(rows[0].elements)
        if any(len(r.elements) != width for r in rows):
            return None
        return [[r.elements[i].value for r in rows] for i in range(width)]
    return [rows]


def is_matrix_product(node: cst.BaseExpression) -> bool:
    """``a @ b``, ``np.dot(a, b)``, ``a.dot(b)``, ``np.matmul(a, b)``."""
    if isinstance(node, cst.BinaryOperation):
        return isinstance(node.operator, cst.MatrixMultiply)
    if isinstance(node, cst.Call) and isinstance(node.func, (cst.Attribute, cst.Name)):
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value
        return name in ("dot", "matmul", "einsum", "tensordot", "inner")
    return False


class _Builder(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        self.model = FileModel(module)
        # The enclosing units, innermost last: None stands for the module.
        self.units: List[Union[Function, ClassModel, None]] = [None]
        # Names bound by enclosing lambdas and comprehensions of the current function.
        self.transparent: List[Set[str]] = []
        # The parameters each loop variable of the enclosing ``for`` loops ranges over.
        self.loop_ranges: List[dict] = []
        # Lists of locations written out, by the name (per function) or attribute they are in.
        self.sequences: List[dict] = [{}]
        self.attribute_sequences: dict = {}

    # -- where names go ----------------------------------------------------------------------

    @property
    def function(self) -> Optional[Function]:
        for unit in reversed(self.units):
            if isinstance(unit, Function):
                return unit
        return None

    def bind(self, name: str, node: cst.CSTNode) -> None:
        unit = self.units[-1]
        if isinstance(unit, Function):
            if name in unit.declared_global:
                self.model.module_bindings.setdefault(name, node)
            unit.bindings.setdefault(name, node)
        elif isinstance(unit, ClassModel):
            unit.body_bindings.add(name)
        else:
            self.model.module_bindings.setdefault(name, node)

    def bind_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value)
        elif isinstance(target, cst.Attribute):
            target.value.visit(self)
            self.record_attribute_store(target)
        else:
            target.visit(self)

    def record_attribute_store(self, target: cst.Attribute) -> None:
        function = self.function
        owner = function.self_name if function else None
        if owner and isinstance(target.value, cst.Name) and target.value.value == owner:
            function.attribute_stores.setdefault(target.attr.value, target)
            method = function
            while method.parent is not None:  # a closure in a method stores on the same instance
                method = method.parent
                method.attribute_stores.setdefault(target.attr.value, target)
        else:
            self.model.foreign_attribute_stores.add(target.attr.value)

    def enclosing_class(self) -> Optional[ClassModel]:
        function = self.function
        while function is not None and function.parent is not None:
            function = function.parent
        return function.owner if function else None

    # -- definitions --------------------------------------------------------------------------

    def _not_straight_line(self) -> None:
        function = self.function
        if function is not None:
            function.straight_line = False

    def visit_While(self, node: cst.While) -> None:
        self._not_straight_line()

    def visit_Try(self, node: cst.Try) -> None:
        self._not_straight_line()

    def visit_With(self, node: cst.With) -> None:
        self._not_straight_line()

    def visit_Yield(self, node: cst.Yield) -> None:
        self._not_straight_line()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._not_straight_line()
        for decorator in node.decorators:
            decorator.visit(self)
        self.bind(node.name.value, node.name)
        parent_unit = self.units[-1]
        owner = parent_unit if isinstance(parent_unit, ClassModel) else None
        function = Function(node, node.name.value, owner=owner or self.enclosing_class(),
                            parent=self.function if owner is None else None)
        function.decorators = {dotted_name(d.decorator) or "" for d in node.decorators}
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                param.default.visit(self)
                function.defaults[param.name.value] = param.default
        for param in (*params.posonly_params, *params.params):
            function.params.append(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                function.params.append(star.name.value)
        function.params.extend(p.name.value for p in params.kwonly_params)
        for name in function.params:
            function.bindings[name] = node
        if owner is not None:
            owner.methods[function.name] = function
            if function.name in _DYNAMIC_HOOKS:
                owner.dynamic_attributes = True
        self.model.functions.append(function)
        self.units.append(function)
        self.sequences.append({})
        saved, self.transparent = self.transparent, []
        node.body.visit(self)
        self.transparent = saved
        self.sequences.pop()
        self.units.pop()
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._not_straight_line()
        for decorator in node.decorators:
            decorator.visit(self)
        for arg in node.bases:
            arg.value.visit(self)
        for arg in node.keywords:
            arg.value.visit(self)
        self.bind(node.name.value, node.name)
        cls = ClassModel(node, node.name.value,
                         bases=[dotted_name(arg.value) or "?" for arg in node.bases],
                         enclosing=self.function)
        if node.keywords:
            cls.dynamic_attributes = True
        self.model.classes[cls.name] = cls  # a later definition replaces an earlier one
        self.units.append(cls)
        node.body.visit(self)
        self.units.pop()
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        names = set()
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            names.add(param.name.value)
            if param.default is not None:
                param.default.visit(self)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        self.transparent.append(names)
        node.body.visit(self)
        self.transparent.pop()
        return False

    def _comprehension(self, node, parts) -> bool:
        names: Set[str] = set()
        comp = node.for_in
        first = True
        while comp is not None:
            if first:
                comp.iter.visit(self)
            self._collect_names(comp.target, names)
            first = False
            comp = comp.inner_for_in
        self.transparent.append(names)
        comp = node.for_in
        first = True
        while comp is not None:
            if not first:
                comp.iter.visit(self)
            for condition in comp.ifs:
                condition.visit(self)
            first = False
            comp = comp.inner_for_in
        for part in parts:
            part.visit(self)
        self.transparent.pop()
        return False

    def _collect_names(self, target: cst.BaseExpression, names: Set[str]) -> None:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._collect_names(element.value, names)
        elif isinstance(target, cst.StarredElement):
            self._collect_names(target.value, names)
        else:
            target.visit(self)

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node, [node.key, node.value])

    # -- statements that bind -----------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self.bind_target(target.target)
            self.note_scalar(target.target, node.value)
            self.note_sequence(target.target, node.value)
        self.note_update(node)
        return False

    def sequence_of(self, node: cst.BaseExpression):
        """The literal list ``node`` (a name or ``self.x``) was bound to, if it is known."""
        key = location_key(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if key is None:
            return None
        if isinstance(node, cst.Name):
            for table in reversed(self.sequences):
                if key in table:
                    return table[key]
            return None
        return self.attribute_sequences.get(key)

    def note_sequence(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """``params = [W1, b1]`` (or ``self.params = [...]``): a list of locations written out,
        for the loops that step them; a name bound twice in its function is left unknown."""
        key = location_key(target)
        if key is None or isinstance(target, cst.Subscript):
            return
        table = self.sequences[-1] if isinstance(target, cst.Name) else self.attribute_sequences
        literal = isinstance(value, (cst.List, cst.Tuple)) and value.elements
        table[key] = None if key in table or not literal else value

    def note_update(self, node: cst.CSTNode) -> None:
        site = update_site(node)
        if site is not None:
            self.model.update_sites[node] = site
            if isinstance(site.target, cst.Name):
                for ranges in reversed(self.loop_ranges):
                    if site.target.value in ranges:
                        self.model.update_aliases[node] = ranges[site.target.value]
                        break
            function = self.function
            if function is not None and site.key:
                function.updated_keys.add(site.key)

    def note_scalar(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements):
                    self.note_scalar(t.value, v.value)
            return
        key = location_key(target)
        if key and is_numeric_literal(value):
            self.model.scalar_locations.add(key)

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self.note_update(node)
        node.value.visit(self)
        node.target.visit(self)
        self.bind_target(node.target)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        node.annotation.visit(self)
        if node.value is not None:
            node.value.visit(self)
        self.bind_target(node.target)
        return False

    def visit_For(self, node: cst.For) -> bool:
        self._not_straight_line()
        node.iter.visit(self)
        self.bind_target(node.target)
        self.loop_ranges.append(loop_ranges(node.target, node.iter, self.sequence_of))
        node.body.visit(self)
        self.loop_ranges.pop()
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        node.item.visit(self)
        if node.asname is not None:
            self.bind_target(node.asname.name)
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> bool:
        if node.type is not None:
            node.type.visit(self)
        if node.name is not None:
            self.bind_target(node.name.name)
        node.body.visit(self)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        if isinstance(node.target, cst.Name):
            self.bind(node.target.value, node.target)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        self.model.imports.append(node)
        for alias in node.names:
            if alias.asname is not None:
                self.bind_target(alias.asname.name)
            else:
                top = dotted_name(alias.name)
                if top:
                    self.bind(top.split(".")[0], alias.name)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self.model.imports.append(node)
        if isinstance(node.names, cst.ImportStar):
            self.model.star_import = True
            return False
        for alias in node.names:
            name = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(name, cst.Name):
                self.bind(name.value, name)
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        self._not_straight_line()
        function = self.function
        if function is not None:
            function.declared_global.update(item.name.value for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        function = self.function
        if function is not None:
            function.declared_nonlocal.update(item.name.value for item in node.names)
            for item in node.names:
                function.bindings.setdefault(item.name.value, item.name)
        return False

    def visit_Del(self, node: cst.Del) -> bool:
        return False

    def visit_MatchAs(self, node) -> bool:
        if node.pattern is not None:
            node.pattern.visit(self)
        if node.name is not None:
            self.bind(node.name.value, node.name)
        return False

    def visit_MatchStar(self, node) -> bool:
        if node.name is not None:
            self.bind(node.name.value, node.name)
        return False

    # -- expressions --------------------------------------------------------------------------

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> bool:
        if isinstance(node.operator, cst.MatrixMultiply):
            self.note_weights(node.left, node.right)
        elif isinstance(node.operator, cst.Add):
            if is_matrix_product(node.left):
                self.note_weights(node.right)
            elif is_matrix_product(node.right):
                self.note_weights(node.left)
        return True

    def note_weights(self, *operands: cst.BaseExpression) -> None:
        for operand in operands:
            if isinstance(operand, cst.Attribute) and operand.attr.value == "T":
                operand = operand.value
            key = location_key(operand)
            if key:
                self.model.weight_keys.add(key)

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        if isinstance(node.func, cst.Name):
            self.model.called_names.add(node.func.value)
        elif isinstance(node.func, cst.Attribute):
            self.model.called_names.add(node.func.attr.value)
        callee = dotted_name(node.func)
        function = self.function
        if function and function.self_name and isinstance(node.func, cst.Attribute) \
                and isinstance(node.func.value, cst.Name) and node.func.value.value == function.self_name:
            function.self_calls.add(node.func.attr.value)
        if is_matrix_product(node):
            operands = [a.value for a in node.args if a.keyword is None]
            if isinstance(node.func, cst.Attribute) and callee and not callee.startswith(("np.", "numpy.")):
                operands.insert(0, node.func.value)  # ``x.dot(W)``
            self.note_weights(*operands[:2])
        if callee in ("setattr", "vars", "object.__setattr__"):
            cls = self.enclosing_class()
            if cls is not None:
                cls.dynamic_attributes = True
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        function = self.function
        owner = function.self_name if function else None
        if owner and isinstance(node.value, cst.Name) and node.value.value == owner:
            if node.attr.value == "__dict__":
                cls = self.enclosing_class()
                if cls is not None:
                    cls.dynamic_attributes = True
            function.attribute_reads.append((node.attr.value, node))
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        if any(node.value in names for names in self.transparent):
            return False
        unit = self.units[-1]
        if isinstance(unit, Function):
            unit.reads.append((node.value, node))
        return False


def build_model(module: cst.Module) -> FileModel:
    builder = _Builder(module)
    module.visit(builder)
    return builder.model
