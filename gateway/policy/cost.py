"""A document's shape and cost before anything runs: depth, aliases, nodes and upstream calls.

Nodes are counted GitHub's way: every connection's `first`/`last` multiplies through the
connections nested under it. Upstream calls: one per connection page (plus the look-ahead),
one per entity fetched by id, one per object whose selection needs its detail record. Fragments
are inlined, and memoised per (fragment, type), so a document whose fragments spread fragments
is measured in time linear in its size however much it would expand (Strawberry's alias and
depth limiters recurse without memo, which an amplified document turns exponential). The walk
runs before validation: unknown names and fragment cycles count nothing; validation names them.

Arguments are read as execution will see them: variables are coerced first (graphql-core's own
coercion, so a variable's *default value* counts, and a single id where a list is expected is a
list of one). Fields that fan out by a list argument — `nodes(ids:)`, federation's
`_entities(representations:)` — cost one upstream call per element, before any call is made.
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
    GraphQLError,
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
from graphql.execution.values import get_variable_values

from gateway.graph.context import Cost

#: What a connection's `first`/`last` counts as when it cannot be read (absent, a variable
#: without a value, not a number): the largest page, the worst case.
MAX_PAGE = 100
#: Detail fields (read from a second upstream record) carry this key in their metadata.
DETAIL_METADATA = "gateway_detail"
#: Fields that make upstream calls of their own (a log tail, a manifest, prices) carry their
#: estimated number of calls under this metadata key; counted once per object selecting them.
CALLS_METADATA = "gateway_calls"
#: Root fields that fetch one entity per element of a list argument: (field, argument).
FAN_OUT_ARGUMENTS = {"nodes": "ids", "_entities": "representations"}


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
        walk_pages: int = 50,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.walk_pages = walk_pages
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
        """How many elements a list argument holds once coerced (None: unknown)."""
        if node is None:
            return None
        if isinstance(node, ListValueNode):
            return len(node.values)
        if isinstance(node, VariableNode):
            name = node.name.value
            if name not in self.variables:
                return None
            value = self.variables[name]
            if value is None:
                return 0
            return len(value) if isinstance(value, list) else 1
        return 1  # one value where a list is expected is coerced to a list of one

    def _connection_calls(self, n: int, args: Mapping[str, Any]) -> int:
        """Upstream pages one connection reads from full pages: `first` asks for n + 1 items
        (the look-ahead), one call more to re-read an `after` cursor's page; `last` and
        `before` walk from the start or back along the chain, bounded by the walk budget."""
        if "last" in args or "before" in args:
            return self.walk_pages
        pages = math.ceil((n + 1) / MAX_PAGE)
        return pages + 1 if "after" in args else pages

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
        own = _Sum(aliases=alias, calls=_own_calls(gql_field))
        if "first" in gql_field.args and "last" in gql_field.args:
            given = [self._int(args[a]) for a in ("first", "last") if a in args]
            known = [n for n in given if n is not None]
            n = (
                max(0, min(MAX_PAGE, max(known)))
                if known and len(known) == len(given)
                else MAX_PAGE
            )
            calls = self._connection_calls(n, args)
            return own + _Sum(calls=calls) + inner.times(n) + _Sum(depth=inner.depth, nodes=n)
        fan_out = FAN_OUT_ARGUMENTS.get(name)
        if fan_out is not None and fan_out in gql_field.args:
            k = self._list_len(args.get(fan_out))
            k = MAX_PAGE if k is None else k
            return own + inner.times(k) + _Sum(depth=inner.depth, nodes=k, calls=k)
        if isinstance(get_nullable_type(gql_field.type), GraphQLList) and _is_node(named):
            k = self._list_len(args.get("ids")) if "ids" in args else None
            k = MAX_PAGE if k is None else k
            return own + inner.times(k) + _Sum(depth=inner.depth, nodes=k, calls=k)
        if _is_node(named) and not (name == "node" and parent.name.endswith("Edge")):
            return own + inner + _Sum(nodes=1, calls=1)
        return own + inner


def _own_calls(gql_field: Any) -> int:
    definition = gql_field.extensions.get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    calls = metadata.get(CALLS_METADATA, 0)
    return calls if isinstance(calls, int) else 0


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    walk_pages: int = 50,
) -> Cost:
    """The cost of the operation that would run (all of them when it cannot be told)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        named = [op for op in operations if op.name and op.name.value == operation_name]
        operations = named or operations
    total = _ZERO
    for op in operations:
        root = schema.get_root_type(op.operation)
        if root is not None:
            coerced = coerced_variables(schema, op, variables or {})
            walker = _Walker(schema, fragments, coerced, walk_pages)
            total = total + walker.selection_set(op.selection_set, root)
    return Cost(total.depth, total.aliases, total.nodes, total.calls)


def coerced_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, given: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The operation's variables as execution will coerce them, defaults included. When they do
    not coerce, execution refuses the operation before any call: the values as given serve."""
    try:
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), dict(given), max_errors=1
        )
    except (GraphQLError, TypeError, ValueError):
        return given
    return given if isinstance(coerced, list) else coerced.coerced
