"""Sign-in: sessions, e-mailed login codes, the newest issued one-time token of each purpose,
failed-attempt windows, and when a user proved their e-mail address.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names
from accountkit.storage._sqltypes import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()

    def fk(table: str) -> str:
        return f"{schema}.{p}{table}.id" if schema else f"{p}{table}.id"

    # Existing users have not proved their address yet: NULL, as for new ones.
    op.add_column(f"{p}users", sa.Column("email_verified_at", UtcDateTime), schema=schema)
    op.create_table(
        f"{p}issued_tokens",
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("token_id", sa.String(128), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text),
        schema=schema,
    )
    op.create_table(
        f"{p}sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("security_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen_at", UtcDateTime, nullable=False),
        schema=schema,
    )
    op.create_index(f"{p}ix_sessions_user", f"{p}sessions", ["user_id"], schema=schema)
    op.create_table(
        f"{p}login_codes",
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_table(
        f"{p}attempts",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    p, schema = names()
    op.drop_table(f"{p}attempts", schema=schema)
    op.drop_table(f"{p}login_codes", schema=schema)
    op.drop_index(f"{p}ix_sessions_user", f"{p}sessions", schema=schema)
    op.drop_table(f"{p}sessions", schema=schema)
    op.drop_table(f"{p}issued_tokens", schema=schema)
    with op.batch_alter_table(f"{p}users", schema=schema) as batch:
        batch.drop_column("email_verified_at")
