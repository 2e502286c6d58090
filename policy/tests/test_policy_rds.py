"""RDS guardrails: encrypted, private, deletion-protected, backed up for a week at least with a
final snapshot, and PostgreSQL that refuses connections without TLS (rds.force_ssl)."""

from __future__ import annotations

from typing import Any

import pytest
from guardrails import aws

SAFE_INSTANCE: dict[str, Any] = {
    "engine": "postgres",
    "storageEncrypted": True,
    "publiclyAccessible": False,
    "deletionProtection": True,
    "backupRetentionPeriod": 7.0,  # the engine sends every number as a float
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "chat-aws-postgres-final",
    "parameterGroupName": "chat-1a2b3c4",
}
TLS_ONLY = {"family": "postgres15", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}


def test_a_safe_instance_passes() -> None:
    assert aws.rds_safe(aws.RDS_INSTANCE, SAFE_INSTANCE) == []
    assert aws.rds_postgres_tls_only(aws.RDS_INSTANCE, SAFE_INSTANCE) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"storageEncrypted": False}, "RDS instance needs storageEncrypted: true"),
        ({"storageEncrypted": None}, "RDS instance needs storageEncrypted: true"),
        ({"publiclyAccessible": True}, "RDS instance must not be publiclyAccessible"),
        ({"deletionProtection": False}, "RDS instance needs deletionProtection: true"),
        ({"backupRetentionPeriod": 6.0}, "RDS instance needs backupRetentionPeriod of at least 7 days"),
        ({"backupRetentionPeriod": None}, "RDS instance needs backupRetentionPeriod of at least 7 days"),
        (
            {"skipFinalSnapshot": True},
            "RDS instance needs a finalSnapshotIdentifier and skipFinalSnapshot: false",
        ),
        ({"finalSnapshotIdentifier": None}, "RDS instance needs a finalSnapshotIdentifier"),
    ],
)
def test_each_unsafe_setting_fails(change: dict[str, Any], message: str) -> None:
    props = {k: v for k, v in {**SAFE_INSTANCE, **change}.items() if v is not None}
    (violation,) = aws.rds_safe(aws.RDS_INSTANCE, props)
    assert violation.startswith(message)


def test_an_aurora_cluster_is_held_to_the_same_and_its_instances_only_to_privacy() -> None:
    cluster = {
        k: v for k, v in SAFE_INSTANCE.items() if k not in ("publiclyAccessible", "parameterGroupName")
    }
    assert aws.rds_safe(aws.RDS_CLUSTER, cluster) == []
    assert aws.rds_safe(aws.RDS_CLUSTER, {**cluster, "storageEncrypted": False}) == [
        "Aurora cluster needs storageEncrypted: true"
    ]
    member = {"clusterIdentifier": "chat", "engine": "aurora-postgresql"}
    assert aws.rds_safe(aws.RDS_INSTANCE, member) == []
    assert aws.rds_postgres_tls_only(aws.RDS_INSTANCE, member) == []
    assert aws.rds_safe(aws.RDS_INSTANCE, {**member, "publiclyAccessible": True}) == [
        "RDS instance must not be publiclyAccessible"
    ]


def test_a_postgres_parameter_group_must_force_tls() -> None:
    assert aws.rds_postgres_tls_only(aws.RDS_PARAMETER_GROUP, TLS_ONLY) == []
    for parameters in (
        [],
        [{"name": "rds.force_ssl", "value": "0"}],
        [{"name": "log_min_duration_statement", "value": "500"}],
    ):
        (violation,) = aws.rds_postgres_tls_only(
            aws.RDS_PARAMETER_GROUP, {**TLS_ONLY, "parameters": parameters}
        )
        assert violation == "postgres15 parameter group needs rds.force_ssl = 1 (TLS only)"
    aurora = {"family": "aurora-postgresql15", "parameters": []}
    assert aws.rds_postgres_tls_only(aws.RDS_CLUSTER_PARAMETER_GROUP, aurora)
    # Other engines have no such parameter.
    assert aws.rds_postgres_tls_only(aws.RDS_PARAMETER_GROUP, {"family": "mysql8.0", "parameters": []}) == []


@pytest.mark.parametrize("group", [None, "default.postgres15"])
def test_postgres_on_the_default_parameter_group_fails(group: str | None) -> None:
    props = {k: v for k, v in {**SAFE_INSTANCE, "parameterGroupName": group}.items() if v is not None}
    (violation,) = aws.rds_postgres_tls_only(aws.RDS_INSTANCE, props)
    assert violation.startswith("PostgreSQL on RDS needs a parameterGroupName of its own")


def test_other_resources_are_not_rds() -> None:
    assert aws.rds_safe("aws:s3/bucket:Bucket", {}) == []
    assert aws.rds_postgres_tls_only("aws:s3/bucket:Bucket", {}) == []
