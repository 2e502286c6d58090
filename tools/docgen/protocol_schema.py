"""docs/protocol.schema.json, the JSON Schema of the WebSocket protocol, generated from the
pydantic models in chat_backend.protocol: every frame under `$defs`, with the two unions
`ClientFrame` (what the server accepts) and `ServerFrame` (what it sends), and the `Message`
and HTTP `ErrorBody` shapes. `make protocol` (`python -m docgen.protocol_schema`) rewrites it (and
the frontend's types from it); tests/lint/test_protocol_schema.py fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from chat_backend import protocol
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
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Chat protocol",
        "$defs": defs,
    }


def render() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA.write_text(render())
