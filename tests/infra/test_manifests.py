"""Every built-in Kubernetes object the program would create is valid against the
Kubernetes OpenAPI schema (strict), and checkov finds nothing in the manifests or the
Dockerfiles beyond the reviewed skips in checkov_skips.yaml."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from checkout import ROOT
from pulumi_harness import StackRun, stack_config

from tests.infra.conftest import STACKS, stack_run

# The aws stack's EKS version; minikube runs a recent one too.
KUBERNETES_VERSION = stack_config("aws")["chat-platform:awsKubernetesVersion"] + ".0"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
SKIPS_FILE = Path(__file__).with_name("checkov_skips.yaml")


def test_objects_validate_against_the_kubernetes_schema(any_stack: StackRun) -> None:
    objects = list(any_stack.kubernetes_objects())
    assert len(objects) >= 10
    for manifest in objects:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(
                f"{manifest['kind']} {manifest['metadata'].get('name')}: "
                f"{error.message} at {list(error.path)}"
            )


def _pod_specs(run: StackRun) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{m['kind']} {m['metadata']['name']}", m["spec"]["template"]["spec"])
        for m in run.kubernetes_objects()
        if m["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
    ]


def test_no_mount_is_nested_inside_a_read_only_volume(any_stack: StackRun) -> None:
    """The schema allows it, but the kubelet cannot create a mount point inside a ConfigMap,
    Secret or projected volume (they are mounted read-only): the pod would never start."""
    pods = _pod_specs(any_stack)
    assert pods
    for workload, pod in pods:
        read_only_kinds = {
            v["name"] for v in pod.get("volumes", []) if {"configMap", "secret", "projected"} & set(v)
        }
        for container in pod["containers"]:
            mounts = container.get("volumeMounts", [])
            for outer in (m for m in mounts if m["name"] in read_only_kinds):
                for inner in mounts:
                    assert not inner["mountPath"].startswith(outer["mountPath"].rstrip("/") + "/"), (
                        f"{workload}: {inner['mountPath']} is inside the {outer['name']} volume"
                    )


def test_a_schema_violation_is_caught() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "not-a-number"}], "typo": True},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def _skips() -> dict[str, str]:
    entries = yaml.safe_load(SKIPS_FILE.read_text()) or []
    return {entry["id"]: entry["reason"] for entry in entries}


def test_every_checkov_skip_gives_a_reason() -> None:
    for check, reason in _skips().items():
        assert len(reason.split()) >= 6, f"{check}: the skip needs a real reason"


def _checkov(args: list[str], skip: bool = True) -> list[dict[str, object]]:
    if not CHECKOV.exists():
        pytest.fail("checkov is missing: run `make test-infra` (it builds .tools/checkov)")
    result = subprocess.run(
        [
            str(CHECKOV),
            *args,
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
            *(["--skip-check", ",".join(_skips())] if skip else []),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed: list[dict[str, object]] = []
    for report in reports:
        if isinstance(report, dict) and "results" in report:
            failed.extend(report["results"]["failed_checks"])
            assert report["summary"]["passed"] > 0
    return failed


def test_checkov_passes_on_the_rendered_manifests(any_stack: StackRun, tmp_path: Path) -> None:
    for index, manifest in enumerate(any_stack.kubernetes_objects()):
        (tmp_path / f"{index:03d}-{manifest['kind'].lower()}.yaml").write_text(yaml.safe_dump(manifest))
    failed = _checkov(["-d", str(tmp_path), "--framework", "kubernetes"])
    assert not failed, [(f["check_id"], f["check_name"], f["resource"]) for f in failed]


def test_checkov_passes_on_the_dockerfiles() -> None:
    dockerfiles = sorted(ROOT.glob("services/*/Dockerfile"))
    assert dockerfiles
    args = [a for path in dockerfiles for a in ("-f", str(path))]
    failed = _checkov([*args, "--framework", "dockerfile"])
    assert not failed, [(f["check_id"], f["check_name"], f["file_path"]) for f in failed]


def test_every_checkov_skip_is_still_needed(tmp_path: Path) -> None:
    """A skip whose check passes everywhere is stale: drop it so the check guards again."""
    for stack in STACKS:
        for index, manifest in enumerate(stack_run(stack).kubernetes_objects()):
            (tmp_path / f"{stack}-{index:03d}.yaml").write_text(yaml.safe_dump(manifest))
    failing = {
        str(f["check_id"]) for f in _checkov(["-d", str(tmp_path), "--framework", "kubernetes"], skip=False)
    }
    dockerfiles = [a for path in sorted(ROOT.glob("services/*/Dockerfile")) for a in ("-f", str(path))]
    failing |= {str(f["check_id"]) for f in _checkov([*dockerfiles, "--framework", "dockerfile"], skip=False)}
    assert set(_skips()) <= failing, f"skipped but passing everywhere: {sorted(set(_skips()) - failing)}"
