"""The environment the program gives the backend is one the backend reads: its settings
ignore unknown variables, so a misspelt name would silently leave the default in force."""

from __future__ import annotations

import importlib
import inspect

from chat_backend.settings import Settings
from chat_backend.store.passwords import HASH_MEMORY_KIB
from pulumi_harness import StackRun
from pydantic_settings import BaseSettings

from components.k8s.backend import (
    DEFAULT_RESOURCES,
    ONE_HASH_MIB,
    PASSWORD_HASH_SHARE,
    password_hash_memory_mib,
)
from components.k8s.hygiene import Resources

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


def test_password_hashes_fit_in_the_pods_memory_limit(any_stack: StackRun) -> None:
    """The workers' hash budgets come from the pod's memory limit (components/k8s/backend.py),
    and the backend's default is what the default pod (512Mi, 2 workers) gets."""
    pod = any_stack.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "chat-backend"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    limit = Resources("0", "0", "0", container["resources"]["limits"]["memory"]).memory_limit_mib
    budget, workers = int(env["PASSWORD_HASH_MEMORY_MIB"]), int(env["WEB_CONCURRENCY"])
    assert budget >= ONE_HASH_MIB
    assert budget * workers <= limit * PASSWORD_HASH_SHARE
    assert Settings.model_fields["password_hash_memory_mib"].default == password_hash_memory_mib(
        DEFAULT_RESOURCES, 2
    )
    assert HASH_MEMORY_KIB == ONE_HASH_MIB * 1024
