"""SqlStore's units of work where SQL differs: a shop's own engine and statements, forks,
threads on one in-memory connection, pooled read connections, close, and arguments refused
at construction."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from accountkit.errors import (
    CannotOpenDatabase,
    ConcurrentUpdate,
    EmailTaken,
    InvalidValue,
    StorageError,
    StoreClosed,
    UnitAborted,
)
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from accountkit.storage._sql.execute import _Executor
from accountkit.storage._sql.store import _RAW_IDLE
from tests.helpers import guest_record


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_and_schema(
    request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path
) -> Iterator[tuple[str, str | None]]:
    """A SQLite file URL, or a PostgreSQL URL with a fresh schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield sqlite_url, None
        return
    pg: tuple[str, str] = request.getfixturevalue("pg_schema")
    yield pg


@pytest.fixture
def sql_store(url_and_schema: tuple[str, str | None]) -> Iterator[SqlStore]:
    """A SqlStore on :func:`url_and_schema`, closed afterwards."""
    url, schema = url_and_schema
    store = SqlStore(url, schema=schema)
    yield store
    store.close()


# --- a shop's own engine -------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ["AUTOCOMMIT", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_failed_unit_keeps_no_writes_whatever_the_engines_isolation(
    url_and_schema: tuple[str, str | None], isolation: str
) -> None:
    """On a shop engine made AUTOCOMMIT (or stricter), a unit that raises still writes nothing."""
    url, schema = url_and_schema
    if url.startswith("sqlite") and isolation == "REPEATABLE READ":
        pytest.skip("SQLite has no REPEATABLE READ level")
    engine = sa.create_engine(url, isolation_level=isolation)
    store = SqlStore(engine, schema=schema)
    try:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.users.add(guest_record(1))
            raise RuntimeError("the shop's own failure")
        with store.transaction() as tx:
            assert tx.users.get("usr_1") is None
            tx.users.add(guest_record(2))
        with store.transaction(readonly=True) as tx:
            assert tx.users.get("usr_2") is not None
    finally:
        store.close()
        engine.dispose()


def test_a_concurrent_update_on_a_repeatable_read_engine_is_concurrent_update(
    pg_schema: tuple[str, str],
) -> None:
    """A shop engine at REPEATABLE READ does not turn a lost race into DatabaseUnavailable."""
    url, schema = pg_schema
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    store = SqlStore(engine, schema=schema)
    try:
        with store.transaction() as tx:
            tx.users.add(guest_record(1))
        done = threading.Event()

        def other_writer() -> None:
            with store.transaction() as tx:
                user = tx.users.get("usr_1")
                assert user is not None
                tx.users.update(attrs.evolve(user, given_name="Other"))
            done.set()

        with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
            stale = tx.users.get("usr_1")
            assert stale is not None
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join()
            assert done.is_set()
            tx.users.update(attrs.evolve(stale, given_name="Mine"))
        with store.transaction(readonly=True) as tx:
            stored = tx.users.get("usr_1")
            assert stored is not None
            assert stored.given_name == "Other"
    finally:
        store.close()
        engine.dispose()


def test_a_caught_failure_of_the_shops_own_statement_is_unit_aborted(
    pg_schema: tuple[str, str],
) -> None:
    """PostgreSQL gives up a unit whose statement failed: ending it raises UnitAborted instead
    of a COMMIT that silently writes nothing."""
    url, schema = pg_schema
    store = SqlStore(url, schema=schema)
    try:
        with pytest.raises(UnitAborted), store.transaction() as tx:
            tx.users.add(guest_record(1))
            assert tx.connection is not None
            # The shop catches its own failure and ends the block.
            with contextlib.suppress(sa.exc.DBAPIError):
                tx.connection.exec_driver_sql("SELECT 1 / 0")
        with store.transaction(readonly=True) as tx:
            assert tx.users.get("usr_1") is None
    finally:
        store.close()


