"""What holds data on aws survives mistakes: ElastiCache (the rooms' history), RDS (the system of
record) and the key its storage is encrypted with, the EKS cluster and the KMS key its secrets are
encrypted with are `protect`ed, so the engine fails a preview that would replace or delete one;
ElastiCache and RDS leave a final snapshot when they are deleted. One stack
setting, awsAllowDataStoreReplacement, lifts the protection for a deliberate change. How the
guardrail in policy/ holds the program to this: policy/tests/test_policy_data_stores.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi_harness import StackRun, stack_config

DATA_STORES = {
    "aws:elasticache/replicationGroup:ReplicationGroup": "chat",
    "aws:eks/cluster:Cluster": "chat-aws",
    "aws:kms/key:Key": "chat-aws-secrets",
    "aws:rds/instance:Instance": "chat",
}
KEYS = {("aws:kms/key:Key", "chat-postgres")}  # RDS's: a second key, protected as the first

ALLOW = "chat-platform:awsAllowDataStoreReplacement"


@pytest.mark.parametrize(("type_token", "name"), [*DATA_STORES.items(), *KEYS])
def test_data_stores_are_protected(aws: StackRun, type_token: str, name: str) -> None:
    assert aws.one(type_token, name).protect is True


def test_nothing_else_is_protected(aws: StackRun) -> None:
    """Protection is for what cannot be recreated: everything else may be replaced freely."""
    assert {(r.type, r.name) for r in aws.resources if r.protect} == set(DATA_STORES.items()) | KEYS


@pytest.mark.parametrize(("type_token", "name"), [*DATA_STORES.items(), *KEYS])
def test_the_stack_setting_lifts_the_protection(
    run_stack: Callable[..., StackRun], type_token: str, name: str
) -> None:
    run = run_stack("aws", {ALLOW: "true"})
    assert run.one(type_token, name).protect is False


def test_elasticache_leaves_a_final_snapshot_named_after_the_stack(
    aws: StackRun, run_stack: Callable[..., StackRun]
) -> None:
    group = aws.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["finalSnapshotIdentifier"] == "chat-aws-redis-final"
    assert group["snapshotRetentionLimit"] >= 1
    # Snapshot names are per account and region: another stack's must not collide.
    staging = run_stack("aws", {ALLOW: "true"}, as_stack="staging")
    assert (
        staging.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs["finalSnapshotIdentifier"]
        == "chat-staging-redis-final"
    )


def test_rds_leaves_a_final_snapshot_named_after_the_stack(
    aws: StackRun, run_stack: Callable[..., StackRun]
) -> None:
    instance = aws.one("aws:rds/instance:Instance").inputs
    assert instance["skipFinalSnapshot"] is False
    assert instance["finalSnapshotIdentifier"] == "chat-aws-postgres-final"
    assert instance["deletionProtection"] is True  # AWS refuses the delete too, whatever the engine does
    staging = run_stack("aws", {ALLOW: "true"}, as_stack="staging")
    assert (
        staging.one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"]
        == "chat-staging-postgres-final"
    )


def test_the_stack_file_keeps_the_protection() -> None:
    assert stack_config("aws")[ALLOW] == "false"
