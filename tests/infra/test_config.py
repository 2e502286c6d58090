"""Configuration: bad values fail with a message naming the key before any resource exists;
Pulumi.yaml and the stack files pass the checks the CLI makes before running the program;
the documented defaults are the loader's (the tables of docs/configuration.md are generated from
Pulumi.yaml and checked by tests/lint/test_generated_docs.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pulumi_harness
import pytest
import yaml
from checkout import ROOT
from pulumi_harness import PROJECT, StackRun, mocked

from components.config import load
from components.config_reader import ConfigError
from tests.infra.conftest import STACKS


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("platform", "gcp", "must be one of minikube, aws"),
        ("backendReplicas", "-1", "must be between 1 and 50"),
        ("backendReplicas", "two", "must be a whole number"),
        ("frontendReplicas", "0", "must be between 1 and 50"),
        ("redisStorageSize", "lots", "must be a size like 1Gi"),
        ("redisStorageSize", "10GB", "must be a size like 1Gi"),
        ("postgresStorageSize", "10GB", "must be a size like 1Gi"),
        ("postgresStorageClass", "Fast_SSD", "must be a StorageClass name"),
        ("redisAppendfsync", "never", "must be one of always, everysec"),
        ("namespace", "Chat_NS", "must be a DNS label"),
        ("host", "not a host", "must be a host name"),
        ("historyLimit", "0", "must be between 1 and 1000000"),
    ],
)
def test_bad_value_names_the_key_and_registers_nothing(
    run_stack: Callable[..., StackRun], key: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_stack("minikube", {f"chat-platform:{key}": value})
    assert str(error.value).startswith(f"chat-platform:{key} {message}")


def test_nothing_is_registered_when_config_is_bad(run_stack: Callable[..., StackRun]) -> None:
    registered: list[str] = []
    original = pulumi_harness.RecordingMonitor.RegisterResource

    def spy(self: pulumi_harness.RecordingMonitor, request: object) -> object:
        registered.append(getattr(request, "type", ""))
        return original(self, request)

    pulumi_harness.RecordingMonitor.RegisterResource = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(ConfigError):
            run_stack("minikube", {"chat-platform:backendReplicas": "-3"})
    finally:
        pulumi_harness.RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    assert [t for t in registered if t != "pulumi:pulumi:Stack"] == []


def test_every_key_read_is_declared_in_pulumi_yaml() -> None:
    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    sources = "\n".join(p.read_text() for p in (ROOT / "components").rglob("*.py"))
    read = set(re.findall(r'read\.\w+\(\s*"([A-Za-z]+)"', sources))
    assert read, "no config reads found"
    assert read <= declared, f"read but not declared in Pulumi.yaml: {sorted(read - declared)}"


def test_minikube_path_never_imports_pulumi_aws() -> None:
    probe = (
        "import sys; from pulumi_harness import run_program; run_program('minikube'); "
        "print('pulumi_aws' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_every_declared_key_has_a_type_a_description_and_a_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, spec in declared.items():
        assert {"type", "description", "default"} <= set(spec), f"chat-platform:{key} in Pulumi.yaml: {spec}"
        assert spec["type"] in ("string", "integer", "boolean", "array"), key
        assert len(spec["description"].split()) >= 3, f"chat-platform:{key} needs a real description"


def test_pulumi_yaml_defaults_are_the_loaders_defaults() -> None:
    """A key left unset behaves exactly as its documented default says: the CLI applies the
    Pulumi.yaml default, the loader has its own for runs without one; they must agree."""
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    documented = {
        f"{PROJECT}:{key}": str(spec["default"])
        for key, spec in declared.items()
        if not key.startswith("aws")
    }
    mocked("unit", documented)
    from_pulumi_yaml = load()
    mocked("unit", {})
    assert load() == from_pulumi_yaml


def _cli_accepts(type_name: str, items: dict[str, Any] | None, value: Any) -> bool:
    """The Pulumi CLI's check of a stack value against its declared type, run before the
    program starts (sdk/go/common/workspace: ValidateConfigValue)."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        return isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value) is not None
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return (
        isinstance(value, list)
        and items is not None
        and all(_cli_accepts(items["type"], items.get("items"), item) for item in value)
    )


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_pass_the_cli_s_own_config_checks(stack: str) -> None:
    """`pulumi up` refuses a stack file whose project keys are undeclared or of the wrong type,
    and a project whose typed default does not match its type; no CLI here, so mirror it."""
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, spec in declared.items():
        assert spec["type"] != "array" or "items" in spec, f"{key}: an array needs `items`"
        assert _cli_accepts(spec["type"], spec.get("items"), spec["default"]), (
            f"{key}: default {spec['default']!r}"
        )
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    for full_key, value in values.items():
        namespace, key = full_key.split(":", 1)
        if namespace != "chat-platform":
            continue
        assert key in declared, f"Pulumi.{stack}.yaml sets {full_key}, which Pulumi.yaml does not declare"
        spec = declared[key]
        assert _cli_accepts(spec["type"], spec.get("items"), value), (
            f"Pulumi.{stack}.yaml: {full_key}={value!r} is not of type {spec['type']}"
        )
