"""The rules. Each check reads a file's model and analysis; one module per rule family."""

from bplint.checks.base import Check, FileContext, Report
from bplint.checks.dataflow import ForwardLocalInBackward, UncachedAttribute
from bplint.checks.derivatives import DerivativeArgument, DerivativeMismatch, LossGradientMismatch
from bplint.checks.dropout import DropoutMaskAdded
from bplint.checks.gradient import UpdateSign
from bplint.checks.numerics import ExpOverflow, LogOfZero
from bplint.checks.shapes import BroadcastShape, MatmulShape, UpdateShape

ALL_CHECKS = (ForwardLocalInBackward(), UncachedAttribute(), UpdateSign(), DerivativeMismatch(),
              DerivativeArgument(), LossGradientMismatch(), DropoutMaskAdded(), MatmulShape(),
              UpdateShape(), BroadcastShape(), ExpOverflow(), LogOfZero())

__all__ = ["ALL_CHECKS", "Check", "FileContext", "Report"]
