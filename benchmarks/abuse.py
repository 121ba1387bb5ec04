"""Abuse: a flood of large unique documents and APQ registrations, and what it leaves in memory.

Each document is unique and as large as the limits let a client make it cheaply: an operation
with one alias too many (refused by the cost guard after parsing, before validation), a few
hundred unused fragments (thousands of tokens to parse and keep) and a long comment (text the
parsed document holds). Sent as APQ registrations (hash + query), each is also registered.
The gateway must keep memory within its byte budgets (`[limits] document_cache_bytes`, `persisted_query_bytes`,
`kept_answer_bytes`) however many arrive.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

FRAGMENTS = 400  # 10 tokens each: ~4,000 tokens, under the default max_tokens of 5,000
PADDING = 40_000  # characters of comment per document


ALIASES = 31  # the default `max_aliases` is 30


def large_document(i: int, fragments: int = FRAGMENTS, padding: int = PADDING) -> str:
    fields = " ".join(f"a{k}: sources {{ name }}" for k in range(ALIASES))
    frags = " ".join(
        f"fragment F{i}_{j} on Query {{ sources {{ name }} }}" for j in range(fragments)
    )
    comment = f"# flood {i} " + ("x" * padding)
    return f"query Q{i} {{ {fields} }}\n{frags}\n{comment}\n"


def apq_body(query: str) -> dict[str, Any]:
    sha = hashlib.sha256(query.encode()).hexdigest()
    return {"query": query, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}


def flood(client: httpx.Client, url: str, start: int, count: int, **kwargs: Any) -> dict[str, int]:
    """`count` unique large documents as APQ registrations; answers by status code."""
    statuses: dict[str, int] = {}
    for i in range(start, start + count):
        resp = client.post(url, json=apq_body(large_document(i, **kwargs)))
        statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
    return statuses
