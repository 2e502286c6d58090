"""What a real account needs beyond registering cleanly: version pins that belong together,
scaling that works both ways, no single points of failure, enforced network policies, replicated
acks — each asserted on the real program under mocks with Pulumi.aws.yaml."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from checkout import ROOT
from pulumi_harness import StackRun

from components.aws.releases import RELEASES
from components.database import POSTGRES_PORT
from components.redis_port import REDIS_PORT
from components.stacks.aws import BACKEND_CPU, DELIVERIES_PER_CPU_SECOND, DELIVERIES_PER_POD

RELEASE = "kubernetes:helm.sh/v3:Release"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"


def _minor(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


def _values(run: StackRun, release: str) -> dict[str, Any]:
    return run.one(RELEASE, release).inputs["values"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("minor", sorted(RELEASES))
def test_each_pinned_autoscaler_is_built_for_its_eks_minor(minor: str) -> None:
    """The chart's ClusterRole must cover what that autoscaler watches (e.g. volumeattachments
    since 1.33): chart appVersion, image and cluster share one minor."""
    pinned = RELEASES[minor]
    assert _minor(pinned.autoscaler_chart_app_version) == minor
    assert _minor(pinned.autoscaler_image) == minor


@pytest.mark.parametrize("minor", sorted(RELEASES))
def test_the_cluster_minor_drives_every_pin(run_stack: Callable[..., StackRun], minor: str) -> None:
    run = run_stack("aws", {"chat-platform:awsKubernetesVersion": minor})
    pinned = RELEASES[minor]
    assert run.one("aws:eks/cluster:Cluster").inputs["version"] == minor
    autoscaler = run.one(RELEASE, "cluster-autoscaler").inputs
    assert autoscaler["version"] == pinned.autoscaler_chart
    assert autoscaler["values"]["image"]["tag"] == pinned.autoscaler_image
    addons = {a.inputs["addonName"]: a.inputs for a in run.of_type("aws:eks/addon:Addon")}
    assert {name: a["addonVersion"] for name, a in addons.items()} == pinned.addons
    for group in run.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["version"] == minor, group.name


def test_default_eks_version_is_in_standard_support(aws: StackRun) -> None:
    assert aws.one("aws:eks/cluster:Cluster").inputs["version"] == max(RELEASES, key=lambda v: int(v[2:]))


def test_the_cluster_upgrades_rather_than_paying_for_extended_support(aws: StackRun) -> None:
    """EKS's default keeps a minor past standard support on extended support, at about six times
    the control-plane price; STANDARD has it upgraded instead (docs/aws.md, "Upgrading")."""
    assert aws.one("aws:eks/cluster:Cluster").inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def test_vpc_cni_enforces_network_policies(aws: StackRun) -> None:
    (cni,) = [a for a in aws.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    assert cni.inputs["configurationValues"] == '{"enableNetworkPolicy": "true"}'


def test_backend_reaches_only_dns_and_the_private_subnets_store_ports(aws: StackRun) -> None:
    """ElastiCache and RDS are outside the cluster: found by the private subnets' ranges."""
    spec = aws.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-backend").inputs["spec"]
    dns, redis, postgres = spec["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    # Subnets register in no fixed order; the policy lists each private range once.
    subnets = aws.of_type("aws:ec2/subnet:Subnet")
    private = sorted(s.inputs["cidrBlock"] for s in subnets if "private" in s.name)
    assert private
    assert sorted(rule["ipBlock"]["cidr"] for rule in redis["to"]) == private
    assert all(rule.keys() == {"ipBlock"} for rule in redis["to"])
    assert redis["ports"] == [{"protocol": "TCP", "port": REDIS_PORT}]
    assert postgres["to"] == redis["to"]
    assert postgres["ports"] == [{"protocol": "TCP", "port": POSTGRES_PORT}]
    frontend = aws.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-frontend").inputs["spec"]
    assert frontend["egress"] == []


def test_app_pods_admit_only_traefik_pods(aws: StackRun) -> None:
    for name in ("chat-backend", "chat-frontend"):
        (rule,) = aws.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", name).inputs["spec"]["ingress"]
        assert rule["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
            }
        ]


def test_nodes_can_be_scaled_down_despite_scratch_volumes(any_stack: StackRun) -> None:
    for deployment in any_stack.of_type("kubernetes:apps/v1:Deployment"):
        pod = deployment.inputs["spec"]["template"]
        local = {v["name"] for v in pod["spec"].get("volumes", []) if "emptyDir" in v}
        assert local, deployment.name
        assert set(pod["metadata"]["annotations"][SAFE_TO_EVICT].split(",")) == local


