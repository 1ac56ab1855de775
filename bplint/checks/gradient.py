"""Gradient math: BP201, the direction of parameter updates."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from bplint.analysis.facts import UpdateFact
from bplint.analysis.values import Direction
from bplint.checks.base import Change, Check, FileContext, FixPlan, Report
from bplint.model.locations import location_key


def _operator(statement: cst.CSTNode) -> str:
    if isinstance(statement, cst.AugAssign):
        return "+=" if isinstance(statement.operator, cst.AddAssign) else "-="
    value = statement.value
    return "+" if isinstance(value.operator, cst.Add) else "-"


def _velocity(fact: UpdateFact) -> Optional[cst.Assign]:
    """The statement that accumulated the step when the update applies a velocity (momentum)."""
    definition = fact.step_definition
    if not isinstance(definition, cst.Assign) or len(definition.targets) != 1:
        return None
    key = location_key(definition.targets[0].target)
    if key is None:
        return None
    found = []

    class Reads(cst.CSTVisitor):
        def visit_Name(self, node):
            found.append(node.value)

        def visit_Attribute(self, node):
            found.append("." + node.attr.value)

    definition.value.visit(Reads())
    return definition if key.lstrip(".") in [f.lstrip(".") for f in found] else None


def _moved_both_ways(context: FileContext) -> set:
    """(location, step) pairs that the file both adds and subtracts."""
    signs = {}
    for site in context.model.update_sites.values():
        signs.setdefault((site.key, context.code(site.change)), set()).add(site.sign)
    return {pair for pair, seen in signs.items() if len(seen) == 2}


def _flipped_error(context: FileContext, origin: Optional[cst.CSTNode]) -> Optional[str]:
    """``b - a`` for the error ``a - b`` that ``origin`` forms (the subtraction, or an assignment
    of it)."""
    value = origin.value if isinstance(origin, cst.Assign) else origin
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Subtract):
        return None
    return f"{context.code(value.right)} - {context.code(value.left)}"


class UpdateSign(Check):
    code = "BP201"

    def run(self, context: FileContext) -> Iterable[Report]:
        analysis = context.analysis
        both_ways = _moved_both_ways(context)
        for fact in analysis.updates.values():
            if not fact.trainable or fact.before.direction != Direction.NONE:
                continue
            moved = {fact.key} | context.model.update_aliases.get(fact.statement, frozenset())
            if not moved & analysis.weights:
                continue  # not a weight or bias: a Lagrange multiplier or an adversary may ascend
            step = context.model.update_sites[fact.statement].change
            if (fact.key, context.code(step)) in both_ways:
                continue  # a step made and taken back (SAM), or attract/repel (LVQ): on purpose
            if fact.change.direction != Direction.GRADIENT:
                continue
            velocity = _velocity(fact)
            if velocity is not None:
                yield Report(velocity, self._velocity_message(context, fact, velocity),
                             hint=self._velocity_hint(context, fact, velocity))
            else:
                yield Report(fact.statement, self._message(context, fact), self._fix(fact.statement),
                             hint=self._hint(context, fact))

    @staticmethod
    def _fix(statement: cst.CSTNode) -> FixPlan:
        """Flip the step's operator. Unsafe: the error's sign may be the mistake instead."""
        fixed = {"+=": "-=", "-=": "+=", "+": "-", "-": "+"}[_operator(statement)]
        operator = statement.operator if isinstance(statement, cst.AugAssign) else statement.value.operator
        return FixPlan(f"Use `{fixed}` to descend the gradient", (Change(operator, fixed),))

    @staticmethod
    def _hint(context: FileContext, fact: UpdateFact) -> str:
        """The update rewritten to descend, and the error flipped, as the program writes them."""
        statement = fact.statement
        fixed = {"+=": "-=", "-=": "+=", "+": "-", "-": "+"}[_operator(statement)]
        operator = cst.AddAssign() if fixed == "+=" else cst.SubtractAssign()
        if not isinstance(statement, cst.AugAssign):
            operator = cst.Add() if fixed == "+" else cst.Subtract()
            descending = statement.with_changes(value=statement.value.with_changes(operator=operator))
        else:
            descending = statement.with_changes(operator=operator)
        hint = f"descend: `{context.module.code_for_node(descending).strip()}`"
        flipped = _flipped_error(context, fact.change.origin)
        return hint + (f", or flip the error to `{flipped}`" if flipped else "")

    @staticmethod
    def _velocity_hint(context: FileContext, fact: UpdateFact, velocity: cst.Assign) -> Optional[str]:
        """``v = mu * v - lr * dW`` for ``v = mu * v + lr * dW``."""
        value = velocity.value
        if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, (cst.Add, cst.Subtract)):
            return None
        operator = cst.Subtract() if isinstance(value.operator, cst.Add) else cst.Add()
        fixed = velocity.with_changes(value=value.with_changes(operator=operator))
        hint = f"accumulate the step with the other sign: `{context.module.code_for_node(fixed).strip()}`"
        flipped = _flipped_error(context, fact.change.origin)
        return hint + (f", or flip the error to `{flipped}`" if flipped else "")

    def _origin(self, context: FileContext, fact: UpdateFact) -> str:
        origin = fact.change.origin
        if origin is None:
            return "the step follows the gradient of the loss"
        direction = context.analysis.errors.get(origin)
        line = context.place(origin)
        if isinstance(origin, (cst.AugAssign,)):
            return (f"the step comes from `{self.short(context.code(origin))}` (line {line}), "
                    f"the softmax cross-entropy gradient")
        kind = ("prediction - target, the gradient of the loss" if direction == Direction.GRADIENT
                else "target - prediction, the negative gradient of the loss")
        return f"the step comes from the error `{self.short(context.code(origin))}` (line {line}), {kind}"

    def _message(self, context: FileContext, fact: UpdateFact) -> str:
        target = self.short(context.code(fact.target), 40)
        operator = _operator(fact.statement)
        fixed = {"+=": "-=", "-=": "+=", "+": "-", "-": "+"}[operator]
        where = f"`{target} {operator} ...`" if operator.endswith("=") else f"`{target} = {target} {operator} ...`"
        return (f"{where} moves `{target}` up the gradient: {self._origin(context, fact)}; "
                f"use `{fixed}` to descend (or flip the error)")

    def _velocity_message(self, context: FileContext, fact: UpdateFact, velocity: cst.Assign) -> str:
        name = self.short(context.code(velocity.targets[0].target), 40)
        target = self.short(context.code(fact.target), 40)
        line = context.place(fact.statement)
        return (f"the velocity `{name}` accumulates the gradient with the wrong sign, so "
                f"`{target}` (updated on line {line}) climbs the loss: {self._origin(context, fact)}; "
                f"subtract the scaled gradient from the velocity")
