"""Find the forward/backward units of a program, statically (``ast``; no NumPy, nothing run).

A unit is a piece of code whose hand-written gradient can be checked on its own:

- ``function-pair``: ``out, cache = X_forward(x, w, ...)`` with ``dx, dw, ... = X_backward(dout,
  cache)`` (cs231n), or Andrew Ng's ``relu(Z) -> (A, cache)`` with ``relu_backward(dA, cache)``;
  a backward that also takes the forward's activation-name argument
  (``linear_activation_backward(dA, cache, activation)``) is one unit per activation name the
  forward compares that argument with;
- ``layer``: a class with ``forward(x)`` and ``backward(dout)`` (one required argument: the
  upstream gradient), whose parameters' gradients are returned or stored on the instance;
- ``activation``: a function with its derivative (``sigmoid`` / ``sigmoid_prime``, ``relu(x,
  deriv=True)``), or a class with ``fn``/``grad``-like methods taking the same one argument;
- ``loss``: ``loss, dx = softmax_loss(x, y)``, a loss function with its gradient function
  (``mse`` / ``mse_prime``), or a class with ``forward(pred, y)`` and ``backward()``;
- ``model``: a class whose ``loss(X, y)`` returns ``loss, grads`` (cs231n's classifiers).

Structure decides (what is returned, how many arguments the backward takes); names only pair a
function with its derivative or backward, as the code's author paired them.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Sequence

from bplint.gradcheck import naming

# How authors name a function's derivative: ``sigmoid_prime``, ``dsigmoid``, ``relu_grad``...
_DERIVATIVE_FORMS = ("{}_prime", "{}_derivative", "{}_deriv", "{}_der", "{}_grad", "{}_gradient",
                     "d{}", "d_{}", "derivative_{}", "{}Prime", "{}_backward", "{}_back",
                     "{}_d", "grad_{}", "{}_diff")
# A boolean argument that turns an activation into its derivative: ``relu(x, deriv=True)``.
_DERIVATIVE_FLAGS = ("deriv", "derivative", "derive", "prime", "grad", "gradient", "backward",
                     "d", "diff")
# Method pairs of activation and loss objects: (the function, its derivative).
_METHOD_PAIRS = (("fn", "grad"), ("f", "df"), ("function", "derivative"), ("fn", "derivative"),
                 ("activation", "derivative"), ("activate", "derivative"), ("func", "deriv"),
                 ("forward", "derivative"), ("__call__", "derivative"), ("__call__", "gradient"),
                 ("__call__", "grad"), ("__call__", "prime"), ("value", "grad"),
                 ("loss", "grad"), ("loss", "gradient"), ("loss", "derivative"),
                 ("compute", "derivative"), ("calc", "derivative"))
_FORWARD_METHODS = ("forward", "fprop", "forward_pass", "__call__")
_BACKWARD_METHODS = ("backward", "bprop", "backward_pass", "backprop")


def _required(function: ast.FunctionDef, method: bool = False) -> List[str]:
    """The names of the arguments without a default (``self`` left out of a method's)."""
    positional = function.args.posonlyargs + function.args.args
    names = [a.arg for a in positional[: len(positional) - len(function.args.defaults)]]
    return names[1:] if method and names else names


def _all_arguments(function: ast.FunctionDef, method: bool = False) -> List[str]:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    return names[1:] if method and names else names


def _returns(function: ast.FunctionDef) -> Iterator[ast.Return]:
    """The function's own return statements (not those of nested functions)."""
    stack: List[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _returns_pair(function: ast.FunctionDef) -> bool:
    """Whether some return gives a tuple of two or more values (``return out, cache``)."""
    return any(isinstance(r.value, ast.Tuple) and len(r.value.elts) >= 2 for r in _returns(function))


def _returned_names(function: ast.FunctionDef) -> List[Optional[str]]:
    """The names of the values of the last return (``return dx, dw, db``)."""
    for node in sorted(_returns(function), key=lambda r: r.lineno, reverse=True):
        if isinstance(node.value, ast.Tuple):
            return [e.id if isinstance(e, ast.Name) else None for e in node.value.elts]
        if isinstance(node.value, ast.Name):
            return [node.value.id]
    return []


def _assignment_lines(function: ast.FunctionDef) -> Dict[str, int]:
    """The last line assigning each name or ``self.attribute`` in the function."""
    lines: Dict[str, int] = {}
    for node in ast.walk(function):
        targets: Sequence[ast.AST] = ()
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Name):
                    lines[part.id] = max(lines.get(part.id, 0), node.lineno)
                elif isinstance(part, ast.Attribute):
                    lines[part.attr] = max(lines.get(part.attr, 0), node.lineno)
                elif isinstance(part, ast.Subscript) and isinstance(part.slice, ast.Constant) \
                        and isinstance(part.slice.value, str):
                    lines[part.slice.value] = max(lines.get(part.slice.value, 0), node.lineno)
    return lines


def _compared_strings(function: ast.FunctionDef, name: str) -> List[str]:
    """The strings ``name`` is compared with (``if activation == "relu":``), in order."""
    found: List[str] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == name:
            for comparator in node.comparators:
                values = comparator.elts if isinstance(comparator, (ast.Tuple, ast.List, ast.Set)) \
                    else [comparator]
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) \
                            and value.value not in found:
                        found.append(value.value)
    return found


