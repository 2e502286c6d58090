"""Amazon RDS for PostgreSQL instead of in-cluster PostgreSQL: a Multi-AZ DB instance (a synchronous
standby in another zone, automatic failover) in the private subnets, storage encrypted with a
key of its own, TLS required by its parameter group, daily backups with point-in-time recovery,
deletion protection and a final snapshot, and a security group that admits the PostgreSQL port
only from the cluster. The backend's password is generated like ElastiCache's AUTH token and
reaches the backend the same way, through a Kubernetes Secret. The instance and its key are
protected: a change that would replace one fails the preview unless the stack allows it."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws.eks import ClusterRef
from components.aws.private_store import admit_cluster_only, reached_in
from components.database import CA_FILE, DATABASE, POSTGRES_PORT, USER, database_url
from components.k8s.workload import Egress

# RDS's current CA (RSA 2048, valid to 2061); the backend verifies the server against it.
CA_CERT = "rds-ca-rsa2048-g1"
# RDS's certificate authorities, every region's (scripts/rds_ca_bundle.sh writes it).
CA_BUNDLE = Path(__file__).with_name("rds-ca-bundle.pem")


class Rds(pulumi.ComponentResource):
    url: pulumi.Output[str]  # DATABASE_URL: postgresql://chat@endpoint:5432/chat?sslmode=verify-full&...
    password: pulumi.Output[str]  # the backend role's (the master user's), a secret Output
    ca_bundle: str  # the authorities the server's certificate is verified against (PEM)
    reach: Egress  # its subnets: outside the cluster, so only addresses select it (and its standby)

    def __init__(
        self,
        name: str,
        *,
        cluster: ClusterRef,  # the only clients: its security group is admitted on POSTGRES_PORT
        vpc_id: pulumi.Input[str],  # the cluster's VPC
        subnet_ids: list[pulumi.Output[str]],  # private subnets, one per zone
        subnet_cidrs: list[str],  # those subnets' ranges: a failover moves the endpoint between them
        identifier: str,  # the instance's name, unique in the account and region
        instance_class: str,  # e.g. db.m6g.large
        major_version: str,  # e.g. 15: minors follow in the maintenance window, a new major on `up`
        storage_gb: int,  # allocated gp3 storage
        max_storage_gb: int,  # storage autoscaling's ceiling
        multi_az: bool,  # a standby in another zone, failed over to automatically
        backup_days: int,  # automated backups (and point-in-time recovery) kept this long
        slow_query_ms: int,  # log_min_duration_statement: statements slower than this are logged
        performance_insights: bool,  # Performance Insights, encrypted with the instance's key
        protect: bool,  # refuse any change that would replace or delete the instance or its key
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:Rds", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        guarded = pulumi.ResourceOptions(parent=self, protect=protect)
        self.reach = reached_in(subnet_cidrs, POSTGRES_PORT)
        group = admit_cluster_only(
            name, what="PostgreSQL", port=POSTGRES_PORT, cluster=cluster, vpc_id=vpc_id, opts=child
        )
        subnets = aws.rds.SubnetGroup(name, subnet_ids=subnet_ids, opts=child)
        key = aws.kms.Key(
            f"{name}-postgres",
            description=f"Encryption of {identifier}'s storage, backups and Performance Insights",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=guarded,
        )
        parameters = aws.rds.ParameterGroup(
            name,
            family=f"postgres{major_version}",
            description="chat PostgreSQL: TLS only, slow statements logged",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": str(slow_query_ms)},
            ],
            opts=child,
        )
        # Letters and digits only: nothing a URL or a shell would need escaped.
        password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=child)
        instance = aws.rds.Instance(
            name,
            identifier=identifier,
            engine="postgres",
            engine_version=major_version,
            instance_class=instance_class,
            allocated_storage=storage_gb,
            max_allocated_storage=max_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=DATABASE,
            username=USER,
            password=password.result,
            port=POSTGRES_PORT,
            multi_az=multi_az,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            ca_cert_identifier=CA_CERT,
            backup_retention_period=backup_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:05:00-sun:06:00",
            copy_tags_to_snapshot=True,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{identifier}-final",
            auto_minor_version_upgrade=True,
            # Takes effect only when awsPostgresVersion names a new major: a deliberate change.
            allow_major_version_upgrade=True,
            apply_immediately=False,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=performance_insights,
            performance_insights_kms_key_id=key.arn if performance_insights else None,
            opts=guarded,
        )
        self.url = database_url(instance.address, f"sslmode=verify-full&sslrootcert={CA_FILE}")
        self.ca_bundle = CA_BUNDLE.read_text()
        self.password = pulumi.Output.secret(password.result)
        self.register_outputs({"url": self.url})
