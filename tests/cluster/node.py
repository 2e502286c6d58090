"""What really runs on the test node, read from the node itself rather than from the API: every
container of a namespace as runc holds it (its pod, its process's user, capabilities and root
mount), and whether the NetworkPolicy enforcer lets a pod reach a Service."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cluster.kube import Kubectl


@dataclass(frozen=True)
class Container:
    pod: str
    name: str
    uid: int
    gid: int
    cap_eff: int  # the process's effective capabilities, as a bit mask
    root_read_only: bool


def _status_fields(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _root_read_only(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return "ro" in fields[5].split(",")
    raise AssertionError(f"process {pid} has no root mount")


def containers(runc_root: Path, namespace: str) -> list[Container]:
    """The app containers (not the pause sandboxes) of `namespace`'s pods, running now."""
    listing = subprocess.run(
        ["runc", "--root", str(runc_root / "k8s.io"), "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for entry in json.loads(listing.stdout or "[]") or []:
        if entry["status"] != "running":
            continue
        spec: dict[str, Any] = json.loads((Path(entry["bundle"]) / "config.json").read_text())
        notes = spec.get("annotations", {})
        if notes.get("io.kubernetes.cri.container-type") != "container":
            continue
        if notes.get("io.kubernetes.cri.sandbox-namespace") != namespace:
            continue
        status = _status_fields(entry["pid"])
        found.append(
            Container(
                pod=notes["io.kubernetes.cri.sandbox-name"],
                name=notes["io.kubernetes.cri.container-name"],
                uid=int(status["Uid"].split()[1]),
                gid=int(status["Gid"].split()[1]),
                cap_eff=int(status["CapEff"], 16),
                root_read_only=_root_read_only(entry["pid"]),
            )
        )
    return found


def check_hardened(runc_root: Path, namespace: str, expected_uids: dict[str, int]) -> str:
    """Every running container of the namespace is the non-root user its workload names, with no
    capabilities and a read-only root; every workload prefix in `expected_uids` is seen."""
    seen = containers(runc_root, namespace)
    assert seen, f"no containers of {namespace} run on the node"
    for container in seen:
        prefix = next((p for p in expected_uids if container.pod.startswith(p)), None)
        assert prefix is not None, f"unexpected pod {container.pod}"
        assert container.uid == expected_uids[prefix], f"{container.pod}: uid {container.uid}"
        assert container.uid != 0, container
        assert container.gid != 0, container
        assert container.cap_eff == 0, f"{container.pod}: capabilities {container.cap_eff:#x}"
        assert container.root_read_only, f"{container.pod}: root filesystem is writable"
    missing = set(expected_uids) - {p for p in expected_uids for c in seen if c.pod.startswith(p)}
    assert not missing, f"no running container for {missing}"
    uids = ", ".join(f"{p.removeprefix('chat-')} {u}" for p, u in sorted(expected_uids.items()))
    return f"{len(seen)} containers non-root ({uids}), no capabilities, read-only root"


# Connects once a second for WINDOW seconds (the enforcer admits a new pod's address within a
# few seconds of its start): exits 3 at the first accepted connection, 0 when every attempt was
# refused or timed out, 2 when the name does not resolve (DNS, not the policy, would be tested).
PROBE_WINDOW = 20
PROBE = """
import socket, sys, time
host, port, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    address = socket.gethostbyname(host)
except OSError as error:
    print("unresolved:", error)
    sys.exit(2)
end = time.monotonic() + window
while time.monotonic() < end:
    try:
        socket.create_connection((address, port), timeout=2).close()
        print("connected")
        sys.exit(3)
    except OSError as error:
        print("blocked:", error)
        time.sleep(1)
sys.exit(0)
"""


def probe_connects(kubectl: Kubectl, namespace: str, image: str, labels: dict[str, str], target: str) -> bool:
    """Whether a pod carrying `labels` (and the restricted security profile) can open a TCP
    connection to `target` (host:port)."""
    host, port = target.rsplit(":", 1)
    name = f"probe-{int(time.monotonic() * 1000) % 100000}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "probe",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python", "-c", PROBE, host, port, str(PROBE_WINDOW)],
                    "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }
    kubectl.run("apply", "-f", "-", stdin=json.dumps(pod))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = kubectl.get("pod", name, "-n", namespace)["status"]
            for container in status.get("containerStatuses", []):
                terminated = container.get("state", {}).get("terminated")
                if terminated:
                    code = terminated["exitCode"]
                    assert code in (0, 3), f"probe could not run (exit {code}): {terminated}"
                    return bool(code == 3)
            time.sleep(1)
        raise TimeoutError(f"probe pod {name} did not finish: {status}")
    finally:
        kubectl.run("delete", "pod", name, "-n", namespace, "--wait=false", check=False)
