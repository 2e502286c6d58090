"""The delivery pipeline's way into the cluster: a CodeBuild-hosted GitHub Actions runner in the
private subnets.

GitHub-hosted runners have no stable address, and the EKS API's public endpoint only answers
`awsPublicAccessCidrs`. So the preview and deploy jobs run on `codebuild-<project>-<run id>-<attempt>`
instead: CodeBuild's webhook takes each queued workflow job (`WORKFLOW_JOB_QUEUED`) and runs it in
a fresh, ephemeral container inside the VPC, which reaches the **private** endpoint through one
rule on the cluster security group (tcp 443 from the runner's own group). Nothing lives on between
jobs, so there is no host to patch.

The CodeBuild service role can only write its own logs, manage the build's network interfaces in
these subnets and use the GitHub connection: the jobs get their AWS rights, as before, from the
OIDC deploy/preview roles (aws-actions/configure-aws-credentials), never from the runner.

The webhook takes a job only when its sender is one of the listed GitHub accounts. A fork's pull
request runs its workflows in this repository, with YAML the fork controls (an `if:` guard can be
edited away), so only a filter outside the repository keeps it off a runner inside the VPC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef

HTTPS = 443
# Ubuntu 22.04 (actions/setup-python has builds for it), Docker, AWS CLI v2.
IMAGE = "aws/codebuild/standard:7.0"
# 8 vCPU / 15 GB, close to the 4 vCPU / 16 GB GitHub-hosted runner the jobs had: `pulumi up`
# builds the backend and frontend images next to the AWS and Kubernetes providers.
COMPUTE_TYPE = "BUILD_GENERAL1_LARGE"
# Longer than the longest job (deploy.yml: 90 minutes), so GitHub's own timeout fires first.
BUILD_TIMEOUT_MINUTES = 120
# Only these workflows (their `name:`) get a runner inside the VPC.
WORKFLOWS = ("preview", "deploy")


def project_name(cluster_name: str) -> str:
    """The CodeBuild project of a stack's runner (`chat-aws-ci` for stack aws); the workflows'
    `runs-on` label names it."""
    return f"{cluster_name}-ci"


def actor_pattern(actor_ids: Sequence[str]) -> str:
    """The webhook's ACTOR_ACCOUNT_ID filter: exactly these numeric GitHub account IDs."""
    return f"^({'|'.join(actor_ids)})$"


