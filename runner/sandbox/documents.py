"""One request's document: which operation runs, which variables it uses."""

from __future__ import annotations

from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
)

from runner.sandbox.errors import HasuraError


def used_variables(document: DocumentNode, operation: OperationDefinitionNode) -> frozenset[str]:
    """Names of the variables an operation references (fragments included)."""
    names: set[str] = set()
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    pending: list[Any] = [operation.selection_set]
    seen: set[str] = set()

    class _Collect(graphql.Visitor):
        def enter_variable(self, node: graphql.VariableNode, *_: Any) -> None:
            names.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            if node.name.value not in seen and node.name.value in fragments:
                seen.add(node.name.value)
                pending.append(fragments[node.name.value])

    while pending:
        graphql.visit(pending.pop(), _Collect())
    return frozenset(names)


def pick_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation to run: the one named, or the only one (Hasura's refusals otherwise)."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in ops:
            if op.name and op.name.value == name:
                return op
        raise HasuraError(f"no such operation found in the document: {name}",
                          "validation-failed")
    if len(ops) != 1:
        raise HasuraError("exactly one operation has to be present in the document when "
                          "operationName is not specified", "validation-failed")
    return ops[0]
