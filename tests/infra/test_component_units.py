"""Each component on its own, outside any stack, with the arguments the other platform (or a
future one) would pass: built under Pulumi's mocks with `@pulumi.runtime.test`, then checked
on what it registered. Generated Redis settings are also run by a real redis-server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
from chat_backend.settings import Settings
from devstack.process import ManagedProcess, free_port
from pulumi_harness import StackRun, build

from components.k8s.backend import Backend, BackendArgs, SecretKey
from components.k8s.frontend import Frontend, FrontendArgs
from components.k8s.local_image import LocalImage, LocalImageArgs, context_hash
from components.k8s.nginx_ingress import NginxIngress, NginxIngressArgs
from components.k8s.redis import Redis, RedisArgs, redis_conf
from components.k8s.scheduling import Scheduling
from components.k8s.workload import IngressController
from components.redis_port import REDIS_PORT
from tests.infra.redis_settings import reported, shared_settings

DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/chat-backend@sha256:" + "a" * 64
ANYWHERE = Scheduling()  # minikube: no tolerations, no node preference
ON_SPOT = Scheduling(
    tolerations=[{"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    preferred_node_labels={"eks.amazonaws.com/capacityType": "SPOT"},
)


# Another ingress controller than either stack's: only its pods may reach the app.
EDGE = IngressController("edge", {"app": "proxy"})


def _backend_args(image: str, scheduling: Scheduling = ANYWHERE) -> BackendArgs:
    return BackendArgs(
        namespace="prod",
        image=image,
        redis_url=SecretKey("elasticache-auth", "REDIS_URL"),
        database_url="postgresql://chat@db.example.com:5432/chat?sslmode=verify-full",
        database_password=SecretKey("rds-auth", "DATABASE_PASSWORD"),
        allowed_origin="https://chat.example.com",
        replicas=3,
        workers=4,
        history_limit=500,
        cookie_secure=True,
        scheduling=scheduling,
        ingress_controller=EDGE,
    )


def _backend(image: str, scheduling: Scheduling = ANYWHERE) -> StackRun:
    def component() -> pulumi.Output[Any]:
        backend = Backend("api", _backend_args(image, scheduling))
        return backend.service_name.apply(lambda name: _equal(name, "api"))

    return build(component)


def _equal(actual: object, expected: object) -> None:
    assert actual == expected, f"{actual!r} != {expected!r}"


def test_backend_takes_a_registry_digest_spot_scheduling_and_another_ingress() -> None:
    run = _backend(DIGEST, ON_SPOT)
    component = run.one("chat-platform:k8s:Backend", "api")
    deployment = run.one("kubernetes:apps/v1:Deployment", "api")
    assert deployment.parent == component.urn
    spec = deployment.inputs["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == DIGEST
    assert pod["tolerations"] == ON_SPOT.tolerations
    (preferred,) = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["preference"]["matchExpressions"] == [
        {"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["SPOT"]}
    ]
    env = {e["name"]: e for e in container["env"]}
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "elasticache-auth", "key": "REDIS_URL"}
    assert env["COOKIE_SECURE"]["value"] == "true"
    assert env["WEB_CONCURRENCY"]["value"] == "4"
    assert env["HISTORY_LIMIT"]["value"] == "500"
    assert env["ALLOWED_ORIGINS"]["value"] == "https://chat.example.com"
    policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "api")
    (rule,) = policy.inputs["spec"]["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}},
            "podSelector": {"matchLabels": {"app": "proxy"}},
        }
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert run.component_outputs[component.urn] == {"service_name": "api"}


def test_backend_session_secret_is_generated_and_only_referenced() -> None:
    run = _backend(DIGEST)
    password = run.one("random:index/randomPassword:RandomPassword", "api-session-secret")
    assert password.inputs["length"] >= 32
    secret = run.one("kubernetes:core/v1:Secret", "api-session")
    assert password.urn in secret.dependencies
    assert secret.inputs["stringData"]["SESSION_SECRET"] == password.outputs["result"]
    (container,) = run.one("kubernetes:apps/v1:Deployment", "api").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    session = next(e for e in container["env"] if e["name"] == "SESSION_SECRET")
    assert "value" not in session
    assert session["valueFrom"]["secretKeyRef"] == {"name": "api-session", "key": "SESSION_SECRET"}


def test_backend_without_spot_scheduling_sets_no_affinity() -> None:
    pod = _backend(DIGEST).one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    assert "affinity" not in pod
    assert not pod.get("tolerations")


def test_a_new_image_changes_the_pod_template_and_nothing_else() -> None:
    """A changed template is what makes Kubernetes roll the pods; the rest must stay put."""
    old = _backend("chat-backend:0123456789abcdef").one("kubernetes:apps/v1:Deployment").inputs
    new = _backend("chat-backend:fedcba9876543210").one("kubernetes:apps/v1:Deployment").inputs
    assert old["spec"]["template"] != new["spec"]["template"]
    assert (
        new["spec"]["template"]["metadata"]["annotations"]["chat-platform/image"]
        == "chat-backend:fedcba9876543210"
    )

    # The migrations run from the new image too.
    (init,) = new["spec"]["template"]["spec"]["initContainers"]
    assert init["image"] == "chat-backend:fedcba9876543210"

    def without_image(inputs: dict[str, Any]) -> dict[str, Any]:
        template = inputs["spec"]["template"]

        def imageless(kind: str) -> list[dict[str, Any]]:
            return [{k: v for k, v in c.items() if k != "image"} for c in template["spec"][kind]]

        return {
            **inputs,
            "spec": {
                **inputs["spec"],
                "template": {
                    "metadata": {"labels": template["metadata"]["labels"]},
                    "spec": {
                        **template["spec"],
                        "containers": imageless("containers"),
                        "initContainers": imageless("initContainers"),
                    },
                },
            },
        }

    assert without_image(old) == without_image(new)


def test_frontend_gets_the_same_hygiene_on_its_own_port() -> None:
    def component() -> pulumi.Output[Any]:
        frontend = Frontend(
            "web",
            FrontendArgs(
                namespace="prod", image=DIGEST, replicas=2, scheduling=ON_SPOT, ingress_controller=EDGE
            ),
        )
        return frontend.service_name.apply(lambda name: _equal(name, "web"))

    run = build(component)
    spec = run.one("kubernetes:apps/v1:Deployment", "web").inputs["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # noqa: S108 (an emptyDir)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert pod["tolerations"] == ON_SPOT.tolerations
    service = run.one("kubernetes:core/v1:Service", "web").inputs["spec"]
    assert service["ports"] == [{"name": "http", "port": 8080, "targetPort": "http"}]
    assert run.one("kubernetes:policy/v1:PodDisruptionBudget", "web").inputs["spec"]["maxUnavailable"] == 1


def _redis_args(appendfsync: str = "everysec") -> RedisArgs:
    return RedisArgs(namespace="prod", storage_size="10Gi", storage_class="fast-ssd", appendfsync=appendfsync)


def _redis(appendfsync: str = "everysec") -> StackRun:
    def component() -> pulumi.Output[Any]:
        redis = Redis("cache", _redis_args(appendfsync))
        redis.admit({"app": "api"})

        def check(values: list[Any]) -> None:
            url, host, is_secret = values
            _equal(host, "cache.prod.svc.cluster.local")
            assert url.startswith("redis://:"), url
            assert url.endswith(f"@cache.prod.svc.cluster.local:{REDIS_PORT}/0"), url
            assert is_secret is True, "the Redis URL holds the password and must stay an Output.secret"

        is_secret: pulumi.Output[bool] = pulumi.Output.from_input(redis.url.is_secret())
        return pulumi.Output.all(redis.url, redis.host, is_secret).apply(check)

    return build(component)


def test_redis_takes_storage_fsync_and_clients_from_its_args() -> None:
    run = _redis()
    spec = run.one("kubernetes:apps/v1:StatefulSet", "cache").inputs["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "fast-ssd",
        "resources": {"requests": {"storage": "10Gi"}},
    }
    assert "appendfsync everysec" in run.one("kubernetes:core/v1:ConfigMap").inputs["data"]["redis.conf"]
    policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "cache").inputs["spec"]
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
            "ports": [{"protocol": "TCP", "port": REDIS_PORT}],
        }
    ]
    assert run.one("kubernetes:core/v1:Service", "cache").inputs["spec"]["type"] == "ClusterIP"


def test_redis_admits_the_pods_of_the_backend_instance_it_is_given() -> None:
    """The NetworkPolicy selects what the Backend's Deployment labels its pods with, whatever
    the Backend is called: the labels come from the instance, not from a name."""

    def component() -> pulumi.Output[Any]:
        backend = Backend("api", _backend_args(DIGEST))
        Redis("cache", _redis_args()).admit(backend.pod_labels)
        return pulumi.Output.from_input(None)

    run = build(component)
    template = run.one("kubernetes:apps/v1:Deployment", "api").inputs["spec"]["template"]
    policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "cache")
    assert policy.parent == run.one("chat-platform:k8s:Redis", "cache").urn
    (rule,) = policy.inputs["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": template["metadata"]["labels"]}}]


def test_redis_never_puts_its_password_in_the_pod_spec() -> None:
    run = _redis()
    password = run.one("random:index/randomPassword:RandomPassword").outputs["result"]
    statefulset = run.one("kubernetes:apps/v1:StatefulSet", "cache")
    assert password not in str(statefulset.inputs)
    (container,) = statefulset.inputs["spec"]["template"]["spec"]["containers"]
    assert "env" not in container
    auth = run.one("kubernetes:core/v1:Secret", "cache-auth").inputs["stringData"]
    assert auth["auth.conf"] == f"requirepass {password}\n"


@pytest.mark.parametrize("appendfsync", ["always", "everysec"])
def test_a_real_redis_server_runs_the_generated_config_and_probe(tmp_path: Path, appendfsync: str) -> None:
    """The config and readiness probe the StatefulSet mounts, run by Debian's redis-server
    (paths moved under tmp_path, bound to 127.0.0.1 instead of the pod's 0.0.0.0)."""
    run = _redis(appendfsync)
    conf = run.one("kubernetes:core/v1:ConfigMap").inputs["data"]["redis.conf"]
    auth = run.one("kubernetes:core/v1:Secret", "cache-auth").inputs["stringData"]["auth.conf"]
    statefulset = run.one("kubernetes:apps/v1:StatefulSet", "cache").inputs["spec"]
    (container,) = statefulset["template"]["spec"]["containers"]
    probe = container["readinessProbe"]["exec"]["command"]
    auth_file = tmp_path / "auth.conf"
    auth_file.write_text(auth)
    (tmp_path / "data").mkdir()
    local_conf = conf.replace("/etc/redis/auth/auth.conf", str(auth_file))
    (tmp_path / "redis.conf").write_text(local_conf.replace("dir /data\n", f"dir {tmp_path / 'data'}\n"))
    port = free_port()
    server = ManagedProcess(
        "redis",
        ["redis-server", str(tmp_path / "redis.conf"), "--bind", "127.0.0.1", "--port", str(port)],
        port,
        tmp_path,
    )
    server.start()
    try:
        probe_script = probe[-1].replace("/etc/redis/auth/auth.conf", str(auth_file))
        probe_script = probe_script.replace("redis-cli", f"redis-cli -p {port}")
        assert subprocess.run([*probe[:-1], probe_script], timeout=10, check=False).returncode == 0
        auth_file.write_text("requirepass wrong-password\n")
        assert subprocess.run([*probe[:-1], probe_script], timeout=10, check=False).returncode != 0, (
            "the readiness probe passed without the right password"
        )

        # Every shared setting (services/redis/redis.conf) and the pod's fsync policy are in force.
        shared = shared_settings()
        running = reported(port, auth.split()[1], [*shared, "appendfsync"])
        assert running == {**shared, "appendfsync": appendfsync}
        assert running["appendonly"] == "yes"
        assert running["maxmemory-policy"] == "noeviction"
        unauthenticated = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=10, check=False
        )
        assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr
    finally:
        server.stop()
    # SIGTERM (what the kubelet sends) left a complete AOF behind for the next start.
    assert any((tmp_path / "data").rglob("*.aof")), list((tmp_path / "data").rglob("*"))


