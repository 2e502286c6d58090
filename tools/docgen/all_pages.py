"""Every page with generated parts, for `make docs` and for the test that fails when one is stale."""

from __future__ import annotations

from docgen import aws_pins, config_reference, performance, reliability
from docgen.page import Generated

PAGES: tuple[Generated, ...] = (
    config_reference.GENERATED,
    aws_pins.GENERATED,
    *performance.GENERATED,
    reliability.GENERATED,
)
