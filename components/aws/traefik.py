"""Traefik v3 (pinned chart) behind an internet-facing NLB, HTTP redirected to HTTPS, and
the chat's IngressRoutes: `/api` to the backend (WebSocket-friendly) and `/` to the frontend,
with HSTS and rate-limit middlewares. Traefik owns only the header that belongs to the TLS it
terminates (HSTS); the page's security headers have one owner, the frontend's NGINX."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aws.nodegroups import SYSTEM_SELECTOR
from components.k8s import backend, frontend
from components.k8s.helm import Chart, release
from components.k8s.scheduling import spread_over_nodes_and_zones
from components.k8s.workload import SAFE_TO_EVICT_LOCAL_VOLUMES, WEBSOCKET_IDLE_SECONDS, IngressController

CHART = Chart("traefik", "33.2.1", "https://traefik.github.io/charts")
NAMESPACE = "traefik"
API_VERSION = "traefik.io/v1alpha1"
CONTROLLER = IngressController(NAMESPACE, {"app.kubernetes.io/name": "traefik"})


def traefik_values() -> dict[str, Any]:
    return {
        "deployment": {
            "replicas": 2,
            # The chart's `data` and `tmp` emptyDirs must not pin a node the autoscaler would remove.
            "podAnnotations": {SAFE_TO_EVICT_LOCAL_VOLUMES: "data,tmp"},
        },
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": spread_over_nodes_and_zones(CONTROLLER.pod_labels),
        "nodeSelector": SYSTEM_SELECTOR,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "ingressClass": {"enabled": False},
        "providers": {"kubernetesCRD": {"enabled": True}, "kubernetesIngress": {"enabled": False}},
        "ports": {
            "web": {"redirectTo": {"port": "websecure"}},
            # WebSockets stay open for hours: no read/write timeouts on the TLS entry point.
            "websecure": {
                "transport": {
                    "respondingTimeouts": {
                        "readTimeout": 0,
                        "writeTimeout": 0,
                        "idleTimeout": WEBSOCKET_IDLE_SECONDS,
                    }
                }
            },
        },
        "service": {
            "type": "LoadBalancer",
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
            },
            "spec": {"externalTrafficPolicy": "Local"},
        },
        "logs": {"access": {"enabled": True}},
    }


class Traefik(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        app_namespace: pulumi.Input[str],  # where the chat's Services, routes and middlewares live
        host: str,  # the only host name routed
        tls_secret: str,  # the Secret holding the host's certificate
        backend_service: pulumi.Input[str],  # the Service `/api` goes to
        frontend_service: pulumi.Input[str],  # the Service everything else goes to
        certificate: pulumi.Resource,  # the Certificate that fills `tls_secret`: routes wait for it
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:Traefik", name, None, opts)
        self.release = release(name, CHART, NAMESPACE, traefik_values(), parent=self)
        # Custom resources need the chart's CRDs: depend on the release so the first `up` works.
        after_chart = pulumi.ResourceOptions(parent=self, depends_on=[self.release])

        def middleware(middleware_name: str, spec: dict[str, Any]) -> k8s.apiextensions.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{middleware_name}",
                api_version=API_VERSION,
                kind="Middleware",
                metadata={"name": middleware_name, "namespace": app_namespace},
                spec=spec,
                opts=after_chart,
            )

        headers = middleware(
            "hsts",
            {
                "headers": {
                    "stsSeconds": 63072000,
                    "stsIncludeSubdomains": True,
                    "stsPreload": True,
                    "forceSTSHeader": True,
                }
            },
        )
        limit = middleware("rate-limit", {"rateLimit": {"average": 50, "burst": 100, "period": "1s"}})

        def ref(resource: k8s.apiextensions.CustomResource) -> dict[str, Any]:
            return {"name": resource.metadata["name"], "namespace": app_namespace}

        self.ingress_route = k8s.apiextensions.CustomResource(
            name,
            api_version=API_VERSION,
            kind="IngressRoute",
            metadata={"name": "chat", "namespace": app_namespace},
            spec={
                "entryPoints": ["websecure"],
                "routes": [
                    {
                        "kind": "Rule",
                        "match": f"Host(`{host}`) && PathPrefix(`/api`)",
                        "middlewares": [ref(headers), ref(limit)],
                        "services": [{"name": backend_service, "port": backend.PORT}],
                    },
                    {
                        "kind": "Rule",
                        "match": f"Host(`{host}`)",
                        "middlewares": [ref(headers)],
                        "services": [{"name": frontend_service, "port": frontend.PORT}],
                    },
                ],
                "tls": {"secretName": tls_secret},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release, certificate, headers, limit]),
        )
        self.register_outputs({"namespace": NAMESPACE})
