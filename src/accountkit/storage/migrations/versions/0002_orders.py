"""Orders, addresses (kept only with an order) and consent; a maintained last-order time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names
from accountkit.storage._sqltypes import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()

    def fk(table: str) -> str:
        return f"{schema}.{p}{table}.id" if schema else f"{p}{table}.id"

    # The overview sorts customers by their last order; keeping it on the customer row
    # makes that a keyset scan of one index instead of an aggregate over all orders.
    op.add_column(f"{p}customers", sa.Column("last_order_at", UtcDateTime), schema=schema)
    op.create_index(
        f"{p}ix_customers_last_order", f"{p}customers", ["last_order_at", "id"], schema=schema
    )
    op.create_table(
        f"{p}orders",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("placed_at", UtcDateTime, nullable=False),
        sa.Column("total", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("test_order", sa.Boolean, nullable=False),
        sa.Column("signed_in", sa.Boolean, nullable=False),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users"))),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers"))),
        sa.Column("guest_email", sa.String(320)),
        sa.Column("guest_name", sa.String(400)),
        sa.UniqueConstraint("number", name=f"{p}uq_orders_number"),
        schema=schema,
    )
    op.create_index(
        f"{p}ix_orders_customer", f"{p}orders", ["customer_id", "placed_at"], schema=schema
    )
    op.create_index(f"{p}ix_orders_user", f"{p}orders", ["user_id", "placed_at"], schema=schema)
    op.create_table(
        f"{p}addresses",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey(fk("orders"))),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers"))),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200)),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("extra", sa.String(200)),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("address_key", sa.String(1200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        schema=schema,
    )
    op.create_index(f"{p}ix_addresses_order", f"{p}addresses", ["order_id"], schema=schema)
    op.create_index(f"{p}ix_addresses_customer", f"{p}addresses", ["customer_id"], schema=schema)
    op.create_table(
        f"{p}consents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("wording_version", sa.String(64), nullable=False),
        schema=schema,
    )
    op.create_index(
        f"{p}ix_consents_user", f"{p}consents", ["user_id", "purpose", "at"], schema=schema
    )
