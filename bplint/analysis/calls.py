"""The interpreter's calls: the program's own functions and classes (their summaries, small
helpers interpreted again at each call), lambdas, NumPy and the builtins."""

from __future__ import annotations

from typing import Dict, List

import libcst as cst

from bplint.analysis import numpy_api, shapes
from bplint.analysis.activations import Derivative
from bplint.analysis.facts import CombinationFact, Observations
from bplint.analysis.frames import Env, Frame
from bplint.analysis.network_kinds import clipped
from bplint.analysis.values import (
    BOTTOM, CONSTANT, DATA, UNKNOWN, Direction, Source, Value, element_of, entry_of, join, sequence_of,
)
from bplint.analysis.weight_use import through_weight
from bplint.model.locations import literal_key
from bplint.model.units import ClassModel, Function

MAX_LAMBDA_DEPTH = 4
MAX_INLINE_DEPTH = 3

_BUILTIN_CONSTANTS = {"len", "int", "float", "round", "bool", "str", "print", "isinstance",
                      "hasattr", "type", "id", "format", "repr", "input", "open"}


def _integer_literals(value: Value) -> bool:
    if value.items is not None:
        return bool(value.items) and all(_integer_literals(item) for item in value.items)
    return value.shape == () and isinstance(value.dim, int) and value.source == Source.CONST


def _integer_dtype(short: str, args, keywords) -> bool:
    """``np.array([[1, 0]])``, ``np.zeros(n, dtype=int)``, ``np.random.randint(...)``."""
    dtype = keywords.get("dtype")
    if dtype is not None:
        ref = dtype.ref or ""
        return ref.split(".")[-1].startswith(("int", "uint")) and "float" not in ref
    if short in ("randint", "integers"):
        return True
    if short in ("array", "asarray") and args:
        return _integer_literals(args[0])
    return False


def _inlinable(function: Function) -> bool:
    """Small, straight-line helpers that store nothing on ``self``: safe to interpret per call."""
    body = function.node.body
    return (function.straight_line and not function.attribute_stores
            and isinstance(body, cst.IndentedBlock) and len(body.body) <= 20)


def _outside_call(args: List[Value]) -> Value:
    """A function from another module: data from outside, unless our network values go in."""
    if any(a.direction == Direction.BOTTOM for a in args):
        return BOTTOM
    if any(a.source in (Source.NETWORK, Source.UNKNOWN) or a.is_gradient_like for a in args):
        return UNKNOWN
    return DATA


