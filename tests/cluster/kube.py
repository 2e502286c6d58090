"""kubectl against the test cluster: readiness checks, leftovers, and a server-side dry-run of
every built-in object the aws stack renders under Pulumi's mocks."""

from __future__ import annotations

import asyncio
import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from pulumi_harness import StackRun, run_program


class Kubectl:
    def __init__(self, engine_bin: Path, kubeconfig: Path, context: str):
        self.base = [str(engine_bin / "kubectl"), "--kubeconfig", str(kubeconfig), "--context", context]

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.base, *args], input=stdin, capture_output=True, text=True, timeout=300, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def get(self, *args: str) -> dict[str, Any]:
        return json.loads(self.run("get", *args, "-o", "json").stdout)  # type: ignore[no-any-return]

    def namespace_exists(self, name: str) -> bool:
        return self.run("get", "namespace", name, check=False).returncode == 0


def check_ready(kubectl: Kubectl, namespace: str, backend_replicas: int) -> str:
    """Every Deployment and StatefulSet (Redis, PostgreSQL) really Ready, their volumes bound, the
    Ingress served."""
    deployments = {d["metadata"]["name"]: d for d in kubectl.get("deployments", "-n", namespace)["items"]}
    assert set(deployments) == {"chat-backend", "chat-frontend"}, set(deployments)
    for name, deployment in deployments.items():
        wanted = deployment["spec"]["replicas"]
        ready = deployment["status"].get("readyReplicas", 0)
        assert ready == wanted, f"{name}: {ready} of {wanted} ready"
    assert deployments["chat-backend"]["spec"]["replicas"] == backend_replicas
    stores = {s["metadata"]["name"]: s for s in kubectl.get("statefulsets", "-n", namespace)["items"]}
    assert set(stores) == {"redis", "postgres"}, set(stores)
    for name, store in stores.items():
        assert store["status"].get("readyReplicas") == 1, (name, store["status"])
    claims = kubectl.get("pvc", "-n", namespace)["items"]
    assert len(claims) == len(stores), [c["metadata"]["name"] for c in claims]
    for claim in claims:
        assert claim["status"]["phase"] == "Bound", (claim["metadata"]["name"], claim["status"])
    (ingress,) = kubectl.get("ingress", "-n", namespace)["items"]
    assert ingress["status"]["loadBalancer"]["ingress"], ingress["status"]
    ready = sum(d["status"]["readyReplicas"] for d in deployments.values()) + len(stores)
    return f"{ready} pods Ready, {len(claims)} PVCs Bound"


@functools.cache
def render_aws() -> StackRun:
    """The aws stack under Pulumi's mocks, rendered once per run (its routes and its dry-run both
    read it). The mocks run on the thread's default event loop, which an earlier asyncio.run()
    (the chat checks) leaves closed: give them a fresh one."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    return run_program("aws")


def dry_run_aws_objects(kubectl: Kubectl) -> int:
    """Apply the aws stack's built-in objects with --dry-run=server; its namespaces are created
    for real first (a namespaced object needs its namespace) and deleted afterwards."""
    objects = list(render_aws().kubernetes_objects())
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    rest = [o for o in objects if o["kind"] != "Namespace"]
    assert namespaces
    assert rest
    kubectl.run("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump_all(namespaces))
    try:
        kubectl.run(
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager=pulumi",
            # The node's Traefik CRDs are already there (applied by another manager).
            "--force-conflicts",
            "-f",
            "-",
            stdin=yaml.safe_dump_all(rest),
        )
    finally:
        for namespace in namespaces:
            kubectl.run("delete", "namespace", namespace["metadata"]["name"], "--wait=true", "--timeout=120s")
    return len(objects)
