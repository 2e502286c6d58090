"""How the delivery pipeline reaches the cluster (docs/aws.md, "How the pipeline reaches the
cluster"): the CodeBuild-hosted GitHub Actions runner inside the VPC, taking only the listed
accounts' jobs, and the EKS access entries of the pipeline's roles (administrators; pull requests'
roles read-only) — the real __main__.py with Pulumi.aws.yaml (plus overrides) under mocks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_harness import Registered, StackRun, stack_config

from components.aws.cluster_access import CLUSTER_ADMIN_POLICY, VIEW_POLICY
from components.config_reader import ConfigError

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_SG = "sg-0cluster"  # the cluster security group the harness's EKS mock reports
CONFIG = stack_config("aws")
CONNECTION = CONFIG["chat-platform:awsCiConnectionArn"]
REPOSITORY = CONFIG["chat-platform:awsCiRepository"]
ADMINS = json.loads(CONFIG["chat-platform:awsAdminRoleArns"])
PREVIEWS = json.loads(CONFIG["chat-platform:awsPreviewRoleArns"])
ACTORS = json.loads(CONFIG["chat-platform:awsCiActorIds"])
RUNNER_ONLY_EC2 = {
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
}


def _id(resource: Registered) -> str:
    return f"{resource.name}-id"  # the ID the mocks give every resource


def _runner_group(run: StackRun) -> Registered:
    return run.one(SECURITY_GROUP, "chat-aws-ci-runner")


def _private_subnet_ids(run: StackRun) -> list[str]:
    return [
        _id(s)
        for s in run.of_type("aws:ec2/subnet:Subnet")
        if "kubernetes.io/role/internal-elb" in s.inputs["tags"]
    ]


def _statements(run: StackRun) -> list[dict[str, Any]]:
    policy = run.one("aws:iam/rolePolicy:RolePolicy", "chat-aws-ci-codebuild")
    return json.loads(policy.inputs["policy"])["Statement"]  # type: ignore[no-any-return]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def test_the_stack_file_sets_the_runner_and_the_roles() -> None:
    assert CONNECTION.startswith("arn:aws:codeconnections:")
    assert REPOSITORY.count("/") == 1
    assert ACTORS
    assert ADMINS  # the deploy role
    assert PREVIEWS  # the preview role, which pull requests assume: never an administrator
    assert not set(ADMINS) & set(PREVIEWS)


def test_no_runner_without_a_connection(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack(
        "aws",
        {
            "chat-platform:awsCiConnectionArn": "",
            "chat-platform:awsAdminRoleArns": "[]",
            "chat-platform:awsPreviewRoleArns": "[]",
        },
    )
    assert run.of_type(PROJECT) == run.of_type(WEBHOOK) == []
    assert [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == CLUSTER_SG] == []
    assert not [r for r in run.resources if r.type == "chat-platform:aws:CiRunner"]
    assert run.of_type(ACCESS_ENTRY) == run.of_type(ASSOCIATION) == []
    assert "ciRunnerLabel" not in run.outputs


def test_runner_is_one_component_named_after_the_cluster(aws: StackRun) -> None:
    (component,) = [r for r in aws.resources if r.type == "chat-platform:aws:CiRunner"]
    assert component.name == "chat-aws-ci"
    children = {r.type for r in aws.children_of(component)}
    assert {PROJECT, WEBHOOK, SECURITY_GROUP, INGRESS, EGRESS, "aws:iam/role:Role"} <= children
    assert aws.outputs["ciRunnerProject"] == "chat-aws-ci"
    assert (
        aws.outputs["ciRunnerLabel"] == "codebuild-chat-aws-ci-${{ github.run_id }}-${{ github.run_attempt }}"
    )


def test_webhook_takes_queued_workflow_jobs(aws: StackRun) -> None:
    webhook = aws.one(WEBHOOK).inputs
    assert webhook["projectName"] == "chat-aws-ci"
    assert webhook["buildType"] == "BUILD"
    (group,) = webhook["filterGroups"]
    filters = {f["type"]: f["pattern"] for f in group["filters"]}
    assert filters["EVENT"] == "WORKFLOW_JOB_QUEUED"
    assert filters["WORKFLOW_NAME"] == "^(preview|deploy)$"


def test_webhook_takes_only_the_listed_accounts_jobs(run_stack: Callable[..., StackRun]) -> None:
    """A fork's pull request runs in this repository, with workflow YAML the fork controls: only
    a filter at the webhook, on who sent the job, keeps it off the runner inside the VPC."""
    run = run_stack("aws", {"chat-platform:awsCiActorIds": json.dumps(["583231", "9919"])})
    for group in run.one(WEBHOOK).inputs["filterGroups"]:  # every group: any one can start a build
        (actor,) = [f for f in group["filters"] if f["type"] == "ACTOR_ACCOUNT_ID"]
        assert not actor.get("excludeMatchedPattern")
        pattern = re.compile(actor["pattern"])
        assert pattern.fullmatch("583231")
        assert pattern.fullmatch("9919")
        # Anyone else, including IDs that merely contain a listed one.
        for outsider in ("1", "58323", "5832310", "99190", "49699333"):
            assert not pattern.search(outsider), outsider


def test_project_is_an_ephemeral_privileged_container_in_the_private_subnets(aws: StackRun) -> None:
    project = aws.one(PROJECT).inputs
    assert project["name"] == "chat-aws-ci"
    assert project["source"] == {
        "type": "GITHUB",
        "location": f"https://github.com/{REPOSITORY}.git",
        "auth": {"type": "CODECONNECTIONS", "resource": CONNECTION},
    }
    environment = project["environment"]
    assert environment["type"] == "LINUX_CONTAINER"
    assert environment["image"].startswith("aws/codebuild/standard:")  # Ubuntu: actions/setup-python works
    assert environment["privilegedMode"] is True  # Docker, for the image builds
    assert environment["computeType"] in ("BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE")
    vpc = project["vpcConfig"]
    assert vpc["vpcId"] == _id(aws.one("aws:ec2/vpc:Vpc"))
    assert sorted(vpc["subnets"]) == sorted(_private_subnet_ids(aws))
    assert len(vpc["subnets"]) == 3
    assert vpc["securityGroupIds"] == [_id(_runner_group(aws))]
    assert project["buildTimeout"] > 90  # longer than deploy.yml's timeout-minutes
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}
    log_group = aws.one("aws:cloudwatch/logGroup:LogGroup", "chat-aws-ci-builds").inputs
    assert (
        project["logsConfig"]["cloudwatchLogs"]["groupName"]
        == log_group["name"]
        == "/aws/codebuild/chat-aws-ci"
    )
    assert log_group["retentionInDays"] > 0


def test_runner_admits_nothing_and_reaches_only_https(aws: StackRun) -> None:
    group = _runner_group(aws)
    assert not group.inputs.get("ingress")
    assert not group.inputs.get("egress")
    runner = _id(group)
    assert [r for r in aws.of_type(INGRESS) if r.inputs["securityGroupId"] == runner] == []
    (egress,) = [r.inputs for r in aws.of_type(EGRESS) if r.inputs["securityGroupId"] == runner]
    assert (egress["ipProtocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 443, 443)


def test_eks_api_admits_the_runner_on_443_only(aws: StackRun) -> None:
    (rule,) = [r.inputs for r in aws.of_type(INGRESS) if r.inputs["securityGroupId"] == CLUSTER_SG]
    assert rule["referencedSecurityGroupId"] == _id(_runner_group(aws))
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule)


def test_codebuild_role_is_only_codebuilds_for_this_project(aws: StackRun) -> None:
    role = aws.one("aws:iam/role:Role", "chat-aws-ci-codebuild")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == (
        "arn:aws:codebuild:us-east-1:123456789012:project/chat-aws-ci"
    )
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    attached = [a for a in aws.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert not [a for a in attached if a.inputs["role"] in (_id(role), role.name)], "no managed policies"
    assert [
        p.name for p in aws.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == _id(role)
    ] == ["chat-aws-ci-codebuild"]


def test_codebuild_role_touches_only_its_log_group_the_vpc_and_the_connection(aws: StackRun) -> None:
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/chat-aws-ci"
    subnets = [f"arn:aws:ec2:us-east-1:123456789012:subnet/{s}" for s in _private_subnet_ids(aws)]
    for statement in _statements(aws):
        assert statement["Effect"] == "Allow"
        actions = _actions(statement)
        services = {a.split(":")[0] for a in actions}
        assert len(services) == 1, statement
        (service,) = services
        if service == "logs":
            assert set(actions) == {"logs:CreateLogStream", "logs:PutLogEvents"}
            assert _resources(statement) == [log_group, f"{log_group}:log-stream:*"]
        elif service == "codeconnections":
            assert set(actions) <= {
                "codeconnections:GetConnection",
                "codeconnections:GetConnectionToken",
                "codeconnections:UseConnection",
            }
            assert _resources(statement) == [CONNECTION]
        elif actions == ["ec2:CreateNetworkInterfacePermission"]:
            assert _resources(statement) == ["arn:aws:ec2:us-east-1:123456789012:network-interface/*"]
            condition = statement["Condition"]["StringEquals"]
            assert sorted(condition.pop("ec2:Subnet")) == sorted(subnets)
            assert condition == {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
        else:  # what CodeBuild needs to put a build's network interface in the VPC, nothing more
            assert service == "ec2", statement
            assert set(actions) <= RUNNER_ONLY_EC2, statement
            assert "Condition" not in statement
    # No deploy rights: the jobs assume the OIDC deploy/preview roles for that.
    every_action = {a for s in _statements(aws) for a in _actions(s)}
    assert not [a for a in every_action if a.split(":")[0] in ("sts", "iam", "eks", "ecr", "s3", "kms")]
    assert not [a for a in every_action if "*" in a]


def test_a_codestar_connection_gets_codestar_actions(run_stack: Callable[..., StackRun]) -> None:
    codestar = CONNECTION.replace("arn:aws:codeconnections:", "arn:aws:codestar-connections:")
    run = run_stack("aws", {"chat-platform:awsCiConnectionArn": codestar})
    (statement,) = [s for s in _statements(run) if _resources(s) == [codestar]]
    assert {a.split(":")[0] for a in _actions(statement)} == {"codestar-connections"}
    assert "codestar-connections:GetConnectionToken" in _actions(statement)
    assert run.one(PROJECT).inputs["source"]["auth"]["resource"] == codestar


def test_admins_administer_and_pull_request_roles_only_read(aws: StackRun) -> None:
    entries = {e.inputs["principalArn"]: e.inputs for e in aws.of_type(ACCESS_ENTRY)}
    assert set(entries) == set(ADMINS) | set(PREVIEWS)
    assert all(e["clusterName"] == "chat-aws" and e["type"] == "STANDARD" for e in entries.values())
    # No Kubernetes groups: RBAC bound to a group could grant what the access policy does not.
    assert not [e for e in entries.values() if e.get("kubernetesGroups")]
    associations = [a.inputs for a in aws.of_type(ASSOCIATION)]
    assert sorted(a["principalArn"] for a in associations) == sorted(ADMINS + PREVIEWS)
    for association in associations:
        expected = CLUSTER_ADMIN_POLICY if association["principalArn"] in ADMINS else VIEW_POLICY
        assert association["policyArn"] == expected
        assert association["accessScope"] == {"type": "cluster"}
        assert association["clusterName"] == "chat-aws"
    # Each association waits for its entry (it takes the entry's outputs).
    by_principal = {e.inputs["principalArn"]: e.urn for e in aws.of_type(ACCESS_ENTRY)}
    for association in aws.of_type(ASSOCIATION):
        assert by_principal[association.inputs["principalArn"]] in association.dependencies


def test_admins_follow_the_config(run_stack: Callable[..., StackRun]) -> None:
    role = "arn:aws:iam::123456789012:role/ops/break-glass"
    run = run_stack(
        "aws",
        {"chat-platform:awsAdminRoleArns": json.dumps([role]), "chat-platform:awsPreviewRoleArns": "[]"},
    )
    (entry,) = run.of_type(ACCESS_ENTRY)
    assert entry.inputs["principalArn"] == role
    (association,) = run.of_type(ASSOCIATION)
    assert association.inputs["principalArn"] == role
    assert association.inputs["policyArn"] == CLUSTER_ADMIN_POLICY


def test_existing_stacks_keep_their_entries_when_the_preview_role_stops_being_an_admin(aws: StackRun) -> None:
    """Stacks deployed before registered both roles under ClusterAdmins `chat-aws-admins`. A new
    entry for a role that still has one is refused by EKS, so every entry keeps its URN (through
    an alias) and only the preview role's access policy changes."""
    before = "urn:pulumi:aws::chat-platform::chat-platform:aws:ClusterAdmins"
    (admins,) = [
        r
        for r in aws.resources
        if r.type == "chat-platform:aws:ClusterAccess" and r.name == "chat-aws-admins"
    ]
    assert admins.aliases == [f"{before}::chat-aws-admins"]
    for preview in PREVIEWS:
        role = preview.rsplit("/", 1)[1]
        (entry,) = [e for e in aws.of_type(ACCESS_ENTRY) if e.inputs["principalArn"] == preview]
        assert f"{before}$aws:eks/accessEntry:AccessEntry::chat-aws-admins-{role}" in entry.aliases
        (association,) = [a for a in aws.of_type(ASSOCIATION) if a.inputs["principalArn"] == preview]
        assert (
            f"{before}$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::chat-aws-admins-{role}"
            in association.aliases
        )


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"awsCiConnectionArn": "arn:aws:s3:::bucket"}, "awsCiConnectionArn", "a connection ARN"),
        (
            {"awsCiConnectionArn": "arn:aws:codeconnections:us-east-1:1234:connection/x"},
            "awsCiConnectionArn",
            "a connection ARN",
        ),
        ({"awsCiRepository": ""}, "awsCiRepository", "owner/name"),
        ({"awsCiRepository": "https://github.com/o/r"}, "awsCiRepository", "owner/name"),
        ({"awsAdminRoleArns": '["arn:aws:iam::1234:role/deploy"]'}, "awsAdminRoleArns", "IAM role ARNs"),
        (
            {"awsAdminRoleArns": '["arn:aws:iam::123456789012:user/bob"]'},
            "awsAdminRoleArns",
            "IAM role ARNs",
        ),
        (
            {
                "awsAdminRoleArns": json.dumps(
                    ["arn:aws:iam::123456789012:role/deploy", "arn:aws:iam::123456789012:role/ci/deploy"]
                )
            },
            "awsAdminRoleArns",
            "name each role once",
        ),
        (
            {"awsAdminRoleArns": '"arn:aws:iam::123456789012:role/deploy"'},
            "awsAdminRoleArns",
            "list of strings",
        ),
        (
            {"awsPreviewRoleArns": '["arn:aws:iam::123456789012:role/chat-platform-deploy"]'},
            "awsAdminRoleArns",
            "must hold administrators only",
        ),
        ({"awsPreviewRoleArns": '["arn:aws:iam::1234:role/preview"]'}, "awsPreviewRoleArns", "IAM role ARNs"),
        ({"awsCiActorIds": "[]"}, "awsCiActorIds", "numeric GitHub account IDs"),
        ({"awsCiActorIds": '["octocat"]'}, "awsCiActorIds", "numeric GitHub account IDs"),
        ({"awsCiActorIds": '["12|.*"]'}, "awsCiActorIds", "numeric GitHub account IDs"),
    ],
)
def test_bad_pipeline_value_names_the_key(
    run_stack: Callable[..., StackRun], overrides: dict[str, str], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_stack("aws", {f"chat-platform:{k}": v for k, v in overrides.items()})
    assert str(error.value).startswith(f"chat-platform:{key} ")
    assert message in str(error.value)
