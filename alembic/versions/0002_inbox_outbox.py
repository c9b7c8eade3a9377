"""Durable inbox and outbox of Telegram updates and replies (issue: nothing lost).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:30:00

``inbox_items``: every update stored before it is confirmed to Telegram, unique per update id
and per chat + message id; ``outbox_items``: every reply stored before it is sent;
``channel_state``: admin dialogues, offered buttons and flood counters kept across restarts.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import storage.models
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = storage.models.UTCDateTime
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", utc(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("lease_until", utc(), nullable=True),
        sa.Column("done_at", utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
        sa.UniqueConstraint("channel", "update_id", name="uq_inbox_items_channel_update_id"),
        sa.UniqueConstraint("channel", "dedup_key", name="uq_inbox_items_channel_dedup_key"),
    )
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_items_claim_token"), ["claim_token"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_items_done_at"), ["done_at"], unique=False)
        batch_op.create_index("ix_inbox_items_state_chat", ["state", "chat_id", "id"], unique=False)
    op.create_table(
        "outbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel_message_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inbox_items.id"],
            name=op.f("fk_outbox_items_inbox_id_inbox_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_items")),
        sa.UniqueConstraint("inbox_id", "seq", name=op.f("uq_outbox_items_inbox_id")),
    )
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key", name=op.f("pk_channel_state")),
    )


def downgrade() -> None:
    op.drop_table("channel_state")
    op.drop_table("outbox_items")
    with op.batch_alter_table("inbox_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_items_state_chat")
        batch_op.drop_index(batch_op.f("ix_inbox_items_done_at"))
        batch_op.drop_index(batch_op.f("ix_inbox_items_claim_token"))
    op.drop_table("inbox_items")
