"""The real __main__.py with Pulumi.minikube.yaml, checked as a whole graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi_harness import Registered, StackRun

from components.database import POSTGRES_PORT
from components.redis_port import REDIS_PORT

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"


def _pod(resource: Registered) -> dict:  # type: ignore[type-arg]
    return resource.inputs["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def _env(container: dict) -> dict:  # type: ignore[type-arg]
    return {e["name"]: e for e in container["env"]}


def test_outputs(minikube: StackRun) -> None:
    assert minikube.outputs == {
        "url": "http://chat.local",
        "namespace": "chat",
        "hostsLine": "$(minikube ip) chat.local",
    }


def test_every_kubernetes_resource_uses_the_minikube_provider(minikube: StackRun) -> None:
    provider = minikube.one("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "minikube"
    for resource in minikube.resources:
        if resource.type.startswith("kubernetes:"):
            assert resource.provider.startswith(provider.urn), resource.name


def test_components_own_their_children(minikube: StackRun) -> None:
    components = {r.name: r for r in minikube.resources if r.type.startswith("chat-platform:")}
    assert set(components) == {
        *("backend", "frontend", "redis", "postgres", "chat-backend", "chat-frontend", "chat")
    }
    backend_children = {(r.type, r.name) for r in minikube.children_of(components["chat-backend"])}
    assert backend_children == {
        ("random:index/randomPassword:RandomPassword", "chat-backend-session-secret"),
        ("random:index/randomPassword:RandomPassword", "chat-backend-metrics-token"),
        (SECRET, "chat-backend-session"),
        (DEPLOYMENT, "chat-backend"),
        (SERVICE, "chat-backend"),
        ("kubernetes:policy/v1:PodDisruptionBudget", "chat-backend"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-backend"),
    }
    redis_children = {r.type for r in minikube.children_of(components["redis"])}
    assert STATEFULSET in redis_children
    assert "kubernetes:networking.k8s.io/v1:NetworkPolicy" in redis_children


def test_backend_is_wired_to_redis_and_the_host(minikube: StackRun) -> None:
    backend = minikube.one(DEPLOYMENT, "chat-backend")
    (container,) = _pod(backend)["containers"]
    env = _env(container)
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "redis-url", "key": "REDIS_URL"}
    assert env["SESSION_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "chat-backend-session"
    assert env["METRICS_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "chat-backend-session",
        "key": "METRICS_TOKEN",
    }
    assert env["ALLOWED_ORIGINS"]["value"] == "http://chat.local"
    assert env["WEB_CONCURRENCY"]["value"] == "2"
    assert env["HISTORY_LIMIT"]["value"] == "1000"
    redis_url = minikube.one(SECRET, "redis-url").inputs["stringData"]["REDIS_URL"]
    assert redis_url.startswith("redis://:")
    assert redis_url.endswith(f"@redis.chat.svc.cluster.local:{REDIS_PORT}/0")


def test_backend_rolls_safely_and_probes_the_right_paths(minikube: StackRun) -> None:
    spec = minikube.one(DEPLOYMENT, "chat-backend").inputs["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (container,) = spec["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/healthz"
    assert container["ports"][0]["containerPort"] == 8000
    # The image tag is a hash of the build context, and it is in the pod template.
    image = container["image"]
    assert image.startswith("chat-backend:")
    assert len(image.split(":")[1]) == 16
    assert spec["template"]["metadata"]["annotations"]["chat-platform/image"] == image
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}


def test_workloads_are_non_root_read_only_and_bounded(minikube: StackRun) -> None:
    for resource in minikube.of_type(DEPLOYMENT) + minikube.of_type(STATEFULSET):
        pod = _pod(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True
            assert security["runAsUser"] > 0
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}
            assert ":" in container["image"]
            assert not container["image"].endswith(":latest")


def test_services_are_cluster_internal(minikube: StackRun) -> None:
    for service in minikube.of_type(SERVICE):
        assert service.inputs["spec"]["type"] == "ClusterIP", service.name


def test_ingress_routes_api_to_backend_and_the_rest_to_frontend(minikube: StackRun) -> None:
    ingress = minikube.one("kubernetes:networking.k8s.io/v1:Ingress")
    spec = ingress.inputs["spec"]
    assert spec["ingressClassName"] == "nginx"
    (rule,) = spec["rules"]
    assert rule["host"] == "chat.local"
    routes = {p["path"]: p["backend"]["service"] for p in rule["http"]["paths"]}
    assert routes == {
        "/api": {"name": "chat-backend", "port": {"number": 8000}},
        "/": {"name": "chat-frontend", "port": {"number": 8080}},
    }
    annotations = ingress.inputs["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_app_pods_admit_only_the_ingress_controller(minikube: StackRun) -> None:
    for name, port in (("chat-backend", 8000), ("chat-frontend", 8080)):
        policy = minikube.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", name)
        (rule,) = policy.inputs["spec"]["ingress"]
        # The controller's pods only, not every pod of its namespace (e.g. the admission jobs).
        assert rule["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "ingress-nginx",
                        "app.kubernetes.io/component": "controller",
                    }
                },
            }
        ]
        assert rule["ports"] == [{"protocol": "TCP", "port": port}]


DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def test_app_pods_reach_only_dns_and_their_store(minikube: StackRun) -> None:
    """The backend reaches the cluster DNS, Redis's pod and PostgreSQL's, nothing else; the
    frontend nothing."""
    backend = minikube.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-backend").inputs["spec"]
    assert backend["policyTypes"] == ["Ingress", "Egress"]
    redis_labels = minikube.one("kubernetes:apps/v1:StatefulSet", "redis").inputs["spec"]["selector"]
    postgres_labels = minikube.one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["spec"]["selector"]
    assert backend["egress"] == [
        {"to": [DNS_PEER], "ports": DNS_PORTS},
        {"to": [{"podSelector": redis_labels}], "ports": [{"protocol": "TCP", "port": REDIS_PORT}]},
        {"to": [{"podSelector": postgres_labels}], "ports": [{"protocol": "TCP", "port": POSTGRES_PORT}]},
    ]
    frontend = minikube.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-frontend").inputs["spec"]
    assert frontend["policyTypes"] == ["Ingress", "Egress"]
    assert frontend["egress"] == []


def test_namespace_enforces_restricted_pod_security(minikube: StackRun) -> None:
    namespace = minikube.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_images_are_built_locally_not_pushed(minikube: StackRun) -> None:
    images = minikube.of_type("docker:index/image:Image")
    assert {i.name for i in images} == {"backend-image", "frontend-image"}
    for image in images:
        assert image.inputs["skipPush"] is True
        assert image.inputs["build"]["context"].endswith(("services/backend", "services/frontend"))


def test_images_are_built_by_minikube_s_docker_daemon(
    run_stack: Callable[..., StackRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `eval $(minikube docker-env)` exports reaches the provider that builds the images."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.168.49.2:2376")
    monkeypatch.setenv("DOCKER_CERT_PATH", "/home/dev/.minikube/certs")
    run = run_stack("minikube")
    provider = run.one("pulumi:providers:docker", "minikube-docker")
    assert provider.inputs["host"] == "tcp://192.168.49.2:2376"
    assert provider.inputs["certPath"] == "/home/dev/.minikube/certs"
    for image in run.of_type("docker:index/image:Image"):
        assert image.provider.startswith(provider.urn + "::"), image.name


def test_an_unchanged_checkout_registers_exactly_the_same_inputs(run_stack: Callable[..., StackRun]) -> None:
    """What makes a second `make up` a no-op: no timestamps, random names or unordered
    collections in any input, and image tags that only follow the code. (Two runs back to
    back, not against the session's earlier run: someone editing services/ meanwhile would
    rightly change the image tags.)"""

    def inputs(run: StackRun) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r.type, r.name): r.inputs for r in run.resources}

    first, second = inputs(run_stack("minikube")), inputs(run_stack("minikube"))
    assert first.keys() == second.keys()
    assert [key for key in first if first[key] != second[key]] == []