def _dict_keys(function: ast.FunctionDef) -> Dict[str, List[str]]:
    """For each argument read as a dict (``conv_param['stride']``, ``bn_param.get('eps')``), the
    keys read: the worker fills them with usual values."""
    arguments = set(_all_arguments(function))
    keys: Dict[str, List[str]] = {}
    for node in ast.walk(function):
        holder = key = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            holder, key = node.value.id, node.slice.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("get", "setdefault") and isinstance(node.func.value, ast.Name) \
                and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            holder, key = node.func.value.id, node.args[0].value
        if holder in arguments and key is not None:
            keys.setdefault(holder, [])
            if key not in keys[holder]:
                keys[holder].append(key)
    return keys


def _span(function: ast.FunctionDef) -> Dict[str, List[int]]:
    return {"location": [function.lineno, function.col_offset + 1],
            "end_location": [function.end_lineno or function.lineno,
                             (function.end_col_offset or 0) + 1]}


def _unit(kind: str, name: str, code: ast.FunctionDef, **details) -> dict:
    """A unit whose gradient is computed by ``code`` (its place is the unit's place)."""
    returns = sorted(_returns(code), key=lambda r: r.lineno)
    unit = {"kind": kind, "unit": name, **_span(code),
            "lines": _assignment_lines(code), "returns": _returned_names(code),
            "return_line": returns[-1].lineno if returns else None}
    unit.update(details)
    return unit


def _derivative_of(name: str, functions: Dict[str, ast.FunctionDef]) -> Optional[str]:
    for form in _DERIVATIVE_FORMS:
        candidate = form.format(name)
        if candidate in functions and candidate != name:
            return candidate
    return None


def _function_units(functions: Dict[str, ast.FunctionDef]) -> List[dict]:
    units: List[dict] = []
    paired = set()
    for name, backward in functions.items():
        if "backward" not in name:
            continue
        # conv_backward_naive pairs with conv_forward_naive; Ng's relu_backward with relu
        stem = name.replace("_backward", "", 1) if "_backward" in name else None
        forward_name = next((f for f in (name.replace("backward", "forward"), stem)
                             if f and f in functions), None)
        if forward_name is None:
            continue
        forward = functions[forward_name]
        required = _required(backward)
        if len(required) < 2 or not _returns_pair(forward):
            continue
        paired.update((name, forward_name))
        common = {"forward": forward_name, "backward": name,
                  "config": _dict_keys(forward), "arguments": _all_arguments(forward)}
        label = f"{forward_name}/{name}"
        choices = [a for a in required[2:] if a in _all_arguments(forward)]
        if choices:
            for mode in _compared_strings(forward, choices[0]):
                units.append(_unit("function-pair", f"{label}[{mode}]", backward,
                                   mode={"argument": choices[0], "value": mode}, **common))
        else:
            units.append(_unit("function-pair", label, backward, **common))
    for name, function in functions.items():
        if name in paired:
            continue
        required = _required(function)
        derivative = _derivative_of(name, functions)
        if derivative is not None and derivative not in paired:
            derived = functions[derivative]
            if len(required) == 1 and len(_required(derived)) == 1:
                units.append(_unit("activation", f"{name}/{derivative}", derived,
                                   forward=name, backward=derivative))
            elif len(required) == 2 and len(_required(derived)) == 2:
                units.append(_unit("loss", f"{name}/{derivative}", derived, forward=name,
                                   backward=derivative, arguments=required))
            continue
        flag = next((a for a in _all_arguments(function)[1:] if a in _DERIVATIVE_FLAGS
                     and a not in required), None)
        if flag is not None and len(required) == 1:
            units.append(_unit("activation", f"{name}({flag}=True)", function, forward=name,
                               backward=name, flag=flag))
            continue
        returned = _returned_names(function)
        if len(required) == 2 and len(returned) == 2 and returned[0] and returned[1] \
                and ("loss" in returned[0].lower() or "cost" in returned[0].lower()) \
                and (returned[1].startswith("d") or "grad" in returned[1].lower()):
            units.append(_unit("loss", name, function, forward=name, backward=name,
                               arguments=required, fused=True))
    return units


