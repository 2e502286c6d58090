"""Who may use the cluster, by EKS access entry (the cluster's `authenticationMode` is API): one
access policy for a set of IAM roles, cluster-wide.

Administrators are the pipeline's environment-gated deploy role and break-glass roles. The role a
pull-request run assumes gets the read-only view policy: the Kubernetes provider previews with
server-side dry runs, and where Kubernetes forbids those to a reader it falls back to a
client-side diff, so a preview never needs write access (policy/ fails a preview that grants more).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef

_POLICIES = "arn:aws:eks::aws:cluster-access-policy"
CLUSTER_ADMIN_POLICY = f"{_POLICIES}/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = f"{_POLICIES}/AmazonEKSViewPolicy"  # read-only, Secrets excluded
# The component type stacks deployed before registered their administrators under.
_ADMINS_TYPE = "chat-platform:aws:ClusterAdmins"


def admins_alias() -> pulumi.Alias:
    """For the administrators' ClusterAccess: it was a ClusterAdmins (same name) before."""
    return pulumi.Alias(type_=_ADMINS_TYPE)


def moved_from_admins(admins_name: str, role_arn: str) -> list[pulumi.Alias]:
    """For an entry that was an administrator's under ClusterAdmins `admins_name` before (the
    preview role): known by its old URN, the entry stays in place and only its policy changes,
    where a new entry for the same role would be refused while the old one still exists."""
    parent = pulumi.resource.create_urn(admins_name, _ADMINS_TYPE)
    return [pulumi.Alias(name=_entry_name(admins_name, role_arn), parent=parent)]


def _entry_name(component: str, role_arn: str) -> str:
    return f"{component}-{role_arn.rsplit('/', 1)[1]}"


class ClusterAccess(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster they may use
        role_arns: Sequence[str],  # IAM role ARNs (not assumed-role session ARNs), role names unique
        policy_arn: str,  # the EKS access policy every one of them gets, cluster-wide
        moved_from: str | None = None,  # the ClusterAdmins whose entries these roles had before, if any
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:ClusterAccess", name, None, opts)
        principals: list[pulumi.Output[str]] = []
        for role_arn in role_arns:
            moved = moved_from_admins(moved_from, role_arn) if moved_from else []
            entry = aws.eks.AccessEntry(
                _entry_name(name, role_arn),
                cluster_name=cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                opts=pulumi.ResourceOptions(parent=self, aliases=moved),
            )
            aws.eks.AccessPolicyAssociation(
                _entry_name(name, role_arn),
                cluster_name=entry.cluster_name,  # and so it waits for the entry
                # Given as is, known even in a first preview: the guardrails check who gets what.
                principal_arn=role_arn,
                policy_arn=policy_arn,
                access_scope={"type": "cluster"},
                opts=pulumi.ResourceOptions(parent=self, aliases=moved),
            )
            principals.append(entry.principal_arn)
        self.register_outputs({"principal_arns": principals, "policy_arn": policy_arn})
