"""The guardrails over everything the real program registers (tools/pulumi_harness.py runs
__main__.py under Pulumi mocks with each stack's real config, which the pack sees too): zero
violations, and a deliberately bad resource added to the program is caught."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from checkout import ROOT
from guardrails.catalog import GUARDRAILS, violations
from guardrails.props import Resource
from pulumi_harness import StackRun, run_program
from pulumi_policy.proxy import unknown_checking_proxy

import components.stacks
from components.config import StackConfig
from components.redis_port import REDIS_PORT


def composed_stacks() -> list[str]:
    """Stacks whose config file names a platform that has a composition module."""
    stacks = []
    for config_file in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(config_file.read_text()) or {}).get("config") or {}
        platform = config.get("chat-platform:platform")
        if platform and (ROOT / "components" / "stacks" / f"{platform}.py").is_file():
            stacks.append(config_file.name.split(".")[1])
    return stacks


STACKS = composed_stacks()
_runs: dict[str, StackRun] = {}


def stack_run(stack: str) -> StackRun:
    if stack not in _runs:
        _runs[stack] = run_program(stack)
    return _runs[stack]


def engine_view(inputs: dict[str, Any]) -> Any:
    """The inputs as the policy engine hands them to a pack: read-only Mapping/Sequence proxies."""
    return unknown_checking_proxy(inputs)


def all_violations(run: StackRun) -> list[str]:
    return [
        f"{r.type} {r.name}: [{policy}] {message}"
        for r in run.resources
        for policy, message in violations(Resource(r.type, engine_view(r.inputs), r.protect, run.config))
    ]


def test_both_stacks_are_checked() -> None:
    assert {"minikube", "aws"} <= set(STACKS), f"expected both stacks to compose, found {STACKS}"


@pytest.mark.parametrize("stack", STACKS)
def test_program_registers_no_violation(stack: str) -> None:
    run = stack_run(stack)
    assert all_violations(run) == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_guarded_kind_is_really_present(stack: str) -> None:
    """Zero violations means something only if the rules saw the resources they guard."""
    run = stack_run(stack)
    types = {r.type for r in run.resources}
    assert {"kubernetes:core/v1:Service", "kubernetes:apps/v1:Deployment"} <= types
    if stack == "aws":
        assert {
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "aws:rds/instance:Instance",
            "aws:rds/parameterGroup:ParameterGroup",
            "aws:ecr/repository:Repository",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "kubernetes:helm.sh/v3:Release",
            "aws:eks/cluster:Cluster",
            "aws:kms/key:Key",
            "aws:eks/accessEntry:AccessEntry",
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        } <= types
        # The rules that read the stack's config had a pull-request role to look at.
        assert "chat-platform:awsPreviewRoleArns" in run.config
        # The one exception the rules make, exercised for real: Traefik's chart asks for the
        # LoadBalancer (its Service is created by Helm, never registered by the program).
        traefik = run.one("kubernetes:helm.sh/v3:Release", "traefik")
        assert traefik.inputs["values"]["service"]["spec"]["type"] == "LoadBalancer"
    else:
        assert "kubernetes:apps/v1:StatefulSet" in types


def bad_resources() -> None:
    """What a careless change could add: a world-facing Redis and an unpinned root container."""
    labels = {"app.kubernetes.io/name": "redis-debug"}
    k8s.core.v1.Service(
        "redis-debug",
        metadata={"name": "redis-debug", "namespace": "chat", "labels": labels},
        spec={"type": "LoadBalancer", "selector": labels, "ports": [{"port": REDIS_PORT}]},
    )
    k8s.apps.v1.Deployment(
        "debug-shell",
        metadata={"name": "debug-shell", "namespace": "chat"},
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "shell", "image": "busybox:latest"}]},
            },
        },
    )


def with_bad_resources(
    build: Callable[[StackConfig], None],
) -> Callable[[StackConfig], None]:
    def build_then_add(config: StackConfig) -> None:
        build(config)
        bad_resources()
        if config.platform == "aws":
            # Imported here: the minikube stack must run without loading pulumi_aws.
            import pulumi_aws as aws

            aws.ec2.SecurityGroup(
                "ssh-from-anywhere",
                ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
            )
            aws.ecr.Repository("unscanned")
            aws.kms.Key("unprotected")  # holds data: a replacement would lose it
            # Unencrypted, public, no backups, no final snapshot, on the default parameter group.
            aws.rds.Instance(
                "careless-postgres",
                engine="postgres",
                instance_class="db.t4g.micro",
                allocated_storage=20,
                publicly_accessible=True,
                backup_retention_period=1,
                skip_final_snapshot=True,
                parameter_group_name="default.postgres15",
                opts=pulumi.ResourceOptions(protect=True),
            )
            aws.eks.AccessPolicyAssociation(
                "pull-requests-administer",
                cluster_name="chat-aws",
                principal_arn="arn:aws:iam::123456789012:role/chat-platform-preview",
                policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                access_scope={"type": "cluster"},
            )

    return build_then_add


@pytest.mark.parametrize("stack", STACKS)
def test_injected_bad_resources_fail(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components.stacks, "build", with_bad_resources(components.stacks.build))
    run = run_program(stack)
    found = {line.split(" [", 1)[1].split("]")[0] for line in all_violations(run)}
    expected = {
        "no-external-services",
        "redis-cluster-internal",
        "container-resources",
        "container-non-root",
        "container-image-pinned",
    }
    if stack == "aws":
        expected |= {
            "rds-encrypted-private-backed-up",
            "rds-postgres-tls-only",
            "security-group-world-web-only",
            "ecr-scan-on-push",
            "data-stores-protected",
            "pull-request-roles-read-only",
        }
    assert found == expected


def test_guardrail_names_are_unique() -> None:
    names = [g.name for g in GUARDRAILS]
    assert len(names) == len(set(names))
