"""Recognising activation functions and their derivatives from the formulas that compute them.

An expression is read as a small term over one variable (the parameter of a ``def`` or a
``lambda``, or the one array an inline expression is made of): ``1 / (1 + np.exp(-x))`` is
``div(1, add(1, exp(neg(x))))``. Terms are matched against the forms people write:

* activations: sigmoid (also ``scipy.special.expit``), tanh, ReLU (``np.maximum(0, x)``,
  ``x * (x > 0)``, ``np.where(x > 0, x, 0)``), leaky ReLU, softmax (with or without the max shift),
  identity;
* derivatives, in output form (applied to the activation: ``s * (1 - s)``, ``1 - t ** 2``) or input
  form (applied to the pre-activation: ``sigmoid(z) * (1 - sigmoid(z))``, ``1 - np.tanh(z) ** 2``).
  The ReLU derivative ``(a > 0)`` is the same in both forms.

Nothing here knows names: a function called ``sigmoid`` that computes a tanh is a tanh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import libcst as cst

from bplint.model.build import dotted_name

Term = tuple
X = ("x",)

SIGMOID, TANH, RELU, LEAKY, SOFTMAX, IDENTITY = "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity"
OUTPUT_FORM, INPUT_FORM, ANY_FORM = "output", "input", "any"


@dataclass(frozen=True)
class Activation:
    function: str
    # For softmax: whether the logits are shifted by their maximum before ``exp``.
    shifted: bool = True


@dataclass(frozen=True)
class Derivative:
    function: str
    form: str


# -- terms --------------------------------------------------------------------------------------

_UNARY = {"exp": "exp", "tanh": "tanh", "log": "log", "sqrt": "sqrt", "abs": "abs", "sum": "sum",
          "max": "rowmax", "amax": "rowmax", "expit": "sigmoid"}
_PASS = {"astype", "copy", "float", "float64", "float32", "array", "asarray"}


class TermBuilder:
    """Builds the term of an expression over one variable.

    ``is_variable(node)`` says whether a leaf is the variable (a parameter by name), or ``None``
    to take the first array leaf met as the variable and require every other leaf to be the same.
    ``call`` classifies a call to one of the user's functions (``sigmoid(z)``).
    """

    def __init__(self, module: cst.Module, is_variable: Optional[Callable[[cst.CSTNode], bool]],
                 call: Callable[[cst.Call], Optional[object]], locals_: Optional[Dict[str, Term]] = None):
        self.module = module
        self.is_variable = is_variable
        self.call = call
        self.locals = locals_ or {}
        self.leaf_node: Optional[cst.CSTNode] = None

    def build(self, node) -> Optional[Term]:
        try:
            return self._term(node)
        except RecursionError:
            return None

    def _leaf(self, node) -> Optional[Term]:
        if self.is_variable is not None:
            if self.is_variable(node):
                return X
            if isinstance(node, cst.Name) and node.value in self.locals:
                return self.locals[node.value]
            return None
        if self.leaf_node is None:
            self.leaf_node = node
            return X
        return X if node.deep_equals(self.leaf_node) else None

    def _term(self, node) -> Optional[Term]:
        if self.is_variable is not None:
            return self._structure(node)
        # Inline, a sub-expression with no formula of its own (``X @ W + b``) is the variable.
        saved = self.leaf_node
        term = self._structure(node)
        if term is None and not isinstance(node, (cst.Integer, cst.Float)):
            self.leaf_node = saved
            return self._leaf(node)
        return term

    def _structure(self, node) -> Optional[Term]:
        if isinstance(node, (cst.Integer, cst.Float)):
            return ("c", float(node.evaluated_value))
        if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
            if isinstance(node, cst.Attribute) and node.attr.value == "T":
                return self._opaque(node)
            return self._leaf(node)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self._term(node.expression)
            if inner is None:
                return None
            return ("c", -inner[1]) if inner[0] == "c" else ("neg", inner)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            operator = node.comparisons[0].operator
            left, right = self._term(node.left), self._term(node.comparisons[0].comparator)
            if left is None or right is None:
                return None
            if isinstance(operator, (cst.GreaterThan, cst.GreaterThanEqual)):
                return ("gt", left, right)
            if isinstance(operator, (cst.LessThan, cst.LessThanEqual)):
                return ("gt", right, left)
            return None
        if isinstance(node, cst.Call):
            return self._call(node)
        return None

    def _binary(self, node: cst.BinaryOperation) -> Optional[Term]:
        names = {cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "div",
                 cst.Power: "pow"}
        name = names.get(type(node.operator))
        if name is None:
            return self._opaque(node)
        left, right = self._term(node.left), self._term(node.right)
        if left is None or right is None:
            return None
        return (name, left, right)

    def _call(self, node: cst.Call) -> Optional[Term]:
        known = self.call(node)
        if isinstance(known, Activation):
            argument = self._argument(node)
            return ("act", known.function, argument) if argument is not None else None
        if isinstance(known, Derivative):
            argument = self._argument(node)
            return ("deriv", known.function, known.form, argument) if argument is not None else None
        func = node.func
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Attribute) and func.attr.value in _PASS | {"sum", "max"} \
                and dotted_name(func.value) not in ("np", "numpy"):
            receiver = self._term(func.value)  # ``e.sum(axis=1)``, ``(a > 0).astype(float)``
            if receiver is None:
                return None
            if func.attr.value == "sum":
                return ("sum", receiver)
            if func.attr.value == "max":
                return ("rowmax", receiver)
            return receiver
        short = (dotted_name(func) or "").rsplit(".", 1)[-1]
        if short in _PASS and positional:
            return self._term(positional[0])
        if short in _UNARY and positional:
            inner = self._term(positional[0])
            return (_UNARY[short], inner) if inner is not None else None
        if short in ("maximum", "where", "minimum") and len(positional) >= 2:
            parts = [self._term(p) for p in positional[:3]]
            if any(p is None for p in parts):
                return None
            return ("max" if short == "maximum" else short, *parts)
        return self._opaque(node)

    def _opaque(self, node) -> Optional[Term]:
        """An expression with no formula of its own (``X @ W``, ``f(x)``): the variable, inline."""
        return self._leaf(node) if self.is_variable is None else None

    def _argument(self, node: cst.Call) -> Optional[Term]:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        return self._term(positional[0]) if len(positional) == 1 else None


# -- recognisers --------------------------------------------------------------------------------


def _const(term: Term, value: Optional[float] = None) -> bool:
    return term[0] == "c" and (value is None or term[1] == value)


def _commutes(term: Term, name: str) -> Tuple[Term, ...]:
    if term[0] != name:
        return ()
    return ((term[1], term[2]), (term[2], term[1]))


# -- the activations bplint knows, one record each ----------------------------------------------


@dataclass(frozen=True)
class ActivationFunction:
    """Everything bplint knows about one activation: how its forward pass and its derivative are
    written (recognisers over terms), its name in messages, its derivative as code on the
    activation's output ``{a}`` and on its pre-activation ``{z}``, and whether a backward pass
    multiplies a delta by its derivative (identity has none; softmax's is folded into the
    cross-entropy gradient). Adding an activation is adding a record to ``ACTIVATIONS``."""

    key: str
    title: str
    # The argument of ``term`` when ``term`` computes this activation (with its Activation).
    forward: Callable[[Term], Optional[Tuple[Activation, Term]]]
    # (Derivative, the term it is applied to) when ``term`` is this activation's derivative.
    derivative: Callable[[Term], Optional[Tuple[Derivative, Term]]] = lambda term: None
    on_output: Optional[str] = None
    on_input: Optional[str] = None
    chained: bool = True


def _sigmoid(term: Term) -> Optional[Tuple[Activation, Term]]:
    if term[0] == "sigmoid":
        return Activation(SIGMOID), term[1]
    if term[0] == "div" and _const(term[1], 1.0):
        for one, e in _commutes(term[2], "add"):
            if _const(one, 1.0) and e[0] == "exp" and e[1][0] == "neg":
                return Activation(SIGMOID), e[1][1]
    return None


def _sigmoid_derivative(term: Term) -> Optional[Tuple[Derivative, Term]]:
    for s, rest in _commutes(term, "mul"):  # s * (1 - s)
        if rest[0] == "sub" and _const(rest[1], 1.0) and rest[2] == s:
            return _form(SIGMOID, s)
    return None


def _tanh(term: Term) -> Optional[Tuple[Activation, Term]]:
    return (Activation(TANH), term[1]) if term[0] == "tanh" else None


def _tanh_derivative(term: Term) -> Optional[Tuple[Derivative, Term]]:
    if term[0] == "sub" and _const(term[1], 1.0):  # 1 - t ** 2, 1 - t * t
        square = term[2]
        if square[0] == "pow" and _const(square[2], 2.0):
            return _form(TANH, square[1])
        if square[0] == "mul" and square[1] == square[2]:
            return _form(TANH, square[1])
    return None


def _relu(term: Term) -> Optional[Tuple[Activation, Term]]:
    if term[0] == "max":  # np.maximum(0, x)
        for zero, argument in ((term[1], term[2]), (term[2], term[1])):
            if _const(zero, 0.0):
                return Activation(RELU), argument
    if term[0] == "mul":  # x * (x > 0)
        for argument, gate in _commutes(term, "mul"):
            if gate[0] == "gt" and gate[1] == argument and _const(gate[2], 0.0):
                return Activation(RELU), argument
    if term[0] == "where" and term[1][0] == "gt" and _const(term[1][2], 0.0):  # where(x > 0, x, 0)
        argument = term[1][1]
        if term[2] == argument and _const(term[3], 0.0):
            return Activation(RELU), argument
    return None


def _relu_derivative(term: Term) -> Optional[Tuple[Derivative, Term]]:
    if term[0] == "gt" and _const(term[2], 0.0):  # (x > 0): the same on input and output
        return Derivative(RELU, ANY_FORM), term[1]
    if _slope_gate(term) and _const(term[3], 0.0):  # where(x > 0, 1, 0)
        return Derivative(RELU, ANY_FORM), term[1][1]
    return None


def _leaky(term: Term) -> Optional[Tuple[Activation, Term]]:
    if term[0] == "max":  # np.maximum(a * x, x)
        for scaled, argument in ((term[1], term[2]), (term[2], term[1])):
            if scaled[0] == "mul" and argument in (scaled[1], scaled[2]):
                return Activation(LEAKY), argument
    if term[0] == "where" and term[1][0] == "gt" and _const(term[1][2], 0.0):  # where(x > 0, x, a * x)
        argument = term[1][1]
        if term[2] == argument and term[3][0] == "mul" and argument in (term[3][1], term[3][2]):
            return Activation(LEAKY), argument
    return None


def _leaky_derivative(term: Term) -> Optional[Tuple[Derivative, Term]]:
    if _slope_gate(term) and _const(term[3]) and not _const(term[3], 0.0):  # where(x > 0, 1, a)
        return Derivative(LEAKY, ANY_FORM), term[1][1]
    return None


def _slope_gate(term: Term) -> bool:
    """``where(x > 0, 1, ...)``: a piecewise-constant slope."""
    return term[0] == "where" and term[1][0] == "gt" and _const(term[1][2], 0.0) \
        and _const(term[2], 1.0)


def _softmax(term: Term) -> Optional[Tuple[Activation, Term]]:
    if term[0] == "div" and term[1][0] == "exp" and term[2][0] == "sum" and term[2][1] == term[1]:
        exponent = term[1][1]
        if exponent[0] == "sub" and exponent[2][0] == "rowmax" and exponent[2][1] == exponent[1]:
            return Activation(SOFTMAX, shifted=True), exponent[1]
        return Activation(SOFTMAX, shifted=False), exponent
    return None


# In the order they are tried. Leaky ReLU has no derivative formula: its slope below zero is the
# forward pass's own constant, which the recognisers do not keep.
ACTIVATIONS: Tuple[ActivationFunction, ...] = (
    ActivationFunction(SIGMOID, "sigmoid", _sigmoid, _sigmoid_derivative,
                       on_output="{a} * (1 - {a})",
                       on_input="{np}.exp(-{z}) / (1 + {np}.exp(-{z})) ** 2"),
    ActivationFunction(TANH, "tanh", _tanh, _tanh_derivative,
                       on_output="(1 - {a} ** 2)", on_input="(1 - {np}.tanh({z}) ** 2)"),
    ActivationFunction(RELU, "ReLU", _relu, _relu_derivative,
                       on_output="({a} > 0)", on_input="({z} > 0)"),
    ActivationFunction(LEAKY, "leaky ReLU", _leaky, _leaky_derivative),
    ActivationFunction(SOFTMAX, "softmax", _softmax, chained=False),
    ActivationFunction(IDENTITY, "identity", lambda term: None, chained=False),
)
BY_KEY: Dict[str, ActivationFunction] = {a.key: a for a in ACTIVATIONS}


def chained(key: Optional[str]) -> bool:
    """Whether backpropagating through the activation ``key`` multiplies by its derivative."""
    return key is not None and (key not in BY_KEY or BY_KEY[key].chained)


def title(key: str) -> str:
    """An activation's name in messages: ``ReLU`` for ``relu``."""
    return BY_KEY[key].title if key in BY_KEY else key


