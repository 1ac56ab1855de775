"""One abstract interpreter over a file's model: every expression gets a :class:`Value`.

Each function is interpreted with the join of the arguments its call sites pass (or, with no call
site in the file, as taking outside data); it returns the join of its ``return`` values. Instance
attributes, module globals, parameters and returns are summaries shared between functions, and the
whole file is interpreted in rounds until no summary changes. Inside a function the analysis is
flow-sensitive; loops are iterated to a fixed point. What the interpreter observes on the final
round (updates, additions of masks) is kept as facts for the checks.
"""

from __future__ import annotations

import builtins
from typing import Dict, List, Optional

import libcst as cst

from bplint.analysis import direction as dirn
from bplint.analysis import numpy_api, shapes
from bplint.analysis.activations import Derivative, FunctionCatalogue
from bplint.analysis.dropout_flow import DropoutFlow, keeps_below
from bplint.analysis.facts import CombinationFact, Observations, ShapeProblem, UpdateFact
from bplint.analysis.result import Analysis
from bplint.analysis.network_kinds import NetworkKinds, clipped, is_one, near, subtracts_its_max
from bplint.analysis.weight_use import WeightUse, scalar_biases
from bplint.analysis.values import (
    ANY_KEY, BOTTOM, CONSTANT, DATA, UNKNOWN, Direction, Source, Value, combine_sources, element_of,
    entry_of, join,
)
from bplint.model.build import dotted_name
from bplint.model.locations import is_numeric_literal, location_key
from bplint.model.units import ClassModel, FileModel, Function

_BUILTINS = set(dir(builtins))
# The reference of a module of the program, followed by its key: ``layers.affine_forward`` reads
# that module's global.
PROJECT = "project:"

MAX_ROUNDS = 8
MAX_LOOP_PASSES = 6
MAX_LAMBDA_DEPTH = 4
MAX_INLINE_DEPTH = 3

_BUILTIN_CONSTANTS = {"len", "int", "float", "round", "bool", "str", "print", "isinstance",
                      "hasattr", "type", "id", "format", "repr", "input", "open"}


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


def _literal_key(node: cst.BaseExpression):
    if isinstance(node, (cst.SimpleString, cst.Integer)):
        try:
            return node.evaluated_value
        except (ValueError, SyntaxError):
            return None
    return None


def _as_parameter(value: Value, key: str) -> Value:
    if value.is_gradient_like or value.direction in (Direction.ZERO, Direction.BOTTOM):
        return value
    if value.function is None and value.instance_of is None and value.ref is None \
            and value.items is None and value.entries is None:
        return value.with_(source=Source.NETWORK, location=key)
    return value


def _sequence_of(element: Value) -> Value:
    """A list of unknown length whose elements are all like ``element``."""
    return Value(source=Source.CONST, items=(element,))


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


def _integer_literals(value: Value) -> bool:
    if value.items is not None:
        return bool(value.items) and all(_integer_literals(item) for item in value.items)
    return value.shape == () and isinstance(value.dim, int) and value.source == Source.CONST


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


def _through_weight(left: Value, right: Value) -> bool:
    """A gradient times a weight (``err * w2``, ``np.outer(d, w2)``): carried back through it."""
    return (left.is_gradient_like and right.location is not None) or \
        (right.is_gradient_like and left.location is not None)


def _fold(operator: str, a, b):
    """Arithmetic on sizes known as numbers (``28 * 28``); anything else is unknown."""
    if not (isinstance(a, int) and isinstance(b, int)):
        return None
    if operator == "Add":
        return a + b
    if operator == "Subtract":
        return a - b
    if operator == "Multiply":
        return a * b
    if operator == "FloorDivide" and b:
        return a // b
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


def _inlinable(function: Function) -> bool:
    """Small, straight-line helpers that store nothing on ``self``: safe to interpret per call."""
    body = function.node.body
    return (function.straight_line and not function.attribute_stores
            and isinstance(body, cst.IndentedBlock) and len(body.body) <= 20)


