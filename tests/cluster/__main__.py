"""`make test-cluster`: build the engine, the control plane, the node and the images (each
cached), start a cluster with one real node in a network namespace of its own, then run the real
program through the real Pulumi CLI with the real images — preview, up (every pod Ready by its
probes, as the non-root user it names, read-only), chat through the ingress from Python clients
and a browser, NetworkPolicies enforced, a Redis pod and a backend pod deleted mid-conversation
with nothing lost, a second up that must change nothing, a config change that must update in
place, destroy (nothing left) — and a server-side dry-run of the aws stack's objects. Prints one
summary line; exits non-zero on any failure; stops everything it started."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkout import ROOT

from components.database import POSTGRES_PORT
from components.k8s import backend, frontend, postgres, redis
from components.k8s.workload import labels_for
from components.redis_port import REDIS_PORT
from tests.cluster import aws_routes, node, traffic
from tests.cluster.kube import Kubectl, check_ready, dry_run_aws_objects
from tests.cluster.pulumi_cli import PulumiRun

ENGINE = ROOT / "scripts" / "engine"
NAMESPACE = "chat"
HOST = "chat.local"  # Pulumi.minikube.yaml's host: what the Ingress answers for
# The user each workload's containers must run as: the one the stack names.
UIDS = {
    "chat-backend-": backend.UID,
    "chat-frontend-": frontend.UID,
    "redis-": redis.REDIS_UID,
    "postgres-": postgres.POSTGRES_UID,
}


class Steps:
    """Named, timed steps; the first failure stops the run."""

    def __init__(self) -> None:
        self.done: list[str] = []

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Yields a list the step appends its one-line result to."""
        started = time.monotonic()
        print(f"test-cluster: {name}...", file=sys.stderr, flush=True)
        result: list[str] = []
        yield result
        self.done.append(f"{name}: {' '.join(result)} ({time.monotonic() - started:.0f}s)")

    def summary(self, outcome: str) -> str:
        return "test-cluster: " + " | ".join([*self.done, outcome])


def ops(plan: dict[str, Any]) -> Counter[str]:
    return Counter(step["op"] for step in plan.get("steps", []) if step["op"] != "same")


