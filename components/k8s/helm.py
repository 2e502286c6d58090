"""Helm releases pinned to an exact chart version (never a range), from an HTTP chart
repository or an OCI registry (`oci://...`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

_EXACT = re.compile(r"^v?\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repository: str

    def __post_init__(self) -> None:
        if not _EXACT.fullmatch(self.version):
            raise ValueError(f"chart {self.name} must be pinned to an exact version, got {self.version!r}")


def release(
    name: str,
    chart: Chart,
    namespace: str,
    values: pulumi.Input[dict[str, Any]],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    skip_crds: bool = False,
) -> k8s.helm.v3.Release:
    """`skip_crds`: the CRDs are applied as resources of their own. Helm installs a chart's crds/
    folder once and never upgrades it, so a chart upgrade would leave the old CRDs behind."""
    # An OCI chart is named by its full reference; a repository chart by its name in the repository.
    oci = chart.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        name,
        name=name,
        chart=f"{chart.repository}/{chart.name}" if oci else chart.name,
        version=chart.version,
        repository_opts=None if oci else {"repo": chart.repository},
        namespace=namespace,
        create_namespace=True,
        atomic=True,
        cleanup_on_fail=True,
        timeout=900,
        skip_crds=skip_crds or None,  # unset rather than false: no diff on releases that install theirs
        values=values,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
