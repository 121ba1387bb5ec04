"""Which media type a GraphQL-over-HTTP answer is served as, from the request's `Accept`.

The spec's two: `application/graphql-response+json` (whose status codes say whether the request
was executed) when the client accepts it at least as much as `application/json`, else
`application/json` (always served, as the spec allows, so `*/*`, a missing header or one naming
neither still gets JSON rather than a 406 that would break older clients).
"""

from __future__ import annotations

import enum


class Media(enum.StrEnum):
    GRAPHQL_RESPONSE = "application/graphql-response+json"
    JSON = "application/json"


def _weights(accept: str) -> dict[str, float]:
    """Each media range of `Accept` with its q-value (RFC 9110 §12.5.1); malformed q is 0."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        weights[media] = max(q, weights.get(media, 0.0))
    return weights


def negotiate(accept: str | None) -> Media:
    """The media type to answer with (see the module docstring)."""
    if not accept:
        return Media.JSON
    weights = _weights(accept)
    wanted = weights.get(Media.GRAPHQL_RESPONSE.value, 0.0)
    plain = max(
        weights.get(Media.JSON.value, 0.0),
        weights.get("application/*", 0.0),
        weights.get("*/*", 0.0),
    )
    return Media.GRAPHQL_RESPONSE if wanted > 0 and wanted >= plain else Media.JSON
