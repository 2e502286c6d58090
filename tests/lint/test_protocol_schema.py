"""The protocol's generated files are what `make protocol` makes of the current models: the
JSON Schema from the backend's pydantic models, the frontend's TypeScript from that schema."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from checkout import ROOT
from docgen import protocol_schema

FRONTEND = ROOT / "services" / "frontend"
TYPESCRIPT = FRONTEND / "src" / "api" / "protocol.ts"
STALE = "is stale: run `make protocol`"


def test_the_schema_is_generated_from_the_models() -> None:
    assert protocol_schema.SCHEMA.read_text() == protocol_schema.render(), f"{protocol_schema.SCHEMA} {STALE}"


def test_the_typescript_is_generated_from_the_schema(tmp_path: Path) -> None:
    fresh = tmp_path / "protocol.ts"
    subprocess.run(
        ["npm", "run", "--silent", "protocol", "--", "--out", str(fresh)], cwd=FRONTEND, check=True
    )
    assert TYPESCRIPT.read_text() == fresh.read_text(), f"{TYPESCRIPT} {STALE}"


def test_both_unions_name_frames_that_always_have_their_type() -> None:
    defs = json.loads(protocol_schema.render())["$defs"]
    assert {"Message", "ErrorBody", "ErrorCode"} <= set(defs)
    for union in ("ClientFrame", "ServerFrame"):
        for tag, ref in defs[union]["discriminator"]["mapping"].items():
            frame = defs[ref.removeprefix("#/$defs/")]
            assert frame["properties"]["type"]["const"] == tag
            assert "type" in frame["required"], frame["title"]
