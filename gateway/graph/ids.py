"""Global ids: Strawberry relay's GlobalID format, base64 of `TypeName:source:nativeKey`."""

from __future__ import annotations

from base64 import b64encode

from strawberry.relay import GlobalID, GlobalIDValueError

from gateway.errors import bad_input, quoted


def global_id(type_name: str, source: str, native_key: str) -> str:
    # What `to_base64(type_name, f"{source}:{native_key}")` makes, in one call: one per node.
    return b64encode(f"{type_name}:{source}:{native_key}".encode()).decode()


def parse_global_id(value: str) -> tuple[str, str, str]:
    """(type name, source, native key); anything malformed is BAD_USER_INPUT."""
    try:
        gid = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError, UnicodeDecodeError):
        raise bad_input(f"malformed id {quoted(value)}") from None
    source, sep, native = gid.node_id.partition(":")
    if not sep or not source or not native:
        raise bad_input(f"malformed id {quoted(value)}")
    return gid.type_name, source, native
