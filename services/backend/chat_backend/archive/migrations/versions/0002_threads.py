"""Thread replies: a reply's parent (`thread`, the parent's stream id) and whether it was also
sent to the room (`in_room`), so history past the stream leaves replies out of the room's
timeline as the stream's does (entries.in_timeline). Rows from before hold no replies."""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE messages ADD COLUMN thread text, ADD COLUMN in_room boolean NOT NULL DEFAULT false"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE messages DROP COLUMN in_room, DROP COLUMN thread")