def _methods(cls: ast.ClassDef) -> Dict[str, ast.FunctionDef]:
    """The class's own methods that do something (an abstract base's are left out)."""
    return {node.name: node for node in cls.body
            if isinstance(node, ast.FunctionDef) and not _is_abstract(node)}


def _is_static(function: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)


def _takes(function: ast.FunctionDef) -> List[str]:
    """A method's required arguments after ``self`` (all of them for a staticmethod)."""
    return _required(function, method=not _is_static(function))


def _compared_with(function: ast.FunctionDef, name: str) -> bool:
    """Whether ``name`` is subtracted from what forward stored, or the other way round
    (``self.recon - x_clean``): a target, not the upstream gradient a layer's backward
    multiplies (``s * (dout - dot)`` is one)."""
    def stored(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "self"

    return any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)
               and any(isinstance(side, ast.Name) and side.id == name and stored(other)
                       for side, other in ((node.left, node.right), (node.right, node.left)))
               for node in ast.walk(function))


def _is_abstract(function: ast.FunctionDef) -> bool:
    """A method left to subclasses: its body only raises NotImplementedError, or is ``pass``."""
    body = [node for node in function.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    if not body:
        return True
    if len(body) != 1:
        return False
    node = body[0]
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return True
    if isinstance(node, ast.Raise) and node.exc is not None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False


def _class_unit(cls: ast.ClassDef, methods: Dict[str, ast.FunctionDef]) -> Optional[dict]:
    loss = methods.get("loss")
    if loss is not None and _takes(loss) and "grad" in (
            (_returned_names(loss) or [None])[-1] or ""):  # ``return loss, grads``
        return _unit("model", cls.name, loss, cls=cls.name, forward="loss", backward="loss",
                     init=_init_arguments(cls))
    forward = next((methods[m] for m in _FORWARD_METHODS if m in methods), None)
    backward = next((methods[m] for m in _BACKWARD_METHODS if m in methods), None)
    if forward is not None and backward is not None:
        takes = _takes(forward)
        upstream = _takes(backward)
        if len(takes) == 2 and len(upstream) == 0:
            return _unit("loss", cls.name, backward, cls=cls.name, forward=forward.name,
                         backward=backward.name, arguments=takes)
        rate = next((a for a in _all_arguments(backward, method=True)[1:]
                     if naming.is_learning_rate(a)), None)
        steps = len(upstream) == 2 and upstream[1] == rate  # ``backward(dout, lr)`` also steps
        if len(takes) >= 1 and (len(upstream) == 1 or steps) \
                and not naming.is_target(upstream[0]) and not _compared_with(backward, upstream[0]):
            return _unit("layer", cls.name, backward, cls=cls.name, forward=forward.name,
                         backward=backward.name, arguments=_all_arguments(forward, method=True),
                         init=_init_arguments(cls), rate=rate, upstream=upstream[0])
        if len(takes) == 2 and _all_arguments(backward, method=True)[:2] == takes:
            return _unit("loss", cls.name, backward, cls=cls.name, forward=forward.name,
                         backward=backward.name, arguments=takes)
    for function_name, derivative_name in _METHOD_PAIRS:
        function, derivative = methods.get(function_name), methods.get(derivative_name)
        if function is None or derivative is None:
            continue
        takes = _takes(function)
        if len(takes) == 1 and len(_takes(derivative)) == 1:
            return _unit("activation", cls.name, derivative, cls=cls.name, forward=function_name,
                         backward=derivative_name)
        if len(takes) == 2 and len(_takes(derivative)) == 2:
            return _unit("loss", cls.name, derivative, cls=cls.name, forward=function_name,
                         backward=derivative_name, arguments=takes)
    return None


def discover(tree: ast.Module) -> List[dict]:
    """Every unit of a module, in the order of their backward code."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    units = _function_units(functions)
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        unit = _class_unit(cls, _methods(cls))
        if unit is not None:
            unit.setdefault("init", _init_arguments(cls))
            units.append(unit)
    units.sort(key=lambda u: tuple(u["location"]))
    return units


def _init_arguments(cls: ast.ClassDef) -> List[dict]:
    """The constructor's arguments: name, whether it has a default, and whether it names a size."""
    init = _methods(cls).get("__init__")
    if init is None:
        return []
    names = _all_arguments(init, method=True)
    required = set(_required(init, method=True))
    return [{"name": n, "required": n in required, "size": naming.is_size(n)} for n in names]
