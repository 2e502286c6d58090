"""Messages, their edit and delete events, and full-text search over messages.

A message is keyed by its room and stream id (ms, seq) as Redis gave it, so archiving it again
changes nothing. Its row holds it as it is now: an edit replaces `body`, a delete empties it.
`changes` records each edit and delete event (without text) once, so each is applied once.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE messages (
            room text NOT NULL,
            id_ms bigint NOT NULL,
            id_seq bigint NOT NULL,
            author text NOT NULL,
            body text NOT NULL,
            ts bigint NOT NULL,
            client_id text NOT NULL,
            seq bigint NOT NULL,
            edited_ts bigint,
            deleted boolean NOT NULL DEFAULT false,
            search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body)) STORED,
            PRIMARY KEY (room, id_ms, id_seq)
        )
        """
    )
    op.execute("CREATE INDEX messages_search ON messages USING gin (search)")
    op.execute("CREATE INDEX messages_ts ON messages (ts)")
    op.execute(
        """
        CREATE TABLE changes (
            room text NOT NULL,
            id_ms bigint NOT NULL,
            id_seq bigint NOT NULL,
            target_ms bigint NOT NULL,
            target_seq bigint NOT NULL,
            kind text NOT NULL CHECK (kind IN ('edit', 'delete')),
            author text NOT NULL,
            ts bigint NOT NULL,
            PRIMARY KEY (room, id_ms, id_seq)
        )
        """
    )
    op.execute("CREATE INDEX changes_ts ON changes (ts)")


def downgrade() -> None:
    op.execute("DROP TABLE changes")
    op.execute("DROP TABLE messages")
