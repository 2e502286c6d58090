"""PostgreSQL with a PersistentVolumeClaim: one-replica StatefulSet of the official image, the
backend's role password generated and kept in a Secret, reachable only from the pods it admits,
never from outside. The superuser `postgres` has no password: it logs in over the pod's own Unix
socket only (peer), for `kubectl exec`.

The data directory is made and kept by an init container with the image's own binaries (initdb,
single-user `postgres`), not by the image's entrypoint script, so the pod runs as the same
non-root user with a read-only root filesystem from its first start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.database import DATABASE, POSTGRES_PORT, USER, database_url
from components.k8s.admission import admit_only
from components.k8s.hygiene import Resources, container_security, pod_security
from components.k8s.stateful import data_claim, secret_file, service_host
from components.k8s.workload import Egress, labels_for

POSTGRES_IMAGE = "postgres:15.20-bookworm"
POSTGRES_UID = 999  # the image's `postgres` user: peer login maps the socket's uid to that name
# initdb and postgres refuse to run as a uid without a passwd entry, and the image has one for 999
# only; its entrypoint's workaround (nss_wrapper) is not used. Said to checkov on this object alone.
HIGH_UID_CHECK = "checkov.io/skip1"
HIGH_UID_WAIVER = "CKV_K8S_40=the image's postgres user is uid 999, the only one initdb and postgres accept"
DEFAULT_RESOURCES = Resources("100m", "256Mi", "1", "512Mi")
DATA = "/var/lib/postgresql/data"
# A directory below the volume's root: initdb wants an empty one, and a volume may hold lost+found.
PGDATA = f"{DATA}/pgdata"
SOCKETS = "/var/run/postgresql"
CONF = "/etc/postgresql/conf"
AUTH = "/etc/postgresql/auth"
# The backend's role logs in over TCP with its password; only the superuser uses the socket.
PG_HBA = f"""\
# TYPE  DATABASE  USER      ADDRESS  METHOD
local   all       postgres           peer
host    {DATABASE}      {USER}      all      scram-sha-256
"""
# Creates the cluster on the first start; on every start narrows the data directory back to the
# 0700 PostgreSQL insists on and sets the role's password from the Secret, so the two never
# disagree. The password reaches the single-user server on stdin, never on a command line.
INIT = f"""\
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username=postgres --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
  printf '%s\\n' 'CREATE ROLE {USER} LOGIN;' 'CREATE DATABASE {DATABASE} OWNER {USER};' \\
    | postgres --single -D "$PGDATA" postgres >/dev/null
fi
chmod 0700 "$PGDATA"
printf "ALTER ROLE {USER} PASSWORD '%s';\\n" "$(cat {AUTH}/password)" \\
  | postgres --single -D "$PGDATA" postgres >/dev/null
"""
SERVER = [
    "postgres",
    *("-c", f"hba_file={CONF}/pg_hba.conf"),
    *("-c", "listen_addresses=*"),
    *("-c", f"port={POSTGRES_PORT}"),
    *("-c", f"unix_socket_directories={SOCKETS}"),
]
READY = ["pg_isready", "--host", SOCKETS, "--port", str(POSTGRES_PORT), "--dbname", DATABASE]


@dataclass(frozen=True)
class PostgresArgs:
    namespace: pulumi.Input[str]
    storage_size: str
    storage_class: str
    resources: Resources = DEFAULT_RESOURCES


class Postgres(pulumi.ComponentResource):
    url: pulumi.Output[str]  # DATABASE_URL: no password in it
    password: pulumi.Output[str]  # the backend role's, a secret Output
    ca_bundle = None  # no TLS inside the cluster
    reach: Egress  # its pod, in the namespace of the pods it admits

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = labels_for(name)
        self.reach = Egress(to=({"pod_selector": {"match_labels": labels}},), ports=(POSTGRES_PORT,))
        password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=child)
        secret = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata={"name": f"{name}-auth", "namespace": args.namespace, "labels": labels},
            string_data={"password": password.result},
            opts=child,
        )
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": f"{name}-config", "namespace": args.namespace, "labels": labels},
            data={"pg_hba.conf": PG_HBA},
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            name,
            metadata={"name": name, "namespace": args.namespace, "labels": labels},
            spec={
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "postgres", "port": POSTGRES_PORT, "target_port": "postgres"}],
            },
            opts=child,
        )
        mounts = [
            {"name": "data", "mount_path": DATA},
            {"name": "sockets", "mount_path": SOCKETS},
            {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 (an emptyDir in the pod)
        ]
        container: dict[str, Any] = {
            "image": POSTGRES_IMAGE,
            "image_pull_policy": "IfNotPresent",
            "env": [{"name": "PGDATA", "value": PGDATA}],
            "resources": args.resources.spec(),
            "security_context": container_security(POSTGRES_UID),
        }
        self.statefulset = k8s.apps.v1.StatefulSet(
            name,
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {HIGH_UID_CHECK: HIGH_UID_WAIVER},
            },
            spec={
                "replicas": 1,
                "service_name": name,
                "selector": {"match_labels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automount_service_account_token": False,
                        # The volume's ownership is set once, not on every mount: the kubelet's
                        # recursive change would widen the data directory's mode each time.
                        "security_context": {
                            **pod_security(POSTGRES_UID),
                            "fs_group_change_policy": "OnRootMismatch",
                        },
                        # The image stops it with SIGINT, a fast shutdown: sessions cut, then a checkpoint.
                        "termination_grace_period_seconds": 60,
                        "init_containers": [
                            {
                                **container,
                                "name": "init",
                                "command": ["sh", "-c", INIT],
                                "volume_mounts": [
                                    *mounts,
                                    {"name": "auth", "mount_path": AUTH, "read_only": True},
                                ],
                            }
                        ],
                        "containers": [
                            {
                                **container,
                                "name": "postgres",
                                "command": SERVER,
                                "ports": [{"name": "postgres", "container_port": POSTGRES_PORT}],
                                "readiness_probe": {
                                    "exec": {"command": READY},
                                    "period_seconds": 5,
                                    "timeout_seconds": 3,
                                },
                                "liveness_probe": {
                                    "exec": {"command": READY},
                                    "period_seconds": 10,
                                    "timeout_seconds": 5,
                                    "failure_threshold": 6,
                                },
                                "volume_mounts": [
                                    *mounts,
                                    {"name": "config", "mount_path": CONF, "read_only": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "sockets", "empty_dir": {"medium": "Memory", "size_limit": "1Mi"}},
                            {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}},
                            {"name": "config", "config_map": {"name": config.metadata.name}},
                            secret_file(secret, "password", "password"),
                        ],
                    },
                },
                "volume_claim_templates": [data_claim(labels, args.storage_class, args.storage_size)],
            },
            opts=child,
        )
        # Inside the cluster, as the in-cluster Redis: no TLS (the NetworkPolicy is the boundary).
        host = service_host(name, args.namespace)
        self.url = database_url(host, "sslmode=disable")
        self.password = pulumi.Output.secret(password.result)
        self._metadata: dict[str, Any] = {"name": name, "namespace": args.namespace, "labels": labels}
        self.register_outputs({"url": self.url})

    def admit(self, pod_labels: dict[str, str]) -> None:
        """Let only the pods carrying `pod_labels` connect (a NetworkPolicy). Apart from the
        constructor: those pods (the backend's) need this database's URL before they exist."""
        admit_only(self._metadata, pod_labels, POSTGRES_PORT, self)
