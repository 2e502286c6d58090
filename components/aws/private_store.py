"""What a managed data store outside the cluster (ElastiCache, RDS) needs to be reached by the
chat only: a security group admitting its port from the EKS cluster's security group alone, and
the backend's egress to the private subnets where its nodes take their addresses."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.aws.eks import ClusterRef
from components.k8s.workload import Egress


def admit_cluster_only(
    name: str,
    *,
    what: str,  # the store, as its descriptions name it (Redis, PostgreSQL)
    port: int,
    cluster: ClusterRef,
    vpc_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,  # the store component's children
) -> aws.ec2.SecurityGroup:
    group = aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=f"chat {what}: {port} from the EKS cluster only",
        tags={"Name": f"{name}-{what.lower()}"},
        opts=opts,
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-cluster",
        security_group_id=group.id,
        referenced_security_group_id=cluster.security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{what} from EKS nodes and pods",
        opts=opts,
    )
    return group


def reached_in(subnet_cidrs: list[str], port: int) -> Egress:
    """The backend's egress to a store whose nodes take their addresses in these subnets."""
    return Egress(tuple({"ip_block": {"cidr": cidr}} for cidr in subnet_cidrs), (port,))
