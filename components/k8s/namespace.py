"""The chat's namespace, with the `restricted` Pod Security Standard enforced."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s


def chat_namespace(name: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace(
        name,
        metadata={
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
        opts=opts,
    )
