"""What the in-cluster data stores (Redis, PostgreSQL: one-pod StatefulSets) share: their
data volume's claim, a Secret's key mounted as a file, and the Service's name inside the cluster."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def data_claim(labels: dict[str, str], storage_class: str, storage_size: str) -> dict[str, Any]:
    """The StatefulSet's `data` volume claim template: one ReadWriteOnce volume per pod."""
    return {
        "metadata": {"name": "data", "labels": labels},
        "spec": {
            "access_modes": ["ReadWriteOnce"],
            "storage_class_name": storage_class,
            "resources": {"requests": {"storage": storage_size}},
        },
    }


def secret_file(secret: k8s.core.v1.Secret, key: str, path: str) -> dict[str, Any]:
    """A volume `auth` holding the secret's `key` alone, as the file `path`."""
    return {
        "name": "auth",
        "secret": {"secret_name": secret.metadata.name, "items": [{"key": key, "path": path}]},
    }


def service_host(name: str, namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Service's DNS name inside the cluster."""
    return pulumi.Output.concat(name, ".", namespace, ".svc.cluster.local")
