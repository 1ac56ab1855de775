"""Hints fit the finding: each message and ``--show-source`` hint names the layer's own
activation, derivative, mask and delta, in the program's expressions."""

from __future__ import annotations

import textwrap

import pytest

from bplint.diagnostics import Finding, Span
from bplint.report.terminal import finding_hint, fix_hint
from conftest import FIXTURES

CATALOGUE = FIXTURES / "catalogue"


def show_source(run_cli, path: str, cwd=CATALOGUE) -> str:
    code, out, err = run_cli("check", "--no-config", "--show-source", "-q", path, cwd=cwd)
    assert (code, err) == (1, "")
    return out


def help_lines(out: str) -> list:
    return [line.split("= help: ", 1)[1] for line in out.splitlines() if "= help: " in line]


# BP204: the derivative of the layer's own activation -----------------------------------------

def test_a_sigmoid_layer_without_its_derivative_is_told_the_sigmoid_derivative(run_cli):
    assert show_source(run_cli, "bad_BP204_class_missing_derivative.py") == """\
bad_BP204_class_missing_derivative.py:55:18: BP204 `delta2 @ self.W2.T` carries the error back to \
a hidden layer that uses sigmoid, but it reaches the update on line 60 without that activation's \
derivative; multiply it by the sigmoid derivative `self.a1 * (1 - self.a1)`
55 |         delta1 = delta2 @ self.W2.T  # expect: BP204
   |                  ^^^^^^^^^^^^^^^^^^
   = help: multiply `delta1` by `self.a1 * (1 - self.a1)`

"""


def test_a_tanh_layer_without_its_derivative_is_told_the_tanh_derivative(run_cli):
    out = show_source(run_cli, "bad_BP204_functional_no_tanh_slope.py")
    assert out.splitlines()[0] == (
        "bad_BP204_functional_no_tanh_slope.py:12:15: BP204 `d_out @ W2.T` carries the error back "
        "to a hidden layer that uses tanh, but it reaches the update on line 14 without that "
        "activation's derivative; multiply it by the tanh derivative `(1 - h ** 2)`")
    assert help_lines(out) == ["multiply `d_h` by `(1 - h ** 2)`"]


RELU_SCRIPT = textwrap.dedent("""\
    import numpy as np


    def train(X, y, W1, W2, lr):
        for _ in range(100):
            h = np.maximum(0, X @ W1)
            out = h @ W2
            d_out = (out - y) / len(X)
            d_h = d_out @ W2.T
            W2 -= lr * h.T @ d_out
            W1 -= lr * X.T @ d_h
        return W1, W2


    X = np.random.randn(16, 3)
    y = np.random.randn(16, 1)
    train(X, y, np.random.randn(3, 5), np.random.randn(5, 1), 0.1)
    """)


def test_a_relu_layer_without_its_derivative_is_told_its_own_gate(run_cli, tmp_path):
    (tmp_path / "relu_net.py").write_text(RELU_SCRIPT, encoding="utf-8")
    assert show_source(run_cli, "relu_net.py", cwd=tmp_path) == """\
relu_net.py:9:15: BP204 `d_out @ W2.T` carries the error back to a hidden layer that uses ReLU, \
but it reaches the update on line 11 without that activation's derivative; multiply it by the \
ReLU derivative `(h > 0)`
9 |         d_h = d_out @ W2.T
  |               ^^^^^^^^^^^^
  = help: multiply `d_h` by `(h > 0)`

"""


def test_a_derivative_applied_to_the_output_error_is_shown_carried_back_first(run_cli):
    assert show_source(run_cli, "bad_BP204_class_output_error_chain.py") == """\
bad_BP204_class_output_error_chain.py:55:18: BP204 `delta2 * self.sigmoid_derivative(self.a1)` \
applies a hidden layer's sigmoid derivative to the output error itself: the error must first be \
carried back through the weights above (`delta2 @ self.W2.T`) before it is multiplied by the \
derivative
55 |         delta1 = delta2 * self.sigmoid_derivative(self.a1)  # expect: BP204
   |                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: carry the error back before the derivative: \
`(delta2 @ self.W2.T) * self.sigmoid_derivative(self.a1)`

"""


# BP202, BP203, BP205: which derivative, on what ------------------------------------------------

def test_the_wrong_derivative_is_replaced_by_the_forward_activations_one(run_cli):
    assert show_source(run_cli, "bad_BP202_class_tanh_sigmoid_deriv.py") == """\
bad_BP202_class_tanh_sigmoid_deriv.py:52:46: BP202 the derivative of sigmoid is applied to a layer \
that used tanh in forward; use the tanh derivative here: `(1 - self.A1 ** 2)`
52 |         dZ1 = (self.W2.T @ dZ2) * self.A1 * (1 - self.A1)  # expect: BP202
   |                                              ^^^^^^^^^^^
   = help: replace `self.A1 * (1 - self.A1)` with `(1 - self.A1 ** 2)`

"""


