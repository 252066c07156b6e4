"""SqlStore's own promises for orders (issue 14): revision 0007 can be taken back to 0006
and applied again on a database with orders, and every limit the store checks fits its
column."""

from __future__ import annotations

import sqlalchemy as sa

from accountkit.domain.addresses import MAX_ADDRESS_LINE_LENGTH, MAX_POSTAL_CODE_LENGTH
from accountkit.domain.orders import MAX_SORT_KEY_LENGTH
from accountkit.domain.validation import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH
from accountkit.storage import SqlStore
from accountkit.storage._checks import MAX_ADDRESS_KEY_LENGTH, MAX_ORDER_ID_LENGTH
from accountkit.storage._migrate import _config, head_revision
from accountkit.storage._schema import build_tables
from tests.contract.factories import add_customer, add_user, make_signed_in_order


def _columns(engine: sa.Engine, table: str, schema: str | None) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table, schema=schema)}


def _check_down_and_up(url: str, schema: str | None) -> None:
    store = SqlStore(url, schema=schema)
    try:
        user, customer = add_user(store), add_customer(store)
        order = make_signed_in_order(user.id, customer.id)
        with store.transaction() as tx:
            tx.orders.add(order)
    finally:
        store.close()
    from alembic import command

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = _config("accountkit_", schema)
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        assert "total_minor" not in _columns(engine, "accountkit_orders", schema)
        assert "user_id" not in _columns(engine, "accountkit_addresses", schema)
        assert "has_test_order" not in _columns(engine, "accountkit_customers", schema)
    finally:
        engine.dispose()
    store = SqlStore(url, schema=schema)
    try:
        assert store.schema_revision() == head_revision()
        with store.transaction(readonly=True) as tx:
            again = tx.orders.get(order.id)
        # The columns of 0007 start again from their defaults; the rest of the row stays.
        assert again is not None
        assert (again.number, again.total, again.user_id) == (order.number, order.total, user.id)
        assert again.version == 0
    finally:
        store.close()


def test_downgrade_to_0006_and_up_again(sqlite_url: str) -> None:
    """Revision 0007 can be taken back to 0006 and applied again on a SQLite file with an
    order, its addresses and a customer that ordered."""
    _check_down_and_up(sqlite_url, None)


def test_downgrade_to_0006_and_up_again_on_postgres(pg_schema: tuple[str, str]) -> None:
    """The same on a PostgreSQL schema."""
    _check_down_and_up(*pg_schema)


def _length(table: sa.Table, column: str) -> int:
    length = table.c[column].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


def test_order_limits_fit_their_columns() -> None:
    """Every limit check_order applies is at most the size of the column that keeps it."""
    tables = build_tables(sa.MetaData())
    orders, addresses = tables.orders, tables.addresses
    for column in ("id", "number", "channel"):
        assert _length(orders, column) >= MAX_ORDER_ID_LENGTH
    assert _length(orders, "guest_email") >= MAX_EMAIL_LENGTH
    assert _length(orders, "guest_name") >= MAX_NAME_LENGTH
    assert _length(orders, "guest_family_name") >= MAX_NAME_LENGTH
    assert _length(orders, "sort_key") >= MAX_SORT_KEY_LENGTH
    for column in ("name", "company", "street", "extra", "city"):
        assert _length(addresses, column) >= MAX_ADDRESS_LINE_LENGTH
    assert _length(addresses, "postal_code") >= MAX_POSTAL_CODE_LENGTH
    assert _length(addresses, "country") == 2
    assert _length(addresses, "address_key") >= MAX_ADDRESS_KEY_LENGTH
    assert _length(addresses, "id") >= len("adr_" + "0" * 32 + "-b")
