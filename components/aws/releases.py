"""What runs on each supported EKS minor version, pinned in one table: the cluster-autoscaler
chart built for that minor and its image, and every EKS add-on's exact version. Moving the
cluster to another minor is a change of `awsKubernetesVersion` that shows up in `pulumi preview`
as an explicit diff of each of these.

Add-on versions come from `aws eks describe-addon-versions --kubernetes-version <minor>
--addon-name <name>`; the autoscaler chart's `appVersion` from its Chart.yaml upstream."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EksRelease:
    autoscaler_chart: str  # cluster-autoscaler chart version
    autoscaler_chart_app_version: str  # that chart's appVersion: the autoscaler it was built for
    autoscaler_image: str  # registry.k8s.io/autoscaling/cluster-autoscaler tag
    addons: dict[str, str]


RELEASES = {
    "1.34": EksRelease(
        autoscaler_chart="9.53.0",
        autoscaler_chart_app_version="1.34.2",
        autoscaler_image="v1.34.5",
        addons={
            "vpc-cni": "v1.20.4-eksbuild.2",
            "kube-proxy": "v1.34.3-eksbuild.2",
            "coredns": "v1.12.4-eksbuild.1",
            "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
            "metrics-server": "v0.8.1-eksbuild.6",
        },
    ),
    "1.35": EksRelease(
        autoscaler_chart="9.59.0",
        autoscaler_chart_app_version="1.35.0",
        autoscaler_image="v1.35.2",
        addons={
            "vpc-cni": "v1.21.1-eksbuild.1",
            "kube-proxy": "v1.35.0-eksbuild.2",
            "coredns": "v1.13.2-eksbuild.3",
            "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
            "metrics-server": "v0.8.1-eksbuild.6",
        },
    ),
}
