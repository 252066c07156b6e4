"""SqlStore's own promises: URLs and engines it accepts, SQLite settings, and clear errors
(with nothing half-written) for bad databases, lost connections and locks."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from accountkit import AccountKit, SalesChannel, ShopPolicy
from accountkit.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseUnavailable,
    EmailTaken,
    InvalidValue,
    UnsupportedDatabase,
)
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.helpers import guest_record, made


def _kit(store: SqlStore) -> AccountKit:
    return AccountKit(
        store=store,
        secret_keys=[SECRET],
        channels=[SalesChannel("web", ShopPolicy.b2c_open())],
        password_hasher=CheapPasswordHasher(),
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/test",
        "mssql+pyodbc://x",
        "sqlite+aiosqlite:///x.db",
        "postgresql+asyncpg://postgres@localhost/test",
        "not a url",
        "",
    ],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    """A URL for another database or driver raises UnsupportedDatabase."""
    with pytest.raises(UnsupportedDatabase) as caught:
        SqlStore(url)
    assert caught.value.code == "unsupported_database"


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """A SQLite path holding other bytes raises DatabaseCorrupt and keeps those bytes."""
    path = tmp_path / "shop.db"
    garbage = b"this is not a database, it is a shopping list\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(DatabaseCorrupt) as caught:
        SqlStore(f"sqlite:///{path}")
    assert caught.value.code == "database_corrupt"
    assert path.read_bytes() == garbage


def test_a_damaged_database_file_gives_database_corrupt(tmp_path: Path) -> None:
    """A SQLite file with overwritten pages raises DatabaseCorrupt, not a driver error."""
    path = tmp_path / "shop.db"
    store = SqlStore(f"sqlite:///{path}")
    with store.transaction() as tx:
        tx.users.add_many(guest_record(n) for n in range(3000))
    store.close()
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 4)
        file.write(bytes(range(256)) * (size // 512))  # half the file, from a quarter on
    with pytest.raises(DatabaseCorrupt):
        damaged = SqlStore(f"sqlite:///{path}")
        try:
            with damaged.transaction(readonly=True) as tx:
                tx.users.count()
            with damaged.transaction() as tx:
                tx.users.add_many(guest_record(n) for n in range(5000, 8000))
        finally:
            damaged.close()


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url: str) -> None:
    """A SQLite file store uses the WAL journal and enforces foreign keys."""
    store = SqlStore(sqlite_url)
    try:
        with store.transaction() as tx:
            assert tx.connection is not None
            pragma = tx.connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
    finally:
        store.close()


def test_sqlite_refuses_a_schema(sqlite_url: str) -> None:
    """SQLite has no schemas: schema= raises InvalidValue."""
    with pytest.raises(InvalidValue):
        SqlStore(sqlite_url, schema="shop")


@pytest.mark.parametrize("prefix", ["", "a-b_", "x" * 50, "drop table;"])
def test_bad_prefixes_are_refused(sqlite_url: str, prefix: str) -> None:
    """A table prefix must be a plain identifier."""
    with pytest.raises(InvalidValue):
        SqlStore(sqlite_url, prefix=prefix)


def test_two_prefixes_share_a_file_without_seeing_each_other(sqlite_url: str) -> None:
    """Stores with different prefixes in one file keep separate data."""
    shop, other = SqlStore(sqlite_url), SqlStore(sqlite_url, prefix="b2b_")
    try:
        with shop.transaction() as tx:
            tx.users.add(guest_record(1))
        with other.transaction() as tx:
            assert tx.users.count() == 0
            tx.users.add(guest_record(1))
        with shop.transaction() as tx:
            assert tx.users.count() == 1
    finally:
        shop.close()
        other.close()


def test_tables_join_the_shops_metadata(sqlite_url: str) -> None:
    """Given the shop's MetaData, the store defines its tables there."""
    metadata = sa.MetaData()
    sa.Table("shop_products", metadata, sa.Column("id", sa.Integer, primary_key=True))
    store = SqlStore(sqlite_url, metadata=metadata)
    try:
        assert "accountkit_users" in metadata.tables
        assert "shop_products" in metadata.tables
        assert store.tables.users is metadata.tables["accountkit_users"]
    finally:
        store.close()


def test_an_existing_engine_is_used_and_not_disposed(sqlite_url: str) -> None:
    """A shop's own engine works as the store's, and stays usable after close()."""
    engine = sa.create_engine(sqlite_url)
    store = SqlStore(engine)
    with store.transaction() as tx:
        tx.users.add(guest_record(1))
    store.close()
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM accountkit_users").scalar()
    assert count == 1
    engine.dispose()


def test_in_memory_sqlite_is_shared_across_threads() -> None:
    """A sqlite:// store keeps one database that every thread sees, one unit at a time."""
    store = SqlStore("sqlite://")
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            with store.transaction() as tx:
                tx.users.add(guest_record(n))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.transaction(readonly=True) as tx:
        assert tx.users.count() == 8
    store.close()


