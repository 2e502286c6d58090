"""Alembic's environment: runs on the connection migrate.upgrade opened (and locked)."""

from __future__ import annotations

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
