"""A document's shape and cost before anything runs: depth, aliases, nodes and upstream calls.

Nodes are counted GitHub's way: every connection's `first`/`last` multiplies through the
connections nested under it. Upstream calls: one per connection page (plus the look-ahead),
one per entity fetched by id, one per object whose selection needs its detail record. Fragments
are inlined, and memoised per (fragment, type), so a document whose fragments spread fragments
is measured in time linear in its size however much it would expand (Strawberry's alias and
depth limiters recurse without memo, which an amplified document turns exponential). The walk
runs before validation: unknown names and fragment cycles count nothing; validation names them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

from gateway.graph.context import Cost

#: What a connection's `first`/`last` counts as when it cannot be read (absent, a variable
#: without a value, not a number): the largest page, the worst case.
MAX_PAGE = 100
#: Detail fields (read from a second upstream record) carry this key in their metadata.
DETAIL_METADATA = "gateway_detail"


@dataclass(frozen=True)
class _Sum(Cost):
    """Cost of a selection set per one instance of its parent (linear in the multiplier)."""

    def __add__(self, other: _Sum) -> _Sum:
        return _Sum(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.nodes + other.nodes,
            self.calls + other.calls,
        )

    def times(self, n: int) -> _Sum:
        # Aliases are counted in the (fragment-expanded) document, like Strawberry's limiter:
        # what they multiply upstream shows in nodes and calls.
        return _Sum(self.depth, self.aliases, self.nodes * n, self.calls * n)


_ZERO = _Sum()


def _is_node(t: GraphQLNamedType) -> bool:
    if isinstance(t, GraphQLInterfaceType) and t.name == "Node":
        return True
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
        return any(i.name == "Node" for i in t.interfaces)
    return False


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, str], _Sum] = {}
        self.active: set[str] = set()

    def _int(self, node: Any) -> int | None:
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        return None

    def _list_len(self, node: Any) -> int | None:
        if isinstance(node, ListValueNode):
            return len(node.values)
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value)
            return len(value) if isinstance(value, list) else None
        return None

    def selection_set(self, sel: SelectionSetNode | None, parent: GraphQLNamedType) -> _Sum:
        if sel is None:
            return _ZERO
        total = _ZERO
        detail = False
        for node in sel.selections:
            if isinstance(node, FieldNode):
                total = total + self.field(node, parent)
                detail = detail or self._is_detail(node, parent)
            elif isinstance(node, InlineFragmentNode):
                cond = parent
                if node.type_condition is not None:
                    found = self.schema.get_type(node.type_condition.name.value)
                    if found is None:
                        continue
                    cond = found
                total = total + self.selection_set(node.selection_set, cond)
            elif isinstance(node, FragmentSpreadNode):
                total = total + self.spread(node.name.value)
        if detail:
            total = total + _Sum(calls=1)
        return total

    def spread(self, name: str) -> _Sum:
        frag = self.fragments.get(name)
        if frag is None or name in self.active:
            return _ZERO  # unknown or cyclic: validation reports it
        cond = self.schema.get_type(frag.type_condition.name.value)
        if cond is None:
            return _ZERO
        key = (name, cond.name)
        found = self.memo.get(key)
        if found is None:
            self.active.add(name)
            try:
                found = self.memo[key] = self.selection_set(frag.selection_set, cond)
            finally:
                self.active.discard(name)
        return found

    def _is_detail(self, node: FieldNode, parent: GraphQLNamedType) -> bool:
        fields = getattr(parent, "fields", None)
        if not fields or node.name.value not in fields:
            return False
        definition = fields[node.name.value].extensions.get("strawberry-definition")
        metadata = getattr(definition, "metadata", None) or {}
        return bool(metadata.get(DETAIL_METADATA))

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> _Sum:
        alias = 1 if node.alias is not None else 0
        fields = getattr(parent, "fields", None)
        name = node.name.value
        if not fields or name not in fields:
            return _Sum(depth=1, aliases=alias)
        gql_field = fields[name]
        named = get_named_type(gql_field.type)
        args = {a.name.value: a.value for a in node.arguments or ()}
        inner = self.selection_set(node.selection_set, named)
        inner = _Sum(inner.depth + 1, inner.aliases, inner.nodes, inner.calls)
        own = _Sum(aliases=alias)
        if "first" in gql_field.args and "last" in gql_field.args:
            given = [self._int(args[a]) for a in ("first", "last") if a in args]
            known = [n for n in given if n is not None]
            n = (
                max(0, min(MAX_PAGE, max(known)))
                if known and len(known) == len(given)
                else MAX_PAGE
            )
            calls = math.ceil((n + 1) / MAX_PAGE)
            return own + _Sum(calls=calls) + inner.times(n) + _Sum(depth=inner.depth, nodes=n)
        if isinstance(get_nullable_type(gql_field.type), GraphQLList) and _is_node(named):
            k = self._list_len(args.get("ids")) if "ids" in args else None
            k = MAX_PAGE if k is None else k
            return own + inner.times(k) + _Sum(depth=inner.depth, nodes=k, calls=k)
        if _is_node(named) and not (name == "node" and parent.name.endswith("Edge")):
            return own + inner + _Sum(nodes=1, calls=1)
        return own + inner


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Cost:
    """The cost of the operation that would run (all of them when it cannot be told)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        named = [op for op in operations if op.name and op.name.value == operation_name]
        operations = named or operations
    walker = _Walker(schema, fragments, variables or {})
    total = _ZERO
    for op in operations:
        root = schema.get_root_type(op.operation)
        if root is not None:
            total = total + walker.selection_set(op.selection_set, root)
    return Cost(total.depth, total.aliases, total.nodes, total.calls)
