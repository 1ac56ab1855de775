"""Run one unit (see :mod:`bplint.gradcheck.units.discover`) and judge its gradients.

Every unit is reduced to the same question: a scalar function of some arrays, and the gradient
the code computes for each of them. For a function pair or a layer the scalar is ``sum(out *
dout)`` for a random upstream gradient ``dout`` (what cs231n's ``eval_numerical_gradient_array``
measures); for a loss, the loss; for an activation, each output element (an activation acts
element by element); for a model, its ``loss(X, y)``. Randomness is put back to one state before
every call, so a dropout mask is the same in every evaluation.

A result is a dict: ``verdict`` (``ok``, ``wrong-gradient``, ``wrong-sign``, ``error``,
``skipped``), ``parameters`` (one per input or parameter checked), ``message``, and ``line``
(the program row that computes the first wrong gradient, or that raised).
"""

from __future__ import annotations

import inspect
import re
import traceback
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from bplint.gradcheck import naming
from bplint.gradcheck.missing import MissingImport
from bplint.gradcheck.rng import Randomness
from bplint.gradcheck.units import arguments as A
from bplint.gradcheck.units.layer_state import (
    lazy_parameters, names_a_gradient, parameter_gradients, parameters_of, to_float64)
from bplint.gradcheck.units.compare import OK, Comparison, compare, numerical_gradient

ERROR, SKIPPED, NO_UPDATE = "error", "skipped", "no-update"
RATE = 1e-3  # the learning rate given to a backward that also steps (``backward(dout, lr)``)

# Constructor arguments other than sizes that layers take, and a usual value for each.
_SHAPE_ARGUMENT = re.compile(r"(^in|^out|_)shape$|^(in|out)put_?shape$|(^|_)ch\d*$|^ch_|depth$",
                             re.IGNORECASE)  # ``inshape``, ``out_ch``, ``ch_residual``, ``kernel_depth``
_SLOPE_ARGUMENT = re.compile(r"^(alpha|slope|negative_slope|leak|leakiness|a)$", re.IGNORECASE)
_PROBABILITY_ARGUMENT = re.compile(r"(^p$|rate$|prob|^keep|^drop)", re.IGNORECASE)


class Skip(Exception):
    """The unit cannot be run as it is; the message says why (and what would let it run)."""


class UserError(Exception):
    """The user's code raised while it was given arguments it accepts."""

    def __init__(self, stage: str, exc: BaseException, line: Optional[int]) -> None:
        super().__init__(f"{stage} raised {type(exc).__name__}: {exc}")
        self.line = line
        # an undefined name is the code's own mistake whatever it is given
        self.whatever_the_input = isinstance(exc, NameError) and line is not None


def _first_undefined_name(problems: List["UserError"]) -> Optional["UserError"]:
    """The error to report when every input tried raised: an undefined name (never a wrong
    guess of ours), else None (the unit is skipped)."""
    return next((p for p in problems if p.whatever_the_input), None) \
        if problems and all(p.whatever_the_input for p in problems) else None


def _line_in(exc: BaseException, path: str) -> Optional[int]:
    """The last line of the user's program in the traceback of ``exc``."""
    rows = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename == path]
    return rows[-1] if rows else None