def test_redis_conf_differs_only_in_the_fsync_policy() -> None:
    always, everysec = redis_conf("always").splitlines(), redis_conf("everysec").splitlines()
    assert [(a, b) for a, b in zip(always, everysec, strict=True) if a != b] == [
        ("appendfsync always", "appendfsync everysec")
    ]


def test_nginx_ingress_routes_api_first_with_websocket_timeouts() -> None:
    def component() -> pulumi.Output[Any]:
        NginxIngress("site", NginxIngressArgs("prod", "chat.test", "api", "web"))
        return pulumi.Output.from_input(None)

    run = build(component)
    ingress = run.one("kubernetes:networking.k8s.io/v1:Ingress", "site")
    assert ingress.parent == run.one("chat-platform:k8s:NginxIngress").urn
    (rule,) = ingress.inputs["spec"]["rules"]
    assert rule["host"] == "chat.test"
    assert [(p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]] == [
        ("/api", "Prefix", "api"),
        ("/", "Prefix", "web"),
    ]
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] == "3600"
    # The backend's own body limit: an oversize body is refused at the ingress with 413.
    max_body: int = Settings.model_fields["max_body_bytes"].default
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == str(max_body)


def test_local_image_is_tagged_by_its_context_and_never_pushed(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    tag = context_hash(tmp_path)

    def component() -> pulumi.Output[Any]:
        image = LocalImage("api", LocalImageArgs("chat-backend", tmp_path))
        return image.image_ref.apply(lambda ref: _equal(ref, f"chat-backend:{tag}"))

    run = build(component)
    image = run.one("docker:index/image:Image", "api-image")
    assert image.inputs["imageName"] == f"chat-backend:{tag}"
    assert image.inputs["skipPush"] is True
    assert image.inputs["build"]["context"] == str(tmp_path)
    assert image.inputs["build"]["dockerfile"] == str(tmp_path / "Dockerfile")