def runner_label(project: str) -> str:
    """What a job's `runs-on` says to be taken by the project's runner."""
    return f"codebuild-{project}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def trust_policy(account: str, region: str, project: str) -> str:
    """Only CodeBuild, and only for this project of this account, may assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:aws:codebuild:{region}:{account}:project/{project}"
                        },
                    },
                }
            ],
        }
    )


def service_policy(
    account: str, region: str, log_group: str, subnet_ids: list[str], connection_arn: str
) -> str:
    """Logs to its own group, the build's network interfaces, the GitHub connection: nothing else."""
    logs = f"arn:aws:logs:{region}:{account}:log-group:{log_group}"
    # IAM actions take the prefix of the connection's ARN (codeconnections or codestar-connections).
    service = connection_arn.split(":")[2]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [logs, f"{logs}:log-stream:*"],
        },
        {
            # What CodeBuild needs to attach a build to the VPC; EC2 offers no narrower resource.
            "Sid": "VpcBuildNetworking",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Sid": "NetworkInterfacesInTheseSubnetsForCodeBuild",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterfacePermission",
            "Resource": f"arn:aws:ec2:{region}:{account}:network-interface/*",
            "Condition": {
                "StringEquals": {
                    "ec2:Subnet": [f"arn:aws:ec2:{region}:{account}:subnet/{s}" for s in subnet_ids],
                    "ec2:AuthorizedService": "codebuild.amazonaws.com",
                }
            },
        },
        {
            "Sid": "GitHubConnection",
            "Effect": "Allow",
            "Action": [
                f"{service}:GetConnection",
                f"{service}:GetConnectionToken",
                f"{service}:UseConnection",
            ],
            "Resource": connection_arn,
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class CiRunner(pulumi.ComponentResource):
    project_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    label: str

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster whose private API endpoint the jobs reach
        project: str,  # the CodeBuild project's name, which the workflows' `runs-on` label names
        repository: str,  # owner/name on GitHub
        actor_ids: Sequence[str],  # the GitHub accounts (numeric IDs) whose jobs it takes, no one else's
        connection_arn: str,  # CodeConnections or CodeStar connection to GitHub, authorized once
        vpc_id: pulumi.Input[str],  # the cluster's VPC
        subnet_ids: list[pulumi.Output[str]],  # private subnets (NAT for GitHub and the AWS APIs)
        log_retention_days: int,  # how long the build logs are kept
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:CiRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self)).account_id
        region = cluster.region

        # Out to GitHub, the AWS APIs, registries and the EKS API, all over HTTPS; nothing comes in.
        # A group of its own, not the cluster's: the runner reaches neither the nodes nor Redis.
        group = aws.ec2.SecurityGroup(
            f"{name}-runner",
            vpc_id=vpc_id,
            description=f"CodeBuild GitHub Actions runner {project}: HTTPS out only",
            tags={"Name": f"{name}-runner"},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-out",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="GitHub, AWS APIs, package and image registries, the EKS API",
            opts=child,
        )
        # The private endpoint admits only the cluster security group by default.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-eks-api",
            security_group_id=cluster.security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=f"EKS API (private endpoint) from the CI runner {project}",
            opts=child,
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-builds",
            name=f"/aws/codebuild/{project}",
            retention_in_days=log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-codebuild",
            assume_role_policy=trust_policy(account, region, project),
            description=f"CodeBuild service role of the GitHub Actions runner {project} (no deploy rights)",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-codebuild",
            role=role.id,
            policy=pulumi.Output.all(log_group.name, *subnet_ids).apply(
                lambda a: service_policy(account, region, a[0], list(a[1:]), connection_arn)
            ),
            opts=child,
        )
        codebuild = aws.codebuild.Project(
            name,
            name=project,
            description=f"Ephemeral GitHub Actions runner for {repository} inside the VPC",
            service_role=role.arn,
            source={
                "type": "GITHUB",
                "location": f"https://github.com/{repository}.git",
                "auth": {"type": "CODECONNECTIONS", "resource": connection_arn},
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": IMAGE,
                "compute_type": COMPUTE_TYPE,
                "privileged_mode": True,  # the Docker daemon pulumi-docker builds the images with
                "image_pull_credentials_type": "CODEBUILD",
            },
            vpc_config={
                "vpc_id": vpc_id,
                "subnets": subnet_ids,
                "security_group_ids": [group.id],
            },
            logs_config={
                "cloudwatch_logs": {"group_name": log_group.name, "status": "ENABLED"},
                "s3_logs": {"status": "DISABLED"},
            },
            build_timeout=BUILD_TIMEOUT_MINUTES,
            # CodeBuild checks the role's EC2 rights when a VPC project is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.codebuild.Webhook(
            name,
            project_name=codebuild.name,
            build_type="BUILD",
            filter_groups=[
                {
                    "filters": [
                        {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
                        {"type": "WORKFLOW_NAME", "pattern": f"^({'|'.join(WORKFLOWS)})$"},
                        {"type": "ACTOR_ACCOUNT_ID", "pattern": actor_pattern(actor_ids)},
                    ]
                }
            ],
            opts=child,
        )
        self.project_name = codebuild.name
        self.security_group_id = group.id
        self.label = runner_label(project)
        self.register_outputs(
            {
                "project_name": self.project_name,
                "security_group_id": self.security_group_id,
                "label": self.label,
            }
        )
