"""A version on memberships, so that concurrent changes of one are never lost.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()
    # Existing rows start at version 0, as new memberships do.
    op.add_column(
        f"{p}memberships",
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        schema=schema,
    )


def downgrade() -> None:
    p, schema = names()
    with op.batch_alter_table(f"{p}memberships", schema=schema) as batch:
        batch.drop_column("version")
