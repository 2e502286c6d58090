"""EKS-managed add-ons, each at the exact version components/aws/releases.py pins for the
cluster's minor. The VPC CNI enforces NetworkPolicies; metrics-server feeds the backend's
HorizontalPodAutoscaler. Add-ons whose pods need nodes wait for the node groups and run on the
tainted system nodes; the EBS CSI driver gets its own IRSA role."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef
from components.aws.irsa import irsa_role
from components.aws.nodegroups import SYSTEM_SELECTOR, SYSTEM_TOLERATIONS
from components.aws.releases import RELEASES

EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
# Where an add-on's Deployment runs: the system nodes, whose taint it tolerates. (The DaemonSets,
# vpc-cni, kube-proxy and the EBS CSI node plugin, tolerate every taint already.)
ON_SYSTEM_NODES = {"nodeSelector": SYSTEM_SELECTOR, "tolerations": SYSTEM_TOLERATIONS}


class EksAddons(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster they run in; its minor picks each add-on's version
        node_groups: Sequence[pulumi.Resource],  # the add-ons whose pods need nodes wait for these
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:EksAddons", name, None, opts)
        ebs_role = irsa_role(
            f"{name}-ebs-csi",
            cluster=cluster,
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            parent=self,
            managed_policy_arn=EBS_CSI_POLICY,
        )

        versions = RELEASES[cluster.version].addons

        def addon(
            addon_name: str,
            role_arn: pulumi.Input[str] | None = None,
            after_nodes: bool = False,
            configuration: dict[str, Any] | None = None,
        ) -> None:
            aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=cluster.name,
                addon_name=addon_name,
                addon_version=versions[addon_name],
                configuration_values=json.dumps(configuration) if configuration else None,
                service_account_role_arn=role_arn,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(node_groups) if after_nodes else []),
            )

        # Without the network policy agent the VPC CNI ignores NetworkPolicy objects.
        addon("vpc-cni", configuration={"enableNetworkPolicy": "true"})
        addon("kube-proxy")
        addon("coredns", after_nodes=True, configuration=ON_SYSTEM_NODES)
        addon(
            "aws-ebs-csi-driver",
            role_arn=ebs_role.arn,
            after_nodes=True,
            configuration={"controller": ON_SYSTEM_NODES},
        )
        addon("metrics-server", after_nodes=True, configuration=ON_SYSTEM_NODES)
        self.register_outputs({})
