"""Dropout masks through the network: drawn, scaled, applied to activations, owed by deltas."""

from __future__ import annotations

import libcst as cst

from bplint.analysis.facts import MaskUse
from bplint.analysis.values import Source, Value


class DropoutFlow:
    """Methods of the :class:`~bplint.analysis.interpreter.Interpreter` (a mixin: it shares the
    interpreter's state)."""

    def _note_backpropagated(self, left: Value, right: Value) -> None:
        """A dropped activation times a gradient: that mask is part of a training step."""
        for dropped, other in ((left, right), (right, left)):
            if dropped.dropped is not None and other.is_gradient_like:
                self.backpropagated_masks.add(dropped.dropped)

    def _dropout(self, operator: str, left: Value, right: Value, node, result: Value) -> Value:
        """Follow dropout masks through a product: scaled, applied, or applied to a delta."""
        self._note_backpropagated(left, right)
        for mask, other in ((left, right), (right, left)):
            if not mask.mask or other.mask:
                continue
            if result.mask:  # scaled by a keep probability
                divisor = node.right if isinstance(node, cst.BinaryOperation) and other is right else None
                if mask.mask_origin is not None and divisor is not None and operator == "Divide":
                    self.mask_scalings[mask.mask_origin] = self.model.module.code_for_node(divisor)
                return result.with_(mask_origin=mask.mask_origin, mask_scaled=True)
            if operator == "Multiply" and other.source == Source.NETWORK:
                if other.undropped and other.undropped[1] in (mask.mask_origin, None):
                    return result.with_(undropped=None, raw_delta=other.raw_delta)
                if not other.is_gradient_like:
                    self.observed.mask_uses.setdefault(node, MaskUse(
                        node, mask.mask_origin, mask.mask_scaled, self.frame.function,
                        tuple(self.guards)))
                return result.with_(dropped=mask.mask_origin or node, undropped=other.undropped)
        for dropped, factor in ((left, right), (right, left)):
            if dropped.dropped is not None and factor.source in (Source.CONST, Source.DATA) \
                    and not factor.mask and _rescales(operator, node, factor is right):
                # ``x * mask / keep``: the dropped activation is scaled after the mask is applied.
                self.scaled_masks.add(dropped.dropped)
                if operator == "Divide" and factor is right and isinstance(node, cst.BinaryOperation):
                    self.mask_scalings.setdefault(dropped.dropped, self.model.module.code_for_node(node.right))
                return result.with_(dropped=dropped.dropped, undropped=left.undropped or right.undropped)
        undropped = left.undropped or right.undropped
        return result.with_(undropped=undropped) if undropped else result


def _rescales(operator: str, node, factor_on_right: bool) -> bool:
    """``x / keep`` or ``x * 2``: a rescaling of dropped units, not a learning rate."""
    if operator == "Divide":
        return factor_on_right
    factor = (node.right if factor_on_right else node.left) if isinstance(node, cst.BinaryOperation) else None
    return isinstance(factor, (cst.Integer, cst.Float)) and factor.evaluated_value > 1


def keeps_below(operator, draw_first: bool) -> bool:
    """Whether ``draw < p`` (keep when the draw is below the threshold) is what the mask keeps."""
    below = isinstance(operator, (cst.LessThan, cst.LessThanEqual))
    return below if draw_first else not below
