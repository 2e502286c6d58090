"""A page that is partly generated: each generated part lies between `<!-- generated:NAME -->` and
`<!-- /generated:NAME -->`, everything around it is written by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Generated:
    """A page and how to redo its generated parts: `render(text)` is `text` with them rewritten."""

    page: Path
    render: Callable[[str], str]


def fill(text: str, name: str, content: str) -> str:
    """`text` with the part called `name` replaced by `content` (which ends with a newline)."""
    start, end = f"<!-- generated:{name} -->\n", f"<!-- /generated:{name} -->"
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise ValueError(f"no {start.strip()} … {end} part on the page")
    return before + start + content + end + rest.partition(end)[2]


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; `|` inside a cell is escaped."""
    lines = [header, ["---"] * len(header), *rows]
    return "".join("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |\n" for line in lines)
