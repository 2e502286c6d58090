"""The chat's host name in Route53, pointing at the load balancer in front of Traefik."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class DnsRecordArgs:
    hosted_zone_id: str
    host: str
    load_balancer_service: str  # namespace/name of the LoadBalancer Service
    traefik_release: pulumi.Resource
    k8s_provider: k8s.Provider


class DnsRecord(pulumi.ComponentResource):
    def __init__(self, name: str, args: DnsRecordArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:aws:DnsRecord", name, None, opts)
        service = k8s.core.v1.Service.get(
            f"{name}-lb",
            args.load_balancer_service,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=[args.traefik_release]
            ),
        )
        hostname = service.status.load_balancer.ingress[0].hostname
        aws.route53.Record(
            name,
            zone_id=args.hosted_zone_id,
            name=args.host,
            type="CNAME",
            ttl=60,
            records=[hostname],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"target": hostname})
