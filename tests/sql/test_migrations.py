"""Schema and migrations: the shipped migrations build exactly the tables the code uses, and
an upgrade keeps every row of an older database."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accountkit import Actor, ActorKind, DocumentKind, Role, UserTier
from accountkit.errors import SchemaTooNew, StorageError
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from accountkit.storage.sql import migrate
from tests.sql.make_schema_0001_db import TARGET as SCHEMA_0001_FILE


def _differences(store: SqlStore, schema: str | None) -> list[object]:
    def include(name: str | None, kind: str, _: object) -> bool:
        # Only this store's own schema: other tests' (or shops') accountkit schemas in the
        # same database are not differences.
        if kind == "schema":
            return name == schema
        return kind != "table" or name is None or name.startswith("accountkit_")

    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": schema is not None,
                "include_name": include,
                "version_table": "accountkit_alembic_version",
                "version_table_schema": schema,
            },
        )
        return list(compare_metadata(context, store.metadata))


def test_migrations_build_the_declared_schema_on_sqlite(sqlite_url: str) -> None:
    """On SQLite the migrated tables, columns and indexes equal the declared metadata."""
    store = SqlStore(sqlite_url)
    try:
        assert _differences(store, None) == []
        assert store.schema_revision() == head_revision()
    finally:
        store.close()


def test_migrations_build_the_declared_schema_on_postgres(pg_schema: tuple[str, str]) -> None:
    """On PostgreSQL the migrated tables, columns and indexes equal the declared metadata."""
    url, schema = pg_schema
    store = SqlStore(url, schema=schema)
    try:
        assert _differences(store, schema) == []
    finally:
        store.close()


def test_opening_twice_migrates_once(sqlite_url: str) -> None:
    """Opening an up-to-date database changes nothing and keeps its data."""
    SqlStore(sqlite_url).close()
    store = SqlStore(sqlite_url)
    try:
        assert store.schema_revision() == head_revision()
    finally:
        store.close()


def test_upgrade_of_a_first_schema_file_keeps_all_data(tmp_path: Path) -> None:
    """A database file made by schema 0001 upgrades to the newest with every row intact."""
    path = tmp_path / "old.db"
    shutil.copy(SCHEMA_0001_FILE, path)
    store = SqlStore(f"sqlite:///{path}")
    try:
        assert store.schema_revision() == head_revision()
        with store.transaction() as tx:
            ada = tx.users.get_by_email("ada@example.com")
            guest = tx.users.get("usr_2")
            customer = tx.customers.get_by_number("K-000001")
            members = tx.memberships.for_customer("cus_1")
            events = tx.events.for_customer("cus_1")
            group = tx.groups.get("grp_1")
            assert tx.tokens.is_used("tok_1")
            assert tx.sequences.next_value("customer_number", start=1) == 2
        assert ada is not None and guest is not None and customer is not None
        assert ada.tier is UserTier.FULL
        assert ada.email == "Ada@example.com"
        assert ada.birth_date == date(1990, 5, 17)
        assert dict(ada.profile) == {"ski_size": "175"}
        assert (ada.security_version, ada.version) == (2, 3)
        assert ada.created_at == datetime(2025, 6, 1, 9, tzinfo=UTC)
        assert guest.tier is UserTier.GUEST and guest.password_hash is None
        assert customer.conditions.discount == Decimal("7.25")
        assert customer.document_contact(DocumentKind.INVOICE) is not None
        assert customer.note == "pays late"
        assert group is not None and group.price_list_id == "pl-wholesale"
        assert [(m.user_id, m.role, m.active) for m in members] == [
            ("usr_1", Role.COMPANY_MANAGER, True)
        ]
        assert members[0].assigned_by == Actor(ActorKind.OPERATOR, "staff-1")
        assert [e.id for e in events] == ["evt_1"]
    finally:
        store.close()


def test_upgrade_keeps_data_on_postgres(pg_schema: tuple[str, str]) -> None:
    """A PostgreSQL schema made at revision 0001 upgrades with its rows intact."""
    url, schema = pg_schema
    migrate(url, schema=schema, revision="0001")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'INSERT INTO "{schema}".accountkit_users VALUES (%(id)s, %(tier)s, %(status)s, '
            "%(email)s, %(key)s, 'Ada', NULL, NULL, NULL, false, '{}', 0, 0, now(), now())",
            {
                "id": "usr_1",
                "tier": "guest",
                "status": "active",
                "email": "ada@example.com",
                "key": "ada@example.com",
            },
        )
    engine.dispose()
    store = SqlStore(url, schema=schema)
    try:
        with store.transaction() as tx:
            user = tx.users.get_by_email("ada@example.com")
        assert user is not None and user.given_name == "Ada"
        assert store.schema_revision() == head_revision()
    finally:
        store.close()


def test_a_schema_newer_than_the_package_is_refused(sqlite_url: str) -> None:
    """A database stamped by a newer accountkit raises SchemaTooNew and is left alone."""
    SqlStore(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE accountkit_alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(SchemaTooNew) as caught:
        SqlStore(sqlite_url)
    assert caught.value.code == "schema_too_new"
    with pytest.raises(SchemaTooNew):
        migrate(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM accountkit_alembic_version").all() == [
            ("9999",)
        ]
    engine.dispose()


def test_an_outdated_schema_is_refused_without_migrate(tmp_path: Path) -> None:
    """With migrate=False an older schema raises StorageError instead of being changed."""
    path = tmp_path / "old.db"
    shutil.copy(SCHEMA_0001_FILE, path)
    with pytest.raises(StorageError) as caught:
        SqlStore(f"sqlite:///{path}", migrate=False)
    assert "migrate" in caught.value.message
    store = SqlStore(f"sqlite:///{path}")
    store.close()


def test_migrate_can_stop_at_a_revision(sqlite_url: str) -> None:
    """migrate(revision=...) brings a new database to exactly that revision."""
    migrate(sqlite_url, revision="0001")
    engine = sa.create_engine(sqlite_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert "accountkit_users" in tables
    assert "accountkit_orders" not in tables


def test_the_declared_schema_names_the_newest_migration() -> None:
    """_schema.py says which revision it matches, and that is the newest migration."""
    from accountkit.storage._schema import HEAD_REVISION

    assert head_revision() == HEAD_REVISION
