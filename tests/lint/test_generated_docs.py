"""Every generated part of the docs is what `make docs` makes of its source today: the config
tables of Pulumi.yaml, the version pins of the aws stack, the figures of the result files under
docs/results/. A page edited by hand, or a source changed without `make docs`, fails here."""

from __future__ import annotations

import re

import pytest
from checkout import ROOT
from docgen.all_pages import PAGES
from docgen.page import Generated, fill


@pytest.mark.parametrize("generated", PAGES, ids=lambda g: f"{g.page.relative_to(ROOT)}:{g.render.__name__}")
def test_the_page_is_what_make_docs_renders(generated: Generated) -> None:
    text = generated.page.read_text()
    assert generated.render(text) == text, f"{generated.page.relative_to(ROOT)} is stale: run `make docs`"


def test_a_missing_part_is_an_error_not_a_silent_skip() -> None:
    with pytest.raises(ValueError, match="generated:pins"):
        fill("a page without markers\n", "pins", "| a | table |\n")


def test_only_the_part_between_the_markers_changes() -> None:
    page = "intro\n<!-- generated:pins -->\nold\n<!-- /generated:pins -->\noutro\n"
    assert (
        fill(page, "pins", "new\n")
        == "intro\n<!-- generated:pins -->\nnew\n<!-- /generated:pins -->\noutro\n"
    )


# x.y.z or vx.y.z, with a suffix such as -eksbuild.1; not part of an IP address (four numbers).
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+\.\d+(?:-[\w.]*\w)?(?![\w.]*\d)")


def test_the_aws_page_quotes_no_version_but_the_pinned_ones() -> None:
    """A chart or add-on version in the prose would go stale when the code changes: the prose
    links to the generated table, and any version it does quote must be one of the table's."""
    page = (ROOT / "docs" / "aws.md").read_text()
    before, _, rest = page.partition("<!-- generated:aws-pins -->")
    pins, _, after = rest.partition("<!-- /generated:aws-pins -->")
    assert pins, "docs/aws.md has no generated pins table"
    quoted = set(VERSION.findall(before + after))
    assert quoted <= set(VERSION.findall(pins)), (
        f"docs/aws.md quotes versions the code does not pin: {quoted}"
    )