class Calls:
    """Part of :class:`~bplint.analysis.interpreter.Interpreter` (whose state it reads and writes):
    what a call returns and what it passes to the function it calls."""

    def _eval_Call(self, node: cst.Call) -> Value:
        args: List[Value] = []
        keywords: Dict[str, Value] = {}
        starred = False
        unpacked: List[Value] = []
        for arg in node.args:
            value = self.eval(arg.value)
            if arg.star:
                starred = True
                unpacked.append(value)
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = value
            else:
                args.append(value)
        func = node.func
        if isinstance(func, cst.Attribute) and self._is_super(func.value):
            return self._call(node, self._super_method(func.attr.value), args, keywords, starred,
                              unpacked)
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value)
            if func.attr.value in ("append", "extend", "insert") and args and \
                    receiver.items is not None and isinstance(func.value, (cst.Name, cst.Attribute)):
                self._grow_list(func, receiver, args[-1])
                return CONSTANT
            if receiver.ref is None and receiver.instance_of is None and receiver.function is None \
                    and receiver.items is None and receiver.entries is None:
                result = numpy_api.array_method(func.attr.value, receiver, args)
                if func.attr.value == "clip":
                    result = result.with_(kind=clipped(receiver))
                elif func.attr.value == "sum" and receiver.kind and receiver.kind[0] == "exp":
                    result = result.with_(kind=("expsum", receiver.kind))
                if func.attr.value == "dot" and len(args) == 1 and not unpacked:
                    return self._matrix_product(node, receiver, args[0])
                return self._with_call_shape(node, func.attr.value, [receiver, *args], keywords,
                                             unpacked, method=True, result=result)
            callee = self._attribute(receiver, func)
        else:
            callee = self.eval(func)
        return self._call(node, callee, args, keywords, starred, unpacked)

    def _with_call_shape(self, node, short: str, args, keywords, unpacked, method: bool,
                         result: Value) -> Value:
        """Give a NumPy call's value its shape, and remember a shape problem it shows."""
        if unpacked:
            if len(unpacked) != 1 or unpacked[0].items is None or unpacked[0].unsized:
                return result.with_(shape=None, dim=None)
            args = [*args, *unpacked[0].items]  # ``np.random.rand(*h.shape)``
        shape, problem = numpy_api.shape_of_call(short, list(args), keywords, method=method)
        if problem is not None:
            kind = "matmul" if isinstance(problem, shapes.Product) else problem.problem
            self._shape_problem(node, kind, args[0], args[1])
            shape = None
        if result.items is not None or result.entries is not None:
            return result
        if shape is None and short in numpy_api.SAME_SHAPE and args and args[0].shape is None \
                and args[0].shape_free:
            result = result.with_(shape_free=True)  # ``np.sqrt(n_in)``: as free as its argument
        keep = keywords.get("keepdims")
        made_axis = (short in ("reshape", "expand_dims") and shape is not None and 1 in shape) \
            or (keep is not None and keep.dim == 1) or (bool(args) and args[0].made_axis
                                                        and short in numpy_api.SAME_SHAPE)
        return result.with_(shape=shape, dim=None, unbound_input=False, made_axis=made_axis)

    def _grow_list(self, method: cst.Attribute, receiver: Value, argument: Value) -> None:
        """``xs.append(v)``: the list becomes a sequence of unknown length of such elements."""
        added = element_of(argument) if method.attr.value == "extend" else argument
        element = element_of(receiver) if receiver.items else BOTTOM
        element = join(element, added)
        self._store(method.value, sequence_of(element), method)

    def _call(self, node, callee: Value, args, keywords, starred, unpacked=()) -> Value:
        if callee.ref is not None:
            return self._call_ref(node, callee, args, keywords, unpacked)
        if starred and unpacked and len(unpacked) == 1 and unpacked[0].items is not None \
                and not unpacked[0].unsized and isinstance(node, cst.Call) \
                and node.args and node.args[-1].star == "*":
            # ``step(layers, *backward(...))``: a tuple of known length spread into the arguments
            args = [*args, *unpacked[0].items]
            starred, unpacked = False, ()
        target = callee.function
        if isinstance(target, tuple):
            result = BOTTOM
            for method in target:
                result = join(result, self._call(node, callee.with_(function=method), args,
                                                 keywords, starred))
            return result
        if isinstance(target, Function):
            self._note_enclosing(target)
            bound = [callee.bound_self] if callee.bound_self is not None else []
            if "staticmethod" in target.decorators:
                bound = []
            self._pass_arguments(target, bound + args, keywords, starred)
            if target.node.asynchronous is not None:
                return UNKNOWN
            module_call = self.symbolic and self.frame.function is None
            result = self.summaries.get("returns", target, BOTTOM)
            recognised = self.catalogue.classify_function(target)
            if not starred and not module_call and self.inlining < MAX_INLINE_DEPTH \
                    and _inlinable(target):
                inside_derivative = isinstance(recognised, Derivative)
                self.in_derivative += inside_derivative
                try:
                    inlined = self._inline(target, bound + args, keywords)
                finally:
                    self.in_derivative -= inside_derivative
                if inlined != BOTTOM:
                    result = inlined
            if recognised is not None and len(args) == 1:
                return self._apply(recognised, args[0], result, node)
            return result
        if isinstance(target, ClassModel):
            instance = Value(source=Source.CONST, instance_of=frozenset([target]))
            init = self._method(target, "__init__")
            if init is not None:
                self._pass_arguments(init, [instance] + args, keywords, starred)
            return instance
        if isinstance(target, cst.Lambda):
            result = self._call_lambda(target, args)
            recognised = self.catalogue.classify_lambda(target)
            if recognised is not None and len(args) == 1:
                return self._apply(recognised, args[0], result, node)
            return result
        if callee.source == Source.BOTTOM:
            return BOTTOM
        return UNKNOWN

    def _inline(self, function: Function, args: List[Value], keywords: Dict[str, Value]) -> Value:
        """The value a small helper (``sigmoid``, ``affine_forward``) returns for these arguments.

        Interpreting it again at each call keeps what the call knows (the shape of this
        argument) instead of the join over every call site. What it observes (updates, mask
        uses...) is dropped: it is the helper's own interpretation's to record; shape problems
        found here are real in this context, and kept.
        """
        key = (function, tuple(args), tuple(sorted(keywords.items())))
        if key in self.inline_results:
            return self.inline_results[key]
        self.inline_results[key] = BOTTOM  # a recursive call finds nothing
        env = Env()
        for index, name in enumerate(function.params):
            if index < len(args):
                env.values[name] = args[index]
            else:
                env.values[name] = keywords.get(name) or self._unbound_parameter(function, name)
        saved, kept = self.frame, self.observed
        self.frame, self.observed = Frame(function, env), Observations()  # dropped after
        self.inlining += 1
        try:
            self._block(function.node.body.body)
            result = self.frame.returned
        finally:
            self.inlining -= 1
            self.frame, self.observed = saved, kept
        self.inline_results[key] = result
        return result

    def _pass_arguments(self, function: Function, args, keywords, starred) -> None:
        if self.frame.function is None:
            if self.symbolic:
                return  # the module's own calls bind no sizes in the symbolic interpretation
            self.module_binds_arguments = True
        passed: Dict[str, Value] = {}
        if starred:
            passed = {name: UNKNOWN for name in function.params}
        else:
            for name, value in zip(function.params, args):
                passed[name] = value
            for name, value in keywords.items():
                if name in function.params:
                    passed[name] = value
        old = self.summaries.get("params", function) or {}
        current = dict(old)
        for name, value in passed.items():
            current[name] = join(current[name], value) if name in current else value
        if current != old or not self.summaries.contains("params", function):
            self.summaries.tables["params"][function] = current
            self.summaries.changed = True

    def _call_lambda(self, node: cst.Lambda, args: List[Value]) -> Value:
        if self.lambda_depth >= MAX_LAMBDA_DEPTH:
            return UNKNOWN
        names = [p.name.value for p in node.params.params]
        saved = self.frame
        function, enclosing = self.closures.get(node, (None, {}))
        env = Env(enclosing)
        env.values.update(zip(names, args))
        self.frame = Frame(function, env, saved.module)
        self.lambda_depth += 1
        try:
            result = self.eval(node.body)
        finally:
            self.lambda_depth -= 1
            self.frame = saved
        return result

    def _call_ref(self, node, callee: Value, args, keywords, unpacked=()) -> Value:
        ref = callee.ref
        if ref.startswith("numpy."):
            name = ref[len("numpy."):]
            if name == "log" and args:
                self._note_log(node, args[0])
            if name in ("random.default_rng", "random.RandomState", "random.Generator"):
                return Value(source=Source.CONST, ref="numpy.rng")
            if name in ("add", "subtract") and any(a.mask for a in args[:2]) and len(args) >= 2:
                self.observed.combinations[node] = CombinationFact(
                    node, "+" if name == "add" else "-", args[0], args[1])
            first = None
            if node.args and node.args[0].keyword is None:
                first = literal_key(node.args[0].value)
                if first is None and isinstance(node.args[0].value, cst.Tuple):
                    first = tuple(literal_key(e.value) for e in node.args[0].value.elements)
            if name in ("dot", "matmul") and len(args) == 2 and not unpacked:
                return self._matrix_product(node, args[0], args[1])
            if name in ("dot", "matmul", "inner", "tensordot", "vdot", "einsum") and len(args) >= 2:
                result = numpy_api.call_numpy(name, args, keywords, None, unpacked)
                result = result.with_(**self._network_product(node, args[0], args[1]))
                return self._with_call_shape(node, name, args, keywords, unpacked, method=False,
                                             result=result)
            if name == "add" and len(args) >= 2 and len(node.args) >= 2:
                self._note_bias((args[0], node.args[0].value), (args[1], node.args[1].value))
            result = numpy_api.call_numpy(name, args, keywords, first, unpacked)
            short = name.rsplit(".", 1)[-1]
            if short in ("outer", "multiply", "einsum") and len(args) >= 2:
                self._note_backpropagated(args[-2], args[-1])
            if short in ("outer", "multiply") and len(args) >= 2:
                result = result.with_(propagated=any(a.propagated for a in args[:2])
                                      or through_weight(args[0], args[1]))
            if short in ("zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "empty"):
                result = result.with_(kind=("constant_init", node))
            if _integer_dtype(short, args, keywords):
                result = result.with_(integer=True)
            if name == "where":
                result = result.with_(raw_delta=None)  # ``np.where(z > 0, d, 0)``: ReLU's slope
            if result.mask and result.mask_origin is None:
                result = result.with_(mask_origin=node)  # ``np.random.binomial(1, p, size=h.shape)``
            if name == "ones_like" and args and args[0].source == Source.NETWORK:
                result = result.with_(mask=True)  # keeps every unit: the mask when not training
            if name == "clip" and args:
                result = result.with_(kind=clipped(args[0]))
            elif name == "exp" and args:
                shifted = args[0].kind == ("shifted",)
                result = result.with_(kind=("exp", node, shifted, args[0].source))
            elif name == "sum" and args and args[0].kind and args[0].kind[0] == "exp":
                result = result.with_(kind=("expsum", args[0].kind))
            return self._with_call_shape(node, name.rsplit(".", 1)[-1], args, keywords, unpacked,
                                         method=False, result=result)
        if ref in ("scipy.special.expit", "scipy.special.softmax"):
            return numpy_api._derived(args)
        if ref.startswith("dict."):
            owner = callee.bound_self
            if ref == "dict.items":
                return Value(source=Source.CONST, items=(
                    Value(source=Source.CONST, items=(CONSTANT, entry_of(owner, None))),))
            if ref == "dict.values":
                return Value(source=Source.CONST, items=(entry_of(owner, None),))
            if ref == "dict.get" and node.args:
                return entry_of(owner, literal_key(node.args[0].value))
            return Value(source=Source.CONST, items=(CONSTANT,))
        if ref.startswith("builtins."):
            return self._call_builtin(ref[len("builtins."):], args)
        return _outside_call(args)

    def _call_builtin(self, name: str, args: List[Value]) -> Value:
        if name == "range":
            count = args[0].dim if len(args) == 1 else shapes.fold("Subtract", args[1].dim, args[0].dim) \
                if len(args) == 2 else None
            return CONSTANT.with_(shape=(count,))
        if name in _BUILTIN_CONSTANTS:
            if name == "float" and args:
                return args[0].with_(items=None, shape=(), dim=None)
            if name == "len" and args:
                first = args[0]
                rows = first.shape[0] if first.shape else (
                    len(first.items) if first.items is not None and not first.unsized else None)
                return CONSTANT.with_(shape_of_network=first.source == Source.NETWORK, shape=(),
                                      dim=rows)
            if name in ("int", "round") and args:
                return CONSTANT.with_(shape=(), dim=args[0].dim)
            return CONSTANT
        if name == "zip" and args:
            return Value(source=Source.CONST, unsized=True, items=(
                Value(source=Source.CONST, items=tuple(element_of(a) for a in args)),))
        if name == "enumerate" and args:
            return Value(source=Source.CONST, unsized=True, items=(
                Value(source=Source.CONST, items=(CONSTANT, element_of(args[0]))),))
        if name in ("list", "tuple", "reversed", "sorted", "iter") and args:
            return args[0]
        if name == "sum" and args:
            return element_of(args[0])
        if name == "abs" and len(args) == 1:
            return numpy_api._even_power(args[0]).with_(shape=args[0].shape)
        if name in ("abs", "max", "min"):
            return numpy_api._derived(args)
        return _outside_call(args)
