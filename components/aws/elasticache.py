"""ElastiCache (Redis OSS) instead of in-cluster Redis: private subnets, Multi-AZ with automatic
failover, TLS in transit, encryption at rest, a generated AUTH token, retained snapshots and a
final one when the group is deleted, and a security group that admits the Redis port only from the cluster.
Its `url` is rediss:// with the token. The group is protected: a change that would replace it (and
lose the history it holds) fails the preview unless the stack allows it.

One shard is a primary with replicas; more shards are cluster mode enabled (the rooms spread
over the shards' primaries, each with its replicas), reached through the configuration endpoint."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws.eks import ClusterRef
from components.aws.private_store import admit_cluster_only, reached_in
from components.k8s.workload import Egress
from components.redis_port import REDIS_PORT


class ElastiCache(pulumi.ComponentResource):
    url: pulumi.Output[str]  # rediss://:token@endpoint:REDIS_PORT/0, a secret Output
    cluster: bool  # cluster mode enabled: more than one shard
    reach: Egress  # its nodes' subnets: outside the cluster, so only addresses select them

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the only clients: its security group is admitted on REDIS_PORT
        vpc_id: pulumi.Input[str],  # the cluster's VPC
        subnet_ids: list[pulumi.Output[str]],  # private subnets, one per zone the nodes spread over
        subnet_cidrs: list[str],  # those subnets' ranges, where its nodes take their addresses
        node_type: str,  # e.g. cache.t4g.medium
        engine_version: str,  # Redis OSS version, e.g. 7.1
        replicas: int,  # nodes per shard (primary + replicas), at least 2 for failover
        shards: int,  # 1: one replication group without cluster mode; more: cluster mode enabled
        snapshot_days: int,  # how long daily snapshots are kept
        auth_update: str,  # ROTATE keeps the previous token valid too; SET revokes it
        final_snapshot: str,  # the snapshot taken when the group is deleted, unique in the account
        protect: bool,  # refuse any change that would replace or delete the group
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:ElastiCache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.reach = reached_in(subnet_cidrs, REDIS_PORT)
        group = admit_cluster_only(
            name, what="Redis", port=REDIS_PORT, cluster=cluster, vpc_id=vpc_id, opts=child
        )
        subnets = aws.elasticache.SubnetGroup(name, subnet_ids=subnet_ids, opts=child)
        # AUTH tokens allow printable ASCII except @, " and /; letters and digits are always valid.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=child)
        # The default groups evict keys with a TTL (sessions, rate limits) when memory runs out;
        # the chat wants writes refused instead (sends answered `unavailable`), as in-cluster.
        parameters = aws.elasticache.ParameterGroup(
            name,
            family=f"redis{engine_version.split('.')[0]}",
            description="chat-platform: refuse writes when full, never evict",
            parameters=[
                {"name": "maxmemory-policy", "value": "noeviction"},
                {"name": "cluster-enabled", "value": "yes" if shards > 1 else "no"},
            ],
            opts=child,
        )
        replication_group = aws.elasticache.ReplicationGroup(
            name,
            description="chat-platform message store",
            engine="redis",
            engine_version=engine_version,
            node_type=node_type,
            port=REDIS_PORT,
            **_topology(replicas, shards),
            parameter_group_name=parameters.name,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            auth_token=token.result,
            auth_token_update_strategy=auth_update,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            snapshot_retention_limit=snapshot_days,
            snapshot_window="03:00-04:00",
            final_snapshot_identifier=final_snapshot,
            maintenance_window="sun:05:00-sun:06:00",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.cluster = shards > 1
        endpoint = (
            replication_group.configuration_endpoint_address
            if self.cluster
            else replication_group.primary_endpoint_address
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.concat("rediss://:", token.result, "@", endpoint, f":{REDIS_PORT}/0")
        )
        self.register_outputs({"url": self.url})


def _topology(replicas: int, shards: int) -> dict[str, object]:
    """The replication group's shape: one primary with replicas, or shards in cluster mode."""
    if shards == 1:
        return {"num_cache_clusters": replicas}
    return {"cluster_mode": "enabled", "num_node_groups": shards, "replicas_per_node_group": replicas - 1}
