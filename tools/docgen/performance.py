"""docs/performance.md's measured part and the README's summary of it, from the benchmark runs
published under docs/results/ (`bench-<UTC time>.json`, as `make bench` writes them): every run,
newest first, on the page; the newest run's goals in the README."""

from __future__ import annotations

import json
from typing import Any

from chatbench import page
from checkout import ROOT

from docgen.page import Generated, fill

RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"


def runs() -> list[dict[str, Any]]:
    """The published runs, newest first (the file names sort by time)."""
    return [json.loads(path.read_text()) for path in sorted(RESULTS.glob("bench-*.json"), reverse=True)]


def render_page(text: str) -> str:
    return fill(text, "bench-runs", page.runs_section(runs()))


def render_readme(text: str) -> str:
    return fill(text, "bench-summary", page.summary(runs(), str(PAGE.relative_to(ROOT))))


GENERATED = (Generated(PAGE, render_page), Generated(README, render_readme))
