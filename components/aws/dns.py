"""The chat's host name in Route53: an alias A record to the load balancer in front of Traefik,
valid at the zone apex (where a CNAME is not allowed) as well as below it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.eks import ClusterRef


class DnsRecord(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the cluster the load balancer's Service is read from
        hosted_zone_id: str,  # the Route53 zone the record goes in
        host: str,  # the record's name: the chat's host
        # From the outputs of what creates the Service: a preview reads it (depends_on does not
        # hold a read back) unless its ID is still unknown, as it is before the Service exists.
        load_balancer_service: pulumi.Output[str],  # namespace/name of the LoadBalancer Service
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:DnsRecord", name, None, opts)
        service = k8s.core.v1.Service.get(
            f"{name}-lb",
            load_balancer_service,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        hostname = service.status.load_balancer.ingress[0].hostname
        # The Route53 zone AWS keeps this region's network load balancers in.
        nlb_zone = aws.lb.get_hosted_zone_id(load_balancer_type="network").id
        aws.route53.Record(
            name,
            zone_id=hosted_zone_id,
            name=host,
            type="A",
            aliases=[{"name": hostname, "zone_id": nlb_zone, "evaluate_target_health": True}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"target": hostname})
