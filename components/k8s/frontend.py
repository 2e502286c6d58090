"""The web app: NGINX (unprivileged) serving the built React app; same workload hygiene as the backend."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.k8s.hygiene import Resources
from components.k8s.workload import AppArgs, Workload, WorkloadSpec

PORT = 8080
DEFAULT_RESOURCES = Resources("50m", "32Mi", "250m", "128Mi")
UID = 10101  # a high UID; nginx-unprivileged runs as any user (its writable paths are in /tmp)


@dataclass(frozen=True, kw_only=True)
class FrontendArgs(AppArgs):
    resources: Resources = DEFAULT_RESOURCES


class Frontend(pulumi.ComponentResource):
    service_name: pulumi.Output[str]

    def __init__(self, name: str, args: FrontendArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:Frontend", name, None, opts)
        self.workload = Workload(
            WorkloadSpec.for_app(
                name, args, port=PORT, uid=UID, readiness_path="/healthz", liveness_path="/healthz"
            ),
            parent=self,
        )
        self.service_name = self.workload.service.metadata.name
        self.register_outputs({"service_name": self.service_name})