def test_the_shops_own_statements_in_a_nested_unit_roll_back_alone(sql_store: SqlStore) -> None:
    """A shop statement that fails inside a nested unit is translated and undone alone."""
    with sql_store.transaction() as tx:
        tx.users.add(guest_record(1))
        with pytest.raises(StorageError), sql_store.transaction() as inner:
            assert inner.connection is not None
            inner.users.add(guest_record(2))
            inner.connection.exec_driver_sql("SELECT * FROM no_such_table_here")
        tx.users.add(guest_record(3))
    with sql_store.transaction(readonly=True) as tx:
        assert [tx.users.get(f"usr_{n}") is not None for n in (1, 2, 3)] == [
            True,
            False,
            True,
        ]


def test_a_readonly_unit_hands_out_no_connection(sql_store: SqlStore) -> None:
    """Read-only units have ``connection`` None on every SQL database, so nothing writes."""
    with sql_store.transaction(readonly=True) as tx:
        assert tx.connection is None
    with sql_store.transaction() as tx:
        assert tx.connection is not None


# --- fork ------------------------------------------------------------------------------------


def _child_writes(store: SqlStore, n: int) -> None:
    with store.transaction() as tx:
        tx.users.add(guest_record(n))
    with store.transaction(readonly=True) as tx:
        if tx.users.get(f"usr_{n}") is None:
            os._exit(3)
    store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_store_opened_before_a_fork_works_in_the_child_and_the_parent(
    sql_store: SqlStore,
) -> None:
    """A forked child uses its own connections; the parent's pooled ones keep working."""
    with sql_store.transaction() as tx:
        tx.users.add(guest_record(1))
    with sql_store.transaction(readonly=True) as tx:
        assert tx.users.get("usr_1") is not None  # a pooled read connection exists now
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_child_writes, args=(sql_store, 10 + n)) for n in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0]
    with sql_store.transaction() as tx:
        tx.users.add(guest_record(2))
    with sql_store.transaction(readonly=True) as tx:
        assert tx.users.count() == 4


# --- threads ---------------------------------------------------------------------------------


def test_schema_revision_from_another_thread_waits_for_an_open_unit_in_memory() -> None:
    """``sqlite://`` shares one connection: a health check from another thread must not roll
    back an open unit of work."""
    store = SqlStore("sqlite://")
    opened, checked = threading.Event(), threading.Event()
    revisions: list[str | None] = []

    def health_check() -> None:
        opened.wait(10)
        revisions.append(store.schema_revision())
        checked.set()

    thread = threading.Thread(target=health_check)
    thread.start()
    with store.transaction() as tx:
        tx.users.add(guest_record(1))
        opened.set()
        checked.wait(0.3)  # without the lock the check would run (and roll back) here
    thread.join(10)
    with store.transaction(readonly=True) as tx:
        assert tx.users.get("usr_1") is not None
    assert revisions == [store.schema_revision()]
    store.close()


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc/self/fd")
def test_read_units_on_short_lived_threads_do_not_leak_file_descriptors(sqlite_url: str) -> None:
    """A server that runs each request on a new thread keeps a bounded number of files open."""
    store = SqlStore(sqlite_url)
    with store.transaction() as tx:
        tx.users.add(guest_record(1))

    def request() -> None:
        with store.transaction(readonly=True) as tx:
            assert tx.users.get("usr_1") is not None

    before = _open_descriptors()
    for _ in range(300):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    # Each idle pooled connection holds the file and its -wal (and -shm) open.
    assert _open_descriptors() - before <= 3 * _RAW_IDLE
    store.close()


def test_opening_a_new_file_waits_for_another_process_still_making_it(tmp_path: Path) -> None:
    """A store opened while another connection writes the brand-new file (not yet in WAL
    mode) waits for it instead of failing with DatabaseBusy.

    SQLite answers "database is locked" at once, without its busy handler, when the
    switch to WAL must upgrade a read lock: four processes opening one new file met it.
    """
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE shop_own (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO shop_own VALUES (1)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        store = SqlStore(f"sqlite:///{path}")
        assert store.schema_revision() == head_revision()
        store.close()
    finally:
        release.join()
        other.close()


# --- close -----------------------------------------------------------------------------------


def test_a_closed_store_never_reopens_its_file(tmp_path: Path) -> None:
    """After close, calls raise StoreClosed and the deleted file is not made again."""
    path = tmp_path / "gone.db"
    store = SqlStore(f"sqlite:///{path}")
    with store.transaction() as tx:
        tx.users.add(guest_record(1))
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreClosed), store.transaction(readonly=True):
        pass
    with pytest.raises(StoreClosed), store.transaction():
        pass
    with pytest.raises(StoreClosed):
        store.schema_revision()
    assert not path.exists()


