"""Every page with generated parts, for `make docs` and for the test that fails when one is stale."""

from __future__ import annotations

from docgen import aws_pins, backend_settings, config_reference, performance, reliability, storage
from docgen.page import Generated

PAGES: tuple[Generated, ...] = (
    config_reference.GENERATED,
    backend_settings.GENERATED,
    aws_pins.GENERATED,
    *performance.GENERATED,
    reliability.GENERATED,
    storage.GENERATED,
)
