"""cert-manager (pinned chart, CRDs included; controller, webhook and cainjector with two
replicas each, PDBs and spread over nodes and zones) with Let's Encrypt ClusterIssuers (staging and
production) solving DNS-01 in Route53 through an IRSA role scoped to the hosted zone, and the
Certificate for the chat's host."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aws.eks import ClusterRef
from components.aws.irsa import irsa_role
from components.aws.nodegroups import SYSTEM_SELECTOR, SYSTEM_TOLERATIONS
from components.k8s.helm import Chart, release
from components.k8s.scheduling import spread_over_nodes_and_zones

CHART = Chart("cert-manager", "v1.21.2", "https://charts.jetstack.io")
NAMESPACE, SERVICE_ACCOUNT = "cert-manager", "cert-manager"
CONTROLLER_RESOURCES = {
    "requests": {"cpu": "50m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}
HELPER_RESOURCES = {
    "requests": {"cpu": "20m", "memory": "64Mi"},
    "limits": {"cpu": "200m", "memory": "128Mi"},
}
ACME = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}


def highly_available(component: str, resources: dict[str, Any]) -> dict[str, Any]:
    """Chart values for one of cert-manager's Deployments: two replicas that never go down together.
    A lone webhook down means every cert-manager object's admission fails."""
    labels = {"app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": component}
    return {
        "replicaCount": 2,
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": spread_over_nodes_and_zones(labels),
        "nodeSelector": SYSTEM_SELECTOR,
        "tolerations": SYSTEM_TOLERATIONS,
        "resources": resources,
    }


def dns01_policy(hosted_zone_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
            {
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Resource": f"arn:aws:route53:::hostedzone/{hosted_zone_id}",
                # Only the TXT records of the ACME challenge.
                "Condition": {
                    "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}
                },
            },
            {"Effect": "Allow", "Action": "route53:ListHostedZonesByName", "Resource": "*"},
        ],
    }


class CertManager(pulumi.ComponentResource):
    certificate: k8s.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster it runs in (IRSA for Route53)
        hosted_zone_id: str,  # the Route53 zone the DNS-01 challenges are answered in
        email: str,  # the ACME account's contact address
        production: bool,  # Let's Encrypt production, else staging (untrusted certificates)
        host: str,  # the chat's host name: the certificate's only name
        app_namespace: pulumi.Input[str],  # where the Certificate and its Secret live
        tls_secret: str,  # the name of the Secret the certificate is written to
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:CertManager", name, None, opts)
        role = irsa_role(
            name,
            cluster=cluster,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            policy=dns01_policy(hosted_zone_id),
        )
        self.release = release(
            name,
            CHART,
            NAMESPACE,
            {
                "crds": {"enabled": True},
                "serviceAccount": {
                    "name": SERVICE_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                # Lets the controller read its projected IRSA token.
                "securityContext": {"fsGroup": 1001},
                **highly_available("controller", CONTROLLER_RESOURCES),
                "webhook": highly_available("webhook", HELPER_RESOURCES),
                "cainjector": highly_available("cainjector", HELPER_RESOURCES),
                # The install's post-install check Job runs on the system nodes too.
                "startupapicheck": {"nodeSelector": SYSTEM_SELECTOR, "tolerations": SYSTEM_TOLERATIONS},
            },
            parent=self,
        )
        after_chart = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        issuers = [
            k8s.apiextensions.CustomResource(
                f"{name}-{issuer}",
                api_version="cert-manager.io/v1",
                kind="ClusterIssuer",
                metadata={"name": issuer},
                spec={
                    "acme": {
                        "server": server,
                        "email": email,
                        "privateKeySecretRef": {"name": f"{issuer}-account"},
                        "solvers": [
                            {
                                "dns01": {
                                    "route53": {"region": cluster.region, "hostedZoneID": hosted_zone_id}
                                },
                                # By name, not zone: the host may be the zone's apex.
                                "selector": {"dnsNames": [host]},
                            }
                        ],
                    }
                },
                opts=after_chart,
            )
            for issuer, server in ACME.items()
        ]
        chosen = "letsencrypt-production" if production else "letsencrypt-staging"
        self.certificate = k8s.apiextensions.CustomResource(
            f"{name}-certificate",
            api_version="cert-manager.io/v1",
            kind="Certificate",
            metadata={"name": "chat", "namespace": app_namespace},
            spec={
                "secretName": tls_secret,
                "dnsNames": [host],
                "issuerRef": {"kind": "ClusterIssuer", "name": chosen},
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release, *issuers]),
        )
        self.register_outputs({"issuer": chosen})
