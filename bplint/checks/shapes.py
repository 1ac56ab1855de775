"""Shapes: BP401 (matrix products), BP402 (updates), BP403 (broadcasting)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.analysis import shapes
from bplint.analysis.facts import ShapeProblem, UpdateFact
from bplint.analysis.shapes import Free, dim_text, shape_text
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report, numpy_alias


def _coincidence(a, b) -> str:
    """Why two sizes that may be equal at run time still make the code wrong."""
    if isinstance(a, Free) or isinstance(b, Free):
        free, size = (a, b) if isinstance(a, Free) else (b, a)
        return (f" (the batch size {free} would have to equal {dim_text(size)}: right only by "
                f"coincidence)")
    if isinstance(a, str) or isinstance(b, str):
        return f" (right only when {dim_text(a)} == {dim_text(b)} happens to hold)"
    return ""


class MatmulShape(Check):
    code = "BP401"

    def run(self, context: FileContext) -> Iterable[Report]:
        for problem in context.analysis.shape_problems.values():
            if problem.kind == "matmul":
                yield Report(problem.node, self._message(context, problem),
                             hint=self._rewritten(context, problem))

    def _message(self, context: FileContext, problem: ShapeProblem) -> str:
        left, right = problem.left.shape, problem.right.shape
        inner_left = left[-1]
        inner_right = right[0] if len(right) == 1 else right[-2]
        text = self.short(context.code(problem.node))
        message = (f"`{text}`: {shape_text(left)} · {shape_text(right)}; inner dimensions "
                   f"{dim_text(inner_left)} and {dim_text(inner_right)} differ"
                   f"{_coincidence(inner_left, inner_right)}")
        hint = self._transpose_hint(context, problem)
        return message + (f". Did you mean {hint}?" if hint else "")

    def _transpose_hint(self, context: FileContext, problem: ShapeProblem) -> Optional[str]:
        operand = self._to_transpose(problem)
        return self.short(_transposed(context, operand), 40) if operand is not None else None

    @staticmethod
    def _to_transpose(problem: ShapeProblem) -> Optional[cst.CSTNode]:
        """The operand whose transpose makes the inner dimensions agree."""
        left, right = problem.left.shape, problem.right.shape
        if len(right) == 2 and problem.right_node is not None and \
                not shapes.matmul(left, shapes.transpose(right)).mismatch:
            return problem.right_node
        if len(left) == 2 and problem.left_node is not None and \
                not shapes.matmul(shapes.transpose(left), right).mismatch:
            return problem.left_node
        return None

    def _rewritten(self, context: FileContext, problem: ShapeProblem) -> Optional[str]:
        """The product with that operand transposed (``np.dot(delta, W.T)``)."""
        operand = self._to_transpose(problem)
        if operand is None:
            return None
        product = problem.node.deep_replace(operand, cst.parse_expression(_transposed(context, operand)))
        return f"write `{context.module.code_for_node(product).strip()}`"


def _transposed(context: FileContext, operand: cst.CSTNode) -> str:
    """``W.T`` for ``W``, and ``W`` for ``W.T``."""
    if isinstance(operand, cst.Attribute) and operand.attr.value == "T":
        return context.code(operand.value)
    code = context.code(operand)
    return f"{code}.T" if isinstance(operand, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) \
        or getattr(operand, "lpar", None) else f"({code}).T"


class BroadcastShape(Check):
    code = "BP403"

    def run(self, context: FileContext) -> Iterable[Report]:
        for problem in context.analysis.shape_problems.values():
            if problem.kind in ("incompatible", "outer"):
                yield Report(problem.node, self._message(context, problem))

    def _message(self, context: FileContext, problem: ShapeProblem) -> str:
        left, right = problem.left.shape, problem.right.shape
        text = self.short(context.code(problem.node))
        if problem.kind == "outer":
            column, vector = (left, right) if len(left) == 2 else (right, left)
            n = dim_text(column[0])
            return (f"`{text}`: {shape_text(left)} and {shape_text(right)} broadcast to ({n}, {n}), "
                    f"an outer product, not an elementwise operation; make both sides "
                    f"{shape_text(column)} (`.reshape(-1, 1)`) or both {shape_text(vector)} (`.ravel()`)")
        differing = [(a, b) for a, b in zip(reversed(left), reversed(right))
                     if a != 1 and b != 1 and shapes.same(a, b) is False]
        detail = ""
        if differing:
            a, b = differing[0]
            detail = f" ({dim_text(a)} and {dim_text(b)} differ{_coincidence(a, b)})"
        return f"`{text}`: shapes {shape_text(left)} and {shape_text(right)} cannot broadcast{detail}"


class UpdateShape(Check):
    code = "BP402"

    def run(self, context: FileContext) -> Iterable[Report]:
        reported = set()
        for view in context.analysis.views:  # concrete sizes, then named sizes
            for fact in view.updates.values():
                if fact.statement in reported or not fact.trainable or fact.key not in view.weights:
                    continue
                if self._wrong(fact):
                    reported.add(fact.statement)
                    yield Report(fact.statement, self._message(context, fact), self._fix(context, fact),
                                 hint=self._hint(context, fact))

    @staticmethod
    def _wrong(fact: UpdateFact) -> bool:
        target, change = fact.before.shape, fact.change.shape
        if target is None or change is None:
            return False
        if isinstance(fact.statement, cst.AugAssign):
            return shapes.fits_in_place(target, change) is False
        outcome = shapes.broadcast(target, change)
        return outcome.problem is not None or shapes.fits_in_place(target, change) is False

    @staticmethod
    def _batch_sum(fact: UpdateFact) -> Optional[str]:
        """The arguments that sum an unsummed bias gradient over the batch, if that is the bug."""
        target, change = fact.before.shape, fact.change.shape
        if len(target) == len(change) == 2:
            if target[0] == 1 and shapes.same(target[1], change[1]):
                return "axis=0, keepdims=True"
            if target[1] == 1 and shapes.same(target[0], change[0]):
                return "axis=1, keepdims=True"
        if len(target) == 1 and len(change) == 2 and shapes.same(target[0], change[1]):
            return "axis=0"
        return None

    def _summed(self, context: FileContext, fact: UpdateFact) -> Optional[str]:
        """The update's step summed over the batch (``np.sum(lr * delta, axis=0)``), if an
        unsummed bias gradient is the bug."""
        arguments = self._batch_sum(fact)
        site = context.model.update_sites.get(fact.statement)
        if arguments is None or site is None:
            return None
        return f"{numpy_alias(context.module) or 'np'}.sum({context.code(site.change)}, {arguments})"

    def _fix(self, context: FileContext, fact: UpdateFact) -> Optional[FixPlan]:
        """Sum the step over the batch. Unsafe: the delta itself may be the wrong one."""
        summed = self._summed(context, fact)
        if summed is None or numpy_alias(context.module) is None:
            return None
        site = context.model.update_sites[fact.statement]
        return FixPlan("Sum the gradient over the batch", (Change(site.change, summed),))

    def _hint(self, context: FileContext, fact: UpdateFact) -> Optional[str]:
        summed = self._summed(context, fact)
        site = context.model.update_sites.get(fact.statement)
        if summed is not None:
            return f"step by `{summed}`"
        if site is not None and shapes.fits_in_place(fact.before.shape, shapes.transpose(fact.change.shape)):
            step = site.change
            transposed = f"{context.code(step)}.T" if isinstance(step, (cst.Name, cst.Attribute, cst.Subscript)) \
                else f"({context.code(step)}).T"
            return f"step by `{transposed}`, or swap the operands of the gradient's product"
        return None

    def _message(self, context: FileContext, fact: UpdateFact) -> str:
        target, change = fact.before.shape, fact.change.shape
        name = self.short(context.code(fact.target), 40)
        head = (f"update of `{name}`: the step has shape {shape_text(change)} but `{name}` has "
                f"shape {shape_text(target)}")
        summed = self._summed(context, fact)
        if summed:
            return head + f"; sum the gradient over the batch: `{self.short(summed)}`"
        if shapes.fits_in_place(target, shapes.transpose(change)):
            return head + "; the gradient is transposed (swap the operands of its product or add `.T`)"
        return head
