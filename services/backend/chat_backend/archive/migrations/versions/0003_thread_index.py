"""Replies found by their thread: a thread read from PostgreSQL, and the reply counts of
messages older than the Redis window, look up a room's replies to given messages."""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX messages_thread ON messages (room, thread, id_ms, id_seq) WHERE thread IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX messages_thread")
