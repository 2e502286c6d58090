"""The chat's host name in Route53: an alias A record to the load balancer in front of Traefik,
valid at the zone apex (where a CNAME is not allowed) as well as below it."""

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
        # The Route53 zone AWS keeps this region's network load balancers in.
        nlb_zone = aws.lb.get_hosted_zone_id(load_balancer_type="network").id
        aws.route53.Record(
            name,
            zone_id=args.hosted_zone_id,
            name=args.host,
            type="A",
            aliases=[{"name": hostname, "zone_id": nlb_zone, "evaluate_target_health": True}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"target": hostname})
