"""Automatic persisted queries (Apollo's APQ protocol) and the allow-list mode.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query; an
unknown hash answers `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) and the client
retries with hash and query, which registers it once the hash is verified. Apollo Client's
persisted-queries link and Apollo Router speak exactly this, over GET and POST.

In `allowlist` mode only the operations of a manifest run (Apollo's persisted query manifest
JSON, or a plain object of hash → query): a known hash runs its operation, a query whose hash is
in the manifest runs, anything else is refused and nothing is registered.

Registered queries live behind `PersistedQueryStore` (get/put): an in-process LRU by default,
the shared cache backend (Redis) when `[cache] url` is set, so replicas share registrations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.config import ConfigError, GraphQLConfig
from gateway.errors import ErrorCode, GatewayError, bad_input

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"


class PersistedQueryStore(Protocol):
    """Where registered queries live, by sha256 hex digest."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...


#: What one registration costs beside its text: the hash key, the dict slot, the str headers.
ENTRY_OVERHEAD = 200


def _entry_bytes(query: str) -> int:
    return len(query.encode("utf-8", "surrogatepass")) + ENTRY_OVERHEAD


class MemoryPersistedQueryStore:
    """An LRU of registered queries in this process, bounded by count and by bytes (large
    documents registered by APQ must not grow memory by their number alone)."""

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    async def get(self, sha256: str) -> str | None:
        found = self._data.get(sha256)
        if found is not None:
            self._data.move_to_end(sha256)
        return found

    async def put(self, sha256: str, query: str) -> None:
        size = _entry_bytes(query)
        if size > self.max_bytes:
            return  # it runs, but is not kept: the client sends its text again next time
        previous = self._data.pop(sha256, None)
        if previous is not None:
            self.bytes -= _entry_bytes(previous)
        self._data[sha256] = query
        self.bytes += size
        while len(self._data) > self.max_entries or self.bytes > self.max_bytes:
            _, dropped = self._data.popitem(last=False)
            self.bytes -= _entry_bytes(dropped)


class CachePersistedQueryStore:
    """Registered queries in the cache backend (Redis when `[cache] url` is set), so every
    replica knows a hash any replica registered."""

    def __init__(self, backend: Any, prefix: str = "apq:", ttl: float = 7 * 86_400.0) -> None:
        self._backend = backend
        self._prefix = prefix
        self._ttl = ttl

    async def get(self, sha256: str) -> str | None:
        hit = await self._backend.get(self._prefix + sha256)
        return str(hit[0]) if hit is not None else None

    async def put(self, sha256: str, query: str) -> None:
        await self._backend.set(self._prefix + sha256, query, self._ttl)


class ManifestError(ConfigError):
    """The manifest cannot be used; the message says which entry and why."""


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """hash → query from an Apollo persisted query manifest or a plain JSON object; every hash
    must be the sha256 of its query (as Apollo's generator makes them)."""
    try:
        raw: Any = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read persisted query manifest {path}: {exc}") from None
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        pairs = [(str(op.get("id")), op.get("body")) for op in raw.get("operations", [])]
    elif isinstance(raw, dict):
        pairs = [(str(k), v) for k, v in raw.items()]
    else:
        raise ManifestError(f"{path}: expected a JSON object")
    manifest: dict[str, str] = {}
    for sha, body in pairs:
        if not isinstance(body, str) or sha256_hex(body) != sha.lower():
            raise ManifestError(f"{path}: entry {sha!r} is not the sha256 of its query")
        manifest[sha.lower()] = body
    return manifest


def not_found() -> GatewayError:
    return GatewayError(NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND)


class PersistedQueries:
    """Turns a request's persisted-query extension into its query, per the configured mode."""

    def __init__(
        self,
        config: GraphQLConfig,
        store: PersistedQueryStore | None = None,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.mode = config.persisted_queries
        self.store: PersistedQueryStore = store or MemoryPersistedQueryStore(
            config.persisted_query_cache_size, max_bytes
        )
        manifest = config.persisted_query_manifest
        self.allowed: dict[str, str] = load_manifest(manifest) if manifest is not None else {}

    async def apply(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query filled in; a GatewayError when it may not run."""
        if self.mode == "off":
            return data
        query = await self._query(data.query, (data.extensions or {}).get("persistedQuery"))
        return data if query is data.query else dataclasses.replace(data, query=query)

    async def _query(self, query: str | None, persisted: object) -> str | None:
        if persisted is None:
            listed = query is not None and sha256_hex(query) in self.allowed
            if self.mode == "allowlist" and not listed:
                raise GatewayError(
                    "only allow-listed operations run on this gateway", ErrorCode.FORBIDDEN
                )
            return query
        sha = _hash_of(persisted)
        if self.mode == "allowlist":
            known = self.allowed.get(sha)
            if known is None:
                raise not_found()
            if query is not None and query != known:
                raise bad_input("provided sha does not match query")
            return known
        if query is None:
            stored = await self.store.get(sha)
            if stored is None:
                raise not_found()
            return stored
        if sha256_hex(query) != sha:
            raise bad_input("provided sha does not match query")
        await self.store.put(sha, query)
        return query


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise bad_input("`extensions.persistedQuery` must be an object")
    if persisted.get("version") != 1:
        raise bad_input("Unsupported persisted query version")
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or len(sha) != 64:
        raise bad_input("`persistedQuery.sha256Hash` must be a sha256 hex digest")
    return sha.lower()


def refusal(error: GatewayError, request_id: str) -> ExecutionResult:
    """The GraphQL response for a request refused before execution."""
    extensions = {**error.extensions, "requestId": request_id}
    return ExecutionResult(data=None, errors=[GraphQLError(error.message, extensions=extensions)])
