"""One abstract interpreter over a program's model: every expression gets a :class:`Value`.

Each function is interpreted with the join of the arguments its call sites pass (or, with no call
site in the program, as taking outside data); it returns the join of its ``return`` values.
Instance attributes, module globals, parameters and returns are summaries shared between
functions, and the whole program (every module's top-level code, in the order they run, then every
function) is interpreted in rounds until no summary changes. Inside a function the analysis is
flow-sensitive; loops are iterated to a fixed point. What the interpreter observes on the final
round is handed to the checks as an immutable :class:`~bplint.analysis.result.Analysis`.

This module is the driver (the rounds, the fixed point, the symbolic second pass). The rest is
split by job, each a part of the one :class:`Interpreter` working on its state: ``frames.py``
(frames, summaries, name lookup), ``statements.py``, ``expressions.py``, ``calls.py``, and the
bookkeeping about the network in ``network_kinds.py``, ``dropout_flow.py`` and ``weight_use.py``.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from bplint.analysis.activations import Derivative, FunctionCatalogue
from bplint.analysis.calls import Calls
from bplint.analysis.dropout_flow import DropoutFlow
from bplint.analysis.expressions import Expressions
from bplint.analysis.facts import Observations, ShapeProblem
from bplint.analysis.frames import Env, Frame, Scopes, Summaries
from bplint.analysis.network_kinds import NetworkKinds
from bplint.analysis.result import Analysis
from bplint.analysis.statements import Statements
from bplint.analysis.values import (
    BOTTOM, DATA, UNKNOWN, Direction, Source, Value, join, sequence_of,
)
from bplint.analysis.weight_use import WeightUse, scalar_biases
from bplint.model.locations import is_numeric_literal
from bplint.model.units import ClassModel, FileModel, Function

MAX_ROUNDS = 8


class Interpreter(Statements, Expressions, Calls, Scopes, NetworkKinds, DropoutFlow, WeightUse):
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
            returned = join(returned, sequence_of(self.frame.yielded))  # a generator
        self.summaries.join_into("returns", function, returned)


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
