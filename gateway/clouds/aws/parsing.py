"""botocore's REST-JSON response parser with a per-shape plan for structures.

A cold 100-run tree parses 10,000 task records. botocore walks every structure member by
member: for each it reads the member's wire name, looks the value up, then dispatches through
`getattr(self, f"_handle_{type}")` and, for strings, checks the jsonvalue-header trait — five
Python calls per scalar, ~40% of a cold tree's upstream CPU. `FastRestJSONParser` computes,
once per structure shape, each member's wire name and how its value converts (as is, `int`,
a boolean, the timestamp parser, or botocore's own handler for anything else), so the answers
are botocore's own; bodies are decoded by orjson. Everything else (errors, metadata, headers,
lists, maps, documents, unions) is botocore's.

One deliberate difference: botocore reads a 200 whose body is not JSON as `{}` (an empty page,
data silently missing) and a member of the wrong JSON type as whatever its handler makes of it.
On a success answer this parser raises `MalformedAnswer` instead; the wire maps it to
UPSTREAM_ERROR. Error answers keep botocore's lenient reading (their codes are in headers).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiobotocore.parsers import AioResponseParserFactory, AioRestJSONParser
from botocore.model import Shape
from botocore.utils import ensure_boolean

from gateway.clouds.answers import MalformedAnswer

_AS_IS, _INT, _TIMESTAMP, _BOOL, _OTHER = range(5)
Plan = tuple[tuple[str, str, int, Shape], ...]


def _kind(shape: Shape) -> int:
    serialization = shape.serialization
    if shape.type_name in ("string", "character"):
        # A jsonvalue header is decoded by botocore; in a body it is the value as it came.
        header_json = serialization.get("jsonvalue") and serialization.get("location") == "header"
        return _OTHER if header_json else _AS_IS
    if shape.type_name in ("integer", "long"):
        return _INT
    if shape.type_name == "timestamp":
        return _TIMESTAMP
    if shape.type_name == "boolean" and serialization.get("location") != "header":
        return _BOOL
    return _OTHER


def _plan(shape: Shape) -> Plan:
    members = shape.members
    return tuple(
        (name, m.serialization.get("name", name), _kind(m), m) for name, m in members.items()
    )


class FastRestJSONParser(AioRestJSONParser):  # type: ignore[misc]
    """REST-JSON parsing with structures converted by a cached per-shape plan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the shape object (botocore caches one per operation model); the shape is
        # kept beside its plan so its id is never reused while the entry lives.
        self._plans: dict[int, tuple[Shape, Plan]] = {}

    #: Set while a success answer is parsed (parsing is synchronous: no other call interleaves).
    _strict = False

    def _do_parse(self, response: Any, shape: Shape | None) -> Any:
        self._strict = shape is not None and bool(shape.members)
        try:
            return super()._do_parse(response, shape)
        except MalformedAnswer:
            raise
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # A member of the wrong JSON type (a list where a structure belongs, …).
            raise MalformedAnswer(f"a member has the wrong type ({type(exc).__name__})") from None
        finally:
            self._strict = False

    def _parse_body_as_json(self, body_contents: bytes) -> Any:
        # orjson decodes a 100-task page several times faster than json; anything it refuses
        # (NaN, integers over 64 bits, lone surrogates, not JSON) goes the way botocore takes.
        if body_contents:
            try:
                return orjson.loads(body_contents)
            except orjson.JSONDecodeError:
                pass
        elif self._strict:
            raise MalformedAnswer("empty body")
        parsed = super()._parse_body_as_json(body_contents)
        if self._strict and (not isinstance(parsed, dict) or set(parsed) == {"message"}):
            # botocore's reading of a body that is not JSON: `{"message": <the text>}`.
            raise MalformedAnswer("the body is not JSON (unparsable or truncated)")
        return parsed

    def _handle_structure(self, shape: Shape, value: Any) -> Any:
        if self._strict and value is not None and not isinstance(value, dict):
            raise MalformedAnswer(f"{shape.name} is not an object")
        if shape.is_document_type or value is None or getattr(shape, "is_tagged_union", False):
            return super()._handle_structure(shape, value)
        entry = self._plans.get(id(shape))
        if entry is None or entry[0] is not shape:
            entry = (shape, _plan(shape))
            self._plans[id(shape)] = entry
        parsed: dict[str, Any] = {}
        get = value.get
        for name, wire, kind, member in entry[1]:
            raw = get(wire)
            if raw is None:
                continue
            if kind == _AS_IS:
                parsed[name] = raw
            elif kind == _INT:
                parsed[name] = int(raw)
            elif kind == _TIMESTAMP:
                parsed[name] = self._timestamp_parser(raw)
            elif kind == _BOOL:  # botocore's `ensure_boolean`, JSON's own booleans as they are
                parsed[name] = raw if raw is True or raw is False else ensure_boolean(raw)
            else:
                parsed[name] = self._parse_shape(member, raw)
        return parsed

    def _handle_list(self, shape: Shape, value: Any) -> Any:
        # A page's records: each structure straight to `_handle_structure`, not through
        # `_parse_shape`'s per-item handler lookup (10,000 of them in a cold tree).
        member = shape.member
        if (
            type(value) is list
            and member.type_name == "structure"
            and shape.serialization.get("location") != "header"
        ):
            handle = self._handle_structure
            return [None if item is None else handle(member, item) for item in value]
        return super()._handle_list(shape, value)


class FastParserFactory(AioResponseParserFactory):  # type: ignore[misc]
    """aiobotocore's parser factory, with `FastRestJSONParser` for the rest-json protocol."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-json":
            return FastRestJSONParser(**self._defaults)
        return super().create_parser(protocol_name)
