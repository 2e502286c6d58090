"""aws-node-termination-handler in IMDS mode, on spot nodes only, when asked for
(`awsSpotTerminationHandler`): on a two-minute spot interruption notice it cordons and drains
the node so PDBs and graceful shutdown apply. Off by default: managed node groups already drain
spot nodes on rebalance recommendations (Capacity Rebalancing)."""

from __future__ import annotations

import pulumi

from components.aws.nodegroups import CAPACITY_LABEL, SPOT_TAINT
from components.k8s.helm import Chart, release

# The maintained chart, published to ECR Public as OCI (the eks-charts copy is deprecated).
CHART = Chart("aws-node-termination-handler", "0.27.6", "oci://public.ecr.aws/aws-ec2/helm")


class SpotTerminationHandler(pulumi.ComponentResource):
    def __init__(self, name: str, *, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:aws:SpotTerminationHandler", name, None, opts)
        self.release = release(
            name,
            CHART,
            "kube-system",
            {
                # IMDS mode: a DaemonSet polling each spot node's metadata (no SQS queue).
                "enableSqsTerminationDraining": False,
                "enableSpotInterruptionDraining": True,
                "enableRebalanceMonitoring": True,
                "enableRebalanceDraining": False,
                "enableScheduledEventDraining": True,
                "nodeSelector": {CAPACITY_LABEL: "SPOT"},
                "tolerations": [{"key": SPOT_TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}],
                "resources": {
                    "requests": {"cpu": "20m", "memory": "40Mi"},
                    "limits": {"cpu": "100m", "memory": "100Mi"},
                },
            },
            parent=self,
        )
        self.register_outputs({})
