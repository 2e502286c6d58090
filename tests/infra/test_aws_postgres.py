"""RDS for PostgreSQL in the aws stack (the real __main__.py with Pulumi.aws.yaml): Multi-AZ in the
private subnets, encrypted with its own key, TLS required and verified, backups with point-in-time
recovery, reachable only from the cluster, and the backend wired to it as on minikube
(test_postgres.py). Its protection and final snapshot: test_aws_data_stores.py."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_harness import StackRun

from components.aws.rds import CA_BUNDLE, CA_CERT
from components.config_reader import ConfigError
from components.database import CA_DIR, CA_FILE, POSTGRES_PORT
from components.k8s.backend import MIGRATE
from components.k8s.postgres import POSTGRES_IMAGE

INSTANCE = "aws:rds/instance:Instance"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ENDPOINT = "chat-aws-postgres.abc123xyz.us-east-1.rds.amazonaws.com"  # the harness's mocked address


def instance(run: StackRun) -> dict[str, Any]:
    return run.one(INSTANCE, "chat").inputs


def test_rds_is_multi_az_encrypted_private_and_backed_up(aws: StackRun) -> None:
    db = instance(aws)
    assert db["engine"] == "postgres"
    assert db["multiAz"] is True
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"] == aws.one("aws:kms/key:Key", "chat-postgres").outputs["arn"]
    assert aws.one("aws:kms/key:Key", "chat-postgres").inputs["enableKeyRotation"] is True
    assert db["backupRetentionPeriod"] >= 7  # point-in-time recovery over the last week at least
    assert db["deletionProtection"] is True
    assert db["autoMinorVersionUpgrade"] is True
    assert (db["dbName"], db["username"], db["port"]) == ("chat", "chat", POSTGRES_PORT)
    assert set(db["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == db["kmsKeyId"]


def test_rds_runs_the_major_the_minikube_image_runs(aws: StackRun) -> None:
    """One schema, one set of migrations: both stacks on the same PostgreSQL major."""
    major = POSTGRES_IMAGE.split(":")[1].split(".")[0]
    assert instance(aws)["engineVersion"] == major
    group = aws.one("aws:rds/parameterGroup:ParameterGroup", "chat").inputs
    assert group["family"] == f"postgres{major}"


def test_a_new_major_is_a_config_change(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:awsPostgresVersion": "16"})
    assert instance(run)["engineVersion"] == "16"
    assert instance(run)["allowMajorVersionUpgrade"] is True
    assert run.one("aws:rds/parameterGroup:ParameterGroup", "chat").inputs["family"] == "postgres16"


def test_rds_requires_tls_and_logs_slow_statements(aws: StackRun) -> None:
    group = aws.one("aws:rds/parameterGroup:ParameterGroup", "chat")
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters == {"rds.force_ssl": "1", "log_min_duration_statement": "500"}
    assert instance(aws)["parameterGroupName"] == group.outputs["name"]


def test_rds_lives_in_the_private_subnets(aws: StackRun) -> None:
    subnets = aws.one("aws:rds/subnetGroup:SubnetGroup", "chat").inputs["subnetIds"]
    private = [
        f"{s.name}-id"  # the harness's mocked IDs
        for s in aws.of_type("aws:ec2/subnet:Subnet")
        if "kubernetes.io/role/internal-elb" in s.inputs["tags"]
    ]
    assert len(subnets) == 3
    assert (
        instance(aws)["dbSubnetGroupName"]
        == aws.one("aws:rds/subnetGroup:SubnetGroup", "chat").outputs["name"]
    )
    assert sorted(subnets) == sorted(private)


def test_rds_admits_only_the_cluster(aws: StackRun) -> None:
    (rule,) = [r for r in aws.of_type(INGRESS_RULE) if aws.by_urn(r.parent).type == "chat-platform:aws:Rds"]
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0cluster"
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == POSTGRES_PORT
    assert rule.inputs["ipProtocol"] == "tcp"
    assert "cidrIpv4" not in rule.inputs
    assert "cidrIpv6" not in rule.inputs
    (group,) = [
        g
        for g in aws.of_type("aws:ec2/securityGroup:SecurityGroup")
        if aws.by_urn(g.parent).type == "chat-platform:aws:Rds"
    ]
    assert not group.inputs.get("ingress")  # no inline rules beside the one above
    assert instance(aws)["vpcSecurityGroupIds"] == [f"{group.name}-id"]


def test_the_backend_verifies_rds_and_reads_the_generated_password(aws: StackRun) -> None:
    pod = aws.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert (
        env["DATABASE_URL"]["value"]
        == f"postgresql://chat@{ENDPOINT}:{POSTGRES_PORT}/chat?sslmode=verify-full&sslrootcert={CA_FILE}"
    )
    assert env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "database",
        "key": "DATABASE_PASSWORD",
    }
    generated = aws.one("random:index/randomPassword:RandomPassword", "chat-password").inputs
    assert generated["length"] >= 32
    assert generated["special"] is False
    password = "x" * int(generated["length"])  # the mocked RandomPassword's result
    assert instance(aws)["password"] == password
    assert aws.one("kubernetes:core/v1:Secret", "database").inputs["stringData"] == {
        "DATABASE_PASSWORD": password
    }
    (init,) = pod["initContainers"]
    assert init["command"] == MIGRATE


def test_rds_settings_come_from_the_stack(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack(
        "aws",
        {
            "chat-platform:awsPostgresInstanceClass": "db.r7g.xlarge",
            "chat-platform:awsPostgresStorageGb": "200",
            "chat-platform:awsPostgresMaxStorageGb": "1000",
            "chat-platform:awsPostgresBackupDays": "35",
            "chat-platform:awsPostgresSlowQueryMs": "-1",
            "chat-platform:awsPostgresPerformanceInsights": "false",
        },
    )
    db = instance(run)
    assert db["instanceClass"] == "db.r7g.xlarge"
    assert (db["allocatedStorage"], db["maxAllocatedStorage"]) == (200, 1000)
    assert db["backupRetentionPeriod"] == 35
    assert db["performanceInsightsEnabled"] is False
    assert "performanceInsightsKmsKeyId" not in db
    parameters = run.one("aws:rds/parameterGroup:ParameterGroup", "chat").inputs["parameters"]
    assert {"name": "log_min_duration_statement", "value": "-1"} in parameters


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"awsPostgresBackupDays": "6"}, "awsPostgresBackupDays must be between 7 and 35"),
        ({"awsPostgresVersion": "14"}, "awsPostgresVersion must be one of 15, 16, 17"),
        ({"awsPostgresInstanceClass": "m6g.large"}, "awsPostgresInstanceClass must be an RDS instance class"),
        ({"awsPostgresStorageGb": "10"}, "awsPostgresStorageGb must be between 20 and 65536"),
        (
            {"awsPostgresStorageGb": "200", "awsPostgresMaxStorageGb": "100"},
            "awsPostgresMaxStorageGb must be at least awsPostgresStorageGb (200)",
        ),
    ],
)
def test_bad_rds_settings_name_the_key(
    run_stack: Callable[..., StackRun], overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_stack("aws", {f"chat-platform:{k}": v for k, v in overrides.items()})
    assert str(error.value).startswith(f"chat-platform:{message}")


def subjects(pem: str) -> list[str]:
    """The subject of every certificate in `pem`, as openssl reads the bundle."""
    certs = subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", "/dev/stdin"],
        input=pem,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = subprocess.run(
        ["openssl", "pkcs7", "-print_certs", "-noout"],
        input=certs,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.removeprefix("subject=") for line in listed.splitlines() if line.startswith("subject=")]


def test_the_backend_and_its_migrations_get_the_rds_authorities(aws: StackRun) -> None:
    bundle = aws.one("kubernetes:core/v1:ConfigMap", "database-ca").inputs["data"]
    assert bundle == {"ca.pem": CA_BUNDLE.read_text()}
    assert f"{CA_DIR}/ca.pem" == CA_FILE
    pod = aws.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["database-ca"]["configMap"] == {"name": "database-ca"}
    for container in pod["initContainers"] + pod["containers"]:
        assert {"name": "database-ca", "mountPath": CA_DIR, "readOnly": True} in container["volumeMounts"]


def test_the_bundle_holds_the_authority_of_the_instance_s_certificate(aws: StackRun) -> None:
    """CA_CERT (rds-ca-rsa2048-g1) is a root per region: the bundle must hold the stack's."""
    assert instance(aws)["caCertIdentifier"] == CA_CERT == "rds-ca-rsa2048-g1"
    region = aws.config["aws:region"]
    everything = subjects(CA_BUNDLE.read_text())
    assert len(everything) > 20  # every region's
    found = [s for s in everything if f"CN = Amazon RDS {region} Root CA RSA2048 G1," in s]
    assert len(found) == 1, found
