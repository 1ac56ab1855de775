"""Dropout: BP301 (a mask added), BP302 (no mask in backward), BP303 (a mask at test time),
BP304 (a mask not scaled, or scaled with the wrong probability)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.analysis.values import Source
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report


class DropoutMaskAdded(Check):
    code = "BP301"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.combinations.values():
            mask, other = (fact.left, fact.right) if fact.left.mask else (fact.right, fact.left)
            if not mask.mask or other.mask or other.source != Source.NETWORK:
                continue
            yield Report(fact.node, self._message(context, fact.node, fact.operator),
                         self._fix(context, fact.node))

    @staticmethod
    def _fix(context: FileContext, node: cst.CSTNode) -> Optional[FixPlan]:
        """Multiply by the mask instead: ``+=`` -> ``*=``, ``+`` -> ``*``, ``np.add`` -> ``np.multiply``."""
        if isinstance(node, cst.AugAssign):
            change = Change(node.operator, "*=")
        elif isinstance(node, cst.BinaryOperation):
            # ``a + b + mask`` is ``(a + b) + mask``: the left sum keeps its parentheses.
            product = node.with_changes(
                left=_parenthesised_sum(node.left), right=_parenthesised_sum(node.right),
                operator=cst.Multiply(whitespace_before=node.operator.whitespace_before,
                                      whitespace_after=node.operator.whitespace_after))
            change = Change(node, context.module.code_for_node(product))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            change = Change(node.func.attr, "multiply")
        else:
            return None
        return FixPlan("safe", "Multiply by the dropout mask", (change,))

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


def _parenthesised_sum(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)) \
            and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


class DropoutMaskMissingInBackward(Check):
    code = "BP302"

    def run(self, context: FileContext) -> Iterable[Report]:
        for node, update in context.analysis.undropped_updates.items():
            code = self.short(context.code(node))
            yield Report(node, (
                f"`{code}` carries the error back to a layer whose units forward dropped, but the "
                f"delta reaches the update on line {context.line_of(update)} without the same "
                f"mask; multiply it by the mask forward used (dropped units must get no gradient)"))


def _calls_with_false(module: cst.Module, function: str, parameter: str) -> bool:
    """Whether some call of ``function`` passes ``parameter=False``."""
    found = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if name != function:
                return
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == parameter \
                        and isinstance(arg.value, cst.Name) and arg.value.value == "False":
                    found.append(call)

    module.visit(_Calls())
    return bool(found)


class DropoutAtInference(Check):
    code = "BP303"

    def run(self, context: FileContext) -> Iterable[Report]:
        uses = list(context.analysis.mask_uses.values())
        branches = {}
        for use in uses:
            if use.guards:
                branches.setdefault(use.guards[-1][0], set()).add(use.guards[-1][1])
        for use in uses:
            if use.guards and branches[use.guards[-1][0]] == {"body", "orelse"} \
                    and use.guards[-1][1] == "orelse":
                yield Report(use.node, (
                    "units are dropped in both branches of this `if`: the branch meant for "
                    "evaluation drops them too; at test time use every unit, unmasked"))
            elif use.function is None and use.origin is not None \
                    and use.origin not in context.analysis.backpropagated_masks \
                    and context.analysis.backpropagated_masks:
                yield Report(use.node, (
                    "units are dropped here, but no gradient ever flows through these dropped "
                    "activations: this is an evaluation pass; at test time use every unit, unmasked"))
            elif not use.guards and use.function is not None:
                flag = self._ignored_flag(context, use.function)
                if flag:
                    yield Report(use.node, (
                        f"`{use.function.name}` takes `{flag}` but never reads it: callers pass "
                        f"`{flag}=False` to evaluate, and the mask is applied anyway; apply it only "
                        f"when `{flag}` is true"))

    @staticmethod
    def _ignored_flag(context: FileContext, function) -> str:
        read = {name for name, _ in function.reads}
        for name, default in function.defaults.items():
            if isinstance(default, cst.Name) and default.value in ("True", "False") \
                    and name not in read and _calls_with_false(context.module, function.name, name):
                return name
        return ""


def _multiplied_by(module: cst.Module, code: str) -> bool:
    """Whether the file multiplies something by ``code`` (``h * keep_prob`` at test time)."""
    found = []

    class _Products(cst.CSTVisitor):
        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if isinstance(node.operator, (cst.Multiply,)) and code in (
                    module.code_for_node(node.left).strip(), module.code_for_node(node.right).strip()):
                found.append(node)

    module.visit(_Products())
    return bool(found)


class DropoutUnscaled(Check):
    code = "BP304"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        reported = set()
        for use in analysis.mask_uses.values():
            origin = use.origin
            if origin is None or origin in reported or origin not in analysis.mask_thresholds:
                continue
            threshold, keeps_below = analysis.mask_thresholds[origin]
            scaling = " ".join(analysis.mask_scalings.get(origin, "").split())
            inverted_scale = scaling.strip("()").replace(" ", "") in (f"1-{threshold}", f"1.0-{threshold}")
            if (keeps_below and inverted_scale) or (not keeps_below and scaling == threshold):
                reported.add(origin)
                kept = threshold if keeps_below else f"1 - {threshold}"
                yield Report(origin, (
                    f"this mask keeps a unit with probability {kept} but is scaled as if it "
                    f"kept it with probability {'1 - ' + threshold if keeps_below else threshold}: "
                    f"`{threshold}` is used both as the keep and the drop probability"))
            elif not use.scaled and origin not in analysis.scaled_masks \
                    and not _multiplied_by(context.module, threshold):
                reported.add(origin)
                yield Report(origin, (
                    f"units are dropped with keep probability `{threshold}` but the kept ones are "
                    f"not scaled by `1 / {threshold}` in training, nor the activations by "
                    f"`{threshold}` at test time: the next layer sees smaller inputs in training "
                    f"than at test time; divide the mask by `{threshold}`"))