def test_traefik_is_spread_evictable_and_guarded(aws: StackRun) -> None:
    values = _values(aws, "traefik")
    assert values["deployment"]["replicas"] >= 2
    assert values["deployment"]["podAnnotations"][SAFE_TO_EVICT] == "data,tmp"
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    keys = {c["topologyKey"] for c in values["topologySpreadConstraints"]}
    assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}


def test_cert_manager_is_supported_and_highly_available(aws: StackRun) -> None:
    chart = aws.one(RELEASE, "cert-manager").inputs
    assert tuple(int(p) for p in chart["version"].lstrip("v").split(".")) >= (1, 19, 0)
    values = chart["values"]
    for part in (values, values["webhook"], values["cainjector"]):
        assert part["replicaCount"] >= 2
        assert part["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
        assert len(part["topologySpreadConstraints"]) == 2
        assert part["nodeSelector"] == {"eks.amazonaws.com/capacityType": "ON_DEMAND"}


def test_app_pods_have_disruption_budgets_on_both_stacks(any_stack: StackRun) -> None:
    budgets = {
        p.name: p.inputs["spec"] for p in any_stack.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    }
    assert {"chat-backend", "chat-frontend"} <= set(budgets)
    assert all(spec["maxUnavailable"] == 1 for spec in budgets.values())


def test_backend_autoscales_between_the_configured_bounds(aws: StackRun) -> None:
    hpa = aws.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "chat-backend").inputs["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat-backend"}
    assert hpa["minReplicas"] == 3 >= 2
    assert hpa["maxReplicas"] == 12
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300
    # The autoscaler owns the count: `pulumi up` must not reset it.
    assert "replicas" not in aws.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]
    assert aws.one("kubernetes:apps/v1:Deployment", "chat-frontend").inputs["spec"]["replicas"] == 2


def _millicores(quantity: str) -> int:
    return int(quantity.removesuffix("m")) if quantity.endswith("m") else int(float(quantity) * 1000)


def test_the_autoscaler_keeps_backend_pods_at_their_request(aws: StackRun) -> None:
    """Nodes are filled by requests. With a target above the request, pods are packed by the
    request, throttle at the target, and the cluster-autoscaler (which adds nodes for pending pods
    only) never grows the cluster: target and request must be one figure."""
    hpa = aws.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "chat-backend").inputs["spec"]
    (metric,) = hpa["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "AverageValue"
    pod = aws.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    request = container["resources"]["requests"]["cpu"]
    assert metric["resource"]["target"]["averageValue"] == request == BACKEND_CPU
    # Headroom for a burst while new pods start: the limit is well above the target.
    assert _millicores(container["resources"]["limits"]["cpu"]) >= 1.5 * _millicores(request)


def test_backend_cpu_is_the_benchmark_figure() -> None:
    """The request is what one pod needs for DELIVERIES_PER_POD at the deliveries per CPU-second
    `make bench` measured; both constants are the performance page's figures."""
    (row,) = [
        line
        for line in (ROOT / "docs" / "performance.md").read_text().splitlines()
        if line.startswith("| deliveries per server CPU-second at ")
    ]
    label, *runs = [cell.strip() for cell in row.strip("|").split("|")]
    measured = [int(run.split("/")[0].strip().replace(",", "")) for run in runs[:-1]]  # the last is the goal
    assert len(measured) >= 2, row
    assert DELIVERIES_PER_CPU_SECOND <= min(measured) <= 1.1 * DELIVERIES_PER_CPU_SECOND, measured
    # At that figure's load (msgs/s into rooms of 100) is what each pod is kept near.
    rate = int(re.search(r"at (\d+) msgs/s", label)[1])  # type: ignore[index]
    assert rate * 100 == DELIVERIES_PER_POD
    assert abs(_millicores(BACKEND_CPU) * DELIVERIES_PER_CPU_SECOND / 1000 - DELIVERIES_PER_POD) < 100


def test_the_replicas_handover_note_matches_the_program(aws: StackRun) -> None:
    """Stacks deployed before the autoscaler owned the count hold Pulumi's `spec.replicas`:
    dropping it resets the Deployment to one pod unless another field manager still owns it.
    docs/aws.md gives the one-time command; it must name this Deployment, its namespace and the
    autoscaler's floor, and apply server-side under a manager of its own."""
    deployment = aws.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs
    assert "replicas" not in deployment["spec"]  # why the note is needed
    hpa = aws.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "chat-backend").inputs["spec"]
    doc = (ROOT / "docs" / "aws.md").read_text()
    section = doc.split("**Backend replicas handed to the autoscaler.**", 1)[1].split("\n- **", 1)[0]
    command, manifest = re.search(r"(kubectl .*?) <<'EOF'\n(.*?)\n\s*EOF", section, re.S).groups()  # type: ignore[union-attr]
    assert "--server-side" in command.split()
    (manager,) = re.findall(r"--field-manager=(\S+)", command)
    assert "pulumi" not in manager
    assert re.search(r"-n (\S+)", command)[1] == deployment["metadata"]["namespace"]  # type: ignore[index]
    applied = yaml.safe_load(textwrap.dedent(manifest))
    assert applied == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": deployment["metadata"]["name"]},
        "spec": {"replicas": hpa["minReplicas"]},
    }


