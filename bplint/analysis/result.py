"""The analysis of a program as the checks see it: what the interpretation established, keyed
by the node (or the parameter's location) it is about, and a few queries.

It is built once the interpretation has reached its fixed point (:meth:`Analysis.of`) and is
read-only: a check judges facts, it never changes them, and nothing in it is the interpreter's
working state. Adding a fact means adding a field here, filled in :meth:`Analysis.of`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Callable, FrozenSet, Iterator, Mapping, Optional, Tuple

import libcst as cst

from bplint.analysis.facts import CombinationFact, DerivativeFact, MaskUse, ShapeProblem, UpdateFact
from bplint.analysis.values import Direction, Value
from bplint.model.units import Function

Node = cst.CSTNode


@dataclass(frozen=True)
class Analysis:
    # -- steps and errors (BP201, BP402) ------------------------------------------------------
    # Every update of a stored value (``W -= lr * dW``), by its statement.
    updates: Mapping[Node, UpdateFact]
    # Where a prediction and a target are compared, and the direction of the difference.
    errors: Mapping[Node, Direction]
    # Parameter locations: those the program trains, those used as weights or biases of a
    # product, and the weights of hidden layers (whose input is another layer's activation).
    trainable: FrozenSet[str]
    weights: FrozenSet[str]
    hidden_weights: FrozenSet[str]
    # The weight multiplied in each matrix product, and the activation each weight's input is.
    weight_of_product: Mapping[Node, str]
    input_activation: Mapping[str, str]
    # A weight read after it was updated in the same step (BP103): the read, and (key, update).
    stale_reads: Mapping[Node, Tuple[str, Node]]
    # Initialisations: the same constant everywhere (BP502), others, integer arrays (BP503).
    constant_inits: Mapping[str, Node]
    other_inits: FrozenSet[str]
    integer_inits: Mapping[str, Node]
    # -- activations and derivatives (BP202-BP205, BP501, BP504) -----------------------------
    derivatives: Mapping[Node, DerivativeFact]
    # A delta that reaches an update without the derivative of the activation it passed (BP204).
    raw_delta_updates: Mapping[Node, Node]
    broken_chains: Mapping[Node, DerivativeFact]
    # The fused softmax/sigmoid cross-entropy gradient, with (activation, argument) (BP205).
    loss_gradient_products: Mapping[Node, tuple]
    unshifted_softmax: FrozenSet[Node]
    # Logs of probabilities: the activations logged, their layers, and the unguarded ones.
    logs_of: FrozenSet[Node]
    logged_layers: FrozenSet[tuple]
    unguarded_logs: Mapping[Node, object]
    # -- dropout (BP301-BP304) ---------------------------------------------------------------
    mask_uses: Mapping[Node, MaskUse]
    combinations: Mapping[Node, CombinationFact]
    # A mask's keep threshold (code, ...), and the divisor that scales it, by the mask's origin.
    mask_thresholds: Mapping[Node, tuple]
    mask_scalings: Mapping[Node, str]
    scaled_masks: FrozenSet[Node]
    backpropagated_masks: FrozenSet[Node]
    # A delta that reaches an update without the mask its forward applied: mask -> update.
    undropped_updates: Mapping[Node, Node]
    # The weights whose input forward dropped, with the mask's origin.
    dropped_input: Mapping[str, Node]
    # -- shapes (BP401-BP403, ``bplint shapes``) ---------------------------------------------
    # Operands whose shapes do not fit, in any calling context (named sizes included).
    shape_problems: Mapping[Node, ShapeProblem]
    # The value each assignment stores, with its function, and each function's parameters.
    assignments: Mapping[Node, Tuple[Optional[Function], Value]]
    parameters: Mapping[Function, Mapping[str, Value]]
    # The interpretation with named sizes (the module's own calls set aside), when it differs.
    symbolic: Optional["Analysis"]
    # -- queries -----------------------------------------------------------------------------
    # Which of the program's functions are activations or derivatives (``catalogue.callee``).
    catalogue: object
    module_globals: Mapping[Tuple[str, str], Value]

    @property
    def views(self) -> Tuple["Analysis", ...]:
        """The interpretations whose shapes the shape rules read: concrete, then named sizes."""
        return (self,) if self.symbolic is None else (self, self.symbolic)

    def global_value(self, module: str, name: str) -> Optional[Value]:
        """What a module's top-level code (or a ``global`` statement) left in ``name``."""
        return self.module_globals.get((module, name))

    def seen_from(self, holds: Callable[[Node], bool]) -> "Analysis":
        """The analysis as one file of a program sees it: iterating a table of facts gives
        those about its own nodes (``holds``), while looking a node up still finds any module's
        (where a step in this file got its error from ``losses.py``)."""
        tables = {name: _OwnFacts(getattr(self, name), holds)
                  for name, kind in self.__annotations__.items() if kind.startswith("Mapping[Node")}
        symbolic = self.symbolic.seen_from(holds) if self.symbolic is not None else None
        return replace(self, symbolic=symbolic, **tables)

    @classmethod
    def of(cls, interpreter, symbolic: Optional["Analysis"] = None) -> "Analysis":
        """The facts of an interpreter that has reached its fixed point."""
        fields = {}
        for name, kind in cls.__annotations__.items():
            if name in ("symbolic", "catalogue", "module_globals"):
                continue
            value = getattr(interpreter.observed, name, None)
            if value is None:
                value = getattr(interpreter, name)
            fields[name] = frozenset(value) if "FrozenSet" in kind else MappingProxyType(value)
        return cls(symbolic=symbolic, catalogue=interpreter.catalogue,
                   module_globals=MappingProxyType(interpreter.summaries.tables["globals"]),
                   **fields)


class _OwnFacts(Mapping):
    """A table of facts, iterated over one file's nodes only."""

    def __init__(self, facts: Mapping, holds: Callable[[Node], bool]) -> None:
        self._facts = facts
        self._holds = holds
        self._own: Optional[list] = None

    def __getitem__(self, node):
        return self._facts[node]

    def __contains__(self, node) -> bool:
        return node in self._facts

    def __iter__(self) -> Iterator:
        if self._own is None:
            self._own = [node for node in self._facts if self._holds(node)]
        return iter(self._own)

    def __len__(self) -> int:
        return sum(1 for _ in self)
