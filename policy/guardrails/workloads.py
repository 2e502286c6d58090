"""Containers: requests and limits, non-root, pinned images — for every pod-bearing Kubernetes kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .props import Props, items, mapping, number, path

# Where each kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers")


def pod_spec(resource_type: str, props: Props) -> Props | None:
    """The pod spec of a pod-bearing kind, None for every other kind."""
    spec_path = POD_SPEC_PATHS.get(resource_type)
    return None if spec_path is None else mapping(path(props, *spec_path))


def containers(spec: Props | None) -> Iterator[Props]:
    """Init and app containers of a pod spec; nothing when there is no pod spec."""
    if spec is None:
        return
    for key in CONTAINER_LISTS:
        for container in items(spec.get(key)):
            yield mapping(container)


def _label(container: Props) -> str:
    return f"container {container.get('name', '<unnamed>')!r}"


def resources_set(resource_type: str, props: Props) -> list[str]:
    """Every container requests and limits cpu and memory (the scheduler and the autoscaler need both)."""
    violations = []
    for container in containers(pod_spec(resource_type, props)):
        resources = mapping(container.get("resources"))
        for kind in ("requests", "limits"):
            missing = [r for r in ("cpu", "memory") if not mapping(resources.get(kind)).get(r)]
            if missing:
                violations.append(f"{_label(container)} has no resources.{kind} for {', '.join(missing)}")
    return violations


def _effective(field: str, container: Props, pod: Props) -> Any:
    """A security-context field as Kubernetes applies it: the container's value overrides the pod's."""
    value = container.get(field)
    return pod.get(field) if value is None else value


def non_root(resource_type: str, props: Props) -> list[str]:
    """Every container runs as non-root: its effective runAsUser is > 0, or, with no runAsUser,
    runAsNonRoot is true (the kubelet then refuses an image whose user is root)."""
    spec = pod_spec(resource_type, props)
    pod_context = mapping(path(spec or {}, "securityContext"))
    violations = []
    for container in containers(spec):
        context = mapping(container.get("securityContext"))
        user = _effective("runAsUser", context, pod_context)
        enforced = _effective("runAsNonRoot", context, pod_context) is True
        if not ((number(user) or 0) > 0 if user is not None else enforced):
            violations.append(
                f"{_label(container)} may run as root: set securityContext.runAsNonRoot: true "
                "and a runAsUser > 0"
            )
    return violations


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None: digests and explicit tags other than `latest` pass."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]  # a registry host:port is not a tag
    if ":" not in last:
        return "has no tag (means :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the mutable :latest tag"
    return None


def pinned_images(resource_type: str, props: Props) -> list[str]:
    """No `:latest` and no untagged image: a redeploy must run what was reviewed."""
    violations = []
    for container in containers(pod_spec(resource_type, props)):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            violations.append(f"{_label(container)} has no image")
            continue
        problem = image_problem(image)
        if problem:
            violations.append(f"{_label(container)} image {image!r} {problem}")
    return violations
