"""Managed node groups: an on-demand `system` group for the platform's controllers and a `spot`
group of several same-shape instance types for the chat's pods. Both are tainted: only the system
add-ons tolerate the system taint (SYSTEM_TOLERATIONS), only the chat's pods the spot one, so app
pods can never land on, or make the autoscaler grow, the on-demand group."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.aws.config import NodeGroupSize
from components.aws.eks import ClusterRef, assume_role_policy

SPOT_TAINT = {"key": "chat-platform/spot", "value": "true", "effect": "NO_SCHEDULE"}
# The conventional key for nodes kept for cluster add-ons: EKS's coredns and EBS CSI controller
# tolerate it out of the box.
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
# What a system add-on's pods carry (the Kubernetes spelling of the effect).
SYSTEM_TOLERATIONS = [{"key": SYSTEM_TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}]
# EKS labels every managed node with its capacity type.
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
SYSTEM_SELECTOR = {CAPACITY_LABEL: "ON_DEMAND"}
NODE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
]


class NodeGroups(pulumi.ComponentResource):
    system: aws.eks.NodeGroup
    spot: aws.eks.NodeGroup
    groups: list[aws.eks.NodeGroup]

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster they join, at its version
        subnet_ids: list[pulumi.Output[str]],  # the private subnets the nodes run in
        system_instance_type: str,  # the on-demand `system` group's instance type
        system_size: NodeGroupSize,  # min, desired and max of the `system` group
        spot_instance_types: list[str],  # the `spot` group's same-shape instance types
        spot_size: NodeGroupSize,  # min, desired and max of the `spot` group
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:NodeGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-node", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), opts=child
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[1]}", role=role.name, policy_arn=arn, opts=child
            )
            for arn in NODE_POLICIES
        ]

        def group(
            pool: str, capacity: str, types: list[str], size: NodeGroupSize, taints: list[dict[str, str]]
        ) -> aws.eks.NodeGroup:
            return aws.eks.NodeGroup(
                f"{name}-{pool}",
                cluster_name=cluster.name,
                version=cluster.version,  # explicit: a cluster upgrade shows the groups' diff too
                node_role_arn=role.arn,
                subnet_ids=subnet_ids,
                capacity_type=capacity,
                instance_types=types,
                ami_type="AL2023_x86_64_STANDARD",
                scaling_config={"min_size": size.min, "desired_size": size.desired, "max_size": size.max},
                update_config={"max_unavailable": 1},
                labels={"chat-platform/pool": pool},
                taints=taints,
                # cluster-autoscaler owns the desired size once the group exists.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=attachments, ignore_changes=["scalingConfig.desiredSize"]
                ),
            )

        self.system = group("system", "ON_DEMAND", [system_instance_type], system_size, [SYSTEM_TAINT])
        self.spot = group("spot", "SPOT", spot_instance_types, spot_size, [SPOT_TAINT])
        self.groups = [self.system, self.spot]
        self.register_outputs({"groups": [g.node_group_name for g in self.groups]})
