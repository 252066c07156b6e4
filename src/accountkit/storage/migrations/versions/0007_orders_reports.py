"""Orders as the orders, privacy and reports capability uses them: a guest's family name, a
sort key for the overview's ties, the total in minor units (summed exactly in SQL), an
erased flag and a version per order; the user an address belongs to (suggestions,
export, erasure); a customer's sort key and whether it has a test order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names
from accountkit.storage._sqltypes import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p, schema = names()

    # Nothing wrote orders or addresses before this revision: the defaults only satisfy
    # NOT NULL for the (empty) tables.
    op.add_column(f"{p}orders", sa.Column("guest_family_name", sa.String(200)), schema=schema)
    op.add_column(f"{p}orders", sa.Column("sort_key", sa.String(200)), schema=schema)
    op.add_column(
        f"{p}orders",
        sa.Column("total_minor", sa.BigInteger, nullable=False, server_default="0"),
        schema=schema,
    )
    op.add_column(
        f"{p}orders",
        sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=schema,
    )
    op.add_column(
        f"{p}orders",
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        schema=schema,
    )
    op.add_column(f"{p}orders", sa.Column("updated_at", UtcDateTime), schema=schema)
    with op.batch_alter_table(f"{p}addresses", schema=schema) as batch:
        batch.add_column(sa.Column("user_id", sa.String(64)))
        batch.create_foreign_key(
            f"{p}fk_addresses_user", f"{p}users", ["user_id"], ["id"], referent_schema=schema
        )
    op.create_index(
        f"{p}ix_addresses_user", f"{p}addresses", ["user_id", "created_at"], schema=schema
    )
    op.add_column(f"{p}customers", sa.Column("surname", sa.String(200)), schema=schema)
    op.add_column(f"{p}customers", sa.Column("sort_key", sa.String(200)), schema=schema)
    op.add_column(
        f"{p}customers",
        sa.Column("has_test_order", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=schema,
    )


def downgrade() -> None:
    p, schema = names()
    with op.batch_alter_table(f"{p}customers", schema=schema) as batch:
        batch.drop_column("has_test_order")
        batch.drop_column("sort_key")
        batch.drop_column("surname")
    op.drop_index(f"{p}ix_addresses_user", f"{p}addresses", schema=schema)
    with op.batch_alter_table(f"{p}addresses", schema=schema) as batch:
        batch.drop_constraint(f"{p}fk_addresses_user", type_="foreignkey")
        batch.drop_column("user_id")
    with op.batch_alter_table(f"{p}orders", schema=schema) as batch:
        for column in (
            "updated_at",
            "version",
            "erased",
            "total_minor",
            "sort_key",
            "guest_family_name",
        ):
            batch.drop_column(column)