# --- arguments refused at construction -------------------------------------------------------


def test_a_sqlite_file_in_a_missing_folder_says_it_cannot_be_opened(tmp_path: Path) -> None:
    """A path in a folder that does not exist raises CannotOpenDatabase, not 'try again'."""
    with pytest.raises(CannotOpenDatabase) as caught:
        SqlStore(f"sqlite:///{tmp_path / 'missing' / 'shop.db'}")
    assert "folder" in caught.value.message


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "5", None, True, 10**9])
def test_a_bad_busy_timeout_is_refused(sqlite_url: str, value: object) -> None:
    """busy_timeout must be a number of seconds from 0 to a day."""
    with pytest.raises(InvalidValue) as caught:
        SqlStore(sqlite_url, busy_timeout=value)  # type: ignore[arg-type]
    assert caught.value.field == "busy_timeout"


@pytest.mark.parametrize("value", [None, 42, Path("shop.db"), b"sqlite://"])
def test_a_url_that_is_neither_text_nor_an_engine_is_refused(value: object) -> None:
    """The url argument is a URL string or an Engine."""
    with pytest.raises(InvalidValue):
        SqlStore(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["Shop_", "SHOP_", "shop-", "1shop_", "", "shop_\x00"])
def test_prefixes_that_would_differ_by_database_are_refused(sqlite_url: str, prefix: str) -> None:
    """Upper case (SQLite ignores it, PostgreSQL does not) and other characters are refused."""
    with pytest.raises(InvalidValue) as caught:
        SqlStore(sqlite_url, prefix=prefix)
    assert caught.value.field == "prefix"


def test_a_prefix_too_long_for_postgresql_names_is_refused_everywhere(sqlite_url: str) -> None:
    """A prefix that would push a table, index or constraint name past 63 bytes is refused
    on SQLite too, and the message says how long it may be."""
    with pytest.raises(InvalidValue) as caught:
        SqlStore(sqlite_url, prefix="p" * 40)
    assert "at most" in caught.value.message


def test_the_longest_accepted_prefix_works_with_its_constraints(
    url_and_schema: tuple[str, str | None],
) -> None:
    """At the longest prefix allowed, constraint violations are still told apart."""
    url, schema = url_and_schema
    prefix = next("p" * n + "_" for n in range(60, 0, -1) if _accepted("p" * n + "_"))
    store = SqlStore(url, schema=schema, prefix=prefix)
    try:
        with store.transaction() as tx:
            tx.users.add(guest_record(1))
        with pytest.raises(EmailTaken), store.transaction() as tx:
            tx.users.add(attrs.evolve(guest_record(2), email="user1@example.com"))
    finally:
        store.close()


def _accepted(prefix: str) -> bool:
    from accountkit.storage._sql.engine import _check_prefix

    try:
        _check_prefix(prefix)
    except InvalidValue:
        return False
    return True


def test_schema_and_a_metadata_of_another_schema_are_refused(sqlite_url: str) -> None:
    """schema= and metadata= must agree; a metadata without a schema beside schema= too."""
    with pytest.raises(InvalidValue):
        SqlStore(sqlite_url, schema="a", metadata=sa.MetaData(schema="b"))
    with pytest.raises(InvalidValue):
        SqlStore(sqlite_url, schema="a", metadata=sa.MetaData())
    with pytest.raises(InvalidValue):
        SqlStore(sqlite_url, metadata="not metadata")  # type: ignore[arg-type]


def test_a_statement_in_a_doubly_nested_unit_counts_as_reaching_the_database(
    sql_store: SqlStore,
) -> None:
    """The outermost unit knows a statement ran (so a later dropped connection is not
    reported as safe to retry), however deep the unit that ran it."""
    with sql_store.transaction() as outer:
        with sql_store.transaction(), sql_store.transaction() as inner:
            inner.users.get("usr_1")
        executor = outer._x
        assert isinstance(executor, _Executor)
        assert executor.reached is True
