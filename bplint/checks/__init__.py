"""The rules. Each check reads a file's model and analysis; one module per rule family."""

from bplint.checks.base import Check, FileContext, Report
from bplint.checks.dataflow import ForwardLocalInBackward, StaleWeights, UncachedAttribute
from bplint.checks.derivatives import (
    DerivativeArgument, DerivativeMismatch, LossGradientMismatch, MissingDerivative,
)
from bplint.checks.dropout import (
    DropoutAtInference, DropoutMaskAdded, DropoutMaskMissingInBackward, DropoutUnscaled,
)
from bplint.checks.gradient import UpdateSign
from bplint.checks.numerics import ExpOverflow, IntegerParameters, LogOfZero, SymmetricInit
from bplint.checks.shapes import BroadcastShape, MatmulShape, UpdateShape

ALL_CHECKS = (ForwardLocalInBackward(), UncachedAttribute(), StaleWeights(), UpdateSign(),
              DerivativeMismatch(), DerivativeArgument(), MissingDerivative(), LossGradientMismatch(), DropoutMaskAdded(), DropoutMaskMissingInBackward(),
              DropoutAtInference(), DropoutUnscaled(), MatmulShape(),
              UpdateShape(), BroadcastShape(), ExpOverflow(), SymmetricInit(), IntegerParameters(),
              LogOfZero())

__all__ = ["ALL_CHECKS", "Check", "FileContext", "Report"]
