"""Where pods may run. minikube needs nothing; aws prefers spot nodes and tolerates their taint.
Every replicated pod of the platform spreads over nodes and zones the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scheduling:
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    preferred_node_labels: dict[str, str] = field(default_factory=dict)

    def affinity(self) -> dict[str, Any] | None:
        if not self.preferred_node_labels:
            return None
        expressions = [
            {"key": k, "operator": "In", "values": [v]} for k, v in self.preferred_node_labels.items()
        ]
        return {
            "node_affinity": {
                "preferred_during_scheduling_ignored_during_execution": [
                    {"weight": 100, "preference": {"match_expressions": expressions}}
                ]
            }
        }


def spread_over_nodes_and_zones(labels: dict[str, str]) -> list[dict[str, Any]]:
    """Topology spread for the pods matching `labels` (camelCase: also valid as Helm values)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]
