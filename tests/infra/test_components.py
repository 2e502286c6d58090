"""Each component on its own under mocks, asserting the properties it promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi_harness import StackRun

from components.k8s.local_image import context_hash
from components.k8s.redis import redis_conf
from components.redis_port import REDIS_PORT


def test_redis_statefulset_keeps_data_on_a_volume_with_aof(minikube: StackRun) -> None:
    statefulset = minikube.one("kubernetes:apps/v1:StatefulSet", "redis")
    spec = statefulset.inputs["spec"]
    assert spec["replicas"] == 1
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claim["spec"]["storageClassName"] == "standard"
    (container,) = spec["template"]["spec"]["containers"]
    assert container["image"] == "redis:7.4.2-alpine"
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] >= 20
    conf = minikube.one("kubernetes:core/v1:ConfigMap", "redis-config").inputs["data"]["redis.conf"]
    assert "appendonly yes" in conf
    assert "appendfsync always" in conf
    assert "maxmemory-policy noeviction" in conf


def test_redis_password_is_generated_and_kept_in_a_secret(minikube: StackRun) -> None:
    password = minikube.one("random:index/randomPassword:RandomPassword", "redis-password")
    assert password.inputs["length"] >= 32
    secret = minikube.one("kubernetes:core/v1:Secret", "redis-auth")
    assert secret.inputs["stringData"]["auth.conf"].startswith("requirepass ")
    assert password.urn in secret.dependencies


def test_redis_admits_only_backend_pods(minikube: StackRun) -> None:
    policy = minikube.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "redis")
    spec = policy.inputs["spec"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "redis"
    (rule,) = spec["ingress"]
    assert rule["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "chat-backend",
                    "app.kubernetes.io/part-of": "chat-platform",
                }
            }
        }
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": REDIS_PORT}]
    backend_labels = minikube.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"][
        "metadata"
    ]["labels"]
    assert rule["from"][0]["podSelector"]["matchLabels"] == backend_labels


def test_appendfsync_and_size_follow_config(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack(
        "minikube",
        {"chat-platform:redisAppendfsync": "everysec", "chat-platform:redisStorageSize": "5Gi"},
    )
    assert (
        "appendfsync everysec"
        in run.one("kubernetes:core/v1:ConfigMap", "redis-config").inputs["data"]["redis.conf"]
    )
    claim = run.one("kubernetes:apps/v1:StatefulSet", "redis").inputs["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_replicas_follow_config(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("minikube", {"chat-platform:backendReplicas": "4", "chat-platform:frontendReplicas": "3"})
    assert run.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["replicas"] == 4
    assert run.one("kubernetes:apps/v1:Deployment", "chat-frontend").inputs["spec"]["replicas"] == 3


def test_frontend_serves_on_its_unprivileged_port(minikube: StackRun) -> None:
    spec = minikube.one("kubernetes:apps/v1:Deployment", "chat-frontend").inputs["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["securityContext"]["runAsUser"] == 10101
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    pdb = minikube.one("kubernetes:policy/v1:PodDisruptionBudget", "chat-frontend")
    assert pdb.inputs["spec"]["maxUnavailable"] == 1


def test_image_tag_changes_exactly_when_the_context_changes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    first = context_hash(tmp_path)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "big.js").write_text("ignored")
    assert context_hash(tmp_path) == first
    (tmp_path / "app.py").write_text("print(2)\n")
    assert context_hash(tmp_path) != first


def test_redis_conf_is_valid_for_each_policy() -> None:
    for policy in ("always", "everysec"):
        assert f"appendfsync {policy}\n" in redis_conf(policy)


@pytest.mark.parametrize(
    "component", ["redis", "chat-backend", "chat-frontend", "chat", "backend", "frontend"]
)
def test_components_have_children_and_register_outputs(minikube: StackRun, component: str) -> None:
    (resource,) = [
        r for r in minikube.resources if r.type.startswith("chat-platform:") and r.name == component
    ]
    assert resource.type.count(":") == 2  # chat-platform:<module>:<Type>
    assert minikube.children_of(resource)
    assert minikube.component_outputs[resource.urn]
