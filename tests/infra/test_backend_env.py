"""The environment the program gives the backend is one the backend reads: its settings
ignore unknown variables, so a misspelt name would silently leave the default in force."""

from __future__ import annotations

import importlib
import inspect

from pulumi_harness import StackRun
from pydantic_settings import BaseSettings

# `python -m chat_backend`: its own ServerSettings and the app's Settings it loads.
ENTRY_POINT = importlib.import_module("chat_backend.__main__")


def backend_env_names() -> set[str]:
    """Every variable a settings model of the entry point reads (pydantic-settings: the field
    name after the model's prefix, matched case-insensitively)."""
    models = [
        model
        for model in vars(ENTRY_POINT).values()
        if inspect.isclass(model) and issubclass(model, BaseSettings) and model is not BaseSettings
    ]
    assert len(models) >= 2, f"expected the server's and the app's settings, found {models}"
    return {
        f"{model.model_config.get('env_prefix', '')}{field}".upper()
        for model in models
        for field in model.model_fields
    }


def test_every_backend_env_var_is_a_setting_the_backend_reads(any_stack: StackRun) -> None:
    pod = any_stack.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "chat-backend"]
    names = {env["name"] for env in container["env"]}
    assert names, "the backend container sets no environment"
    unknown = sorted(name for name in names if name.upper() not in backend_env_names())
    assert not unknown, f"{any_stack.stack}: the backend reads no {unknown}"
