"""`make test-cluster`: build the engine and the control plane (cached), start a cluster on
127.0.0.1, then run the real program through the real Pulumi CLI — preview, up (everything
Ready), a second up that must change nothing, a config change that must update in place,
destroy (nothing left) — and a server-side dry-run of the aws stack's objects. Prints one
summary line; exits non-zero on any failure; stops everything it started."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from checkout import ROOT

from tests.cluster.kube import Kubectl, check_ready, dry_run_aws_objects
from tests.cluster.pulumi_cli import PulumiRun

ENGINE = ROOT / "scripts" / "engine"
NAMESPACE = "chat"
# Images are never pulled: KWOK's nodes fake the containers.
PREBUILT = {
    "chat-platform:backendImage": "chat-backend:kwok",
    "chat-platform:frontendImage": "chat-frontend:kwok",
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


def build_engine() -> Path:
    out = subprocess.run(["bash", str(ENGINE / "build.sh")], stdout=subprocess.PIPE, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def start_cluster(engine_bin: Path, workdir: Path) -> tuple[Path, str]:
    out = subprocess.run(
        ["bash", str(ENGINE / "cluster.sh"), "up", str(workdir)],
        env={"ENGINE_BIN": str(engine_bin), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return Path(values["KUBECONFIG"]), values["KUBECONTEXT"]


def lifecycle(steps: Steps, engine_bin: Path, workdir: Path) -> None:
    try:
        with steps.step("cluster") as result:
            kubeconfig, context = start_cluster(engine_bin, workdir / "cluster")
            result.append(f"context {context} on 127.0.0.1")
        run_program_against(steps, engine_bin, workdir, kubeconfig, context)
    finally:
        subprocess.run(["bash", str(ENGINE / "cluster.sh"), "down", str(workdir / "cluster")], check=False)


def run_program_against(
    steps: Steps, engine_bin: Path, workdir: Path, kubeconfig: Path, context: str
) -> None:
    kubectl = Kubectl(engine_bin, kubeconfig, context)
    pulumi = PulumiRun(workdir, engine_bin, kubeconfig, {"chat-platform:kubeContext": context, **PREBUILT})
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


def main() -> int:
    steps = Steps()
    try:
        with steps.step("build") as result:
            engine_bin = build_engine()
            result.append(engine_bin.parent.name)
        with tempfile.TemporaryDirectory(prefix="chat-cluster-") as scratch:
            lifecycle(steps, engine_bin, Path(scratch))
    except Exception as error:
        print(f"test-cluster: FAILED: {error}", file=sys.stderr)
        print(steps.summary("FAILED"))
        return 1
    print(steps.summary("passed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