def _is_float_array(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0


def _parameter(name: str, comparison: Comparison, line: Optional[int]) -> dict:
    return {"name": name, "verdict": comparison.verdict, "relative_error": comparison.error,
            "scale": comparison.scale, "note": comparison.note, "line": line,
            "size": comparison.size}


class Probe:
    """Runs the units of one program, whose definitions are in ``namespace``."""

    def __init__(self, namespace: Dict[str, object], path: str) -> None:
        self.namespace = namespace
        self.path = path
        self.randomness = Randomness(namespace)

    def run(self, unit: dict) -> dict:
        runner = {"function-pair": self._function_pair, "layer": self._layer,
                  "activation": self._activation, "loss": self._loss, "model": self._model}[unit["kind"]]
        result = {"unit": unit["unit"], "kind": unit["kind"], "parameters": [], "line": None}
        try:
            result.update(runner(unit))
        except Skip as exc:
            result.update(verdict=SKIPPED, message=str(exc))
        except UserError as exc:
            result.update(verdict=ERROR, message=str(exc), line=exc.line)
        checked = result.get("parameters", [])
        if "verdict" not in result:
            bad = [p for p in checked if p["verdict"] != OK]
            result["verdict"] = bad[0]["verdict"] if bad else OK
            result.setdefault("message", _message(checked))
            result["line"] = next((p["line"] for p in bad if p["line"]), None)
        return result

    # -- calling the user's code --------------------------------------------------------------

    def _call(self, stage: str, function: Callable, *args, **kwargs):
        self.randomness.restore()
        try:
            return function(*args, **kwargs)
        except MissingImport as exc:
            raise Skip(f"it {exc}: install it to check this unit") from None
        except Exception as exc:  # noqa: BLE001 - the user's code: its error is the verdict
            raise UserError(stage, exc, _line_in(exc, self.path)) from None

    def _function(self, name: str) -> Callable:
        function = self.namespace.get(name)
        if not callable(function):
            raise Skip(f"`{name}` is not defined after loading the definitions")
        return function

    def _instance(self, unit: dict) -> object:
        cls = self._function(unit["cls"])
        values: Dict[str, object] = {}
        sizes = iter(naming.sizes_for(sum(1 for a in unit["init"] if a["required"]
                                          and (a["size"] or _SHAPE_ARGUMENT.search(a["name"])))))
        for argument in unit["init"]:
            name = argument["name"]
            if not argument["required"]:
                continue
            if argument["size"] or _SHAPE_ARGUMENT.search(name):
                values[name] = next(sizes, 5)
            elif _SLOPE_ARGUMENT.match(name):
                values[name] = 0.1
            elif _PROBABILITY_ARGUMENT.search(name):
                values[name] = 0.5
            elif name.lower() == "stride":
                values[name] = 1
            else:
                raise Skip(f"the constructor of `{unit['cls']}` needs `{name}`, which is not a "
                           "size, a slope, a probability or a stride")
        try:
            return self._call("the constructor", cls, **values)
        except UserError as exc:
            raise Skip(f"{unit['cls']}({_arguments(values)}): {exc}") from None

    # -- function pairs -----------------------------------------------------------------------

    def _function_pair(self, unit: dict) -> dict:
        forward, backward = self._function(unit["forward"]), self._function(unit["backward"])
        signature = _signature(forward)
        mode = unit.get("mode")
        checked: List[dict] = []
        for settings in A.setting_variants(unit.get("config", {})):
            checked = self._pair_in(forward, backward, signature, unit, mode, settings)
            if any(p["verdict"] != OK for p in checked):
                break
        return {"parameters": _mean_cost_convention(checked)}

    def _pair_in(self, forward, backward, signature, unit, mode, settings) -> List[dict]:
        """The pair's gradients with these settings; a failure is confirmed on a second draw
        of the inputs (a draw that lands on a kink is not a wrong gradient)."""
        tried: List[str] = []
        for seed in (0, 1):
            chosen = self._fit(forward, signature, settings, mode, seed, tried)
            if chosen is None:
                raise Skip(f"no argument shapes fit `{unit['forward']}` ({'; '.join(tried[:2])}"
                           f"{'; ...' if len(tried) > 2 else ''})")
            values, out = chosen
            checked = self._check_pair(forward, backward, values, out, unit, mode, seed)
            if all(p["verdict"] == OK for p in checked):
                break
        return checked

    def _fit(self, forward, signature, settings, mode, seed, tried):
        errors: List[UserError] = []
        for layout, values in A.candidates(signature, settings, mode, seed):
            try:
                out = self._call("forward", forward, **values)
            except UserError as exc:
                errors.append(exc)
                if seed == 0:
                    tried.append(f"{layout}: {exc}")
                continue
            first = out[0] if isinstance(out, tuple) else None
            if _is_float_array(first):
                return values, first
            tried.append(f"{layout}: returned no (out, cache) pair")
        undefined = _first_undefined_name(errors)
        if undefined is not None and len(errors) == len(A.LAYOUT_NAMES):
            raise undefined
        return None

    def _check_pair(self, forward, backward, values, out, unit, mode, seed) -> List[dict]:
        dout = A.Draw(seed + 100).normal(out.shape)
        _, cache = self._call("forward", forward, **values)[:2]
        extra = [mode["value"]] if mode is not None and unit["mode"]["argument"] in \
            _backward_arguments(backward) else []
        grads = self._call("backward", backward, dout, cache, *extra)
        grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
        inputs = [name for name, value in values.items() if _is_float_array(value)]
        if len(grads) != len(inputs):
            raise Skip(f"`{unit['backward']}` returns {len(grads)} gradients for "
                       f"{len(inputs)} array inputs ({', '.join(inputs)})")

        def evaluate() -> float:
            return float(np.sum(self._call("forward", forward, **values)[0] * dout))

        checked = []
        for index, (name, grad) in enumerate(zip(inputs, grads)):
            numeric = numerical_gradient(evaluate, values[name])
            checked.append(_parameter(name, compare(grad, numeric), _source_line(unit, index)))
        return checked

    # -- layers ---------------------------------------------------------------------------------

    def _layer(self, unit: dict) -> dict:
        checked: List[dict] = []
        for seed in (0, 1):  # a failure is confirmed on a second draw (not a kink)
            checked, layer, x, parameters = self._layer_once(unit, seed)
            if all(p["verdict"] == OK for p in checked):
                break
        # A parameterless layer whose input gradient has the input's size but another shape
        # reshapes (a flatten, a combine): the shape it gives back comes from how it was built
        # or called, which is ours to guess here.
        if not parameters and any(p["verdict"] != OK and p["relative_error"] is None
                                  and p["size"] == x.size for p in checked):
            raise Skip("it reshapes or combines its inputs, and the shape its backward gives "
                       "back depends on how it was built or called: check it in its network")
        if not parameters and any(p["verdict"] != OK for p in checked) \
                and not names_a_gradient(unit.get("upstream", "")):
            as_derivative = self._backward_as_derivative(
                unit, getattr(layer, unit["forward"]), getattr(layer, unit["backward"]), x)
            if as_derivative is not None:
                return as_derivative
        return {"parameters": checked, "kind": "layer" if parameters else "activation"}

    def _layer_once(self, unit: dict, seed: int):
        """The layer's gradients with the first input shape its forward and backward both take
        (a layer written for one sample, ``(3, 1)``, takes a batch in forward and fails in
        backward: that is our guess, not its bug, while another shape remains); a fresh layer
        for each shape (some build their weights in the first forward pass)."""
        problems: List[Tuple[tuple, UserError]] = []
        failed_backward: Optional[UserError] = None
        draw = A.Draw(seed)
        for shape in _LAYER_INPUTS:
            layer = self._instance(unit)
            self.randomness.adopt(layer)
            forward, backward = getattr(layer, unit["forward"]), getattr(layer, unit["backward"])
            built = parameters_of(layer)
            x = draw.normal(shape)
            try:
                out = self._call("forward", forward, x.copy())
            except UserError as exc:
                problems.append((shape, exc))
                continue
            if not _is_float_array(np.asarray(out)) or isinstance(out, tuple):
                continue
            if not np.allclose(np.asarray(self._call("forward", forward, x.copy())), out):
                raise Skip("its forward keeps state between calls (the same input gives another "
                           "output): check it in its network")
            to_float64(layer)
            parameters = ({n: v for n, v in parameters_of(layer).items() if n in built} if built
                          else lazy_parameters(layer))
            try:
                checked = self._layer_gradients(unit, layer, forward, backward, parameters,
                                                x, out, seed)
            except UserError as exc:
                failed_backward = failed_backward or exc
                continue
            return checked, layer, x, parameters
        if failed_backward is not None:
            raise failed_backward
        undefined = _first_undefined_name([exc for _, exc in problems])
        if undefined is not None:
            raise undefined
        tried = "; ".join(f"{shape}: {exc}" for shape, exc in problems[:2])
        raise Skip(f"no input shape fits `{unit['cls']}.{unit['forward']}` ({tried})")

    def _layer_gradients(self, unit, layer, forward, backward, parameters, x, out, seed):
        """The gradients of the input and of each parameter, against finite differences of
        ``sum(forward(x) * dout)``. The layer gets a copy of ``x`` every time: a backward that
        writes into what forward kept must not change the point being checked."""
        dout = A.Draw(seed + 100).normal(np.shape(out))
        start = {name: value.copy() for name, value in parameters.items()}
        self._call("forward", forward, x.copy())
        now = parameters_of(layer)
        for name in [n for n in parameters if now.get(n) is not parameters[n]
                     or not np.array_equal(now[n], start[n])]:
            del parameters[name]  # moved by forward itself: running statistics, not parameters
        before = {name: value.copy() for name, value in parameters.items()}
        rate = {unit["rate"]: RATE} if unit.get("rate") else {}
        returned = self._call("backward", backward, dout.copy(), **rate)
        dx = returned[0] if isinstance(returned, (tuple, list)) else returned
        found = parameter_gradients(layer, parameters, returned)
        stepped = set()
        if rate:  # a backward that steps: the gradient is the step over the learning rate
            for name, value in parameters.items():
                if name not in found:
                    found[name] = ((before[name] - value) / RATE, name)
                    stepped.add(name)
        if any(getattr(g, "dtype", None) == np.float32 for g in [dx, *(g for g, _ in found.values())]):
            raise Skip("it computes its gradients in float32 (finite differences need float64)")
        for name, value in before.items():
            parameters[name][...] = value  # a backward that also stepped: back to the start

        def evaluate() -> float:
            return float(np.sum(np.asarray(self._call("forward", forward, x.copy())) * dout))

        checked = []
        if dx is not None and not isinstance(dx, dict):
            checked.append(_parameter("x", compare(dx, numerical_gradient(evaluate, x)),
                                      unit.get("return_line")))
        for name, (grad, source) in found.items():
            numeric = numerical_gradient(evaluate, parameters[name])
            comparison = compare(grad, numeric)
            if name in stepped and comparison.verdict != OK and not np.any(grad):
                comparison = Comparison(NO_UPDATE, comparison.error, None,
                                        f"is zero: `{unit['backward']}` does not update it")
            checked.append(_parameter(name, comparison, unit["lines"].get(source)))
        if not checked:
            missing = [name for name in parameters if name not in found]
            raise Skip(f"`{unit['backward']}` returned no gradient and stored none found "
                       f"for {', '.join(missing) or 'its input'}")
        return checked

    def _backward_as_derivative(self, unit, forward, backward, x) -> Optional[dict]:
        """An activation object whose ``backward(x)`` is the derivative itself, not the product
        with an upstream gradient (``relu.backward(input)``): ok when it is the derivative given
        the input or the output; None when it is neither (the layer reading stands)."""
        try:
            numeric = _elementwise_derivative(lambda v: self._call("forward", forward, v), x)
            if numeric is None:
                return None
            y = np.asarray(self._call("forward", forward, x.copy()), dtype=np.float64)
        except UserError:
            return None
        for given, form in ((x, "input"), (y, "output")):
            try:
                derivative = self._call("backward", backward, given.copy())
            except UserError:
                return None
            comparison = compare(derivative, numeric)
            if comparison.verdict == OK:
                return {"parameters": [_parameter("x", comparison, None)], "kind": "activation",
                        "message": f"ok: `{unit['cls']}.{unit['backward']}` is the derivative, "
                                   f"given the {form}"}
        return None

    # -- activations ------------------------------------------------------------------------------

    def _activation(self, unit: dict) -> dict:
        if unit.get("cls"):
            holder = self._instance(unit)
            function, derivative = getattr(holder, unit["forward"]), getattr(holder, unit["backward"])
        else:
            function = self._function(unit["forward"])
            derivative = self._function(unit["backward"])
            if unit.get("flag"):
                flag, base = unit["flag"], function
                derivative = lambda value: base(value, **{flag: True})  # noqa: E731
        x = A.Draw(0).normal((A.N, A.D))
        y = np.asarray(self._call("the activation", function, x.copy()), dtype=np.float64)
        if y.shape != x.shape:
            raise Skip(f"`{unit['forward']}` does not keep its input's shape (not elementwise)")
        numeric = _elementwise_derivative(lambda v: self._call("the activation", function, v), x)
        if numeric is None:
            raise Skip(f"`{unit['forward']}` is not elementwise (a softmax's derivative is a Jacobian)")
        input_form = compare(self._call("the derivative", derivative, x.copy()), numeric)
        output_form = compare(self._call("the derivative", derivative, y.copy()), numeric)
        best = input_form if input_form.verdict == OK or (
            output_form.verdict != OK and (input_form.error or 1) <= (output_form.error or 1)) \
            else output_form
        form = "input" if best is input_form else "output"
        parameter = _parameter("x", best, _source_line(unit, 0))
        derivative_name = (f"{unit['cls']}.{unit['backward']}" if unit.get("cls")
                           else unit["unit"] if unit.get("flag") else unit["backward"])
        if best.verdict == OK:
            message = f"ok: `{derivative_name}` is the derivative, given the {form}"
        else:
            error = f" (relative error {best.error:.1e})" if best.error is not None else ""
            message = (f"`{derivative_name}` is the derivative neither given the input nor given "
                       f"the output{error}")
        return {"parameters": [parameter], "message": message}

    # -- losses -------------------------------------------------------------------------------------

    def _loss(self, unit: dict) -> dict:
        """A loss is tried with every kind of input it accepts (rows of scores or probabilities,
        labels, one-hot or probability targets, one sample as a vector): it is ok when its
        gradient is right for one of them (a loss written for vectors may average differently
        over a matrix); else the first failure is the verdict."""
        if unit.get("cls"):
            holder = self._instance(unit)
            loss_function = getattr(holder, unit["forward"])
            gradient = getattr(holder, unit["backward"])
        else:
            loss_function, gradient = self._function(unit["forward"]), self._function(unit["backward"])
        names = unit["arguments"]
        target_first = naming.is_target(names[0]) and not naming.is_target(names[1])
        first: Optional[Tuple[Comparison, np.ndarray, np.ndarray, object]] = None
        for prediction, target in _loss_inputs():
            arguments = (target, prediction) if target_first else (prediction, target)
            checked = self._loss_comparison(unit, loss_function, gradient, arguments, prediction)
            if checked is None:
                continue
            comparison, grad = checked
            if comparison.verdict == OK:
                first = (comparison, prediction, target, grad)
                break
            first = first or (comparison, prediction, target, grad)
        if first is None:
            raise Skip(f"no inputs fit `{unit['forward']}` (tried scores and probabilities with "
                       "integer labels, one-hot and probability targets)")
        comparison, prediction, target, grad = first
        if comparison.verdict != OK and comparison.scale is None \
                and _is_fused_gradient(grad, prediction, target):
            raise Skip("its gradient is `prediction - target`, the fused gradient of a softmax "
                       "or sigmoid with cross-entropy with respect to the logits, not this "
                       "loss's with respect to its input: right only if the output layer "
                       "skips its activation's derivative (BP205); check the whole network")
        if comparison.scale is not None and np.isclose(comparison.scale, prediction.shape[0]):
            comparison.note += (f" (the batch size: the loss averages over the "
                                f"{prediction.shape[0]} samples, the gradient does not)")
        line = _source_line(unit, len(unit.get("returns") or [None]) - 1)
        return {"parameters": [_parameter(names[1 if target_first else 0], comparison, line)]}

    def _loss_comparison(self, unit, loss_function, gradient, arguments, prediction
                         ) -> Optional[Tuple[Comparison, object]]:
        """The code's gradient against the loss's, for these arguments; None when the loss or
        its gradient does not take them."""
        fused = bool(unit.get("fused"))
        if self._loss_value(loss_function, arguments, fused) is None:
            return None
        grad = self._loss_gradient(unit, gradient, arguments, prediction.shape)
        if grad is None:
            return None

        def evaluate() -> float:
            value = self._call("the loss", loss_function, *arguments)
            return float(np.asarray(value[0] if fused else value).sum())

        return compare(grad, numerical_gradient(evaluate, prediction)), grad

    def _loss_value(self, function, arguments, fused: bool) -> Optional[float]:
        try:
            value = self._call("the loss", function, *arguments)
            value = np.asarray(value[0] if fused else value, dtype=np.float64)
        except (UserError, TypeError, ValueError, IndexError):
            return None
        scalar_or_elementwise = value.size == 1 or value.shape == np.shape(arguments[0]) \
            or value.shape == np.shape(arguments[1])
        return float(value.sum()) if scalar_or_elementwise and np.isfinite(value).all() else None

    def _loss_gradient(self, unit, gradient, arguments, shape):
        """The gradient the code gives: the second value of a fused ``loss, dx = f(x, y)``, the
        gradient function called like the loss, or a loss object's ``backward()`` after its
        ``forward``."""
        try:
            if unit.get("fused"):
                grad = self._call("the loss", gradient, *arguments)[1]
            elif _backward_arguments(gradient):
                grad = self._call("the loss gradient", gradient, *arguments)
            else:
                getattr(gradient.__self__, unit["forward"])(*arguments)
                grad = self._call("the loss gradient", gradient)
        except (UserError, TypeError, ValueError, IndexError):
            return None
        return grad if _is_float_array(np.asarray(grad)) and np.shape(grad) == shape else None

    # -- models ---------------------------------------------------------------------------------------

    def _model(self, unit: dict) -> dict:
        model = self._model_instance(unit)
        self.randomness.adopt(model)
        store = getattr(model, "params", None)
        if not isinstance(store, dict):
            raise Skip(f"`{unit['cls']}` keeps no `params` dict")
        for key, value in list(store.items()):
            if _is_float_array(value):
                store[key] = value.astype(np.float64)
        X, y = self._model_data(model, unit)
        loss, grads = self._call("loss", model.loss, X, y)[:2]
        if not isinstance(grads, dict):
            raise Skip("`loss` did not return a dict of gradients")

        def evaluate() -> float:
            return float(self._call("loss", model.loss, X, y)[0])

        checked = []
        for key in sorted(grads, key=str):
            if key in store and _is_float_array(store[key]):
                numeric = numerical_gradient(evaluate, store[key])
                checked.append(_parameter(str(key), compare(grads[key], numeric),
                                          unit["lines"].get(str(key))))
        if not checked:
            raise Skip("no gradient in `grads` matches a parameter in `params`")
        return {"parameters": checked}

    def _model_instance(self, unit: dict) -> object:
        cls = self._function(unit["cls"])
        values: Dict[str, object] = {}
        signature = inspect.signature(cls)
        sizes = iter([3, 4, 6, 7, 8])
        for name, parameter in signature.parameters.items():
            default = parameter.default
            lowered = name.lower()
            if lowered in ("dtype",):
                values[name] = np.float64
            elif lowered in ("num_classes", "n_classes", "output_dim", "classes"):
                values[name] = 2
            elif lowered in ("input_dim", "input_size", "n_input", "input_shape"):
                values[name] = (3, 6, 6) if isinstance(default, tuple) else 3
            elif lowered in ("hidden_dims", "hidden_sizes", "layers", "layer_dims"):
                values[name] = [4, 6]
            elif naming.is_size(name) and (default is inspect.Parameter.empty
                                           or isinstance(default, int)):
                values[name] = next(sizes)
            elif lowered in ("weight_scale", "std", "init_scale") and isinstance(default, float):
                values[name] = 5e-2
            elif lowered == "seed":
                values[name] = 0
            elif naming.is_regularisation(name) and isinstance(default, (int, float)):
                values[name] = 0.1  # an L2 term must match its gradient, so make it count
            elif default is inspect.Parameter.empty:
                raise Skip(f"the constructor of `{unit['cls']}` needs `{name}`")
        try:
            return self._call("the constructor", cls, **values)
        except UserError as exc:
            raise Skip(f"{unit['cls']}({_arguments(values)}): {exc}") from None

    def _model_data(self, model: object, unit: dict) -> Tuple[np.ndarray, np.ndarray]:
        draw = A.Draw(0)
        first = next((v for k, v in sorted(model.params.items(), key=lambda kv: str(kv[0]))
                      if _is_float_array(v) and v.ndim >= 2), None)
        shapes = [(A.N, 3), (2, 3, 6, 6)]
        if first is not None and first.ndim == 2:
            shapes.insert(0, (A.N, first.shape[0]))
        for shape in shapes:
            X = draw.normal(shape)
            scores = None
            try:
                scores = self._call("loss", model.loss, X)
            except UserError:
                continue
            classes = np.shape(scores)[-1] if np.ndim(scores) == 2 else 2
            return X, np.arange(shape[0]) % classes
        raise Skip(f"no input shape fits `{unit['cls']}.loss`")


# The inputs a layer is tried with, in order: rows, columns, another width, sequences, images,
# and one sample as a column (layers written for a single example).
_LAYER_INPUTS = ((A.N, A.D), (A.D, A.N), (A.N, A.M), (A.N, A.STEPS, A.D),
                 (A.IMAGES["N"], A.IMAGES["C"], A.IMAGES["H"], A.IMAGES["W"]), (A.D, 1))


def _mean_cost_convention(checked: List[dict]) -> List[dict]:
    """Andrew Ng's course puts the 1/m of a mean cost into ``linear_backward``: ``dW`` and
    ``db`` are 1/m of the true gradient while ``dA_prev`` is exact. When every parameter's
    gradient (all but the first, data, input) is exactly 1/m and the data gradient is right,
    that is the convention, not a bug: ok, said so. A single parameter off by 1/m (``db`` a mean
    where ``dW`` is a sum) stays wrong. Any other factor of the batch size is named."""
    batch = A.N
    for parameter in checked:
        scale = parameter["scale"]
        if scale is not None and parameter["verdict"] != OK:
            for factor, words in ((1 / batch, f"1/{batch}: divided by the batch size"),
                                  (batch, f"{batch}: the batch size")):
                if np.isclose(scale, factor):
                    parameter["note"] += f" ({words})"
    data, parameters = checked[:1], checked[1:]
    if parameters and all(p["verdict"] == OK for p in data) and all(
            p["scale"] is not None and np.isclose(p["scale"], 1 / batch) for p in parameters):
        for p in parameters:
            p["verdict"] = OK
            p["note"] = (f"1/{batch} of the true gradient: the mean cost's 1/m, applied here "
                         "as deeplearning.ai does")
    return checked


def _source_line(unit: dict, index: int) -> Optional[int]:
    """The line computing the ``index``-th returned gradient: the last assignment of the name
    returned there, else the return statement itself."""
    returned = unit.get("returns") or []
    name = returned[index] if 0 <= index < len(returned) else None
    return unit["lines"].get(name) if name in unit["lines"] else unit.get("return_line")


def _signature(function: Callable) -> List[Tuple[str, bool]]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        raise Skip("its signature cannot be read") from None
    return [(p.name, p.default is not inspect.Parameter.empty) for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _backward_arguments(function: Callable) -> List[str]:
    try:
        return [p.name for p in inspect.signature(function).parameters.values()]
    except (TypeError, ValueError):
        return []


def _arguments(values: Dict[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _elementwise_derivative(function: Callable, x: np.ndarray) -> Optional[np.ndarray]:
    """The derivative of an elementwise function at every element of ``x``, by centred
    differences on the whole array at once; None when moving one element moves others."""
    step = 1e-6
    plus = np.asarray(function(x + step), dtype=np.float64)
    minus = np.asarray(function(x - step), dtype=np.float64)
    probe = x.copy()
    probe.flat[0] += 1e-3
    moved = np.asarray(function(probe), dtype=np.float64) - np.asarray(function(x), dtype=np.float64)
    moved.flat[0] = 0
    if np.max(np.abs(moved)) > 1e-12:
        return None
    return (plus - minus) / (2 * step)


def _is_fused_gradient(grad, prediction: np.ndarray, target: np.ndarray) -> bool:
    """Whether ``grad`` is ``prediction - target`` (up to the batch size), targets one-hot or
    probabilities in the prediction's shape."""
    if np.shape(target) != prediction.shape:
        return False
    residual = prediction - target
    return any(np.allclose(grad, residual / scale) for scale in (1, prediction.shape[0]))


def _loss_inputs():
    """(prediction, target) pairs to try a loss with: probabilities (also fine as scores: a
    clipped or logged prediction needs them) and then any real scores, with integer labels,
    one-hot targets and probability targets, in rows and in columns."""
    draw = A.Draw(0)
    labels = np.arange(A.N) % A.M
    one_hot = np.eye(A.M)[labels]
    for prediction in (draw.probabilities((A.N, A.M)), draw.normal((A.N, A.M))):
        for target in (labels, one_hot, draw.probabilities((A.N, A.M))):
            yield prediction.copy(), target.copy()
        yield prediction.T.copy(), one_hot.T.copy()
    vector = draw.probabilities((A.M,))  # one sample: ``dot(y - t, y - t)``
    yield vector.copy(), np.eye(A.M)[1]
    yield vector.copy(), draw.probabilities((A.M,))


def _message(checked: List[dict]) -> str:
    """One sentence: the gradients that are ok, or the first wrong one and how it is wrong."""
    bad = [p for p in checked if p["verdict"] != OK]
    if not bad:
        by_note: Dict[str, List[str]] = {}
        for p in checked:
            if p["note"]:
                by_note.setdefault(p["note"], []).append(f"`{p['name']}`")
        notes = "; ".join(f"{', '.join(names)}: {note}" for note, names in by_note.items())
        return f"{', '.join(p['name'] for p in checked)} ok" + (f" ({notes})" if notes else "")
    first = bad[0]
    error = (f" (relative error {first['relative_error']:.1e})"
             if first["relative_error"] is not None else "")
    how = first["note"] or "does not match the finite differences"
    return f"the gradient of `{first['name']}` {how}{error}"
