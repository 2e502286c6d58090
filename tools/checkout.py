"""Where the checkout is: the tools run and read its files (the built frontend, the shared Redis
settings, the Pulumi program, the docs). The package is installed editable, so this file stays
in the checkout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What test runs leave for people to look at (screenshots, the drills' figures): git-ignored.
ARTIFACTS = ROOT / "artifacts"
