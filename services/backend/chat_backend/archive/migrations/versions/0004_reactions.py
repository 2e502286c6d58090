"""Reactions, so messages older than the Redis window keep theirs: one row per message, emoji
and person, holding the stream id of the newest event about it (an add, or a remove that
leaves the row as not `present`), so replaying an older event changes nothing."""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reactions (
            room text NOT NULL,
            target_ms bigint NOT NULL,
            target_seq bigint NOT NULL,
            emoji text NOT NULL,
            username text NOT NULL,
            id_ms bigint NOT NULL,
            id_seq bigint NOT NULL,
            present boolean NOT NULL,
            ts bigint NOT NULL,
            PRIMARY KEY (room, target_ms, target_seq, emoji, username)
        )
        """
    )
    op.execute("CREATE INDEX reactions_ts ON reactions (ts)")


def downgrade() -> None:
    op.execute("DROP TABLE reactions")
