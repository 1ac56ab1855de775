"""What a name in a network's code usually means: inputs, targets, outputs, learning rates...

Shared by the static plan (parent process) and the worker; no NumPy here.
"""

from __future__ import annotations

import re
from typing import List

_X = re.compile(r"^(x|xs|x_\w+|x\d|inputs?|\w+_inputs?|inputs?_\w+|inp|data|features?|samples?|"
                r"a0|xb|xbatch|batch_x|images?)$")
_TARGET = re.compile(r"^(y|ys|t|yb|y_?(true|train|batch|onehot|one_hot|target|label|s)|"
                     r"targets?|\w+_targets?|targets?_\w+|labels?|\w+_labels?|labels?_\w+|"
                     r"onehot|one_hot|expected|desired|truth|ground_truth|gt|batch_y)$")
_OUTPUT = re.compile(r"^(o|out|outs|output|outputs|y_?hat|yhat|y_?pred|ypred|preds?|prediction|"
                     r"predictions|predicted|probs?|probabilities|p|a_?out|final_outputs?|scores|"
                     r"logits|activated_output\w*|output_\w+)$")
_LR_STRONG = re.compile(r"^(lr|eta|learning_?rate|learningrate|learn_?rate|lrate|step_?size|"
                        r"lr_\w+|\w+_lr)$")
_LR_WEAK = re.compile(r"^(alpha|rate|gamma|step)$")
_REG = re.compile(r"^(reg|l2|l1|l2_?reg\w*|reg_\w+|\w+_reg|lambd|lambda_?|lam|weight_?decay|wd|"
                  r"penalty|decay)$")
_EPOCHS = re.compile(r"^(epochs?|n_?epochs?|num_?epochs?|max_?epochs?|iterations?|n_?iter\w*|"
                     r"num_?iter\w*|iters?|steps|n_?steps|num_?steps|max_?iter\w*|times)$")
_BATCH = re.compile(r"^(batch_?size|bs|mini_?batch(_size)?)$")
# One size (not a list of sizes): ``input_size``, ``n_hidden``, ``hiddennodes``, ``n_classes``...
_SIZE = re.compile(r"^(n|m|d|k|h|n_?\w+|num_?\w+|\w*_?(size|dim|nodes|units|neurons|width|"
                   r"features|classes|channels|inputs?|outputs?|hidden|hid|in|out))$")
_FLAG = re.compile(r"^(train|training|is_?training|train_?mode|dropout|use_?dropout|"
                   r"apply_?dropout|drop)$")

FORWARD_NAMES = ("forward", "feedforward", "feed_forward", "forward_pass", "forward_propagation",
                 "forward_prop", "forwardprop", "fprop", "propagate", "query", "__call__",
                 "predict_proba", "predict", "infer")
LOSS_NAMES = ("loss", "cost", "compute_loss", "compute_cost", "calculate_loss", "calc_loss",
              "get_loss", "loss_fn", "objective", "mse", "mse_loss", "bce", "cross_entropy",
              "crossentropy", "cross_entropy_loss", "sse")


def _key(name: str) -> str:
    return name.lower()


def is_input(name: str) -> bool:
    return bool(_X.match(_key(name)))


def is_target(name: str) -> bool:
    return bool(_TARGET.match(_key(name)))


def is_output(name: str) -> bool:
    return bool(_OUTPUT.match(_key(name)))


def is_learning_rate(name: str, in_update: bool = False) -> bool:
    """``lr``, ``learning_rate``, ``eta``...; ``alpha`` or ``rate`` only where an update reads it."""
    key = _key(name)
    return bool(_LR_STRONG.match(key)) or (in_update and bool(_LR_WEAK.match(key)))


def is_regularisation(name: str) -> bool:
    return bool(_REG.match(_key(name)))


def is_epochs(name: str) -> bool:
    return bool(_EPOCHS.match(_key(name)))


def is_batch_size(name: str) -> bool:
    return bool(_BATCH.match(_key(name)))


def is_size(name: str) -> bool:
    """A name that says it is one size; lists of sizes (``sizes``, ``layer_dims``) are not."""
    key = _key(name)
    return bool(_SIZE.match(key)) and not key.endswith(("sizes", "dims"))


def is_training_flag(name: str) -> bool:
    return bool(_FLAG.match(_key(name)))


def sizes_for(count: int) -> List[int]:
    """Distinct small sizes: the first (input) 3, the last (output) 2, the ones between 4, 6, 7...
    (5 is the batch size)."""
    middle = [4, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    if count <= 2:
        return [3, 4][:max(count, 0)]
    return [3] + middle[: count - 2] + [2]
