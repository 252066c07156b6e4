"""SqlStore's own promises for the shop-policy storage: revision 0006 upgrades a database
with data (its numbers become live in the number namespace), the new columns hold what the
validators let through, and the raw SQLite read path maps the new columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from accountkit.domain import Address, CustomerGroup
from accountkit.domain.validation import validate_phone, validate_vat_id
from accountkit.errors import CustomerNumberTaken, InvalidValue
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from accountkit.storage._schema import build_tables
from accountkit.storage._sql.execute import _RawExecutor
from accountkit.storage.sql import migrate
from tests.contract.factories import add_customer, make_customer

STAMP = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _insert_0005_rows(url: str, schema: str | None) -> None:
    """A group, a numbered and a numberless customer, and a user with a membership, as
    revision 0005 stored them: no phone, VAT id, addresses, assortment or number table."""
    q = f'"{schema}".' if schema else ""
    at = STAMP.isoformat(timespec="microseconds") if schema is None else STAMP
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {q}accountkit_groups (id, name, price_list_id, created_at) "
                    "VALUES ('grp_old', 'Old group', NULL, :at)"
                ),
                {"at": at},
            )
            for customer_id, number in (("cus_old", "K-000001"), ("cus_bare", None)):
                conn.execute(
                    sa.text(
                        f"INSERT INTO {q}accountkit_customers (id, kind, name, number, "
                        "group_id, price_list_id, discount, document_contacts, note, channel, "
                        "version, created_at, updated_at) VALUES (:id, 'business', 'Old AG', "
                        ":number, 'grp_old', NULL, '0', '[]', '', 'web', 3, :at, :at)"
                    ),
                    {"id": customer_id, "number": number, "at": at},
                )
            conn.execute(
                sa.text(
                    f"INSERT INTO {q}accountkit_users (id, tier, status, email, email_key, "
                    "given_name, family_name, birth_date, password_hash, must_complete_profile, "
                    "profile, security_version, version, created_at, updated_at) VALUES "
                    "('usr_old', 'guest', 'active', 'old@example.com', 'old@example.com', "
                    "'Gus', NULL, NULL, NULL, false, '{}', 0, 4, :at, :at)"
                ),
                {"at": at},
            )
            conn.execute(
                sa.text(
                    f"INSERT INTO {q}accountkit_memberships (user_id, customer_id, role, "
                    "is_active, is_exclusive, assigned_by_kind, assigned_by_id, assigned_at, "
                    "version) VALUES ('usr_old', 'cus_old', 'company_manager', true, false, "
                    "'operator', 'op', :at, 0)"
                ),
                {"at": at},
            )
    finally:
        engine.dispose()


def _check_upgrade_from_0005(url: str, schema: str | None) -> None:
    migrate(url, schema=schema, revision="0005")
    _insert_0005_rows(url, schema)
    store = SqlStore(url, schema=schema)
    try:
        assert store.schema_revision() == head_revision()
        with store.transaction(readonly=True) as tx:
            user = tx.users.get("usr_old")
            old = tx.customers.get_by_number("K-000001")
            bare = tx.customers.get("cus_bare")
            group = tx.groups.get("grp_old")
        assert user is not None and user.phone is None and user.version == 4
        assert old is not None and old.id == "cus_old" and old.version == 3
        assert (old.vat_id, old.bill_to, old.ship_to) == (None, None, None)
        assert bare is not None and bare.number is None
        assert group is not None and group.assortment is None
        # The number held before the upgrade is live: nobody else may take it ...
        with pytest.raises(CustomerNumberTaken):
            add_customer(store, number="K-000001")
        with store.transaction() as tx:
            assert tx.customers.add_if_number_free(make_customer(number="K-000001")) is None
            # ... and once its holder is gone, it is retired for good.
            tx.memberships.remove("usr_old", "cus_old")
            tx.customers.remove("cus_old")
            tx.users.remove("usr_old")
        with pytest.raises(CustomerNumberTaken):
            add_customer(store, number="K-000001")
        renumbered = add_customer(store, number="K-000002")
        assert renumbered.number == "K-000002"
    finally:
        store.close()


def test_upgrade_from_0005_keeps_rows_and_makes_their_numbers_live(sqlite_url: str) -> None:
    """A SQLite file at 0005 with a user, customers and a group upgrades: the new fields
    read back as None, and the numbers held are live in the number namespace."""
    _check_upgrade_from_0005(sqlite_url, None)


def test_upgrade_from_0005_on_postgres(pg_schema: tuple[str, str]) -> None:
    """The same upgrade of a PostgreSQL schema at 0005."""
    _check_upgrade_from_0005(*pg_schema)


def test_downgrade_to_0005_and_up_again(sqlite_url: str) -> None:
    """Revision 0006 can be taken back to 0005 and applied again on a database with data."""
    store = SqlStore(sqlite_url)
    add_customer(store, vat_id="DE123456789")
    store.close()
    from alembic import command

    from accountkit.storage._migrate import _config

    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            config = _config("accountkit_", None)
            config.attributes["connection"] = conn
            command.downgrade(config, "0005")
        assert "accountkit_customer_numbers" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    store = SqlStore(sqlite_url)
    try:
        assert store.schema_revision() == head_revision()
    finally:
        store.close()


# --- column limits -----------------------------------------------------------------------


def _length(table: sa.Table, column: str) -> int:
    length = table.c[column].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


@given(st.text(alphabet="+0123456789 -/().", max_size=40))
def test_every_phone_the_validator_accepts_fits_its_column(text: str) -> None:
    """validate_phone never returns more than users.phone holds."""
    try:
        phone = validate_phone(text)
    except InvalidValue:
        return
    assert len(phone) <= _length(build_tables(sa.MetaData()).users, "phone")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+* .-"))
def test_every_vat_id_the_validator_accepts_fits_its_column(text: str) -> None:
    """validate_vat_id never returns more than customers.vat_id holds."""
    try:
        vat_id = validate_vat_id(text)
    except InvalidValue:
        return
    assert len(vat_id) <= _length(build_tables(sa.MetaData()).customers, "vat_id")


def test_the_longest_phone_and_vat_id_are_exactly_the_column_sizes() -> None:
    """The columns are no wider than the validators need (16 and 14 characters)."""
    tables = build_tables(sa.MetaData())
    assert len(validate_phone("+" + "1" * 15)) == _length(tables.users, "phone")
    assert len(validate_vat_id("DE" + "1" * 12)) == _length(tables.customers, "vat_id")


# --- the raw SQLite read path ------------------------------------------------------------


def test_the_raw_read_path_maps_the_new_columns(sqlite_url: str) -> None:
    """A read-only unit on a SQLite file (raw sqlite3 reads) returns the addresses, VAT id,
    phone and assortment exactly as a write unit reads them."""
    store = SqlStore(sqlite_url)
    try:
        address = Address(
            name="Grete Groß",
            street="Hauptstraße 1",
            postal_code="10115",
            city="Berlin",
            country="DE",
            extra="\x00 \ud800",
        )
        customer = add_customer(store, vat_id="DE123456789", bill_to=address, ship_to=address)
        group = CustomerGroup(
            id="grp_raw", name="Raw", assortment=frozenset({"b", "a", "ä"}), created_at=STAMP
        )
        with store.transaction() as tx:
            tx.groups.add(group)
            written = (tx.customers.get(customer.id), tx.groups.get(group.id))
        with store.transaction(readonly=True) as tx:
            assert isinstance(tx._x, _RawExecutor)
            read = (tx.customers.get(customer.id), tx.groups.get(group.id))
        assert read == written == (customer, group)
    finally:
        store.close()
