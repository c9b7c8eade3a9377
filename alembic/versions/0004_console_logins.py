"""Web console logins (issue: admin web console).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:30:00

One-time login links of the admin web console: a link's id is stored when it is issued and
marked used when it is redeemed, so a link works once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_logins")),
        sa.UniqueConstraint("token_id", name=op.f("uq_console_logins_token_id")),
    )


def downgrade() -> None:
    op.drop_table("console_logins")
