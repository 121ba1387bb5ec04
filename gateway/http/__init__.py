"""GraphQL over HTTP to the spec: media-type negotiation, request errors as JSON with a code,
the spec's status codes (see `view.SpecGraphQL`)."""

from gateway.http.errors import RequestError
from gateway.http.negotiation import Media, negotiate
from gateway.http.view import SpecGraphQL

__all__ = ["Media", "RequestError", "SpecGraphQL", "negotiate"]
