"""The EKS control plane: pinned version on standard support, access entries, KMS-encrypted
secrets, control-plane logs, API endpoint open only to configured CIDRs, an OIDC provider for
IRSA, and the Kubernetes provider that talks to it. The cluster and its key are protected (unless
the stack allows their replacement): a change that would replace either fails the preview."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# Once a minor leaves standard support, EKS's default (EXTENDED) keeps it running at about six
# times the control-plane price; STANDARD upgrades it instead, so upgrades stay our decision to
# make on time (docs/aws.md, "Upgrading Kubernetes").
SUPPORT_TYPE = "STANDARD"


@dataclass(frozen=True)
class ClusterRef:
    """The EKS cluster as what runs on it or beside it knows it: one reference, not loose ARNs."""

    name: pulumi.Output[str]  # the cluster's name (an Output: what uses it waits for the cluster)
    version: str  # its Kubernetes minor, e.g. "1.35": node groups, add-ons and autoscaler follow it
    region: str  # the AWS region it runs in
    security_group_id: pulumi.Output[str]  # the cluster security group: nodes, pods, private API
    oidc_provider_arn: pulumi.Output[str]  # the IAM OIDC provider that IRSA roles trust
    oidc_provider_url: pulumi.Output[str]  # that provider's issuer, https://oidc.eks...
    kubeconfig: pulumi.Output[str]  # a secret; its user gets tokens from `aws eks get-token`
    provider: k8s.Provider  # the Kubernetes provider for the cluster's API


def assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that gets short-lived tokens from `aws eks get-token` (no static credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                        }
                    },
                }
            ],
        }
    )


class EksCluster(pulumi.ComponentResource):
    ref: ClusterRef

    def __init__(
        self,
        name: str,
        *,
        version: str,  # the Kubernetes minor, one of releases.py's
        region: str,  # the AWS region, for the kubeconfig's `aws eks get-token`
        subnet_ids: list[pulumi.Output[str]],  # the private subnets the control plane's ENIs use
        public_access_cidrs: list[str],  # the only sources the public API endpoint answers
        log_retention_days: int,  # how long the control-plane logs are kept
        protect: bool,  # refuse any change that would replace or delete the cluster or its key
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of {name}'s Kubernetes secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        role = aws.iam.Role(
            f"{name}-cluster", assume_role_policy=assume_role_policy("eks.amazonaws.com"), opts=child
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cluster",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        # EKS writes to this group once logging is on; made first, it gets a retention (EKS's own
        # would keep the logs forever).
        logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{name}/cluster",
            retention_in_days=log_retention_days,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            name,
            name=name,
            version=version,
            role_arn=role.arn,
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            upgrade_policy={"support_type": SUPPORT_TYPE},
            vpc_config={
                "subnet_ids": subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": True,
                "public_access_cidrs": public_access_cidrs,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, logs], protect=protect),
        )
        oidc = aws.iam.OpenIdConnectProvider(
            name,
            url=cluster.identities[0].oidcs[0].issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )
        config: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
                lambda a: kubeconfig(a[0], a[1], a[2], region)
            )
        )
        self.ref = ClusterRef(
            name=cluster.name,
            version=version,
            region=region,
            security_group_id=cluster.vpc_config.cluster_security_group_id,
            oidc_provider_arn=oidc.arn,
            oidc_provider_url=oidc.url,
            kubeconfig=config,
            provider=k8s.Provider(f"{name}-k8s", kubeconfig=config, opts=child),
        )
        self.register_outputs({"name": self.ref.name, "kubeconfig": self.ref.kubeconfig})
