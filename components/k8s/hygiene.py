"""Pod and container settings every workload of the chat gets: non-root, no privilege
escalation, no capabilities, read-only root filesystem, RuntimeDefault seccomp."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resources:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str

    @property
    def memory_limit_mib(self) -> int:
        """The memory limit in MiB (written as <n>Mi or <n>Gi)."""
        for suffix, mib in (("Mi", 1), ("Gi", 1024)):
            if self.memory_limit.endswith(suffix):
                return int(self.memory_limit.removesuffix(suffix)) * mib
        raise ValueError(f"memory limit {self.memory_limit!r}: write it in Mi or Gi")

    def spec(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


def pod_security(uid: int) -> dict[str, Any]:
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "fs_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def container_security(uid: int) -> dict[str, Any]:
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "allow_privilege_escalation": False,
        "read_only_root_filesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def http_probe(path: str, port: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "http_get": {"path": path, "port": port},
        "period_seconds": period,
        "timeout_seconds": 2,
        "failure_threshold": failures,
    }
