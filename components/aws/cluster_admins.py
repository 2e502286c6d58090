"""Cluster administrators by EKS access entry (the cluster's `authenticationMode` is API):
the pipeline's deploy and preview roles and any break-glass role. The preview role needs it too:
the Kubernetes provider previews with server-side dry runs, which Kubernetes authorizes like
writes (its IAM policy stays read-only)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


class ClusterAdmins(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster they administer
        role_arns: Sequence[str],  # IAM role ARNs (not assumed-role session ARNs), role names unique
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:ClusterAdmins", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        principals: list[pulumi.Output[str]] = []
        for role_arn in role_arns:
            role_name = role_arn.rsplit("/", 1)[1]
            entry = aws.eks.AccessEntry(
                f"{name}-{role_name}",
                cluster_name=cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-{role_name}",
                cluster_name=entry.cluster_name,
                principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope={"type": "cluster"},
                opts=child,
            )
            principals.append(entry.principal_arn)
        self.register_outputs({"principal_arns": principals})
