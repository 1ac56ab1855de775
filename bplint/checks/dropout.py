"""Dropout: BP301, a mask added instead of multiplied."""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from bplint.analysis.values import Source
from bplint.checks.base import Check, FileContext, Report


class DropoutMaskAdded(Check):
    code = "BP301"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.combinations.values():
            mask, other = (fact.left, fact.right) if fact.left.mask else (fact.right, fact.left)
            if not mask.mask or other.mask or other.source != Source.NETWORK:
                continue
            yield Report(fact.node, self._message(context, fact.node, fact.operator))

    def _message(self, context: FileContext, node: cst.CSTNode, operator: str) -> str:
        if isinstance(node, cst.AugAssign):
            target = self.short(context.code(node.target), 40)
            value = self.short(context.code(node.value), 40)
            return (f"dropout mask `{value}` is {'added to' if operator == '+' else 'subtracted from'} "
                    f"`{target}`; a mask must multiply: use `{target} *= {value}`")
        if isinstance(node, cst.BinaryOperation):
            left = self.short(context.code(node.left), 40)
            right = self.short(context.code(node.right), 40)
            return (f"dropout mask combined by `{operator}` in `{left} {operator} {right}`; "
                    f"a mask must multiply: use `{left} * {right}`")
        return (f"dropout mask combined by `{'np.add' if operator == '+' else 'np.subtract'}` in "
                f"`{self.short(context.code(node))}`; a mask must multiply: use `np.multiply`")
