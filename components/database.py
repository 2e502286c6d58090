"""The chat's PostgreSQL as the backend reaches it, whichever flavour a stack runs: the in-cluster
StatefulSet (components/k8s/postgres.py) or RDS (components/aws/rds.py). The backend reads
DATABASE_URL (no password in it) and DATABASE_PASSWORD (from a Secret); where the server's
certificate is verified, the authorities it may be signed by are mounted at CA_FILE."""

from __future__ import annotations

import pulumi

POSTGRES_PORT = 5432
DATABASE = "chat"  # the database the backend's schema lives in
USER = "chat"  # the role the backend logs in as; it owns DATABASE
CA_DIR = "/etc/chat/database-ca"
CA_FILE = f"{CA_DIR}/ca.pem"  # what sslrootcert names in DATABASE_URL


def database_url(host: pulumi.Input[str], query: str) -> pulumi.Output[str]:
    """postgresql://USER@host:POSTGRES_PORT/DATABASE?query, without the password."""
    return pulumi.Output.concat(f"postgresql://{USER}@", host, f":{POSTGRES_PORT}/{DATABASE}?{query}")