def activation(term: Term) -> Optional[Tuple[Activation, Term]]:
    """(the activation, its argument) that ``term`` computes, if it is one."""
    if term is None:
        return None
    if term[0] == "act":
        return Activation(term[1]), term[2]
    for known in ACTIVATIONS:
        found = known.forward(term)
        if found is not None:
            return found
    return None


def _normalise(term: Term) -> Term:
    """Replace every sub-term that is an activation by ``("act", function, argument)``."""
    if not isinstance(term, tuple) or not term or term[0] in ("c", "x"):
        return term
    found = activation(term)
    if found is not None and term[0] != "act":
        recognised, argument = found
        return ("act", recognised.function, _normalise(argument))
    return tuple(_normalise(t) if isinstance(t, tuple) else t for t in term)


def derivative(term: Term) -> Optional[Tuple[Derivative, Term]]:
    """(the derivative, the term it is applied to) that ``term`` computes, if it is one."""
    if term is None:
        return None
    term = _normalise(term)
    if term[0] == "deriv":
        return Derivative(term[1], term[2]), term[3]
    for known in ACTIVATIONS:
        found = known.derivative(term)
        if found is not None:
            return found
    return None


def _form(function: str, applied: Term) -> Tuple[Derivative, Term]:
    """Output form when applied to the variable itself, input form when applied to f(z)."""
    if applied[0] == "act" and applied[1] == function:
        return Derivative(function, INPUT_FORM), applied[2]
    return Derivative(function, OUTPUT_FORM), applied


