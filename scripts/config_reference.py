"""The configuration tables of docs/configuration.md, generated from Pulumi.yaml (where every
key is declared once, with type, description and default). `make docs` rewrites them;
tests/infra/test_config.py fails when the page is stale."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
MARKER = re.compile(r"(<!-- config:(?P<part>app|aws) -->\n)(?P<table>.*?)(<!-- /config -->)", re.S)


def _default(value: Any) -> str:
    if value in ("", []):
        return "(none)"
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def table(part: str) -> str:
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    rows = [
        f"| `chat-platform:{key}` | {spec['type']} | {_default(spec['default'])} | {spec['description']} |"
        for key, spec in keys.items()
        if key.startswith("aws") == (part == "aws")
    ]
    return "\n".join(["| key | type | default | what it sets |", "| --- | --- | --- | --- |", *rows, ""])


def render(page: str) -> str:
    return MARKER.sub(lambda m: m.group(1) + table(m.group("part")) + m.group(4), page)


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text()))
