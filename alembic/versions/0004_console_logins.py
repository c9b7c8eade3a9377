"""Web console logins (issue: admin web console).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:30:00

Reserved in the revision chain so that parallel work adds its tables without branching; a
revision whose work has not landed changes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