def derivative_on_output(function: str, output: str) -> Optional[str]:
    """The derivative of ``function`` as an expression of its output, the atom ``output``
    (``a1 * (1 - a1)`` for sigmoid and ``a1``), or None where it has no fixed formula."""
    formula = BY_KEY[function].on_output if function in BY_KEY else None
    return formula.format(a=output) if formula else None


def derivative_on_input(function: str, pre: str, numpy: str = "np") -> Optional[str]:
    """The derivative of ``function`` as an expression of its pre-activation, the atom ``pre``."""
    formula = BY_KEY[function].on_input if function in BY_KEY else None
    return formula.format(z=pre, np=numpy) if formula else None


# -- the user's functions -----------------------------------------------------------------------


class FunctionCatalogue:
    """Which of a file's functions and lambdas compute an activation or a derivative."""

    def __init__(self, model) -> None:
        self.model = model
        self._known: Dict[cst.CSTNode, Optional[object]] = {}
        self._module_functions = {f.name: f for f in model.module_functions()}

    def classify_function(self, function) -> Optional[object]:
        """Activation or Derivative for a ``def``; the parameter after ``self`` is the variable."""
        node = function.node
        if node in self._known:
            return self._known[node]
        self._known[node] = None  # recursion finds nothing
        params = [p for p in function.params if p != function.self_name]
        result = None
        if params and isinstance(node.body, cst.IndentedBlock):
            result = self._classify_body(function, params[0], node.body.body)
        self._known[node] = result
        return result

    def classify_lambda(self, node: cst.Lambda, owner=None) -> Optional[object]:
        if node in self._known:
            return self._known[node]
        self._known[node] = None
        params = node.params.params
        result = None
        if len(params) == 1:
            name = params[0].name.value
            builder = TermBuilder(self.model.module, lambda n: isinstance(n, cst.Name) and n.value == name,
                                  lambda call: self.callee(call, owner))
            result = _classify(builder.build(node.body))
        self._known[node] = result
        return result

    def _classify_body(self, function, variable: str, body) -> Optional[object]:
        locals_: Dict[str, Term] = {}
        owner = function.owner
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                return None
            small = statement.body[0]
            builder = TermBuilder(self.model.module,
                                  lambda n: isinstance(n, cst.Name) and n.value == variable,
                                  lambda call: self.callee(call, owner), locals_)
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name):
                name = small.targets[0].target.value
                if name == variable:
                    return None
                term = builder.build(small.value)
                if term is None:
                    locals_.pop(name, None)
                else:
                    locals_[name] = term
            elif isinstance(small, cst.Return) and small.value is not None:
                return _classify(builder.build(small.value))
            elif not isinstance(small, (cst.Expr, cst.Pass)):
                return None
        return None

    def callee(self, call: cst.Call, owner=None) -> Optional[object]:
        """The classification of the user's function a call goes to, found by its name."""
        func = call.func
        if isinstance(func, cst.Name) and func.value in self._module_functions:
            return self.classify_function(self._module_functions[func.value])
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and owner is not None:
            method = owner.methods.get(func.attr.value)
            if method is not None:
                return self.classify_function(method)
        if (dotted_name(func) or "").endswith("special.expit"):
            return Activation(SIGMOID)
        return None


def _classify(term: Optional[Term]) -> Optional[object]:
    """An Activation of the variable, or a Derivative whose argument is the variable."""
    if term is None:
        return None
    if term == X:
        return Activation(IDENTITY)
    found = activation(term)
    if found is not None and found[1] == X:
        return found[0]
    found = derivative(term)
    if found is not None:
        recognised, applied = found
        if applied == X:
            return recognised
    return None


def classify_expression(module: cst.Module, node, callee) -> Optional[tuple]:
    """(Activation or Derivative, the variable's expression) for an inline expression."""
    builder = TermBuilder(module, None, callee)
    term = builder.build(node)
    if term is None or builder.leaf_node is None or term == X:
        return None
    recognised = _classify(term)
    if recognised is None or isinstance(recognised, Activation) and recognised.function == IDENTITY:
        return None
    return recognised, builder.leaf_node