def test_a_relu_derivative_is_written_on_the_argument_the_program_passes(run_cli):
    out = show_source(run_cli, "bad_BP202_dict_relu_sigmoid_prime.py")
    assert out.splitlines()[0].endswith("use the ReLU derivative here: `(cache[\"Z1\"] > 0)`")
    assert help_lines(out) == ["replace `sigmoid_prime(cache[\"Z1\"])` with `(cache[\"Z1\"] > 0)`"]


def test_an_output_form_derivative_of_z_is_pointed_at_the_activation_forward_stored(run_cli):
    assert show_source(run_cli, "bad_BP203_class_output_form_on_z.py") == """\
bad_BP203_class_output_form_on_z.py:55:39: BP203 `self.sigmoid_derivative(self.z1)` is the sigmoid \
derivative written for the activation's output (a = sigmoid(z)), but it is applied to the \
pre-activation z; pass the activation `self.a1` instead
55 |         delta1 = delta2 @ self.W2.T * self.sigmoid_derivative(self.z1)  # expect: BP203
   |                                       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: apply it to `self.a1`: `self.sigmoid_derivative(self.a1)`

"""


def test_an_input_form_derivative_of_a_names_the_pre_activation_and_the_output_form(run_cli):
    out = show_source(run_cli, "bad_BP203_script_input_form_on_a.py")
    assert out.splitlines()[0].endswith(
        "applies sigmoid twice; pass the pre-activation `z1`, or use the output form `a1 * (1 - a1)`")
    assert help_lines(out) == ["use the output form on `a1`: `a1 * (1 - a1)`"]


def test_a_derivative_on_a_cross_entropy_gradient_names_the_factor_to_drop(run_cli):
    out = show_source(run_cli, "bad_BP205_script_bce_times_deriv.py")
    assert out.splitlines()[0].endswith("drop the derivative factor `p * (1 - p)`")
    assert help_lines(out) == ["drop the factor `p * (1 - p)`: `(p - yb)` is already the gradient at the logits"]


# BP302, BP301: the real mask and delta -----------------------------------------------------------

def test_a_delta_without_forwards_mask_is_told_the_mask_by_name(run_cli):
    assert show_source(run_cli, "bad_BP302_class_mask_missing.py") == """\
bad_BP302_class_mask_missing.py:60:16: BP302 `(dscores @ self.W2.T)` carries the error back to a \
layer whose units forward dropped, but the delta reaches the update on line 63 without the same \
mask; multiply it by `self.mask`, the mask forward applied on line 43 (dropped units must get no \
gradient)
60 |         dh1 = (dscores @ self.W2.T) * (self.z1 > 0)  # expect: BP302
   |                ^^^^^^^^^^^^^^^^^^^
   = help: multiply `dh1` by `self.mask`

"""


def test_a_mask_drawn_again_in_backward_is_told_apart_from_forwards(run_cli):
    out = show_source(run_cli, "bad_BP302_script_new_mask.py")
    assert out.splitlines()[0].endswith(
        "without the same mask; `mask` here is a new draw: multiply it by the mask forward applied "
        "on line 46 (dropped units must get no gradient)")
    assert help_lines(out) == [
        "keep the mask forward applied on line 46 (draw no new `mask`) and multiply `dz1` by it"]


def test_a_mask_added_with_np_add_is_shown_multiplied(run_cli):
    out = show_source(run_cli, "classes/bad_BP301_hard_np_add.py", cwd=FIXTURES)
    assert out.splitlines()[0] == (
        "classes/bad_BP301_hard_np_add.py:33:24: BP301 dropout mask combined by `np.add` in "
        "`np.add(self.h, self.mask)`; a mask must multiply: use `np.multiply(self.h, self.mask)`")
    assert help_lines(out) == ["multiply by the mask: `np.multiply(self.h, self.mask)`"]


# BP101, BP102: where to keep the value ------------------------------------------------------------

def test_an_attribute_never_stored_is_stored_where_forward_computes_it(run_cli):
    out = show_source(run_cli, "seeds/seed4_regression_relu.py", cwd=FIXTURES)
    assert help_lines(out) == ["in `forward`, after line 19, store `self.a1 = a1`"] * 2


def test_a_forward_local_of_a_function_is_returned_and_passed(run_cli):
    out = show_source(run_cli, "scripts/bad_BP101_funcs_tuple.py", cwd=FIXTURES)
    assert help_lines(out)[-1] == "return `A1` from `forward` and pass it to `backward`"


