"""SqlStore's own promises for the reports (issue 14): revision 0008 gives older customers
their sort keys and can be taken back to 0007 and applied again; on SQLite every report
statement reads one index in its order (no sort of the whole table, at any depth)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from accountkit import AccountKit, Actor
from accountkit.domain import CustomerKind
from accountkit.storage import SqlStore
from accountkit.storage._migrate import _config, head_revision
from accountkit.storage._schema import build_tables
from accountkit.storage.sql import migrate
from tests.conftest import SECRET
from tests.contract.factories import add_user, make_customer, make_order, make_signed_in_order

STAFF = Actor.operator("staff-7")

REPORT_STATEMENTS = {
    "overview_customers_dated": "accountkit_ix_customers_overview",
    "overview_customers_dated_after": "accountkit_ix_customers_overview",
    "overview_customers_undated": "accountkit_ix_customers_unordered",
    "overview_customers_undated_after": "accountkit_ix_customers_unordered",
    "overview_guest_orders": "accountkit_ix_orders_guest_overview",
    "overview_guest_orders_after": "accountkit_ix_orders_guest_overview",
    "overview_guest_orders_from": "accountkit_ix_orders_guest_overview",
    "orders_page_of_customer": "accountkit_ix_orders_customer_placed",
    "orders_page_of_customer_after": "accountkit_ix_orders_customer_placed",
    "order_totals_of_customer": "accountkit_ix_orders_customer_placed",
    "events_page_of_customer_after": "accountkit_ix_events_customer",
    "events_page_of_user_after": "accountkit_ix_events_user",
}


def _old_customer(url: str, schema: str | None, name: str) -> str:
    """A customer row as revisions before 0007 left it: no surname, no sort key."""
    tables = build_tables(sa.MetaData(schema=schema))
    customer = make_customer(name=name, kind=CustomerKind.BUSINESS)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            values = {
                "id": customer.id,
                "kind": customer.kind.value,
                "name": customer.name,
                "number": customer.number,
                "discount": "0",
                "document_contacts": "[]",
                "note": "",
                "channel": "web",
                "version": 0,
                "created_at": customer.created_at,
                "updated_at": customer.updated_at,
            }
            conn.execute(tables.customers.insert().values(values))
    finally:
        engine.dispose()
    return customer.id


def _check_sort_keys_filled(url: str, schema: str | None) -> None:
    migrate(url, schema=schema, revision="0007")
    old = _old_customer(url, schema, "Ärger GmbH")
    store = SqlStore(url, schema=schema)
    try:
        assert store.schema_revision() == head_revision()
        customers = store.tables.customers
        with store.engine.connect() as conn:
            key = conn.execute(
                sa.select(customers.c.sort_key).where(customers.c.id == old)
            ).scalar_one()
        assert key == "ärger gmbh"
        kit = AccountKit(store=store, secret_keys=[SECRET])
        newer = kit.customers.create(STAFF, name="Zander AG", kind=CustomerKind.BUSINESS)
        first = kit.customers.create(STAFF, name="Adler AG", kind=CustomerKind.BUSINESS)
        rows = kit.reports.overview(STAFF).items
        assert [r.customer_id for r in rows] == [first.id, newer.id, old]
    finally:
        store.close()


def test_0008_gives_older_customers_their_sort_key(sqlite_url: str) -> None:
    """A customer made before 0007 gets its name's sort key and sorts by it (ä after z)."""
    _check_sort_keys_filled(sqlite_url, None)


def test_0008_gives_older_customers_their_sort_key_on_postgres(
    pg_schema: tuple[str, str],
) -> None:
    """The same on PostgreSQL, where sort keys compare by code point, not by collation."""
    _check_sort_keys_filled(*pg_schema)


def _indexes(engine: sa.Engine, table: str, schema: str | None) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(engine).get_indexes(table, schema=schema)}


def _check_down_and_up(url: str, schema: str | None) -> None:
    store = SqlStore(url, schema=schema)
    try:
        kit = AccountKit(store=store, secret_keys=[SECRET])
        customer = kit.customers.create(STAFF, name="Kunde", surname="Zett")
        user = add_user(store)
        with store.transaction() as tx:
            tx.orders.add(make_signed_in_order(user.id, customer.id))
            tx.orders.add(make_order())
    finally:
        store.close()
    from alembic import command

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = _config("accountkit_", schema)
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        customer_indexes = _indexes(engine, "accountkit_customers", schema)
        assert "accountkit_ix_customers_last_order" in customer_indexes
        assert "accountkit_ix_customers_overview" not in customer_indexes
        assert "accountkit_ix_orders_customer" in _indexes(engine, "accountkit_orders", schema)
    finally:
        engine.dispose()
    store = SqlStore(url, schema=schema)
    try:
        assert store.schema_revision() == head_revision()
        kit = AccountKit(store=store, secret_keys=[SECRET])
        rows = kit.reports.overview(STAFF).items
        assert [r.customer_id for r in rows if r.customer_id] == [customer.id]
        assert len(rows) == 2
    finally:
        store.close()


def test_downgrade_to_0007_and_up_again(sqlite_url: str) -> None:
    """Revision 0008 can be taken back to 0007 (the old indexes return) and applied again on
    a database with customers and orders."""
    _check_down_and_up(sqlite_url, None)


def test_downgrade_to_0007_and_up_again_on_postgres(pg_schema: tuple[str, str]) -> None:
    """The same on a PostgreSQL schema."""
    _check_down_and_up(*pg_schema)


@pytest.mark.parametrize("name", sorted(REPORT_STATEMENTS))
def test_report_statements_read_their_index_in_order(tmp_path: Path, name: str) -> None:
    """On a SQLite file each report statement (as the raw read path runs it) searches its
    index and never sorts the rows it reads (a bounded range of one index per page)."""
    path = tmp_path / "plans.db"
    store = SqlStore(f"sqlite:///{path}")
    try:
        assert store._raw_reader is not None
        sql, order, _ = store._raw_reader.compiled[name]
        with sqlite3.connect(path) as conn:
            plan = [
                row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, [None] * len(order))
            ]
    finally:
        store.close()
    assert any(REPORT_STATEMENTS[name] in step for step in plan), plan
    assert not any("ORDER BY" in step for step in plan), plan
    assert not any(step.startswith("SCAN") and "USING" not in step for step in plan), plan
