"""The first schema: users, customers, groups, memberships, history, sequences, tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names
from accountkit.storage._sqltypes import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()

    def fk(table: str) -> str:
        return f"{schema}.{p}{table}.id" if schema else f"{p}{table}.id"

    op.create_table(
        f"{p}users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("email_key", sa.String(320)),
        sa.Column("given_name", sa.String(200)),
        sa.Column("family_name", sa.String(200)),
        sa.Column("birth_date", sa.Date),
        sa.Column("password_hash", sa.String(512)),
        sa.Column("must_complete_profile", sa.Boolean, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("security_version", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("email_key", name=f"{p}uq_users_email_key"),
        schema=schema,
    )
    op.create_table(
        f"{p}groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_list_id", sa.String(200)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        schema=schema,
    )
    op.create_table(
        f"{p}customers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("number", sa.String(40)),
        sa.Column("group_id", sa.String(64), sa.ForeignKey(fk("groups"))),
        sa.Column("price_list_id", sa.String(200)),
        sa.Column("discount", sa.String(40), nullable=False),
        sa.Column("document_contacts", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("number", name=f"{p}uq_customers_number"),
        schema=schema,
    )
    op.create_table(
        f"{p}memberships",
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers")), primary_key=True),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("is_exclusive", sa.Boolean, nullable=False),
        sa.Column("assigned_by_kind", sa.String(16), nullable=False),
        sa.Column("assigned_by_id", sa.String(200)),
        sa.Column("assigned_at", UtcDateTime, nullable=False),
        schema=schema,
    )
    op.create_index(
        f"{p}ix_memberships_customer", f"{p}memberships", ["customer_id"], schema=schema
    )
    op.create_index(
        f"{p}uq_memberships_exclusive",
        f"{p}memberships",
        ["user_id"],
        unique=True,
        schema=schema,
        sqlite_where=sa.text("is_exclusive"),
        postgresql_where=sa.text("is_exclusive"),
    )
    op.create_index(
        f"{p}uq_memberships_active",
        f"{p}memberships",
        ["user_id", "is_active"],
        unique=True,
        schema=schema,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        f"{p}events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(200)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("data", sa.Text, nullable=False),
        schema=schema,
    )
    op.create_index(f"{p}ix_events_user", f"{p}events", ["user_id", "seq"], schema=schema)
    op.create_index(f"{p}ix_events_customer", f"{p}events", ["customer_id", "seq"], schema=schema)
    op.create_table(
        f"{p}sequences",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        schema=schema,
    )
    op.create_table(
        f"{p}used_tokens",
        sa.Column("token_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("used_at", UtcDateTime, nullable=False),
        schema=schema,
    )
    op.create_index(f"{p}ix_used_tokens_user", f"{p}used_tokens", ["user_id"], schema=schema)
