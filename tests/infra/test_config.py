"""Bad configuration values fail with a message naming the key, before any resource exists."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from components.config import ConfigError
from tests.infra.harness import ROOT, StackRun


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("platform", "gcp", "must be one of minikube, aws"),
        ("backendReplicas", "-1", "must be between 1 and 50"),
        ("backendReplicas", "two", "must be a whole number"),
        ("frontendReplicas", "0", "must be between 1 and 50"),
        ("redisStorageSize", "lots", "must be a size like 1Gi"),
        ("redisStorageSize", "10GB", "must be a size like 1Gi"),
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
    from tests.infra import harness

    registered: list[str] = []
    original = harness.RecordingMonitor.RegisterResource

    def spy(self: harness.RecordingMonitor, request: object) -> object:
        registered.append(getattr(request, "type", ""))
        return original(self, request)

    harness.RecordingMonitor.RegisterResource = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(ConfigError):
            run_stack("minikube", {"chat-platform:backendReplicas": "-3"})
    finally:
        harness.RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    assert [t for t in registered if t != "pulumi:pulumi:Stack"] == []


def test_every_key_read_is_declared_in_pulumi_yaml() -> None:
    import re

    import yaml

    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    sources = "\n".join(p.read_text() for p in (ROOT / "components").rglob("*.py"))
    read = set(re.findall(r'read\.\w+\(\s*"([A-Za-z]+)"', sources))
    assert read, "no config reads found"
    assert read <= declared, f"read but not declared in Pulumi.yaml: {sorted(read - declared)}"


def test_minikube_path_never_imports_pulumi_aws() -> None:
    probe = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.infra.harness import run_program; "
        "run_program('minikube'); print('pulumi_aws' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