NEVER_STORED = Value(source=Source.UNKNOWN, direction=Direction.NONE, shape_free=True)


def _outside_call(args: List[Value]) -> Value:
    """A function from another module: data from outside, unless our network values go in."""
    if any(a.direction == Direction.BOTTOM for a in args):
        return BOTTOM
    if any(a.source in (Source.NETWORK, Source.UNKNOWN) or a.is_gradient_like for a in args):
        return UNKNOWN
    return DATA


def _class_value(cls: ClassModel) -> Value:
    return Value(source=Source.CONST, function=cls)


class Interpreter(NetworkKinds, DropoutFlow, WeightUse):
    """Interprets one file. ``symbolic`` ignores the arguments of the module's own calls, so that
    every class is seen with the named sizes of its constructor rather than those one call passes."""

    def __init__(self, model: FileModel, symbolic: bool = False,
                 concrete_parameters: Optional[Dict[Function, Dict[str, Value]]] = None) -> None:
        self.model = model
        self.symbolic = symbolic
        # For the symbolic interpretation: the values the program's own calls pass.
        self.concrete_parameters = concrete_parameters or {}
        # Whether the module's own code passes arguments to the file's functions or classes.
        self.module_binds_arguments = False
        self.inlining = 0
        # The values each function's parameters were interpreted with (for ``bplint shapes``).
        self.parameters: Dict[Function, Dict[str, Value]] = {}
        self.inline_results: Dict[tuple, Value] = {}
        self.catalogue = FunctionCatalogue(model)
        self.expression_classes: Dict[cst.CSTNode, Optional[tuple]] = {}
        # The activation whose output each weight multiplies in forward, by the weight's location.
        self.input_activation: Dict[str, str] = {}
        self._undropped = None
        self._propagated = False
        # Each function's locals when it returned (for what a never-stored attribute means).
        self.final_locals: Dict[Function, Dict[str, Value]] = {}
        # Pre-activations whose activation is multiplied by another weight: hidden layers.
        self.feeding_activations: set = set()
        # The ``if`` statements being interpreted, with the branch taken: (node, "body"|"orelse").
        self.guards: List[tuple] = []
        # Weights whose input was dropped in forward, by location: the mask's origin.
        self.dropped_input: Dict[str, cst.CSTNode] = {}
        # The activation forward applied to each pre-activation (a matrix product), by its node.
        self.activation_of_pre: Dict[cst.CSTNode, str] = {}
        self.in_derivative = 0
        self.trainable = model.trainable_locations() | scalar_biases(model)
        self.summaries = Summaries()
        self.observed = Observations()
        # Operations whose operand shapes do not fit (BP401, BP403), in any calling context.
        self.shape_problems: Dict[cst.CSTNode, ShapeProblem] = {}
        # Locations used as weights or biases of the network (in a matrix product, or added
        # to one): the parameters whose updates BP201 judges.
        self.weights: set = set()
        # Where an error between prediction and target is formed, and its direction.
        self.errors: Dict[cst.CSTNode, Direction] = {}
        self.closures: Dict[cst.Lambda, tuple] = {}
        # The names a nested function sees in the function that defines it: the enclosing
        # frame's values where the ``def`` is met and where the nested function is called.
        self.enclosing_values: Dict[Function, Dict[str, Value]] = {}
        self.lambda_depth = 0
        self.loop_depth = 0
        self.frame: Frame = Frame(None, Env())
        self._instance_classes: Dict[ClassModel, frozenset] = {}

    # -- driver ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Interpret the file in rounds until no summary changes.

        A function that the file calls by name waits for its callers' arguments; only when
        nothing changes any more do the ones still waiting run as taking outside data.
        """
        waiting = True
        for _ in range(MAX_ROUNDS):
            self.summaries.changed = False
            self._start_round()
            self._run_module()
            skipped = False
            for function in self.model.functions:
                if waiting and function.name in self.model.called_names \
                        and not self.summaries.contains("params", function):
                    skipped = True
                    continue
                self._run_function(function)
            if not self.summaries.changed:
                if waiting and skipped:
                    waiting = False
                    continue
                break

    def _instances(self, cls: ClassModel) -> frozenset:
        """What ``self`` may be in a method of ``cls``: an instance of it or of a subclass (so a
        base's ``self.activate(z)`` is also the subclass's override)."""
        if cls not in self._instance_classes:
            self._instance_classes[cls] = frozenset([cls, *self.model.subclasses_of(cls)])
        return self._instance_classes[cls]

    def _unbound_parameter(self, function: Function, name: str) -> Value:
        """A parameter no call passes: its literal default (``lr=0.1``), else outside data.

        Outside data stands for a size (``hidden_size``: a named symbol) or for an input array.
        In the symbolic interpretation, a parameter the program's calls do pass is named even
        where it has a default: ``hidden_dim=100`` is whatever ``train.py`` gives it.
        """
        default = function.defaults.get(name)
        passed = self.concrete_parameters.get(function, {}).get(name)
        if default is not None and is_numeric_literal(default) and passed is None:
            return self.eval(default)
        if passed is not None and passed.items is not None:
            return UNKNOWN  # the program passes a tuple here (a whole shape), not one size
        return DATA.with_(dim=name, unbound_input=True, shape_free=True)

    def _passed_parameter(self, value: Value) -> Value:
        """An array argument whose shape the calls leave unknown (a layer object's input, fed
        from a loop over layers of several sizes): in the symbolic interpretation it is read like
        an input no call passes, a batch of rows when it multiplies a weight matrix."""
        if not self.symbolic or value.shape is not None or value.dim is not None \
                or value.source not in (Source.DATA, Source.NETWORK) \
                or value.items is not None or value.entries is not None \
                or value.instance_of is not None or value.function is not None or value.ref is not None:
            return value
        return value.with_(unbound_input=True, shape_free=True)

    def _start_round(self) -> None:
        """Facts are kept from the last round only: the one that ran with the final summaries."""
        self.observed = Observations()
        self.errors = {}
        self.weights = set()
        self.shape_problems = {}
        self.parameters = {}
        self.inline_results = {}
        self.derivatives = {}
        self.unshifted_softmax = set()
        self.loss_gradient_products = {}
        self.weight_of_product = {}
        self.hidden_weights = set()
        self.mask_thresholds = {}
        self.mask_scalings = {}
        self.scaled_masks = set()
        self.backpropagated_masks = set()
        self.logs_of = set()
        # (activation, pre-activation node) of every logged probability: which layer's loss.
        self.logged_layers = set()
        self.unguarded_logs = {}

    def _run_module(self) -> None:
        for module, tree in self.model.bodies():
            self.frame = Frame(None, Env(), module)
            self._block(tree.body)

    def _run_function(self, function: Function) -> None:
        env = Env()
        passed = self.summaries.get("params", function)
        self_name = function.self_name if function.parent is None else None
        for index, name in enumerate(function.params):
            if index == 0 and self_name == name and function.owner is not None:
                env.values[name] = Value(source=Source.CONST, instance_of=self._instances(function.owner))
            elif passed is not None and name in passed:
                env.values[name] = self._passed_parameter(passed[name])
            else:
                env.values[name] = self._unbound_parameter(function, name)
        self.parameters[function] = dict(env.values)
        self.frame = Frame(function, env)
        inside_derivative = isinstance(self.catalogue.classify_function(function), Derivative)
        self.in_derivative += inside_derivative
        try:
            self._block(function.node.body.body if isinstance(function.node.body, cst.IndentedBlock)
                        else [function.node.body])
        finally:
            self.in_derivative -= inside_derivative
        self.final_locals[function] = self.frame.env.values
        returned = self.frame.returned
        if self.frame.yielded is not BOTTOM:
            returned = join(returned, _sequence_of(self.frame.yielded))  # a generator
        self.summaries.join_into("returns", function, returned)

    # -- statements -----------------------------------------------------------------------------

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

    def _global_of(self, module: str, name: str) -> Value:
        """What a module of the program binds ``name`` to (unknown when it does not say)."""
        value = self.summaries.get("globals", (module, name))
        if value is not None:
            return value
        return BOTTOM if name in self.model.bindings_of(module) else UNKNOWN

    def _import_all(self, module: Optional[str], node) -> None:
        """``from module import *``: every public global of a module of the program."""
        if module is None:
            return
        for table_key, value in list(self.summaries.tables["globals"].items()):
            owner, name = table_key
            if owner == module and not name.startswith("_"):
                self._store_name(name, value, node)

    # -- assignment -----------------------------------------------------------------------------

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

    def _env_key(self, node) -> Optional[str]:
        if isinstance(node, cst.Name):
            return node.value
        function = self.frame.function
        self_name = function.self_name if function else None
        if (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and node.value.value == self_name):
            return "self." + node.attr.value
        return None


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
        elif isinstance(target, cst.Subscript):
            container = self.eval(target.value)
            index = target.slice[0].slice if len(target.slice) == 1 else None
            key = _literal_key(index.value) if isinstance(index, cst.Index) else None
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

    def _store_name(self, name: str, value: Value, statement) -> None:
        env = self.frame.env
        env.values[name] = value
        env.definitions[name] = statement
        function = self.frame.function
        if function is None or name in function.declared_global:
            self.summaries.join_into("globals", (self.frame.module, name), value)

    # -- expressions ----------------------------------------------------------------------------

    def eval(self, node) -> Value:
        handler = getattr(self, "_eval_" + type(node).__name__, None)
        if handler is None:
            return UNKNOWN
        value = handler(node)
        if isinstance(node, (cst.BinaryOperation, cst.Call, cst.Comparison)):
            value = self._inline_kind(node, value)
        return value

    # -- activations and derivatives ------------------------------------------------------------


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
            key = _literal_key(element.key)
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
        dim = _fold(operator, left.dim, right.dim)
        result = result.with_(raw_delta=_raw_delta(operator, left, right),
                              propagated=left.propagated or right.propagated
                              or _through_weight(left, right))
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
                    key = _literal_key(element.slice.value)
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

    def _method(self, cls: ClassModel, name: str) -> Optional[Function]:
        for klass in [cls] + self.model.bases_in_file(cls)[0]:
            if name in klass.methods:
                return klass.methods[name]
        return None

    # -- calls ----------------------------------------------------------------------------------

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
        self._store(method.value, _sequence_of(element), method)

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
                first = _literal_key(node.args[0].value)
                if first is None and isinstance(node.args[0].value, cst.Tuple):
                    first = tuple(_literal_key(e.value) for e in node.args[0].value.elements)
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
                                      or _through_weight(args[0], args[1]))
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
                return entry_of(owner, _literal_key(node.args[0].value))
            return Value(source=Source.CONST, items=(CONSTANT,))
        if ref.startswith("builtins."):
            return self._call_builtin(ref[len("builtins."):], args)
        return _outside_call(args)

    def _call_builtin(self, name: str, args: List[Value]) -> Value:
        if name == "range":
            count = args[0].dim if len(args) == 1 else _fold("Subtract", args[1].dim, args[0].dim) \
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


def interpret(model: FileModel) -> Analysis:
    """The concrete interpretation, with shape problems also looked for with named sizes.

    Concrete sizes can hide a bug (4 samples and 4 hidden units make a missing ``.T`` fit); the
    symbolic pass, which ignores the arguments of the module's own calls, sees
    ``(N, hidden) · (N, output)``.
    """
    interpreter = Interpreter(model)
    interpreter.run()
    if not interpreter.module_binds_arguments:  # otherwise the symbolic interpretation is the same
        return Analysis.of(interpreter)
    symbolic = Interpreter(model, symbolic=True, concrete_parameters=interpreter.parameters)
    symbolic.run()
    for node, problem in symbolic.shape_problems.items():
        interpreter.shape_problems.setdefault(node, problem)
    return Analysis.of(interpreter, symbolic=Analysis.of(symbolic))