# Every other rule: its hint in the program's own expressions ------------------------------------

@pytest.mark.parametrize("path, hint", [
    ("classes/bad_BP201_hard_negated_error.py",
     "descend: `self.W2 -= self.lr * dW2 / n`, or flip the error to `out - y`"),
    ("classes/bad_BP201_momentum_velocity.py",
     "accumulate the step with the other sign: `self.v_w2 = self.mu * self.v_w2 - self.lr * dW2`, "
     "or flip the error to `target - self.pred`"),
    ("catalogue/bad_BP103_script_update_before_propagate.py",
     "move the update of `W2` on line 45 below this line, after every delta"),
    ("catalogue/bad_BP303_functional_flag_ignored.py", "apply the mask under `if training:`"),
    ("catalogue/bad_BP303_functional_test_mode_masks.py",
     "use `x` here, unmasked (without `(np.random.rand(*x.shape) < keep_prob)`)"),
    ("catalogue/bad_BP304_functional_unscaled_mask.py",
     "scale the kept units: `(np.random.rand(*x.shape) < keep_prob) / keep_prob`"),
    ("catalogue/bad_BP304_script_inverted_probability.py",
     "keep the units the scale assumes: `(rng.random(a1.shape) >= drop_rate)`; or divide by "
     "`drop_rate`, the probability the mask keeps a unit"),
    ("shapes/bad_BP401_script_forward_syn0.py", "write `np.dot(X, syn0)`"),
    ("shapes/bad_BP402_hstack_bias_unsummed.py", "step by `np.sum(lr * d_out, axis=0, keepdims=True)`"),
    ("review2/bad_BP402_colvec_batch_equals_hidden.py",
     "step by `(lr * dW1).T`, or swap the operands of the gradient's product"),
    ("catalogue/bad_BP501_script_softmax_no_shift.py",
     "exponentiate `scores - np.max(scores, axis=1, keepdims=True)`"),
    ("catalogue/bad_BP502_dict_zero_init_loop.py",
     "initialise it with `np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])`"),
    ("catalogue/bad_BP503_class_int_bias.py", "create it as floats: `np.zeros((n_hidden, 1), dtype=float)`"),
    ("catalogue/bad_BP504_script_ce_log.py", "take the log of `np.clip(probs, 1e-12, 1 - 1e-12)`"),
])
def test_each_rule_hints_with_the_findings_own_expressions(run_cli, path, hint):
    assert help_lines(show_source(run_cli, path, cwd=FIXTURES)) == [hint]


def test_messages_name_the_programs_own_operands(run_cli):
    out = show_source(run_cli, "shapes/bad_BP401_script_forward_syn0.py", cwd=FIXTURES)
    assert out.splitlines()[0].endswith("inner dimensions 3 and 5 differ. Did you mean syn0?")
    out = show_source(run_cli, "shapes/bad_BP402_hstack_bias_unsummed.py", cwd=FIXTURES)
    assert out.splitlines()[0].endswith(
        "sum the gradient over the batch: `np.sum(lr * d_out, axis=0, keepdims=True)`")
    out = show_source(run_cli, "catalogue/bad_BP502_dict_zero_init_loop.py", cwd=FIXTURES)
    assert out.splitlines()[0].endswith(
        "initialise it randomly (`np.random.randn(layer_dims[l], layer_dims[l - 1]) * "
        "np.sqrt(2 / layer_dims[l - 1])`)")


# Where the hint comes from -------------------------------------------------------------------------

def test_a_finding_without_its_own_hint_falls_back_to_the_rules_fix_line():
    span = Span(1, 1, 1, 2)
    own = Finding("a.py", span, "BP403", "broadcast-shape", "error", "m", hint="reshape `d`")
    assert finding_hint(own) == "reshape `d`"
    plain = Finding("a.py", span, "BP403", "broadcast-shape", "error", "m")
    assert finding_hint(plain) == fix_hint("BP403") == "reshape or transpose so that the shapes broadcast as meant"


def test_the_cache_keeps_each_findings_hint(run_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("BPLINT_NO_CACHE", raising=False)
    (tmp_path / "relu_net.py").write_text(RELU_SCRIPT, encoding="utf-8")
    first = run_cli("check", "--no-config", "--show-source", "relu_net.py", cwd=tmp_path)
    import bplint.engine

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(bplint.engine, "check_source", must_not_run)
    assert run_cli("check", "--no-config", "--show-source", "relu_net.py", cwd=tmp_path) == first
    assert help_lines(first[1]) == ["multiply `d_h` by `(h > 0)`"]
