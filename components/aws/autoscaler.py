"""cluster-autoscaler (the chart built for the cluster's minor version and the image of that
minor, both from components/aws/releases.py) with an IRSA role whose write actions only touch
this cluster's tagged Auto Scaling groups, growing the spot group first (the priority expander)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.aws.eks import ClusterRef
from components.aws.irsa import irsa_role
from components.aws.nodegroups import SYSTEM_SELECTOR, SYSTEM_TOLERATIONS
from components.aws.releases import RELEASES
from components.k8s.helm import Chart, release

REPOSITORY = "https://kubernetes.github.io/autoscaler"
NAMESPACE, SERVICE_ACCOUNT = "kube-system", "cluster-autoscaler"
# The ConfigMap the priority expander reads its priorities from (a fixed name in its namespace).
PRIORITIES_CONFIGMAP = "cluster-autoscaler-priority-expander"
# Highest first; least-waste only breaks ties within one priority.
EXPANDER = "priority,least-waste"
SPOT_PRIORITY, ON_DEMAND_PRIORITY = 50, 10


def expander_priorities(spot_group: str, on_demand_group: str) -> str:
    """The priority expander's `priorities`: the spot node group first, the on-demand one only when
    spot cannot grow. It matches Auto Scaling group names, eks-<node group name>-<uuid> for
    managed node groups."""
    return yaml.safe_dump(
        {SPOT_PRIORITY: [f"^eks-{spot_group}-"], ON_DEMAND_PRIORITY: [f"^eks-{on_demand_group}-"]}
    )


def autoscaler_policy(cluster_name: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ScaleOnlyThisClustersGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                    }
                },
            },
        ],
    }


class ClusterAutoscaler(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster whose node groups it scales; its minor picks chart and image
        spot_group: pulumi.Output[str],  # the spot node group's name: grown first
        on_demand_group: pulumi.Output[str],  # the on-demand node group's name: grown only when spot cannot
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:ClusterAutoscaler", name, None, opts)
        pinned = RELEASES[cluster.version]
        role = irsa_role(
            name,
            cluster=cluster,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            policy=cluster.name.apply(autoscaler_policy),
        )
        priorities = k8s.core.v1.ConfigMap(
            PRIORITIES_CONFIGMAP,
            metadata={"name": PRIORITIES_CONFIGMAP, "namespace": NAMESPACE},
            data={
                "priorities": pulumi.Output.all(spot_group, on_demand_group).apply(
                    lambda groups: expander_priorities(groups[0], groups[1])
                )
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = release(
            name,
            Chart("cluster-autoscaler", pinned.autoscaler_chart, REPOSITORY),
            NAMESPACE,
            {
                "autoDiscovery": {"clusterName": cluster.name},
                "awsRegion": cluster.region,
                "image": {"tag": pinned.autoscaler_image},
                "rbac": {
                    "serviceAccount": {
                        "name": SERVICE_ACCOUNT,
                        "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                    }
                },
                "extraArgs": {
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": EXPANDER,
                },
                "nodeSelector": SYSTEM_SELECTOR,
                "tolerations": SYSTEM_TOLERATIONS,
                "resources": {
                    "requests": {"cpu": "100m", "memory": "300Mi"},
                    "limits": {"cpu": "500m", "memory": "600Mi"},
                },
            },
            parent=self,
            depends_on=[priorities],
        )
        self.register_outputs({"role_arn": role.arn})
