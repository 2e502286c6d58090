"""The NetworkPolicy every in-cluster data store carries: only the pods it admits may connect,
on its one port; everything else in the cluster (and outside it) is refused."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def admit_only(
    metadata: dict[str, Any], pod_labels: dict[str, str], port: int, parent: pulumi.Resource
) -> k8s.networking.v1.NetworkPolicy:
    """A NetworkPolicy named and labelled by `metadata`, selecting the pods its labels select, that
    lets in only the pods carrying `pod_labels`, on TCP `port`."""
    return k8s.networking.v1.NetworkPolicy(
        metadata["name"],
        metadata=metadata,
        spec={
            "pod_selector": {"match_labels": metadata["labels"]},
            "policy_types": ["Ingress"],
            "ingress": [
                {
                    "from": [{"pod_selector": {"match_labels": pod_labels}}],
                    "ports": [{"protocol": "TCP", "port": port}],
                }
            ],
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