def test_minikube_has_no_autoscaler(minikube: StackRun) -> None:
    assert minikube.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == []
    assert minikube.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["replicas"] == 2


def test_acks_wait_for_a_replica(aws: StackRun, run_stack: Callable[..., StackRun]) -> None:
    def env(run: StackRun) -> dict[str, Any]:
        pod = run.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
        return {e["name"]: e for e in pod["containers"][0]["env"]}

    assert env(aws)["REDIS_ACK_REPLICAS"]["value"] == "1"
    assert "REDIS_ACK_REPLICAS" not in env(run_stack("aws", {"chat-platform:awsRedisAckReplicas": "0"}))


def test_zones_can_be_named_by_id(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:awsZoneIds": '["use1-az6", "use1-az2", "use1-az4"]'})
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    assert {s.inputs["availabilityZoneId"] for s in subnets} == {"use1-az6", "use1-az2", "use1-az4"}
    assert not [s for s in subnets if "availabilityZone" in s.inputs]


def test_control_plane_logs_have_a_retention(aws: StackRun, run_stack: Callable[..., StackRun]) -> None:
    group = aws.one("aws:cloudwatch/logGroup:LogGroup", "chat-aws-control-plane")
    assert group.inputs["name"] == "/aws/eks/chat-aws/cluster"  # the group EKS writes to
    assert group.inputs["retentionInDays"] == 90
    assert group.urn in aws.one("aws:eks/cluster:Cluster").dependencies
    run = run_stack("aws", {"chat-platform:awsLogRetentionDays": "365"})
    assert (
        run.one("aws:cloudwatch/logGroup:LogGroup", "chat-aws-control-plane").inputs["retentionInDays"] == 365
    )


def test_ecr_force_delete_only_when_asked(aws: StackRun, run_stack: Callable[..., StackRun]) -> None:
    assert {r.inputs["forceDelete"] for r in aws.of_type("aws:ecr/repository:Repository")} == {False}
    run = run_stack("aws", {"chat-platform:awsEcrForceDelete": "true"})
    assert {r.inputs["forceDelete"] for r in run.of_type("aws:ecr/repository:Repository")} == {True}


def test_security_headers_have_one_owner(aws: StackRun) -> None:
    """NGINX (the frontend) owns the page's headers everywhere; Traefik adds only HSTS, which
    belongs to the TLS it terminates."""
    nginx = set(
        re.findall(
            r"^add_header\s+(\S+)", (ROOT / "services/frontend/nginx/chat-server.conf").read_text(), re.M
        )
    )
    assert {
        "Referrer-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Content-Security-Policy",
    } <= nginx
    for middleware in aws.of_type("kubernetes:traefik.io/v1alpha1:Middleware"):
        headers = middleware.inputs["spec"].get("headers", {})
        assert set(headers) <= {"stsSeconds", "stsIncludeSubdomains", "stsPreload", "forceSTSHeader"}
    assert "Strict-Transport-Security" not in nginx


def test_the_chat_can_live_at_the_zone_apex(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:host": "example.com"})
    record = run.one("aws:route53/record:Record").inputs
    assert record["name"] == "example.com"
    assert record["type"] == "A"
    assert record["aliases"][0]["zoneId"] == "Z26RNL4JYFTOTI"
    for issuer in run.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer"):
        (solver,) = issuer.inputs["spec"]["acme"]["solvers"]
        assert solver["selector"] == {"dnsNames": ["example.com"]}
