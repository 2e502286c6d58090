"""IAM Roles for Service Accounts: a role only one Kubernetes service account can assume."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef


def trust_policy(oidc_arn: str, oidc_url: str, namespace: str, service_account: str) -> str:
    issuer = oidc_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    name: str,
    *,
    cluster: ClusterRef,  # the cluster whose OIDC provider vouches for the service account
    namespace: str,  # the service account's namespace
    service_account: str,  # the only service account that may assume the role
    parent: pulumi.Resource,  # the component the role belongs to
    policy: pulumi.Input[dict[str, Any]] | None = None,  # an inline policy: the role's permissions
    managed_policy_arn: str | None = None,  # or one AWS-managed policy
) -> aws.iam.Role:
    """The role, with an inline `policy` or one AWS-managed policy as its only permissions."""
    role = aws.iam.Role(
        name,
        assume_role_policy=pulumi.Output.all(cluster.oidc_provider_arn, cluster.oidc_provider_url).apply(
            lambda a: trust_policy(a[0], a[1], namespace, service_account)
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if policy is not None:
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=pulumi.Output.from_input(policy).apply(json.dumps),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    if managed_policy_arn is not None:
        aws.iam.RolePolicyAttachment(
            name, role=role.name, policy_arn=managed_policy_arn, opts=pulumi.ResourceOptions(parent=parent)
        )
    return role
