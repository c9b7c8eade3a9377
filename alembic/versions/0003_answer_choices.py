"""Customers' "did you mean" choices and conversation-aware answers (issue: answers that fit).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:30:00

``answer_choices``: which offered entry a customer picked under "did you mean…" for a question.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import storage.models
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("faq_entry_id", sa.Integer(), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("chosen_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["faq_entry_id"],
            ["faq_entries.id"],
            name=op.f("fk_answer_choices_faq_entry_id_faq_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_answer_choices_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_choices")),
    )
    with op.batch_alter_table("answer_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_choices_faq_entry_id"), ["faq_entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_answer_choices_message_id"), ["message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("answer_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_choices_message_id"))
        batch_op.drop_index(batch_op.f("ix_answer_choices_faq_entry_id"))
    op.drop_table("answer_choices")
