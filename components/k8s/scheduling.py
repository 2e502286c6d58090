"""Where app pods may run. minikube needs nothing; aws prefers spot nodes and tolerates their taint."""

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
