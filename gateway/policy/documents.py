"""Parsed documents and their validation results, kept under a byte budget, not a count.

Strawberry's ParserCache and ValidationCache are LRUs of 128 entries each: with documents of a
megabyte (the body limit) and thousands of tokens that is hundreds of megabytes, and the
validation cache holds the parsed documents alive after the parser cache has let them go. Here
one LRU keeps both, sized by what a parsed document costs: its text (the AST's `Source` holds
it) and ~700 bytes per token (measured with tracemalloc on graphql-core 3.3: 400–620 bytes per
token across shapes). `[limits] document_cache_bytes` bounds the sum; a document bigger than the
whole budget is parsed and used, never kept.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.language import Token

#: Bytes one token of a parsed document costs (AST node, token, location), rounded up.
BYTES_PER_TOKEN = 700
#: Bytes one kept validation error costs (message, locations, the error object).
BYTES_PER_ERROR = 3_000


def token_count(document: DocumentNode) -> int:
    """Tokens of a parsed document (graphql-core links them from its location)."""
    loc = document.loc
    if loc is None:
        return 0
    count = 0
    token: Token | None = loc.start_token
    while token is not None:
        count += 1
        token = token.next
    return count


def document_bytes(query: str, document: DocumentNode) -> int:
    """What keeping `document` costs: its text plus its tokens' share of the AST."""
    return len(query.encode("utf-8", "surrogatepass")) + BYTES_PER_TOKEN * token_count(document)


@dataclass
class _Entry:
    document: DocumentNode
    size: int
    #: Validation results by rule set (the rules differ with introspection on or off).
    validated: dict[tuple[Any, ...], list[GraphQLError]] = field(default_factory=dict)


def _key(query: str, options: Mapping[str, Any]) -> bytes:
    h = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=20)
    h.update(repr(sorted(options.items())).encode())
    return h.digest()


class DocumentCache:
    """An LRU of parsed documents (and their validation errors) bounded by estimated bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[bytes, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def parse(self, query: str, **options: Any) -> DocumentNode:
        """The parsed document (kept when it fits); raises graphql-core's syntax errors."""
        key = _key(query, options)
        entry = self._data.get(key)
        if entry is not None:
            self._data.move_to_end(key)
            return entry.document
        document = parse(query, **options)
        size = document_bytes(query, document)
        if size <= self.max_bytes:
            self._data[key] = _Entry(document, size)
            self.bytes += size
            self._trim()
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        options: Mapping[str, Any],
        document: DocumentNode,
        rules: Collection[Any],
    ) -> list[GraphQLError]:
        """graphql-core's validation of `document`, remembered beside it while it is kept."""
        key = _key(query, options)
        entry = self._data.get(key)
        ruleset = tuple(rules)
        if entry is None or entry.document is not document:
            return validate(schema, document, list(ruleset))
        found = entry.validated.get(ruleset)
        if found is None:
            found = entry.validated[ruleset] = validate(schema, document, list(ruleset))
            # Errors are kept too (up to graphql-core's 100): they count against the budget.
            extra = BYTES_PER_ERROR * len(found) + BYTES_PER_TOKEN
            entry.size += extra
            self.bytes += extra
            self._trim()
        return found

    def _trim(self) -> None:
        while self.bytes > self.max_bytes and self._data:
            _, dropped = self._data.popitem(last=False)
            self.bytes -= dropped.size


_CACHES: weakref.WeakKeyDictionary[GraphQLSchema, DocumentCache] = weakref.WeakKeyDictionary()


def documents_for(schema: GraphQLSchema, max_bytes: int) -> DocumentCache:
    """The schema's one document cache (an app has one schema; tests build many)."""
    found = _CACHES.get(schema)
    if found is None or found.max_bytes != max_bytes:
        found = _CACHES[schema] = DocumentCache(max_bytes)
    return found