def test_a_locked_sqlite_file_gives_database_busy_and_writes_nothing(sqlite_url: str) -> None:
    """A write that cannot get the lock is retried within a bound, then raises DatabaseBusy."""
    store = SqlStore(sqlite_url, busy_timeout=0.05)
    kit = _kit(store)
    path = sa.make_url(sqlite_url).database
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy) as caught:
            kit.registration.register_guest(email="busy@example.com", given_name="Bea")
        assert caught.value.code == "database_busy"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert kit.users.find_by_email("busy@example.com") is None
    assert kit.registration.register_guest(email="busy@example.com", given_name="Bea")
    store.close()


def test_reads_go_on_while_another_process_writes(sqlite_url: str) -> None:
    """WAL lets a read-only unit read while another connection holds the write lock."""
    store = SqlStore(sqlite_url)
    with store.transaction() as tx:
        tx.users.add(guest_record(1))
    path = sa.make_url(sqlite_url).database
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with store.transaction(readonly=True) as tx:
            assert tx.users.get("usr_1") is not None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def test_kit_calls_inside_one_unit_commit_or_roll_back_together(sqlite_url: str) -> None:
    """Kit calls made inside store.transaction() join it and roll back with it."""
    store = SqlStore(sqlite_url)
    kit = _kit(store)
    with pytest.raises(EmailTaken), store.transaction():
        kit.registration.register_guest(email="first@example.com", given_name="Fay")
        made(
            kit.registration.register(
                email="second@example.com",
                password="long enough password",
                birth_date=date(1990, 1, 1),
                given_name="Sam",
                family_name="Second",
            )
        )
        kit.registration.register_guest(email="SECOND@example.com", given_name="Sam")
        made(
            kit.registration.register(
                email="Second@Example.com",
                password="long enough password",
                birth_date=date(1990, 1, 1),
                given_name="Sam",
                family_name="Second",
            )
        )
    assert kit.users.find_by_email("first@example.com") is None
    assert kit.users.find_by_email("second@example.com") is None
    store.close()


def _terminate(admin: sa.Engine, pid: object) -> None:
    """End the PostgreSQL backend ``pid`` from another connection."""
    with admin.begin() as conn:
        conn.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": pid})


def test_a_dropped_postgres_connection_gives_a_clear_error_and_no_write(
    pg_schema: tuple[str, str],
) -> None:
    """Terminating the backend mid-unit raises DatabaseUnavailable and keeps nothing of it."""
    url, schema = pg_schema
    store = SqlStore(url, schema=schema)
    admin = sa.create_engine(url)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, store.transaction() as tx:
            tx.users.add(guest_record(1))
            assert tx.connection is not None
            _terminate(admin, tx.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
            tx.users.add(guest_record(2))
        assert caught.value.code == "database_unavailable"
        assert not caught.value.retryable
        with store.transaction() as tx:
            assert tx.users.get("usr_1") is None
            assert tx.users.count() == 0
    finally:
        admin.dispose()
        store.close()


def test_an_unreachable_postgres_server_gives_database_unavailable() -> None:
    """A server that does not answer raises DatabaseUnavailable, not a driver error."""
    with pytest.raises(DatabaseUnavailable):
        SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")


def _kill_pooled_connection(store: SqlStore, admin: sa.Engine) -> None:
    with store.transaction() as tx:
        assert tx.connection is not None
        pid = tx.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    _terminate(admin, pid)


def test_a_pooled_connection_closed_by_the_server_is_replaced(
    pg_schema: tuple[str, str],
) -> None:
    """After the server closed an idle pooled connection, the next kit calls still succeed."""
    url, schema = pg_schema
    store = SqlStore(url, schema=schema)
    kit = _kit(store)
    admin = sa.create_engine(url)
    try:
        _kill_pooled_connection(store, admin)
        guest = kit.registration.register_guest(email="back@example.com", given_name="Bo")
        assert guest is not None
        _kill_pooled_connection(store, admin)
        assert kit.users.find_by_email("back@example.com") == guest
    finally:
        admin.dispose()
        store.close()


def test_a_dead_connection_inside_a_shops_unit_is_reported_retryable(
    pg_schema: tuple[str, str],
) -> None:
    """A unit whose first statement meets a dead connection says it may be run again."""
    url, schema = pg_schema
    store = SqlStore(url, schema=schema)
    admin = sa.create_engine(url)
    try:
        _kill_pooled_connection(store, admin)
        with pytest.raises(DatabaseUnavailable) as caught, store.transaction() as tx:
            tx.users.add(guest_record(1))
        assert caught.value.retryable
        with store.transaction() as tx:
            assert tx.users.count() == 0
    finally:
        admin.dispose()
        store.close()
