"""The reports' indexes: the customer overview (customers with orders newest first, those
without by sort key; orders placed without signing in), a customer's orders newest first;
sort keys compared by code point on PostgreSQL; sort keys of customers made before 0007.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 1000


def _sort_key(name: str) -> str:
    # A frozen copy of accountkit.domain.orders.sort_key as of this revision.
    return unicodedata.normalize("NFKC", name).casefold()[:200]


def _fill_sort_keys(p: str, schema: str | None) -> None:
    """Customers made before 0007 have no sort key yet: their name's (none has a surname)."""
    customers = sa.table(
        f"{p}customers",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("surname", sa.String),
        sa.column("sort_key", sa.String),
        schema=schema,
    )
    conn = op.get_bind()
    update = (
        customers.update()
        .where(customers.c.id == sa.bindparam("b_id"))
        .values(sort_key=sa.bindparam("b_key"))
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.surname)
            .where(customers.c.sort_key.is_(None), customers.c.id > last)
            .order_by(customers.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            update,
            [{"b_id": id_, "b_key": _sort_key(surname or name)} for id_, name, surname in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    p, schema = names()
    if op.get_bind().dialect.name == "postgresql":
        for table in ("customers", "orders"):
            op.alter_column(
                f"{p}{table}",
                "sort_key",
                type_=sa.String(200, collation="C"),
                existing_type=sa.String(200),
                schema=schema,
            )
    _fill_sort_keys(p, schema)
    customers = sa.table(
        f"{p}customers", sa.column("last_order_at"), sa.column("sort_key"), sa.column("id")
    )
    orders = sa.table(
        f"{p}orders",
        sa.column("placed_at"),
        sa.column("sort_key"),
        sa.column("id"),
        sa.column("signed_in", sa.Boolean),
    )
    c, o = customers.c, orders.c
    op.drop_index(f"{p}ix_customers_last_order", f"{p}customers", schema=schema)
    op.create_index(
        f"{p}ix_customers_overview",
        f"{p}customers",
        [c.last_order_at.desc(), c.sort_key, c.id],
        schema=schema,
        sqlite_where=c.last_order_at.is_not(None),
        postgresql_where=c.last_order_at.is_not(None),
    )
    op.create_index(
        f"{p}ix_customers_unordered",
        f"{p}customers",
        ["sort_key", "id"],
        schema=schema,
        sqlite_where=c.last_order_at.is_(None),
        postgresql_where=c.last_order_at.is_(None),
    )
    op.create_index(
        f"{p}ix_orders_guest_overview",
        f"{p}orders",
        [o.placed_at.desc(), o.sort_key, o.id],
        schema=schema,
        sqlite_where=o.signed_in.is_(sa.false()),
        postgresql_where=o.signed_in.is_(sa.false()),
    )
    op.drop_index(f"{p}ix_orders_customer", f"{p}orders", schema=schema)
    op.create_index(
        f"{p}ix_orders_customer_placed",
        f"{p}orders",
        ["customer_id", "placed_at", "id"],
        schema=schema,
    )


def downgrade() -> None:
    p, schema = names()
    op.drop_index(f"{p}ix_orders_customer_placed", f"{p}orders", schema=schema)
    op.create_index(
        f"{p}ix_orders_customer", f"{p}orders", ["customer_id", "placed_at"], schema=schema
    )
    op.drop_index(f"{p}ix_orders_guest_overview", f"{p}orders", schema=schema)
    op.drop_index(f"{p}ix_customers_unordered", f"{p}customers", schema=schema)
    op.drop_index(f"{p}ix_customers_overview", f"{p}customers", schema=schema)
    op.create_index(
        f"{p}ix_customers_last_order", f"{p}customers", ["last_order_at", "id"], schema=schema
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("customers", "orders"):
            op.alter_column(
                f"{p}{table}",
                "sort_key",
                type_=sa.String(200),
                existing_type=sa.String(200, collation="C"),
                schema=schema,
            )
