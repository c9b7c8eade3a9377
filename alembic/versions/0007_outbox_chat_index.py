"""An index on a chat's outbox rows, in id order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:30:00

The web chat's event stream reads "this chat's rows above the id the browser last saw" and the
browser's confirmation marks "this chat's rows up to an id" (``storage.repositories.outbox``
``for_chat_after`` / ``confirm_chat``); without an index on ``(chat_id, id)`` both scan the
whole outbox, which every channel's replies share. Plain ``CREATE INDEX`` on both SQLite and
PostgreSQL (a large PostgreSQL outbox may prefer ``CREATE INDEX CONCURRENTLY`` by hand first).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_items_chat_id_id", "outbox_items", ["chat_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_items_chat_id_id", table_name="outbox_items")