def build(*target: str) -> Path:
    out = subprocess.run(
        ["bash", str(ENGINE / "build.sh"), *target], stdout=subprocess.PIPE, text=True, check=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Images:
    listing: Path  # "name=<ref> archive=<path>" lines, as images/build.sh prints them
    refs: list[str]

    def ref(self, repository: str) -> str:
        (found,) = (r for r in self.refs if r.rsplit(":", 1)[0].endswith(repository))
        return found


def build_images(workdir: Path) -> Images:
    out = subprocess.run(
        ["bash", str(ENGINE / "images" / "build.sh")], stdout=subprocess.PIPE, text=True, check=True
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("name=")]
    listing = workdir / "images.txt"
    listing.write_text("\n".join(lines) + "\n")
    return Images(listing, [line.split()[0].removeprefix("name=") for line in lines])


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    context: str
    ingress: str  # the node's address, where the ingress controller listens on port 80
    runc_root: Path


def start_cluster(engine_bin: Path, node_bin: Path, workdir: Path, images: Images) -> Cluster:
    out = subprocess.run(
        ["bash", str(ENGINE / "cluster.sh"), "up", str(workdir), str(images.listing)],
        env={
            **{k: v for k, v in os.environ.items() if k in ("HOME", "XDG_CACHE_HOME", "CHAT_PLATFORM_CACHE")},
            "ENGINE_BIN": str(engine_bin),
            "NODE_BIN": str(node_bin),
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        },
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return Cluster(
        Path(values["KUBECONFIG"]),
        values["KUBECONTEXT"],
        values["INGRESS"],
        workdir / "node" / "containerd" / "runc",
    )


def lifecycle(steps: Steps, engine_bin: Path, node_bin: Path, images: Images, workdir: Path) -> None:
    try:
        with steps.step("node") as result:
            cluster = start_cluster(engine_bin, node_bin, workdir / "cluster", images)
            result.append(
                f"kubelet + containerd + kube-proxy + kube-router, CoreDNS, ingress on {cluster.ingress}"
            )
        run_program_against(steps, engine_bin, workdir, cluster, images)
    finally:
        subprocess.run(["bash", str(ENGINE / "cluster.sh"), "down", str(workdir / "cluster")], check=False)


def run_program_against(
    steps: Steps, engine_bin: Path, workdir: Path, cluster: Cluster, images: Images
) -> None:
    kubectl = Kubectl(engine_bin, cluster.kubeconfig, cluster.context)
    config = {
        "chat-platform:kubeContext": cluster.context,
        "chat-platform:backendImage": images.ref("backend"),
        "chat-platform:frontendImage": images.ref("frontend"),
    }
    pulumi = PulumiRun(workdir, engine_bin, cluster.kubeconfig, config)
    pulumi.init()

    with steps.step("preview") as result:
        planned = pulumi.preview()["steps"]
        for step in planned:
            print(f"  {step['op']:>7} {step['urn'].split('::', 2)[2]}", file=sys.stderr)
        assert {step["op"] for step in planned} == {"create"}, Counter(step["op"] for step in planned)
        urns = {step["urn"] for step in planned}
        result.append(f"{len(urns)} to create")

    with steps.step("up") as result:
        pulumi.up()
        # The engine adds default providers of its own (e.g. random's); all else was planned.
        stored = {r["urn"] for r in pulumi.resources() if "::default" not in r["urn"]}
        assert stored == urns, f"planned but not stored: {urns - stored}, unplanned: {stored - urns}"
        result.append(f"{len(stored)} created, {check_ready(kubectl, NAMESPACE, backend_replicas=2)}")

    with steps.step("hardening") as result:
        result.append(node.check_hardened(cluster.runc_root, NAMESPACE, UIDS))

    run_app_checks(steps, kubectl, cluster, images)

    with steps.step("re-up") as result:
        changes = ops(pulumi.preview())
        assert not changes, f"a second run would change {dict(changes)}"
        pulumi.up("--expect-no-changes")
        result.append("no changes")

    with steps.step("update") as result:
        pulumi.config_set("chat-platform:backendReplicas", "3")
        plan = pulumi.preview()
        # Exactly one in-place update: a replacement would show as other ops or other resources.
        changed = {
            step["urn"].rsplit("::", 1)[1]: step["op"] for step in plan["steps"] if step["op"] != "same"
        }
        assert changed == {"chat-backend": "update"}, changed
        pulumi.up()
        ready = check_ready(kubectl, NAMESPACE, backend_replicas=3)
        result.append(f"backendReplicas 2→3 updated in place, {ready}")

    with steps.step("destroy") as result:
        pulumi.destroy()
        assert pulumi.resources() == [], "state still holds resources"
        assert not kubectl.namespace_exists(NAMESPACE), f"namespace {NAMESPACE} left behind"
        result.append(f"namespace {NAMESPACE} gone")

    with steps.step("aws") as result:
        result.append(f"{dry_run_aws_objects(kubectl)} aws objects accepted (server-side dry-run)")


def run_app_checks(steps: Steps, kubectl: Kubectl, cluster: Cluster, images: Images) -> None:
    """The chat as its users and its attackers meet it on the node."""
    base_url = f"http://{HOST}"
    with steps.step("ingress") as result, traffic.resolving(HOST, cluster.ingress):
        result.append(asyncio.run(traffic.exchange(base_url)))
        result.append("+ " + traffic.browser_exchange(base_url, HOST, cluster.ingress) + " chatted live")

    with steps.step("netpol") as result:
        stranger = {"app.kubernetes.io/name": "stranger"}
        backend_labels = labels_for("chat-backend")
        image = images.ref("backend")
        for store, target in (
            ("Redis", f"redis.{NAMESPACE}.svc.cluster.local:{REDIS_PORT}"),
            ("PostgreSQL", f"postgres.{NAMESPACE}.svc.cluster.local:{POSTGRES_PORT}"),
        ):
            assert not node.probe_connects(kubectl, NAMESPACE, image, stranger, target), (
                f"a pod without the backend's labels reached {store}"
            )
            assert node.probe_connects(kubectl, NAMESPACE, image, backend_labels, target), (
                f"a pod with the backend's labels could not reach {store}"
            )
        # The name resolves (DNS is allowed), the connection does not go through (egress).
        elsewhere = f"chat-frontend.{NAMESPACE}.svc.cluster.local:{frontend.PORT}"
        assert not node.probe_connects(kubectl, NAMESPACE, image, backend_labels, elsewhere), (
            "a pod with the backend's labels reached the frontend: its egress is not fenced"
        )
        result.append(
            "Redis and PostgreSQL refused a pod without the backend's labels, admitted one with them; "
            "the backend's egress reached DNS and the stores, not the frontend"
        )

    def ready_pods(selector: str) -> dict[str, str]:
        """uid -> name of the selector's Ready pods (a StatefulSet's replacement keeps the name)."""
        pods = kubectl.get("pods", "-n", NAMESPACE, "-l", selector)["items"]
        ready = {"type": "Ready", "status": "True"}
        return {
            pod["metadata"]["uid"]: pod["metadata"]["name"]
            for pod in pods
            if any(ready.items() <= c.items() for c in pod["status"].get("conditions", []))
        }

    def replace_pod(selector: str) -> Any:
        """One of the selector's pods deleted; over once as many are Ready again, it not among them."""

        async def fault() -> None:
            before = ready_pods(selector)
            gone = min(before)
            await asyncio.to_thread(kubectl.run, "delete", "pod", "-n", NAMESPACE, before[gone])
            deadline = time.monotonic() + 240
            while gone in (now := await asyncio.to_thread(ready_pods, selector)) or len(now) < len(before):
                assert time.monotonic() < deadline, f"{selector}: {sorted(now.values())} Ready 240 s on"
                await asyncio.sleep(1)

        return fault

    async def roll_backend() -> None:
        """What a release does: every backend pod replaced, one by one, until the rollout is done."""
        name = "deployment/chat-backend"
        await asyncio.to_thread(kubectl.run, "rollout", "restart", "-n", NAMESPACE, name)
        await asyncio.to_thread(kubectl.run, "rollout", "status", "-n", NAMESPACE, name, "--timeout=240s")

    with steps.step("aws routes") as result:
        result.append(aws_routes.check_routes(kubectl, NAMESPACE, cluster.ingress))

    with traffic.resolving(HOST, cluster.ingress):
        talkers = asyncio.run(traffic.talkers(base_url))

    def talk_through(step: str, fault: Any, resumed_at_least: int = 0) -> None:
        with steps.step(step) as result, traffic.resolving(HOST, cluster.ingress):
            figures = asyncio.run(traffic.survives(base_url, talkers, fault))
            result.append(
                f"{figures['acked']} acked, {figures['acked_lost']} lost, "
                f"{figures['stored_twice']} duplicated, {figures['reconnects']} resumed"
            )
            assert figures["reconnects"] >= resumed_at_least, figures
            assert check_ready(kubectl, NAMESPACE, backend_replicas=2)

    talk_through("redis restart", replace_pod("app.kubernetes.io/name=redis"))
    # The ingress spreads the six sockets over both pods: those on the deleted one resume.
    talk_through("backend restart", replace_pod("app.kubernetes.io/name=chat-backend"), resumed_at_least=1)
    # Every client's socket is on a pod the rollout replaces: each one resumes with `since`.
    talk_through("backend rollout", roll_backend, resumed_at_least=traffic.PEERS)


def main() -> int:
    steps = Steps()
    started = time.monotonic()
    try:
        with steps.step("build") as result:
            engine_bin = build()
            node_bin = build("node")
            result.append(f"{engine_bin.parent.name}, {node_bin.parent.name}")
        with tempfile.TemporaryDirectory(prefix="chat-cluster-") as scratch:
            with steps.step("images") as result:
                images = build_images(Path(scratch))
                result.append(", ".join(images.refs))
            lifecycle(steps, engine_bin, node_bin, images, Path(scratch))
    except Exception as error:
        traceback.print_exc()
        print(f"test-cluster: FAILED: {error}", file=sys.stderr)
        print(steps.summary("FAILED"))
        return 1
    print(steps.summary(f"passed in {time.monotonic() - started:.0f}s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
