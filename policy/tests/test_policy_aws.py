"""AWS guardrails: ElastiCache encryption + AUTH, security groups, ECR scanning."""

from __future__ import annotations

from typing import Any

import pytest
from guardrails import aws

GOOD_REDIS: dict[str, Any] = {
    "engine": "redis",
    "transitEncryptionEnabled": True,
    "atRestEncryptionEnabled": True,
    "authToken": "s" * 64,
}


def test_encrypted_authenticated_replication_group_passes() -> None:
    assert aws.elasticache_encrypted(aws.REPLICATION_GROUP, GOOD_REDIS) == []


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (
            "transitEncryptionEnabled",
            "ElastiCache replication group needs transitEncryptionEnabled: true (TLS)",
        ),
        ("atRestEncryptionEnabled", "ElastiCache replication group needs atRestEncryptionEnabled: true"),
        ("authToken", "ElastiCache replication group needs an authToken (Redis AUTH)"),
    ],
)
def test_replication_group_missing_protection_fails(missing: str, message: str) -> None:
    props = {k: v for k, v in GOOD_REDIS.items() if k != missing}
    assert aws.elasticache_encrypted(aws.REPLICATION_GROUP, props) == [message]


def test_explicitly_disabled_encryption_fails() -> None:
    props = {**GOOD_REDIS, "transitEncryptionEnabled": False, "atRestEncryptionEnabled": "false"}
    assert len(aws.elasticache_encrypted(aws.REPLICATION_GROUP, props)) == 2


def test_standalone_redis_cache_cluster_fails_but_member_passes() -> None:
    assert aws.elasticache_encrypted(aws.CACHE_CLUSTER, {"engine": "redis"})
    assert aws.elasticache_encrypted(aws.CACHE_CLUSTER, {"replicationGroupId": "chat"}) == []


def inline(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"vpcId": "vpc-1", "ingress": list(rules)}


@pytest.mark.parametrize("port", [80, 443])
def test_web_ports_to_the_world_pass(port: int) -> None:
    rule = {"protocol": "tcp", "fromPort": float(port), "toPort": float(port), "cidrBlocks": ["0.0.0.0/0"]}
    assert aws.security_groups_closed("aws:ec2/securityGroup:SecurityGroup", inline(rule)) == []


def test_private_ranges_pass_on_any_port() -> None:
    rule = {"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": ["10.40.0.0/16"]}
    assert aws.security_groups_closed("aws:ec2/securityGroup:SecurityGroup", inline(rule)) == []


@pytest.mark.parametrize("group_type", aws.INLINE_RULE_GROUPS)
@pytest.mark.parametrize(
    ("rule", "opening"),
    [
        (
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            "tcp ports 22-22 to 0.0.0.0/0",
        ),
        (
            {"protocol": "tcp", "fromPort": 80, "toPort": 443, "ipv6CidrBlocks": ["::/0"]},
            "tcp ports 80-443 to ::/0",
        ),
        (
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
            "all traffic to 0.0.0.0/0",
        ),
        (
            {"protocol": "udp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
            "udp ports 443-443 to 0.0.0.0/0",
        ),
    ],
)
def test_inline_world_rules_fail(group_type: str, rule: dict[str, Any], opening: str) -> None:
    assert aws.security_groups_closed(group_type, inline(rule)) == [
        f"security group ingress opens {opening}: only tcp 80/443 may face the world"
    ]


def test_standalone_security_group_rule() -> None:
    rule = {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 6379,
        "toPort": 6379,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert aws.security_groups_closed(aws.SECURITY_GROUP_RULE, rule)
    assert aws.security_groups_closed(aws.SECURITY_GROUP_RULE, {**rule, "type": "egress"}) == []
    assert aws.security_groups_closed(aws.SECURITY_GROUP_RULE, {**rule, "fromPort": 443, "toPort": 443}) == []


def test_vpc_ingress_rule() -> None:
    rule = {"ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrIpv6": "::/0"}
    assert aws.security_groups_closed(aws.INGRESS_RULE, rule) == [
        "security group ingress opens tcp ports 6379-6379 to ::/0: only tcp 80/443 may face the world"
    ]
    assert (
        aws.security_groups_closed(aws.INGRESS_RULE, {**rule, "cidrIpv6": None, "cidrIpv4": "10.0.0.0/8"})
        == []
    )
    by_group = {"ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379, "referencedSecurityGroupId": "sg-1"}
    assert aws.security_groups_closed(aws.INGRESS_RULE, by_group) == []
    assert aws.security_groups_closed(aws.INGRESS_RULE, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})


def test_ecr_scan_on_push() -> None:
    good = {"name": "chat", "imageScanningConfiguration": {"scanOnPush": True}}
    assert aws.ecr_scan_on_push(aws.ECR_REPOSITORY, good) == []
    assert aws.ecr_scan_on_push(aws.ECR_REPOSITORY, {"name": "chat"}) == [
        "ECR repository needs imageScanningConfiguration.scanOnPush: true"
    ]
    assert aws.ecr_scan_on_push(aws.ECR_REPOSITORY, {"imageScanningConfiguration": {"scanOnPush": False}})
