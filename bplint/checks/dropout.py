"""Dropout: BP301 (a mask added), BP302 (no mask in backward), BP303 (a mask at test time),
BP304 (a mask not scaled, or scaled with the wrong probability)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.analysis.facts import MaskUse
from bplint.analysis.values import Source
from bplint.checks import layers
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report


class DropoutMaskAdded(Check):
    code = "BP301"

    def run(self, context: FileContext) -> Iterable[Report]:
        for fact in context.analysis.combinations.values():
            mask, other = (fact.left, fact.right) if fact.left.mask else (fact.right, fact.left)
            if not mask.mask or other.mask or other.source != Source.NETWORK:
                continue
            product = _multiplied(context, fact.node)
            yield Report(fact.node, self._message(context, fact.node, fact.operator, product),
                         self._fix(fact.node, product),
                         hint=f"multiply by the mask: `{product}`" if product else None)

    @staticmethod
    def _fix(node: cst.CSTNode, product: Optional[str]) -> Optional[FixPlan]:
        """Multiply by the mask instead: ``+=`` -> ``*=``, ``+`` -> ``*``, ``np.add`` -> ``np.multiply``."""
        if isinstance(node, cst.AugAssign):
            change = Change(node.operator, "*=")
        elif isinstance(node, cst.BinaryOperation):
            change = Change(node, product)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            change = Change(node.func.attr, "multiply")
        else:
            return None
        return FixPlan("Multiply by the dropout mask", (change,))

    def _message(self, context: FileContext, node: cst.CSTNode, operator: str,
                 product: Optional[str]) -> str:
        use = f"use `{self.short(product, 80)}`" if product else "use `*`"
        if isinstance(node, cst.AugAssign):
            target = self.short(context.code(node.target), 40)
            value = self.short(context.code(node.value), 40)
            return (f"dropout mask `{value}` is {'added to' if operator == '+' else 'subtracted from'} "
                    f"`{target}`; a mask must multiply: {use}")
        if isinstance(node, cst.BinaryOperation):
            left = self.short(context.code(node.left), 40)
            right = self.short(context.code(node.right), 40)
            return (f"dropout mask combined by `{operator}` in `{left} {operator} {right}`; "
                    f"a mask must multiply: {use}")
        return (f"dropout mask combined by `{'np.add' if operator == '+' else 'np.subtract'}` in "
                f"`{self.short(context.code(node))}`; a mask must multiply: {use}")


def _multiplied(context: FileContext, node: cst.CSTNode) -> Optional[str]:
    """The combination ``node`` written as a product with the mask: ``h *= mask`` for
    ``h += mask``, ``(a + b) * mask`` for ``a + b + mask``, ``np.multiply(h, mask)`` for
    ``np.add(h, mask)``."""
    if isinstance(node, cst.AugAssign):
        return f"{context.code(node.target)} *= {context.code(node.value)}"
    if isinstance(node, cst.BinaryOperation):
        # ``a + b + mask`` is ``(a + b) + mask``: the left sum keeps its parentheses.
        product = node.with_changes(
            left=_parenthesised_sum(node.left), right=_parenthesised_sum(node.right),
            operator=cst.Multiply(whitespace_before=node.operator.whitespace_before,
                                  whitespace_after=node.operator.whitespace_after))
        return context.module.code_for_node(product)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        product = node.with_changes(func=node.func.with_changes(attr=cst.Name("multiply")))
        return context.module.code_for_node(product)
    return None


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
            mask, applied = self._forward_mask(context, node)
            remedy, hint = "multiply it by the mask forward used", None
            delta = layers.delta_name(context, node)
            if mask is not None and self._redrawn(context, node, mask):
                line = context.place(applied)
                remedy = (f"`{context.code(mask)}` here is a new draw: multiply it by the mask "
                          f"forward applied on line {line}")
                hint = (f"keep the mask forward applied on line {line} (draw no new "
                        f"`{context.code(mask)}`) and multiply `{delta}` by it")
            elif mask is not None:
                remedy = (f"multiply it by `{context.code(mask)}`, the mask forward applied on "
                          f"line {context.place(applied)}")
                hint = f"multiply `{delta}` by `{context.code(mask)}`"
            yield Report(node, (
                f"`{code}` carries the error back to a layer whose units forward dropped, but the "
                f"delta reaches the update on line {context.place(update)} without the same "
                f"mask; {remedy} (dropped units must get no gradient)"), hint=hint)

    @staticmethod
    def _redrawn(context: FileContext, node, mask) -> bool:
        """Whether the delta is already multiplied by a mask written like forward's, which then
        (the analysis found the delta unmasked) holds a new draw."""
        statement = layers.assignment_of(context, node)
        return statement is not None and any(
            factor.deep_equals(mask) for factor in layers.factors(statement.value))

    @staticmethod
    def _forward_mask(context: FileContext, node) -> tuple:
        """(the mask expression forward multiplied the layer by, that product) for the delta
        ``node`` carried back through the layer's weight; (None, None) where the backward pass
        cannot read it."""
        analysis = context.analysis
        origin = analysis.dropped_input.get(analysis.weight_of_product.get(node, ""))
        reader = layers.function_at(context, node)
        for use in analysis.mask_uses.values():
            if use.origin is not origin:
                continue
            mask, _ = _mask_and_units(context, use)
            if mask is not None and layers.readable_in(context, mask, reader):
                return mask, use.node
        return None, None


def _factors_of(product: cst.CSTNode) -> tuple:
    """The two sides of ``h * mask`` or ``h *= mask``."""
    if isinstance(product, cst.BinaryOperation):
        return product.left, product.right
    if isinstance(product, cst.AugAssign):
        return product.target, product.value
    return ()


def _mask_and_units(context: FileContext, use: MaskUse) -> tuple:
    """(the mask, the units it drops) of a mask use ``h * mask``, as written; (None, None) where
    the mask side cannot be told: it draws the mask, or is a variable assigned the draw."""
    sides = _factors_of(use.node)
    holders = {context.code(target) for target in layers.targets_holding(context, use.origin)}
    for is_mask in (lambda side: layers.contains(side, use.origin),
                    lambda side: context.code(side) in holders):
        for index, side in enumerate(sides):
            if is_mask(side):
                return side, sides[1 - index]
    return None, None


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
                    "evaluation drops them too; at test time use every unit, unmasked"),
                    hint=self._unmasked(context, use))
            elif use.function is None and use.origin is not None \
                    and use.origin not in context.analysis.backpropagated_masks \
                    and context.analysis.backpropagated_masks:
                yield Report(use.node, (
                    "units are dropped here, but no gradient ever flows through these dropped "
                    "activations: this is an evaluation pass; at test time use every unit, unmasked"),
                    hint=self._unmasked(context, use))
            elif not use.guards and use.function is not None:
                flag = self._ignored_flag(context, use.function)
                if flag:
                    yield Report(use.node, (
                        f"`{use.function.name}` takes `{flag}` but never reads it: callers pass "
                        f"`{flag}=False` to evaluate, and the mask is applied anyway; apply it only "
                        f"when `{flag}` is true"),
                        hint=f"apply the mask under `if {flag}:`")

    @staticmethod
    def _unmasked(context: FileContext, use: MaskUse) -> Optional[str]:
        mask, units = _mask_and_units(context, use)
        if mask is None:
            return None
        return f"use `{context.code(units)}` here, unmasked (without `{context.code(mask)}`)"

    @staticmethod
    def _ignored_flag(context: FileContext, function) -> str:
        read = {name for name, _ in function.reads}
        for name, default in function.defaults.items():
            if isinstance(default, cst.Name) and default.value in ("True", "False") \
                    and name not in read and any(_calls_with_false(tree, function.name, name)
                                                 for _, tree in context.model.bodies()):
                return name
        return ""


_OPPOSITE = {cst.LessThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThan,
             cst.LessThanEqual: cst.GreaterThan, cst.GreaterThan: cst.LessThanEqual}


def _inverted_hint(context: FileContext, origin: cst.CSTNode, kept: str) -> str:
    """Keep units as the scale assumes (the comparison the other way round), or scale by the
    probability the mask keeps."""
    scale = f"divide by `{kept}`" if " " not in kept else f"divide by `({kept})`"
    if not isinstance(origin, cst.Comparison) or len(origin.comparisons) != 1 \
            or type(origin.comparisons[0].operator) not in _OPPOSITE:
        return f"{scale}, the probability the mask keeps a unit"
    target = origin.comparisons[0]
    operator = target.operator
    flipped = _OPPOSITE[type(operator)](whitespace_before=operator.whitespace_before,
                                        whitespace_after=operator.whitespace_after)
    compared = origin.with_changes(comparisons=[target.with_changes(operator=flipped)])
    return (f"keep the units the scale assumes: `{context.module.code_for_node(compared).strip()}`; "
            f"or {scale}, the probability the mask keeps a unit")


def _scaled_in(module: cst.Module, threshold: str, keeps_below: bool) -> bool:
    """Whether the module scales by the keep probability anywhere, in one walk: multiplies
    something by ``threshold`` (``h * keep_prob`` at test time), or divides by the keep
    probability (``1.0 / (1.0 - p)`` as the scale of a layer's output, the mask ``rand >= p``)."""
    keeps = {threshold} if keeps_below else {f"1-{threshold}", f"1.0-{threshold}"}
    found = []

    class _Scalings(cst.CSTVisitor):
        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if isinstance(node.operator, cst.Multiply) and threshold in (
                    module.code_for_node(node.left).strip(), module.code_for_node(node.right).strip()):
                found.append(node)
            elif isinstance(node.operator, cst.Divide) and "".join(
                    module.code_for_node(node.right).split()).strip("()") in keeps:
                found.append(node)

    module.visit(_Scalings())
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
                    f"`{threshold}` is used both as the keep and the drop probability"),
                    hint=_inverted_hint(context, origin, kept))
            elif not use.scaled and origin not in analysis.scaled_masks \
                    and not any(_scaled_in(tree, threshold, keeps_below)
                                for _, tree in context.model.bodies()):
                reported.add(origin)
                keep = threshold if keeps_below else f"(1 - {threshold})"
                yield Report(origin, (
                    f"units are dropped with keep probability `{keep.strip('()')}` but the kept ones "
                    f"are not scaled by `1 / {keep}` in training, nor the activations by "
                    f"`{keep.strip('()')}` at test time: the next layer sees smaller inputs in "
                    f"training than at test time; divide the mask by `{keep}`"),
                    hint=f"scale the kept units: `{layers.atom(context, origin)} / {keep}`")
