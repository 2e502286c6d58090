"""Traefik v3 (pinned chart, its CRDs applied as resources of their own) behind an internet-facing
NLB, HTTP redirected to HTTPS, and the chat's IngressRoutes: `/api` to the backend
(WebSocket-friendly) and `/` to the frontend, with HSTS and rate-limit middlewares. Traefik owns
only the header that belongs to the TLS it terminates (HSTS); the page's security headers have one
owner, the frontend's NGINX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.aws.eks import ClusterRef
from components.aws.nodegroups import SYSTEM_SELECTOR, SYSTEM_TOLERATIONS
from components.k8s import backend, frontend
from components.k8s.helm import Chart, release
from components.k8s.scheduling import spread_over_nodes_and_zones
from components.k8s.workload import SAFE_TO_EVICT_LOCAL_VOLUMES, WEBSOCKET_IDLE_SECONDS, IngressController

# The Traefik release, written once: chart 41.3.0's appVersion is v3.7.11 (traefik/Chart.yaml in
# traefik/traefik-helm-chart), and the image tag is set from TRAEFIK_VERSION, not left to the chart.
TRAEFIK_VERSION = "v3.7.11"
CHART = Chart("traefik", "41.3.0", "https://traefik.github.io/charts")
# The CRDs of TRAEFIK_VERSION, as Traefik publishes them: the Go module's
# docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml at that tag (the
# same as the chart's crds/ folder). Helm never upgrades a chart's crds/, so they are applied here.
CRDS = Path(__file__).parent / "traefik-crds" / f"{TRAEFIK_VERSION}.yaml"
NAMESPACE = "traefik"
API_VERSION = "traefik.io/v1alpha1"
CONTROLLER = IngressController(NAMESPACE, {"app.kubernetes.io/name": "traefik"})
HTTPS_REDIRECT = {"to": "websecure", "scheme": "https", "permanent": True}


def traefik_values() -> dict[str, Any]:
    return {
        "image": {"tag": TRAEFIK_VERSION},
        "deployment": {
            "replicas": 2,
            # The chart's `data` and `tmp` emptyDirs must not pin a node the autoscaler would remove.
            "podAnnotations": {SAFE_TO_EVICT_LOCAL_VOLUMES: "data,tmp"},
        },
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": spread_over_nodes_and_zones(CONTROLLER.pod_labels),
        "nodeSelector": SYSTEM_SELECTOR,
        "tolerations": SYSTEM_TOLERATIONS,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "ingressClass": {"enabled": False},
        "providers": {"kubernetesCRD": {"enabled": True}, "kubernetesIngress": {"enabled": False}},
        "ports": {
            "web": {"http": {"redirections": {"entryPoint": HTTPS_REDIRECT}}},
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
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
            },
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local"},
        },
        "accessLog": {"enabled": True},
    }


def crd_manifests() -> list[dict[str, Any]]:
    """The CustomResourceDefinitions of TRAEFIK_VERSION."""
    return [doc for doc in yaml.safe_load_all(CRDS.read_text()) if doc]


class Traefik(pulumi.ComponentResource):
    load_balancer_service: pulumi.Output[str]  # namespace/name of the NLB's Service, once it exists

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster the CRDs are applied to (by a provider of their own)
        app_namespace: pulumi.Input[str],  # where the chat's Services, routes and middlewares live
        host: str,  # the only host name routed
        tls_secret: str,  # the Secret holding the host's certificate
        backend_service: pulumi.Input[str],  # the Service `/api` goes to
        frontend_service: pulumi.Input[str],  # the Service everything else goes to
        certificate: pulumi.Resource,  # the Certificate that fills `tls_secret`: routes wait for it
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:Traefik", name, None, opts)
        # On stacks deployed before, Helm installed these CRDs (and never upgraded them): this
        # provider takes them over, where the cluster's would refuse to create what exists, and
        # forces past the fields Helm still owns. It manages nothing else.
        adopting = k8s.Provider(
            f"{name}-crds",
            kubeconfig=cluster.kubeconfig,
            upsert_existing_objects=True,
            enable_patch_force=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        crds = [
            k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-{crd['spec']['names']['plural']}",
                metadata=crd["metadata"],
                spec=crd["spec"],
                opts=pulumi.ResourceOptions(parent=self, provider=adopting),
            )
            for crd in crd_manifests()
        ]
        self.release = release(
            name, CHART, NAMESPACE, traefik_values(), parent=self, depends_on=crds, skip_crds=True
        )
        # The chart names its Service after the release. Read from the release's outputs, it is
        # unknown in a preview until the release exists, so the preview skips the read.
        self.load_balancer_service = pulumi.Output.concat(
            self.release.status.namespace, "/", self.release.status.name
        )
        # Custom resources need the CRDs; they also wait for the controller that serves them.
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*crds, self.release])

        def middleware(middleware_name: str, spec: dict[str, Any]) -> k8s.apiextensions.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{middleware_name}",
                api_version=API_VERSION,
                kind="Middleware",
                metadata={"name": middleware_name, "namespace": app_namespace},
                spec=spec,
                opts=after_crds,
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
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*crds, self.release, certificate, headers, limit]
            ),
        )
        self.register_outputs({"namespace": NAMESPACE, "load_balancer_service": self.load_balancer_service})
