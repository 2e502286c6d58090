"""Container guardrails on every pod-bearing kind, with compliant and offending inputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from guardrails import workloads
from guardrails.props import Rule

GOOD_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "registry.example.com:5000/team/app:1.4.2",
    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
}


def pod(container: dict[str, Any], pod_context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"containers": [container], "securityContext": pod_context or {}}


def wrap(kind: str, pod_spec: dict[str, Any]) -> dict[str, Any]:
    """The resource inputs for `kind` with `pod_spec` where that kind keeps it."""
    props: dict[str, Any] = {"metadata": {"name": "x"}}
    node = props
    keys = workloads.POD_SPEC_PATHS[kind]
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = pod_spec
    return props


KINDS = sorted(workloads.POD_SPEC_PATHS)
CHECKS = [workloads.resources_set, workloads.non_root, workloads.pinned_images]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_compliant_pod_passes_on_every_kind(kind: str, check: Rule) -> None:
    assert check(kind, wrap(kind, pod(GOOD_CONTAINER))) == []


@pytest.mark.parametrize("kind", KINDS)
def test_offending_container_fails_on_every_kind(kind: str) -> None:
    bad = {"name": "bad", "image": "nginx"}
    props = wrap(kind, pod(bad))
    assert workloads.resources_set(kind, props)
    assert workloads.non_root(kind, props)
    assert workloads.pinned_images(kind, props) == [
        "container 'bad' image 'nginx' has no tag (means :latest)"
    ]


def test_other_kinds_are_not_inspected() -> None:
    assert workloads.resources_set("kubernetes:core/v1:ConfigMap", {"data": {"a": "b"}}) == []


def test_missing_limits_named() -> None:
    container = copy.deepcopy(GOOD_CONTAINER)
    del container["resources"]["limits"]["memory"]
    kind = "kubernetes:apps/v1:Deployment"
    assert workloads.resources_set(kind, wrap(kind, pod(container))) == [
        "container 'app' has no resources.limits for memory"
    ]


def test_init_containers_are_checked_too() -> None:
    spec = pod(GOOD_CONTAINER)
    spec["initContainers"] = [{"name": "migrate", "image": "tool:latest"}]
    kind = "kubernetes:batch/v1:Job"
    assert workloads.pinned_images(kind, wrap(kind, spec)) == [
        "container 'migrate' image 'tool:latest' uses the mutable :latest tag"
    ]
    assert "migrate" in workloads.resources_set(kind, wrap(kind, spec))[0]


@pytest.mark.parametrize(
    ("container_context", "pod_context", "ok"),
    [
        ({}, {"runAsNonRoot": True}, True),  # inherited from the pod
        ({}, {"runAsUser": 1000}, True),
        ({"runAsUser": 1000}, {}, True),
        ({}, {}, False),  # the image decides: may be root
        ({"runAsUser": 0}, {"runAsNonRoot": True}, False),  # the container's root overrides the pod
        ({"runAsNonRoot": True}, {"runAsUser": 0}, False),  # the pod's root user still applies
        ({"runAsUser": 1000}, {"runAsUser": 0}, True),  # ...unless the container overrides it
        ({"runAsNonRoot": False}, {"runAsUser": 1000}, True),  # not enforced, but runs as 1000
        ({"runAsNonRoot": False}, {}, False),
        ({}, {"runAsUser": 0}, False),
    ],
)
def test_non_root(container_context: dict[str, Any], pod_context: dict[str, Any], ok: bool) -> None:
    container = {**GOOD_CONTAINER, "securityContext": container_context}
    kind = "kubernetes:apps/v1:StatefulSet"
    assert (workloads.non_root(kind, wrap(kind, pod(container, pod_context))) == []) is ok


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("redis:7.4.2-alpine", None),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/chat@sha256:" + "0" * 64, None),
        ("localhost:5000/chat:1.0", None),
        ("redis", "has no tag (means :latest)"),
        ("localhost:5000/chat", "has no tag (means :latest)"),
        ("redis:latest", "uses the mutable :latest tag"),
        ("ghcr.io/org/app:latest", "uses the mutable :latest tag"),
    ],
)
def test_image_references(image: str, problem: str | None) -> None:
    assert workloads.image_problem(image) == problem
