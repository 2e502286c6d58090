"""PostgreSQL in the minikube stack (the real __main__.py with Pulumi.minikube.yaml): a non-root
StatefulSet with a volume, its password generated into a Secret, reachable only from the backend's
pods; and the backend wired to it by DATABASE_URL and DATABASE_PASSWORD, its migrations run by an
init container before each new pod serves. The aws flavour: test_aws_postgres.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_harness import Registered, StackRun

from components.database import POSTGRES_PORT
from components.k8s import postgres
from components.k8s.backend import MIGRATE

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
SECRET = "kubernetes:core/v1:Secret"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BACKEND_LABELS = {"app.kubernetes.io/name": "chat-backend", "app.kubernetes.io/part-of": "chat-platform"}


def pod(resource: Registered) -> dict[str, Any]:
    spec: dict[str, Any] = resource.inputs["spec"]["template"]["spec"]
    return spec


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def test_postgres_runs_the_pinned_image_non_root_on_a_volume(minikube: StackRun) -> None:
    statefulset = minikube.one(STATEFULSET, "postgres")
    spec = statefulset.inputs["spec"]
    assert spec["replicas"] == 1
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert claim["spec"]["storageClassName"] == "standard"
    # The one waiver of the high-uid check, on this object alone and saying why.
    annotations = statefulset.inputs["metadata"]["annotations"]
    assert annotations == {"checkov.io/skip1": postgres.HIGH_UID_WAIVER}
    assert postgres.HIGH_UID_WAIVER.startswith("CKV_K8S_40=")
    security = pod(statefulset)["securityContext"]
    assert security["runAsUser"] == security["fsGroup"] == 999
    assert security["runAsNonRoot"] is True
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    # Ownership set once: a recursive change on every mount would widen the data directory's mode.
    assert security["fsGroupChangePolicy"] == "OnRootMismatch"
    containers = pod(statefulset)["initContainers"] + pod(statefulset)["containers"]
    assert [c["name"] for c in containers] == ["init", "postgres"]
    for container in containers:
        assert container["image"] == postgres.POSTGRES_IMAGE
        context = container["securityContext"]
        assert context["runAsUser"] == 999
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert (
            set(container["resources"]["requests"])
            == set(container["resources"]["limits"])
            == {"cpu", "memory"}
        )
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        # The only writable places: the volume, the socket directory and /tmp.
        assert mounts[postgres.DATA] == "data"
        assert mounts["/var/run/postgresql"] == "sockets"
        assert mounts["/tmp"] == "tmp"  # noqa: S108 (an emptyDir in the pod)
        assert {"name": "PGDATA", "value": f"{postgres.DATA}/pgdata"} in container["env"]
    volumes = by_name(pod(statefulset)["volumes"])
    assert "emptyDir" in volumes["sockets"]
    assert "emptyDir" in volumes["tmp"]


def test_the_volume_follows_config(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack(
        "minikube",
        {"chat-platform:postgresStorageSize": "5Gi", "chat-platform:postgresStorageClass": "fast-ssd"},
    )
    (claim,) = run.one(STATEFULSET, "postgres").inputs["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert claim["spec"]["storageClassName"] == "fast-ssd"


def test_postgres_is_probed_with_pg_isready_and_listens_on_its_port(minikube: StackRun) -> None:
    (server,) = pod(minikube.one(STATEFULSET, "postgres"))["containers"]
    assert server["ports"] == [{"name": "postgres", "containerPort": POSTGRES_PORT}]
    for probe in (server["readinessProbe"], server["livenessProbe"]):
        assert probe["exec"]["command"][0] == "pg_isready"
    assert server["livenessProbe"]["failureThreshold"] > server["readinessProbe"].get("failureThreshold", 3)
    assert f"port={POSTGRES_PORT}" in server["command"]
    service = minikube.one("kubernetes:core/v1:Service", "postgres").inputs["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [{"name": "postgres", "port": POSTGRES_PORT, "targetPort": "postgres"}]


def test_the_password_is_generated_into_a_secret_the_init_container_reads(minikube: StackRun) -> None:
    generated = minikube.one("random:index/randomPassword:RandomPassword", "postgres-password")
    assert generated.inputs["length"] >= 32
    password = minikube.one(SECRET, "postgres-auth").inputs["stringData"]["password"]
    assert password == "x" * int(generated.inputs["length"])  # the mocked RandomPassword's result
    statefulset = minikube.one(STATEFULSET, "postgres")
    (init,) = pod(statefulset)["initContainers"]
    auth = by_name(pod(statefulset)["volumes"])["auth"]["secret"]
    assert auth["secretName"] == "postgres-auth"
    assert {m["name"]: m["mountPath"] for m in init["volumeMounts"]}["auth"] == postgres.AUTH
    # Never in the pod spec itself, and only the init container sees it.
    assert password not in str(statefulset.inputs)
    (server,) = pod(statefulset)["containers"]
    assert "auth" not in {m["name"] for m in server["volumeMounts"]}


def test_only_the_backend_role_logs_in_over_the_network(minikube: StackRun) -> None:
    config = minikube.one("kubernetes:core/v1:ConfigMap", "postgres-config").inputs["data"]
    rules = [line.split() for line in config["pg_hba.conf"].splitlines() if not line.startswith("#")]
    assert rules == [
        ["local", "all", "postgres", "peer"],
        ["host", "chat", "chat", "all", "scram-sha-256"],
    ]


def test_postgres_admits_only_the_backend_pods(minikube: StackRun) -> None:
    policy = minikube.one(POLICY, "postgres").inputs["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "postgres"
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": BACKEND_LABELS}}],
            "ports": [{"protocol": "TCP", "port": 5432}],
        }
    ]
    backend = minikube.one("kubernetes:apps/v1:Deployment", "chat-backend")
    assert backend.inputs["spec"]["template"]["metadata"]["labels"] == BACKEND_LABELS


def test_the_backend_reads_the_url_and_the_password_from_the_secret(minikube: StackRun) -> None:
    (container,) = pod(minikube.one("kubernetes:apps/v1:Deployment", "chat-backend"))["containers"]
    env = by_name(container["env"])
    url = env["DATABASE_URL"]["value"]
    assert url == "postgresql://chat@postgres.chat.svc.cluster.local:5432/chat?sslmode=disable"
    assert env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "database",
        "key": "DATABASE_PASSWORD",
    }
    database = minikube.one(SECRET, "database").inputs["stringData"]
    assert database == {
        "DATABASE_PASSWORD": minikube.one(SECRET, "postgres-auth").inputs["stringData"]["password"]
    }


def test_migrations_run_before_each_backend_pod_serves(minikube: StackRun) -> None:
    spec = pod(minikube.one("kubernetes:apps/v1:Deployment", "chat-backend"))
    (init,) = spec["initContainers"]
    (app,) = spec["containers"]
    assert init["command"] == MIGRATE == ["python", "-m", "chat_backend", "migrate"]
    # The same image, environment, limits and confinement as the server it prepares.
    for same in ("image", "env", "resources", "securityContext", "volumeMounts"):
        assert init[same] == app[same], same
    assert "readinessProbe" not in init
    assert "ports" not in init
