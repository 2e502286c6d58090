"""docs/protocol.schema.json, the JSON Schema of the WebSocket protocol, generated from the
pydantic models in chat_backend.protocol: every frame under `$defs`, with the two unions
`ClientFrame` (what the server accepts) and `ServerFrame` (what it sends), the `Message`
and HTTP `ErrorBody` shapes, `Limits`: what a client checks before a round trip (names,
passwords, message length), and `CloseCodes`: why the server closes a socket, as constants taken
from the backend. `make protocol`
(`python -m docgen.protocol_schema`) rewrites it (and the frontend's types and limits from it);
tests/lint/test_protocol_schema.py fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from chat_backend import names, protocol
from chat_backend.settings import Settings
from checkout import ROOT
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema

SCHEMA = ROOT / "docs" / "protocol.schema.json"
# Client frames as the server validates them, the rest as it writes them.
PARTS: list[tuple[str, JsonSchemaMode, Any]] = [
    ("ClientFrame", "validation", protocol.ClientFrame),
    ("ServerFrame", "serialization", protocol.ServerFrame),
    ("Message", "serialization", protocol.Message),
    ("ErrorBody", "serialization", protocol.ErrorBody),
    ("SearchHit", "serialization", protocol.SearchHit),
    ("MemberPage", "serialization", protocol.MemberPage),
    ("PeoplePage", "serialization", protocol.PeoplePage),
    ("Users", "serialization", protocol.Users),
    ("ReactionsPage", "serialization", protocol.ReactionsPage),
    ("ThreadPage", "serialization", protocol.ThreadPage),
]


class _Schema(GenerateJsonSchema):
    """protocol.encode leaves out what is None, so a server frame never holds a null: such a
    field is just optional, with no default to show."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        if self.mode == "serialization":
            return self.generate_inner(schema["schema"])
        return super().nullable_schema(schema)

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if self.mode == "serialization" and json_schema.get("default", ...) is None:
            del json_schema["default"]
        return json_schema


def limits() -> dict[str, Any]:
    """`Limits`: each one a constant, so the frontend's copy is generated, never written."""
    values = {
        "max_message_length": (
            Settings.model_fields["max_message_length"].default,
            "MAX_MESSAGE_LENGTH's default; a server set lower refuses longer messages with too_long",
        ),
        "name_chars": (names.NAME_CHARS, "the characters of user and room names, as a regex class's inside"),
        "name_min_length": (names.NAME_MIN, "a name's fewest characters"),
        "name_max_length": (names.NAME_MAX, "a name's most characters"),
        "password_min_length": (names.PASSWORD_MIN, "a password's fewest characters"),
        "password_max_length": (names.PASSWORD_MAX, "a password's most characters"),
        "dm_max_members": (names.DM_MAX_MEMBERS, "a group DM's most members, its opener included"),
        "display_name_max_length": (names.DISPLAY_NAME_MAX, "a display name's most characters"),
        "users_lookup_max": (names.USERS_LOOKUP_MAX, "the most names one GET /api/users takes"),
    }
    refused = "What the server refuses beyond, for a client to check before a round trip."
    return constants("Limits", refused, values)


def close_codes() -> dict[str, Any]:
    """`CloseCodes`: why the server closes a socket, each code from protocol.CloseCode."""
    return constants(
        "CloseCodes",
        protocol.CloseCode.__doc__ or "",
        {code.name.lower(): (code.value, code.name.replace("_", " ").lower()) for code in protocol.CloseCode},
    )


def constants(title: str, description: str, values: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """An object of named constants: the frontend's generator turns it into a const of values."""
    return {
        "title": title,
        "description": " ".join(description.split()),
        "type": "object",
        "properties": {
            name: {"const": value, "description": meaning} for name, (value, meaning) in values.items()
        },
        "required": list(values),
    }


def schema() -> dict[str, Any]:
    tops, definitions = TypeAdapter.json_schemas(
        [(name, mode, TypeAdapter(kind)) for name, mode, kind in PARTS],
        ref_template="#/$defs/{model}",
        schema_generator=_Schema,
    )
    defs = definitions["$defs"]
    for name, mode, _ in PARTS:
        if "$ref" not in tops[name, mode]:  # the unions; the models are in $defs already
            defs[name] = tops[name, mode]
    defs["Limits"] = limits()
    defs["CloseCodes"] = close_codes()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Chat protocol",
        "$defs": defs,
    }


def render() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA.write_text(render())
