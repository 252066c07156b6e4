"""Shop policies: a user's telephone number, a business customer's VAT id and its bill-to
and ship-to addresses, a group's assortment, and one namespace of customer numbers that
keeps every number ever given out (live or retired).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names
from accountkit.storage._sqltypes import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()
    # Existing rows have none of these yet: NULL (no phone, no VAT id, no addresses; a
    # group without an assortment sees the whole assortment, as before).
    op.add_column(f"{p}users", sa.Column("phone", sa.String(16)), schema=schema)
    op.add_column(f"{p}customers", sa.Column("vat_id", sa.String(14)), schema=schema)
    op.add_column(f"{p}customers", sa.Column("bill_to", sa.Text), schema=schema)
    op.add_column(f"{p}customers", sa.Column("ship_to", sa.Text), schema=schema)
    op.add_column(f"{p}groups", sa.Column("assortment", sa.Text), schema=schema)
    op.create_table(
        f"{p}customer_numbers",
        sa.Column("number", sa.String(40), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.Column("retired_at", UtcDateTime),
        schema=schema,
    )
    # Every number held now is live for its holder. Numbers given up before this revision
    # are not known any more: they stay free, as they were.
    customers = sa.table(f"{p}customers", sa.column("id"), sa.column("number"), schema=schema)
    numbers = sa.table(
        f"{p}customer_numbers",
        sa.column("number"),
        sa.column("customer_id"),
        sa.column("live"),
        schema=schema,
    )
    op.execute(
        numbers.insert().from_select(
            ["number", "customer_id", "live"],
            sa.select(customers.c.number, customers.c.id, sa.true()).where(
                customers.c.number.is_not(None)
            ),
        )
    )


def downgrade() -> None:
    p, schema = names()
    op.drop_table(f"{p}customer_numbers", schema=schema)
    with op.batch_alter_table(f"{p}groups", schema=schema) as batch:
        batch.drop_column("assortment")
    with op.batch_alter_table(f"{p}customers", schema=schema) as batch:
        batch.drop_column("ship_to")
        batch.drop_column("bill_to")
        batch.drop_column("vat_id")
    with op.batch_alter_table(f"{p}users", schema=schema) as batch:
        batch.drop_column("phone")
