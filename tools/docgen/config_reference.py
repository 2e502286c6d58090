"""The configuration tables of docs/configuration.md, generated from Pulumi.yaml (where every
key is declared once, with type, description and default)."""

from __future__ import annotations

from typing import Any

import yaml
from checkout import ROOT

from docgen.page import Generated, fill, table

PAGE = ROOT / "docs" / "configuration.md"


def _default(value: Any) -> str:
    if value in ("", []):
        return "(none)"
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def keys_table(aws: bool) -> str:
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    rows = [
        [f"`chat-platform:{key}`", spec["type"], _default(spec["default"]), spec["description"]]
        for key, spec in keys.items()
        if key.startswith("aws") == aws
    ]
    return table(["key", "type", "default", "what it sets"], rows)


def render(text: str) -> str:
    text = fill(text, "config-app", keys_table(aws=False))
    return fill(text, "config-aws", keys_table(aws=True))


GENERATED = Generated(PAGE, render)
