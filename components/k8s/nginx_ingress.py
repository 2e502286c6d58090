"""minikube's ingress: the NGINX ingress class (minikube's `ingress` addon) routes `/api`
to the backend, with WebSocket-friendly timeouts, and everything else to the frontend."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.k8s import backend, frontend
from components.k8s.workload import WEBSOCKET_IDLE_SECONDS, IngressController

# minikube's `ingress` addon: the controller's namespace and its pods' labels.
CONTROLLER = IngressController(
    "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
)


@dataclass(frozen=True)
class NginxIngressArgs:
    namespace: pulumi.Input[str]
    host: str
    backend_service: pulumi.Input[str]
    frontend_service: pulumi.Input[str]


class NginxIngress(pulumi.ComponentResource):
    def __init__(self, name: str, args: NginxIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:NginxIngress", name, None, opts)

        def route(path: str, service: pulumi.Input[str], port: int) -> dict[str, object]:
            return {
                "path": path,
                "path_type": "Prefix",
                "backend": {"service": {"name": service, "port": {"number": port}}},
            }

        self.ingress = k8s.networking.v1.Ingress(
            name,
            metadata={
                "name": name,
                "namespace": args.namespace,
                "annotations": {
                    # A WebSocket lives for hours; NGINX's 60 s default would cut it.
                    "nginx.ingress.kubernetes.io/proxy-read-timeout": str(WEBSOCKET_IDLE_SECONDS),
                    "nginx.ingress.kubernetes.io/proxy-send-timeout": str(WEBSOCKET_IDLE_SECONDS),
                    "nginx.ingress.kubernetes.io/proxy-body-size": str(backend.MAX_BODY_BYTES),
                },
            },
            spec={
                "ingress_class_name": "nginx",
                "rules": [
                    {
                        "host": args.host,
                        "http": {
                            "paths": [
                                route("/api", args.backend_service, backend.PORT),
                                route("/", args.frontend_service, frontend.PORT),
                            ]
                        },
                    }
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"host": args.host})
