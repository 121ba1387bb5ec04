"""Who may read the subgraph SDL: `_service { sdl }` is the whole schema, as introspection is.

With `[graphql] introspection = false` a stranger must not get the schema by asking the
federation field instead. It answers when introspection is on, or to a caller whose API key
name (or JWT subject) `[federation] router_keys` names: the router or rover composing the
supergraph. Anyone else gets FORBIDDEN before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from gateway.config import Settings
from gateway.errors import ErrorCode
from gateway.security.auth import Principal

SERVICE_FIELD = "_service"


def _selects(
    sel: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    """True when a root selection set reaches `_service` (aliased, in fragments or not)."""
    for node in sel.selections if sel is not None else ():
        if isinstance(node, FieldNode) and node.name.value == SERVICE_FIELD:
            return True
        if isinstance(node, InlineFragmentNode) and _selects(node.selection_set, fragments, seen):
            return True
        if isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            seen.add(node.name.value)
            frag = fragments.get(node.name.value)
            if frag is not None and _selects(frag.selection_set, fragments, seen):
                return True
    return False


def asks_for_sdl(document: DocumentNode, operation_name: str | None) -> bool:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode) or op.operation != OperationType.QUERY:
            continue
        if operation_name is not None and (op.name is None or op.name.value != operation_name):
            continue
        if _selects(op.selection_set, fragments, set()):
            return True
    return False


def may_read_sdl(settings: Settings, principal: Principal) -> bool:
    if settings.graphql.introspection:
        return True
    return principal.kind != "anonymous" and principal.subject in settings.federation.router_keys


def sdl_refusal(
    settings: Settings, principal: Principal, document: DocumentNode, operation_name: str | None
) -> GraphQLError | None:
    """FORBIDDEN for a caller who may not read the SDL and asks for it; else None."""
    if may_read_sdl(settings, principal) or not asks_for_sdl(document, operation_name):
        return None
    return GraphQLError(
        "the subgraph SDL is served only with introspection on or to a federation router key",
        extensions={"code": ErrorCode.FORBIDDEN.value},
    )
