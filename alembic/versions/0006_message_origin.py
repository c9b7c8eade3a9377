"""Messages keyed by where they came from, so a replayed update is stored once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:10:00

``messages.origin``: the channel's key of the update a message answers (for Telegram, chat,
update id and the turn within the update). A replayed inbox update (its instance was killed
mid-answer) finds the customer's message, and the reply if one was stored, instead of storing
them again; the unique (origin, role) makes that hold between instances too. NULL (console,
agents' messages, rows from before) is never a duplicate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=96), nullable=True))
        batch_op.create_unique_constraint("uq_messages_origin", ["origin", "role"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_origin", type_="unique")
        batch_op.drop_column("origin")
