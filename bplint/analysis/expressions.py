"""The interpreter's expressions: names, literals and containers, operators (a matrix product
has one meaning however it is written), subscripts and attributes (of arrays, instances, modules
of the program, ``super()``)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from bplint.analysis import direction as dirn
from bplint.analysis import numpy_api, shapes
from bplint.analysis.dropout_flow import keeps_below
from bplint.analysis.facts import CombinationFact, ShapeProblem
from bplint.analysis.network_kinds import is_one, near, subtracts_its_max
from bplint.analysis.values import (
    ANY_KEY, BOTTOM, CONSTANT, DATA, PROJECT, UNKNOWN, Direction, Source, Value, combine_sources,
    element_of, entry_of, join,
)
from bplint.analysis.weight_use import through_weight
from bplint.model.build import dotted_name
from bplint.model.locations import literal_key, location_key
from bplint.model.units import ClassModel, Function


def _as_parameter(value: Value, key: str) -> Value:
    if value.is_gradient_like or value.direction in (Direction.ZERO, Direction.BOTTOM):
        return value
    if value.function is None and value.instance_of is None and value.ref is None \
            and value.items is None and value.entries is None:
        return value.with_(source=Source.NETWORK, location=key)
    return value


def _size_attribute(attr: str, owner: Value) -> Value:
    """``x.shape`` (a tuple of sizes), ``x.size``, ``x.ndim``: constants that remember the sizes."""
    flag = owner.source == Source.NETWORK
    scalar = CONSTANT.with_(shape=(), shape_of_network=flag)
    shape = owner.shape
    if attr == "shape":
        if shape is None:
            # Sizes not known, not even how many: each of them is still a scalar (``Y.shape[0]``).
            return Value(source=Source.CONST, shape_of_network=flag, items=(scalar,), unsized=True)
        return Value(source=Source.CONST, shape_of_network=flag,
                     items=tuple(scalar.with_(dim=d) for d in shape))
    if attr == "size":
        return scalar.with_(dim=shapes.size(shape))
    if attr == "ndim":
        return scalar.with_(dim=len(shape) if shape is not None else None)
    return CONSTANT


def _elementwise_shape(shape, left: Value, right: Value):
    """(shape, unbound) of an elementwise result whose broadcast shape may be unknown.

    An input no call passes (or an attribute never stored) has no known shape; next to a known
    shape it is taken to match it (``y - out``, ``(self.a1 > 0) * delta``), and a result made
    only of such inputs stays one.
    """
    if shape is not None:
        return shape, False
    if left.shape is None and left.shape_free and right.shape is not None:
        return right.shape, False
    if right.shape is None and right.shape_free and left.shape is not None:
        return left.shape, False
    unknown = [v for v in (left, right) if v.shape is None]
    return None, bool(unknown) and all(v.shape_free for v in unknown)



def _raw_delta(operator: str, left: Value, right: Value):
    """Whether a raw delta stays raw: scaled by constants or masked, or summed with others."""
    if operator in ("Add", "Subtract"):
        return left.raw_delta or right.raw_delta
    if operator in ("Multiply", "Divide"):
        for delta, factor in ((left, right), (right, left)):
            if delta.raw_delta and (factor.mask or factor.source in (Source.CONST, Source.DATA)) \
                    and not (factor.kind and factor.kind[0] == "deriv"):
                return delta.raw_delta
    return None


def _operand_nodes(node) -> tuple:
    """The two operand expressions of a binary operation, an ``a.dot(b)`` or ``np.dot(a, b)``."""
    if isinstance(node, cst.BinaryOperation):
        return node.left, node.right
    if isinstance(node, cst.AugAssign):
        return node.target, node.value
    if isinstance(node, cst.Call):
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if isinstance(node.func, cst.Attribute) and dotted_name(node.func.value) not in ("np", "numpy"):
            if positional:
                return node.func.value, positional[0]
        if len(positional) >= 2:
            return positional[0], positional[1]
    return None, None


def _number(node):
    """The value of a number literal (faster than libcst's ``evaluated_value``)."""
    text = node.value
    try:
        return int(text, 0) if isinstance(node, cst.Integer) else float(text)
    except ValueError:
        return node.evaluated_value


NEVER_STORED = Value(source=Source.UNKNOWN, direction=Direction.NONE, shape_free=True)


class Expressions:
    """Part of :class:`~bplint.analysis.interpreter.Interpreter` (whose state it reads and writes):
    the value of each expression."""

    def eval(self, node) -> Value:
        handler = getattr(self, "_eval_" + type(node).__name__, None)
        if handler is None:
            return UNKNOWN
        value = handler(node)
        if isinstance(node, (cst.BinaryOperation, cst.Call, cst.Comparison)):
            value = self._inline_kind(node, value)
        return value

    def _trainable(self, node, value: Value) -> Value:
        """A read of a parameter (or of a container of parameters) is a network value."""
        key = location_key(node)
        if key is None:
            return value
        if key in self.trainable:
            return _as_parameter(value, key)
        inner = key + "[]"
        if inner in self.trainable:
            if value.items is not None:
                return value.with_(items=tuple(_as_parameter(v, inner) for v in value.items))
            if value.entries is not None:
                return value.with_(entries=tuple((k, _as_parameter(v, inner))
                                                 for k, v in value.entries))
            return _as_parameter(value, inner)
        return value

    def _eval_Name(self, node: cst.Name) -> Value:
        name = node.value
        if name == "None":
            return BOTTOM  # contributes nothing to a join: ``mask = None`` then a real mask
        if name in ("True", "False"):
            return CONSTANT.with_(shape=(), dim=int(name == "True"))
        return self._trainable(node, self.lookup(name))

    def _eval_Integer(self, node) -> Value:
        value = _number(node)
        return CONSTANT.with_(direction=Direction.ZERO if value == 0 else Direction.NONE,
                              shape=(), dim=value)

    def _eval_Float(self, node) -> Value:
        value = _number(node)
        return CONSTANT.with_(direction=Direction.ZERO if value == 0 else Direction.NONE, shape=())

    def _eval_Imaginary(self, node) -> Value:
        return CONSTANT

    def _eval_SimpleString(self, node) -> Value:
        return CONSTANT

    _eval_ConcatenatedString = _eval_SimpleString
    _eval_FormattedString = _eval_SimpleString
    _eval_Ellipsis = _eval_SimpleString

    def _eval_Tuple(self, node) -> Value:
        items = tuple(self.eval(e.value) for e in node.elements)
        if any(isinstance(e, cst.StarredElement) for e in node.elements):
            return UNKNOWN
        return self._sequence(items)

    @staticmethod
    def _sequence(items) -> Value:
        source = combine_sources(*(i.source for i in items)) if items else Source.CONST
        return Value(source=source, items=items)

    _eval_List = _eval_Tuple

    def _eval_Set(self, node) -> Value:
        for element in node.elements:
            self.eval(element.value)
        return UNKNOWN

    def _eval_Dict(self, node) -> Value:
        entries = {}
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return UNKNOWN
            key = literal_key(element.key)
            value = self.eval(element.value)
            if key is None:
                return UNKNOWN
            entries[key] = value
        return Value(source=Source.CONST, entries=tuple(sorted(entries.items(), key=lambda kv: repr(kv[0]))))

    def _eval_Lambda(self, node) -> Value:
        # The lambda sees the names of the frame that defines it (``self`` in ``__init__``).
        self.closures[node] = (self.frame.function, self.frame.env.values)
        return Value(source=Source.CONST, function=node)

    def _comprehension(self, node) -> Value:
        """``[f(x) for x in xs]`` is, as an array, what ``f`` makes of one element."""
        env = self.frame.env
        saved_values, saved_definitions = dict(env.values), dict(env.definitions)
        comp = node.for_in
        while comp is not None:
            self._store(comp.target, element_of(self.eval(comp.iter)), node)
            for condition in comp.ifs:
                self.eval(condition)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.eval(node.key)
            element = self.eval(node.value)
            env.values, env.definitions = saved_values, saved_definitions
            return Value(source=Source.CONST, entries=((ANY_KEY, element),))
        else:
            element = self.eval(node.elt)
        env.values, env.definitions = saved_values, saved_definitions
        if element.instance_of is not None or element.function is not None or element.ref:
            return UNKNOWN
        # As an array: one row per element, when the loop's length is known and nothing is skipped.
        iterated = self.eval(node.for_in.iter)
        count = None
        if node.for_in.inner_for_in is None and not node.for_in.ifs:
            if iterated.shape:
                count = iterated.shape[0]
            elif iterated.items is not None and not iterated.unsized:
                count = len(iterated.items)
        if element.items is not None or element.entries is not None:
            # A list of tuples or dicts (``[samples[j] for j in idx]``): a sequence of them.
            return Value(source=element.source, items=(element,), unsized=True,
                         shape=(count,) if count is not None else None)
        shape = (count,) + element.shape if element.shape is not None else None
        return element.with_(items=None, entries=None, mask=False, random_draw=False, shape=shape,
                             dim=None)

    _eval_ListComp = _comprehension
    _eval_GeneratorExp = _comprehension
    _eval_SetComp = _comprehension
    _eval_DictComp = _comprehension

    def _eval_Yield(self, node) -> Value:
        if node.value is not None and not isinstance(node.value, cst.From):
            self.frame.yielded = join(self.frame.yielded, self.eval(node.value))
        return UNKNOWN

    def _eval_NamedExpr(self, node) -> Value:
        value = self.eval(node.value)
        self._store(node.target, value, node)
        return value

    def _eval_IfExp(self, node) -> Value:
        self.eval(node.test)
        return join(self.eval(node.body), self.eval(node.orelse))

    def _eval_BooleanOperation(self, node) -> Value:
        return join(self.eval(node.left), self.eval(node.right))

    def _eval_Comparison(self, node) -> Value:
        operands = [self.eval(node.left)] + [self.eval(c.comparator) for c in node.comparisons]
        if any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)) for c in node.comparisons):
            return Value(source=combine_sources(*(v.source for v in operands)), shape=())
        # A uniform draw against a keep probability; against a network output it is sampling.
        mask = any(v.random_draw for v in operands) and \
            not any(v.source == Source.NETWORK for v in operands if not v.random_draw)
        source = combine_sources(*(v.source for v in operands))
        direction = Direction.BOTTOM if any(v.direction == Direction.BOTTOM for v in operands) else Direction.NONE
        shape = operands[0].shape
        made_axis = any(v.made_axis for v in operands)
        for other in operands[1:]:
            outcome = shapes.broadcast(shape, other.shape)
            if outcome.problem == "outer" and made_axis:
                shape = outcome.shape
                continue
            if outcome.problem and len(operands) == 2:
                self._shape_problem(node, outcome.problem, operands[0], operands[1])
            shape = None if outcome.problem else outcome.shape
        free = False
        if len(operands) == 2 and shape is None:
            shape, free = _elementwise_shape(shape, operands[0], operands[1])
        if mask:
            threshold = [c.comparator if v.random_draw else node.left
                         for v, c in zip(operands, node.comparisons)]
            draw_first = operands[0].random_draw
            self.mask_thresholds[node] = (self.model.module.code_for_node(threshold[0]).strip(),
                                          keeps_below(node.comparisons[0].operator, draw_first))
        return Value(source=source, direction=direction, mask=mask, shape=shape, shape_free=free,
                     mask_origin=node if mask else None)

    def _eval_UnaryOperation(self, node) -> Value:
        value = self.eval(node.expression)
        if isinstance(node.operator, cst.Minus):
            negated = dirn.negate(value)
            return negated.with_(dim=-value.dim if isinstance(value.dim, int) else None)
        if isinstance(node.operator, cst.Plus):
            return value
        return Value(source=value.source)

    def _eval_BinaryOperation(self, node: cst.BinaryOperation) -> Value:
        left = self.eval(node.left)
        right = self.eval(node.right)
        return self._binary(type(node.operator).__name__, left, right, node)

    def _binary(self, operator: str, left: Value, right: Value, node) -> Value:
        if operator == "MatrixMultiply":
            return self._matrix_product(node, left, right)
        result = self._binary_value(operator, left, right, node)
        dim = shapes.fold(operator, left.dim, right.dim)
        result = result.with_(raw_delta=_raw_delta(operator, left, right),
                              propagated=left.propagated or right.propagated
                              or through_weight(left, right))
        if operator in ("Add", "Subtract") and (left.undropped or right.undropped):
            # ``delta + mask`` is BP301's: the mask is there, combined the wrong way.
            masked = left.mask or right.mask
            result = result.with_(undropped=None if masked else left.undropped or right.undropped)
        outcome = shapes.broadcast(left.shape, right.shape)
        if outcome.problem == "outer" and (left.made_axis or right.made_axis):
            # ``x[:, None] - x``: an outer product on purpose
            return result.with_(shape=outcome.shape, dim=None, made_axis=True)
        if outcome.problem:
            # Reported once, here: what follows from it is not reported again.
            self._shape_problem(node, outcome.problem, left, right)
            return result.with_(shape=None, dim=None)
        shape, free = _elementwise_shape(outcome.shape, left, right)
        return result.with_(shape=shape, dim=dim, shape_free=free, unbound_input=False,
                            made_axis=left.made_axis or right.made_axis)

    def _binary_value(self, operator: str, left: Value, right: Value, node) -> Value:
        if operator in ("Add", "Subtract") and (left.mask or right.mask):
            self.observed.combinations[node] = CombinationFact(
                node, "+" if operator == "Add" else "-", left, right)
        if operator == "Subtract":
            return self._subtract(left, right, node)
        source = combine_sources(left.source, right.source)
        if operator == "Add" and isinstance(node, cst.BinaryOperation):
            self._note_bias((left, node.left), (right, node.right))
            direction, sign = dirn.sum_direction(left, right)
            pre = next((v.kind for v in (left, right) if v.kind and v.kind[0] == "pre"), None)
            return Value(source=source, direction=direction, sign=sign,
                         origin=left.origin or right.origin, kind=pre or near(left, right))
        if operator == "Divide" and left.kind and left.kind[0] == "exp" \
                and right.kind == ("expsum", left.kind):
            return self._softmax(left, right)
        if operator in ("Multiply", "Divide", "FloorDivide"):
            if operator == "Multiply":
                self._note_chain_rule(left, right, node)
            direction, sign = dirn.product_direction(left, right)
            # A mask stays a mask scaled by a keep probability, not by ``-1e9`` (an additive mask).
            mask = (left.mask and not right.mask and right.source in (Source.CONST, Source.DATA)
                    and right.sign > 0) or \
                   (right.mask and not left.mask and left.source in (Source.CONST, Source.DATA)
                    and left.sign > 0 and operator == "Multiply")
            scaled_draw = (left.random_draw and right.source == Source.CONST) or \
                          (right.random_draw and left.source == Source.CONST)
            # Dropping units keeps an activation an activation (``h * mask``).
            kind = next((v.kind for v, other in ((left, right), (right, left))
                         if v.kind and v.kind[0] == "act" and other.mask), None)
            result = Value(source=source, direction=direction, sign=sign,
                           origin=left.origin or right.origin, mask=mask, random_draw=scaled_draw,
                           kind=kind)
            return self._dropout(operator, left, right, node, result)
        if operator == "Power":
            exponent = getattr(node, "right", None)
            if isinstance(exponent, cst.Integer) and int(exponent.value) % 2 == 0:
                return numpy_api._even_power(left)
            if left.is_gradient_like or Direction.TOP in (left.direction, right.direction):
                return Value(source=source, direction=Direction.TOP, sign=0)
            if Direction.BOTTOM in (left.direction, right.direction):
                return Value(source=source, direction=Direction.BOTTOM)
            return Value(source=source)
        return numpy_api._derived([left, right])

    def _matrix_product(self, node, left: Value, right: Value) -> Value:
        """``a @ b``, ``a.dot(b)``, ``np.dot(a, b)`` and ``np.matmul(a, b)``: one meaning however
        it is written. Its shape (and a mismatch, BP401), its gradient direction (a product's),
        and what it tells about the network: a pre-activation, the weights it multiplies."""
        product = shapes.matmul(numpy_api.array_shape(left), numpy_api.array_shape(right),
                                left.unbound_input)
        if product.mismatch:
            self._shape_problem(node, "matmul", left, right)
        value = numpy_api.call_numpy("matmul", [left, right], {})
        return value.with_(shape=product.shape, **self._network_product(node, left, right))

    def _network_product(self, node, left: Value, right: Value) -> dict:
        """What a product of a weight and a layer's values tells (see :mod:`weight_use`): the
        product is a pre-activation, and it carries back a delta (raw, without a mask its
        forward applied, or through a weight) when one of its operands does."""
        self._note_backpropagated(left, right)
        self._undropped = None
        self._propagated = False
        carried_back = self._note_weights(left, right, node=node)
        return dict(kind=("pre", node),
                    raw_delta=carried_back or left.raw_delta or right.raw_delta,
                    undropped=self._undropped or left.undropped or right.undropped,
                    propagated=self._propagated or left.propagated or right.propagated)

    def _shape_problem(self, node, kind: str, left: Value, right: Value) -> None:
        """Remember the first shape problem seen at a node (in any calling context)."""
        if node in self.shape_problems:
            return
        left_node, right_node = _operand_nodes(node)
        self.shape_problems[node] = ShapeProblem(node, kind, left, right, left_node, right_node)

    def _subtract(self, left: Value, right: Value, node) -> Value:
        result = numpy_api.subtract(left, right, node)
        if node is not None and result.origin is node:
            self.errors[node] = result.direction
            prediction = left if left.source == Source.NETWORK else right
            if prediction.kind and prediction.kind[0] == "act":
                result = result.with_(kind=("error", prediction.kind[1]))
        elif right.kind and right.kind[0] == "act" and isinstance(node, cst.BinaryOperation) \
                and is_one(node.left):
            result = result.with_(kind=("one_minus", right.kind[1], right.kind[2]))  # ``1 - p``
        elif isinstance(node, cst.BinaryOperation) and subtracts_its_max(node):
            result = result.with_(kind=("shifted",))  # ``z - z.max(axis=1, keepdims=True)``
        return result

    def _eval_Subscript(self, node: cst.Subscript) -> Value:
        container = self.eval(node.value)
        key = None
        indices = []
        parts = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                value = self.eval(element.slice.value)
                indices.append(value)
                parts.append(self._index_part(element.slice.value, value))
                if len(node.slice) == 1:
                    key = literal_key(element.slice.value)
            else:
                parts.append(self._slice_part(element.slice))
        if container.entries is not None or container.items is not None:
            if key is None and container.items is not None and any(
                    i.source != Source.CONST for i in indices):
                if container.unsized and len(indices) == 1 and indices[0].shape == ():
                    return element_of(container)  # one element of a list grown by ``append``
                return UNKNOWN
            return self._trainable(node, entry_of(container, key))
        if container.ref is not None and container.ref.startswith("numpy."):
            return numpy_api._derived(indices + [DATA])  # np.c_[...], np.r_[...]
        if container.instance_of is not None or container.function is not None or container.ref:
            return UNKNOWN
        # A row or column of a uniform draw is data (synthetic inputs), not the draw of a mask.
        selected = container.with_(random_draw=False, shape=shapes.index(container.shape, parts),
                                   dim=None, unbound_input=False,
                                   made_axis=container.made_axis or ("newaxis",) in parts)
        return self._trainable(node, selected)

    @staticmethod
    def _index_part(expression, value: Value) -> tuple:
        if isinstance(expression, (cst.Comparison, cst.BooleanOperation)) or (
                isinstance(expression, cst.UnaryOperation) and isinstance(expression.operator, cst.BitInvert)):
            return ("unknown",)  # a boolean mask selects an unknown number of rows
        if (isinstance(expression, cst.Name) and expression.value == "None") or \
                (dotted_name(expression) or "").endswith(".newaxis"):
            return ("newaxis",)
        if value.shape == () or isinstance(value.dim, int):
            return ("int",)
        if value.shape is not None and len(value.shape) == 1 and not value.mask:
            if value.source == Source.CONST or value.items is None:
                return ("fancy", value.shape[0])
        return ("unknown",)

    def _slice_part(self, part: cst.Slice) -> tuple:
        lower = self.eval(part.lower) if part.lower is not None else None
        upper = self.eval(part.upper) if part.upper is not None else None
        if part.step is not None:
            self.eval(part.step)
            return ("unknown",)
        if lower is None and upper is None:
            return ("slice", shapes.FULL)
        if isinstance(part.upper, cst.BinaryOperation) and isinstance(part.upper.operator, cst.Add) \
                and part.lower is not None and part.upper.left.deep_equals(part.lower):
            return ("slice", self.eval(part.upper.right).dim)  # ``X[i:i + batch]``
        start = 0 if lower is None else lower.dim
        if not isinstance(start, int) or start < 0:
            return ("slice", None)
        if upper is None:
            return ("slice_from", start)
        if isinstance(upper.dim, int) and upper.dim >= 0:
            return ("slice", max(upper.dim - start, 0))
        if isinstance(upper.dim, int) and start == 0:
            return ("slice_from", -upper.dim)
        return ("slice", None)

    def _eval_Attribute(self, node: cst.Attribute) -> Value:
        return self._attribute(self.eval(node.value), node)

    def _attribute(self, owner: Value, node: cst.Attribute) -> Value:
        """``owner.attr`` with ``owner`` already evaluated."""
        attr = node.attr.value
        if owner == BOTTOM:
            return BOTTOM  # no information yet: decide nothing (a later round will)
        if owner.ref is not None:
            if attr == "newaxis":
                return CONSTANT
            if owner.ref.startswith(PROJECT):
                return self._project_attribute(owner.ref[len(PROJECT):], attr)
            return Value(source=Source.CONST, ref=f"{owner.ref}.{attr}")
        if owner.instance_of is not None:
            return self._instance_attribute(owner, node)
        if owner.entries is not None and attr in ("items", "keys", "values", "get"):
            return Value(source=Source.CONST, ref=f"dict.{attr}", bound_self=owner)
        if owner.function is not None or owner.items is not None or owner.entries is not None:
            return UNKNOWN
        if attr in ("shape", "size", "ndim", "dtype"):
            return _size_attribute(attr, owner)
        if attr == "T":
            return owner.with_(random_draw=False, shape=shapes.transpose(owner.shape),
                               unbound_input=False)
        # Methods of arrays are resolved when called; the attribute alone keeps the receiver.
        return self._trainable(node, owner)

    def _project_attribute(self, module: str, attr: str) -> Value:
        """``layers.affine_forward`` where ``layers`` is a module of the program (or a package
        whose submodule ``attr`` is)."""
        submodule = self.model.submodule(module, attr)
        if submodule is not None:
            return Value(source=Source.CONST, ref=PROJECT + submodule)
        return self._global_of(module, attr)

    def _instance_attribute(self, owner: Value, node: cst.Attribute) -> Value:
        """An attribute of an instance of one of the classes ``owner`` may be."""
        attr = node.attr.value
        key = self._env_key(node)
        if key is not None and key in self.frame.env.values:
            return self._trainable(node, self.frame.env.values[key])
        methods = [m for m in (self._method(cls, attr) for cls in owner.instance_of) if m]
        if methods:
            if len(methods) < len(owner.instance_of):
                return UNKNOWN
            target = methods[0] if len(methods) == 1 else tuple(methods)
            return Value(source=Source.CONST, function=target, bound_self=owner)
        result = BOTTOM
        for cls in owner.instance_of:
            family = [cls] + self.model.bases_in_file(cls)[0]
            found = [self.summaries.get("attributes", (c.name, attr)) for c in family]
            found = [v for v in found if v is not None]
            if any(attr in c.body_bindings for c in family):
                result = join(result, DATA)  # a class-level default (dataclass field)
            if found:
                result = join(result, found[0])
            elif not any(attr in c.attribute_stores() for c in family):
                # Never stored: not a gradient of ours, whatever else it is (BP102 reports it).
                result = join(result, self._meant_attribute(cls, attr))
        return self._trainable(node, result)

    def _meant_attribute(self, cls: ClassModel, attr: str) -> Value:
        """An attribute never stored (BP102): the shape of the local a sibling computes by that
        name (``forward``'s ``a1`` for ``self.a1``), which is what the code means; else nothing."""
        locals_ = [self.final_locals.get(m, {}).get(attr) for m in cls.methods.values()
                   if attr in m.bindings and attr not in m.params]
        locals_ = [v for v in locals_ if v is not None]
        if len(locals_) == 1 and locals_[0].shape is not None:
            return NEVER_STORED.with_(shape=locals_[0].shape, shape_free=False)
        return NEVER_STORED

    def _is_super(self, node) -> bool:
        """``super()`` (or ``super(Cls, self)``) in a method, ``super`` not rebound."""
        return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
            and node.func.value == "super" and self.lookup("super").ref == "builtins.super" \
            and self._method_owner() is not None

    def _method_owner(self) -> Optional[ClassModel]:
        function = self.frame.function
        while function is not None and function.parent is not None:
            function = function.parent
        return function.owner if function is not None else None

    def _super_method(self, name: str) -> Value:
        """``super().name``: the first base (in the order written) that defines ``name``, bound
        to this method's instance; unknown when no base of the program does."""
        owner = self._method_owner()
        for base in self.model.direct_bases(owner):
            method = self._method(base, name)
            if method is not None:
                top = self.frame.function
                while top.parent is not None:
                    top = top.parent
                instance = self.lookup(top.self_name) if top.self_name else UNKNOWN
                return Value(source=Source.CONST, function=method, bound_self=instance)
        return UNKNOWN

    def _method(self, cls: ClassModel, name: str) -> Optional[Function]:
        for klass in [cls] + self.model.bases_in_file(cls)[0]:
            if name in klass.methods:
                return klass.methods[name]
        return None
