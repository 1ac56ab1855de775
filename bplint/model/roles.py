"""The role a function plays in a network, from the name its author gave it."""

from __future__ import annotations

from typing import Optional

from bplint.model.units import Function

_FORWARD = {"forward", "feedforward", "feed_forward", "forward_pass", "forward_propagation",
            "forward_prop", "forwardprop", "fprop", "predict", "__call__", "propagate", "infer"}
_BACKWARD = {"backward", "backprop", "back_prop", "backpropagate", "backpropagation",
             "back_propagation", "backward_pass", "backward_propagation", "backward_prop", "bprop",
             "train", "train_step", "fit", "step", "update", "update_weights", "sgd", "gradients",
             "compute_gradients", "gradient", "grad", "optimize", "learn"}


def role(function: Function) -> Optional[str]:
    name = function.name.lower().lstrip("_") if function.name != "__call__" else "__call__"
    if name in _FORWARD or name.startswith("forward") or name.endswith("_forward"):
        return "forward"
    if name in _BACKWARD or name.startswith(("backward", "backprop")) or name.endswith("_backward"):
        return "backward"
    return None
