"""Every relative link in the documentation resolves: the file exists inside the repository and,
for a link into a Markdown file with `#anchor`, that file has a heading with that anchor (the slug
GitHub gives it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    {
        ROOT / "README.md",
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("services/*/README.md"),
        *ROOT.glob("benchmarks/README.md"),
        *ROOT.glob("policy/README.md"),
    }
)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CODE_SPAN = re.compile(r"(`+).*?\1")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def _slug(heading: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose_lines(page.read_text()):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = _slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def _without_code_spans(line: str) -> str:
    """Code spans hold no links, but a link's text may be one (`[`make dev`](...)`): keep those."""

    def keep_in_link_text(span: re.Match[str]) -> str:
        inside_brackets = line.rfind("[", 0, span.start()) > line.rfind("]", 0, span.start())
        return span.group(0) if inside_brackets else ""

    return CODE_SPAN.sub(keep_in_link_text, line)


def broken_links(page: Path) -> list[str]:
    problems = []
    for number, line in _prose_lines(page.read_text()):
        for link in LINK.finditer(_without_code_spans(line)):
            target = link.group(1)
            if SCHEME.match(target):
                continue  # http(s), mailto: not checked offline
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            where = f"{page.relative_to(ROOT)}:{number}: {target}"
            if not resolved.is_relative_to(ROOT):
                problems.append(f"{where} points outside the repository")
            elif not resolved.exists():
                problems.append(f"{where} does not exist")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                problems.append(f"{where}: no heading with anchor #{anchor}")
    return problems


def test_the_pages_are_found() -> None:
    assert ROOT / "README.md" in PAGES
    assert any(page.parent == ROOT / "docs" for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_anchor_slugs_follow_github() -> None:
    assert _slug("Tested against a real engine: make test-cluster") == (
        "tested-against-a-real-engine-make-test-cluster"
    )
    assert _slug("Client → server frames") == "client--server-frames"
    assert _slug("One message's path") == "one-messages-path"
    assert _slug("What it costs (us-east-1, per month)") == "what-it-costs-us-east-1-per-month"
