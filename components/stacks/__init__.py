"""Per-platform compositions; each module has `build(config)`."""

from __future__ import annotations

import importlib

from components.config import StackConfig


def build(config: StackConfig) -> None:
    # Imported by name so the minikube stack never loads the aws modules (pulumi_aws is slow).
    importlib.import_module(f"components.stacks.{config.platform}").build(config)
