"""SqlStore and SqlTransaction: units of work over the aggregates' repositories; migrate."""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import sqlalchemy as sa

from accountkit.errors import (
    DamagedSchema,
    DatabaseUnavailable,
    InvalidValue,
    ReadOnlyUnit,
    SchemaTooNew,
    StorageError,
    StoreClosed,
    TableConflict,
    UnitAborted,
    UnknownRevision,
)
from accountkit.storage import _migrate
from accountkit.storage._schema import HEAD_REVISION, build_tables
from accountkit.storage._sql import (
    customers,
    engine,
    history,
    orders,
    privacy,
    reports,
    signin,
    users,
)
from accountkit.storage._sql.customers import _Groups, _Memberships, _Sequences
from accountkit.storage._sql.engine import (
    _BEGIN_KEY,
    _SCHEMA,
    _SQLITE_FILE_PRAGMAS,
    _check_busy_timeout,
    _check_identifier,
    _check_prefix,
    _open_engine,
)
from accountkit.storage._sql.errors import _cause, _translating
from accountkit.storage._sql.execute import Executor, _Executor, _RawExecutor, _RawReader
from accountkit.storage._sql.history import _Consents
from accountkit.storage._sql.reports import _ReportCustomers, _ReportEvents, _ReportOrders
from accountkit.storage._sql.signin import _Attempts, _LoginCodes, _Sessions, _Tokens
from accountkit.storage._sql.statements import _Statements
from accountkit.storage._sql.users import _Users

# Every aggregate's reads and statement builder, in build order.
_AGGREGATES = tuple(
    (module.READS, module.build)
    for module in (users, customers, history, signin, orders, reports, privacy)
)


class SqlTransaction:
    """A unit of work on one database connection; see :class:`accountkit.storage.Transaction`.

    Attributes:
        connection: The SQLAlchemy connection, inside the transaction, so a shop can run
            its own statements that commit or roll back with accountkit's. ``None`` in a
            read-only unit, on every database: such a unit refuses writes, the shop's too.
        readonly: Whether the unit refuses writes.
    """

    def __init__(
        self,
        x: Executor,
        store: SqlStore,
        connection: sa.Connection | None,
        *,
        readonly: bool,
    ) -> None:
        self.connection = connection
        self.readonly = readonly
        self._x = x
        self.users = _Users(x, store)
        self.customers = _ReportCustomers(x, store)
        self.memberships = _Memberships(x, store)
        self.groups = _Groups(x, store)
        self.events = _ReportEvents(x, store)
        self.consents = _Consents(x, store)
        self.orders = _ReportOrders(x, store)
        self.sequences = _Sequences(x, store)
        self.tokens = _Tokens(x, store)
        self.sessions = _Sessions(x, store)
        self.login_codes = _LoginCodes(x, store)
        self.attempts = _Attempts(x, store)
        self.privacy = privacy._Privacy(x, store)


_RAW_IDLE = 8
"""Idle raw SQLite read connections kept per store; more are closed when returned."""


class SqlStore:
    """The storage contract on a SQL database: SQLite (a file, or memory) or PostgreSQL.

    Args:
        url: A database URL (``"sqlite:///shop.db"``, ``"sqlite://"`` for memory,
            ``"postgresql+psycopg://user@host/db"``) or an existing SQLAlchemy ``Engine``
            (the shop's own pool; SqlStore does not dispose it on close). For a SQLite
            engine, pass a fresh one: SqlStore installs its connection settings on it.
        schema: PostgreSQL only: the schema to keep the tables in (made when missing).
        prefix: Put before every table name, so the tables can share a database with the
            shop's own; default ``"accountkit_"``. Lower-case letters, digits and
            underscores, short enough that every table and index name fits 63 bytes.
        metadata: The shop's own ``MetaData`` to define the tables in (so its queries and
            tools see them); default a new one. Its ``schema`` must be ``schema``.
        migrate: Bring the schema to the newest revision on open (default). With
            ``False`` the store refuses a database that is not up to date.
        busy_timeout: SQLite only: seconds to wait for another writer's lock before the
            operation is retried, then fails with DatabaseBusy.

    Raises:
        InvalidValue: A bad prefix, schema, metadata, busy_timeout or url argument.
        UnsupportedDatabase: Another kind of database, or a driver that is not installed.
        SchemaTooNew: The database was made by a newer accountkit.
        DamagedSchema: accountkit's version table is damaged.
        TableConflict: A table with one of accountkit's names is not accountkit's.
        CannotOpenDatabase: The SQLite file cannot be opened or made.
        DatabaseCorrupt: The SQLite file is not a database.
        DatabaseUnavailable: The server cannot be reached.
        StorageError: ``migrate=False`` and the schema is not up to date.

    Example:
        >>> store = SqlStore("sqlite://")
        >>> with store.transaction() as tx:
        ...     tx.users.count()
        0
    """

    def __init__(
        self,
        url: str | sa.Engine,
        *,
        schema: str | None = None,
        prefix: str = "accountkit_",
        metadata: sa.MetaData | None = None,
        migrate: bool = True,
        busy_timeout: float = 5.0,
    ) -> None:
        self._closed = True  # until open: close() and __del__ paths see a consistent state
        self._prefix = _check_prefix(prefix)
        self._busy_timeout = _check_busy_timeout(busy_timeout)
        if metadata is not None and not isinstance(metadata, sa.MetaData):
            raise InvalidValue("metadata is a sqlalchemy.MetaData.", field="metadata")
        if metadata is not None:
            if schema is None:
                schema = metadata.schema
            elif metadata.schema != schema:
                raise InvalidValue(
                    "metadata= has another schema than schema=; give one of them, or the "
                    "same schema to both.",
                    field="schema",
                )
        self._schema = None if schema is None else _check_identifier(schema, "schema", _SCHEMA)
        with _translating():
            self._engine, self._owns_engine = _open_engine(url, self._busy_timeout)
            self.dialect = self._engine.dialect.name
            if self.dialect == "sqlite" and self._schema is not None:
                if self._owns_engine:
                    self._engine.dispose()
                raise InvalidValue(
                    "SQLite has no schemas; use prefix= to keep tables apart.", field="schema"
                )
            self._in_memory = self.dialect == "sqlite" and self._engine.url.database in (
                None,
                "",
                ":memory:",
            )
            # One shared connection in memory: every use of it, units of work and the
            # schema queries alike, must hold this lock, or one thread would roll back
            # another's open unit.
            self._lock: contextlib.AbstractContextManager[Any] = (
                threading.RLock() if self._in_memory else contextlib.nullcontext()
            )
            self.metadata = metadata if metadata is not None else sa.MetaData(schema=self._schema)
            self.tables = build_tables(self.metadata, self._prefix)
            self._q = _Statements(self.tables, self.dialect, _AGGREGATES)
            self._raw_reader = (
                _RawReader(self._q, self._engine.dialect)
                if self.dialect == "sqlite" and not self._in_memory
                else None
            )
            self._tx_local = threading.local()
            self._raw_idle: collections.deque[sqlite3.Connection] = collections.deque()
            self._raw_abandoned: list[sqlite3.Connection] = []
            self._forks = engine._forks
            try:
                self._prepare(migrate)
            except BaseException:
                if self._owns_engine:
                    self._engine.dispose()
                raise
        self._closed = False

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine."""
        return self._engine

    def _prepare(self, migrate: bool) -> None:
        _run_migrations(self._engine, self._prefix, self._schema, "head" if migrate else None)

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreClosed()
        if self._forks != engine._forks:
            self._after_fork()

    def _after_fork(self) -> None:
        """In a forked child: never touch the parent's connections, open new ones."""
        self._forks = engine._forks
        if not self._in_memory:
            # The child's copy of an in-memory database lives in its one connection.
            self._engine.dispose(close=False)
        # Kept, not closed: closing a sqlite3 connection inherited across a fork is unsafe.
        self._raw_abandoned.extend(self._raw_idle)
        self._raw_idle.clear()
        if self._in_memory:
            self._lock = threading.RLock()
        self._tx_local = threading.local()

    def schema_revision(self) -> str | None:
        """Return the schema revision the database is at.

        Raises:
            StoreClosed: The store was closed.
            DamagedSchema: The version table is damaged.
        """
        self._check_usable()
        with self._lock, _translating(), self._engine.connect() as conn:
            return _read_revision(conn, self._prefix, self._schema)

    @contextlib.contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlTransaction]:
        """Open a unit of work on one connection; commit at the end, roll back on error.

        Args:
            readonly: The unit only reads, and refuses every write (``ReadOnlyUnit``);
                ``tx.connection`` is then ``None``. On SQLite a write unit takes the write
                lock at once (``BEGIN IMMEDIATE``); a read unit on a file reads through a
                pooled driver connection.

        A unit opened inside another on the same thread joins the outer one, so a shop can
        wrap several kit calls (and its own statements on ``tx.connection``) in one
        transaction. The inner unit runs in a SAVEPOINT: when it raises, only its own
        writes are undone, and the outer unit can go on and commit.

        Raises:
            StoreClosed: The store was closed.
            ReadOnlyUnit: A write unit inside a read-only one, or a write in a read-only unit.
            UnitAborted: A statement failed inside the unit and PostgreSQL gave it up.
            DatabaseBusy: SQLite stayed locked beyond the busy timeout.
            DatabaseUnavailable: The connection failed or dropped; nothing was written.
            StorageError: Any other database failure; nothing was written.
        """
        self._check_usable()
        outer: SqlTransaction | None = getattr(self._tx_local, "tx", None)
        if outer is not None:
            with self._nested(outer, readonly) as inner:
                yield inner
            return
        if readonly and self._raw_reader is not None:
            # Inlined rather than a second context manager: this is the sign-in lookup's
            # path, and each generator layer costs about a microsecond.
            with _translating():
                raw = self._raw_checkout()
                try:
                    raw.execute("BEGIN")
                    self._tx_local.tx = SqlTransaction(
                        _RawExecutor(raw, self._raw_reader), self, None, readonly=True
                    )
                    try:
                        yield self._tx_local.tx
                    finally:
                        self._tx_local.tx = None
                finally:
                    try:
                        raw.execute("ROLLBACK")  # it only read: nothing to commit
                    except sqlite3.Error:
                        raw.close()  # a broken connection is not pooled again
                    else:
                        self._raw_checkin(raw)
            return
        with self._lock, _translating():
            conn = self._engine.connect()
            try:
                if self.dialect == "sqlite":
                    conn.info[_BEGIN_KEY] = "BEGIN" if readonly else "BEGIN IMMEDIATE"
                else:
                    # Set on every unit, so that a shop's engine made AUTOCOMMIT or
                    # REPEATABLE READ does not change what a unit means. psycopg keeps the
                    # level locally and sends it with BEGIN: no extra round trip. A read
                    # unit runs without BEGIN and COMMIT: under READ COMMITTED each
                    # statement sees its own snapshot anyway, and the sign-in lookup is one
                    # round trip. It cannot write: its executor runs only reads, and it
                    # hands out no connection.
                    conn.execution_options(
                        isolation_level="AUTOCOMMIT" if readonly else "READ COMMITTED"
                    )
                root = conn.begin()
                executor = _Executor(conn, self._q, readonly=readonly)
                self._tx_local.tx = SqlTransaction(
                    executor, self, None if readonly else conn, readonly=readonly
                )
                try:
                    yield self._tx_local.tx
                    if not readonly:
                        _refuse_aborted(conn)
                except BaseException as exc:
                    with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                        root.rollback()
                    if (
                        isinstance(exc, sa.exc.DBAPIError)
                        and exc.connection_invalidated
                        and not executor.reached
                    ):
                        raise DatabaseUnavailable(retryable=True) from _cause(exc)
                    raise
                finally:
                    self._tx_local.tx = None
                root.commit()
                if executor.scrub and self._raw_reader is not None:
                    _checkpoint(conn)
            finally:
                with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                    conn.close()

    @contextlib.contextmanager
    def _nested(self, outer: SqlTransaction, readonly: bool) -> Iterator[SqlTransaction]:
        """A unit inside ``outer``: a SAVEPOINT when the outer unit writes."""
        if outer.readonly and not readonly:
            raise ReadOnlyUnit(
                "A write was started inside a read-only unit of work; open the outer unit "
                "without readonly=True."
            )
        if outer.readonly:
            # Reads only, on the outer unit's connection: nothing to undo.
            yield outer
            return
        base = outer._x
        assert isinstance(base, _Executor)
        conn = base.conn
        inner = SqlTransaction(
            _Executor(conn, self._q, readonly=readonly, root=base._root),
            self,
            None if readonly else conn,
            readonly=readonly,
        )
        with _translating():
            savepoint = conn.begin_nested()
            self._tx_local.tx = inner
            try:
                yield inner
            except BaseException:
                with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                    savepoint.rollback()
                raise
            finally:
                self._tx_local.tx = outer
            savepoint.commit()

    def _raw_checkout(self) -> sqlite3.Connection:
        """An idle raw read connection, or a new one (SQLite files only).

        A bounded pool rather than one per thread: a server that runs each request on a new
        thread would otherwise keep two file descriptors per finished thread.
        """
        try:
            return self._raw_idle.pop()
        except IndexError:
            pass
        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        kwargs["check_same_thread"] = False
        connect: Any = sqlite3.connect  # the dialect's arguments are sqlite3.connect's
        raw: sqlite3.Connection = connect(*args, **kwargs)
        raw.isolation_level = None
        raw.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        for pragma in _SQLITE_FILE_PRAGMAS:
            raw.execute(pragma)
        return raw

    def _raw_checkin(self, raw: sqlite3.Connection) -> None:
        # deque.append is atomic; a close() running meanwhile is caught by the check after.
        if len(self._raw_idle) < _RAW_IDLE and not self._closed:
            self._raw_idle.append(raw)
            if self._closed:
                self._drain_raw()
            return
        raw.close()

    def _drain_raw(self) -> None:
        while True:
            try:
                raw = self._raw_idle.pop()
            except IndexError:
                return
            with contextlib.suppress(sqlite3.Error):
                raw.close()

    def _customer_of(self, user_id: str) -> str | None:
        """The customer a user belongs to, read outside any open transaction."""
        with (
            self._lock,
            contextlib.suppress(sa.exc.SQLAlchemyError),
            self._engine.connect() as conn,
        ):
            row = conn.execute(self._q.memberships_of_user, {"u": user_id}).first()
            return None if row is None else str(row[1])
        return None

    def close(self) -> None:
        """Close the connections (and the engine, if the store made it).

        Afterwards every call raises :class:`StoreClosed`; the store never reopens. Closing
        twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        self._drain_raw()
        if self._raw_reader is not None:
            # What the log still holds of erased rows goes with it (docs/privacy.md).
            with (
                contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error),
                self._engine.connect() as conn,
            ):
                _checkpoint(conn)
        if self._owns_engine:
            self._engine.dispose()

    def vacuum(self, *, full: bool = False) -> None:
        """Make erased data unreadable in the database's files; see
        :meth:`accountkit.storage.Store.vacuum`.

        SQLite file: ``PRAGMA wal_checkpoint(TRUNCATE)``, and ``VACUUM`` with ``full``.
        PostgreSQL: ``VACUUM`` (``VACUUM FULL`` with ``full``) of each accountkit table.

        Raises:
            StoreClosed: The store was closed.
            StorageError: A unit of work is open on this thread, or the database refused.
        """
        self._check_usable()
        if getattr(self._tx_local, "tx", None) is not None:
            raise StorageError(_VACUUM_IN_UNIT)
        with self._lock, _translating(), self._engine.connect() as conn:
            if self.dialect == "sqlite":
                if full:
                    conn.connection.dbapi_connection.execute("VACUUM")  # type: ignore[union-attr]
                _checkpoint(conn)
                return
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            verb = "VACUUM FULL" if full else "VACUUM"
            preparer = self._engine.dialect.identifier_preparer
            for field in attrs.fields(type(self.tables)):
                table = getattr(self.tables, field.name)
                conn.exec_driver_sql(f"{verb} {preparer.format_table(table)}")

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"


_VACUUM_IN_UNIT = "vacuum() runs outside units of work; call it after the unit ended."


def _checkpoint(conn: sa.Connection) -> None:
    """Copy SQLite's write-ahead log into the database file and truncate the log to zero
    bytes, so no old page image (an erased row's) stays readable in it. Best effort while
    other connections read: what they still need stays until the next checkpoint."""
    # On the driver connection: a SQLAlchemy execute would open a transaction (BEGIN) first.
    conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # type: ignore[union-attr]


def _refuse_aborted(conn: sa.Connection) -> None:
    """Raise UnitAborted when PostgreSQL gave up the transaction: COMMIT would roll back."""
    dbapi = conn.connection.dbapi_connection
    info = getattr(dbapi, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None and int(status) == _PG_IN_ERROR:
        raise UnitAborted()


_PG_IN_ERROR = 3
"""``psycopg.pq.TransactionStatus.INERROR``: a statement failed; the server waits for ROLLBACK."""


def migrate(
    url: str | sa.Engine,
    *,
    schema: str | None = None,
    prefix: str = "accountkit_",
    revision: str = "head",
) -> None:
    """Bring a database's accountkit schema to ``revision`` (default: the newest).

    The migrations are Alembic scripts shipped in the package; each run is one
    transaction, and concurrent runs wait for each other. :class:`SqlStore` calls this on
    open unless ``migrate=False``.

    Raises:
        UnknownRevision: ``revision`` is not one this accountkit ships.
        SchemaTooNew: The database was made by a newer accountkit.
        DamagedSchema, TableConflict, UnsupportedDatabase, DatabaseUnavailable,
        DatabaseCorrupt, CannotOpenDatabase.
    """
    _check_prefix(prefix)
    if schema is not None:
        _check_identifier(schema, "schema", _SCHEMA)
    if not isinstance(revision, str) or (revision != "head" and not _migrate.is_known(revision)):
        raise UnknownRevision()
    with _translating():
        engine, owned = _open_engine(url, 5.0)
        try:
            _run_migrations(engine, prefix, schema, revision)
        finally:
            if owned:
                engine.dispose()


def _qualified(name: str, schema: str | None) -> str:
    return f'"{schema}"."{name}"' if schema else f'"{name}"'


def _read_revision(conn: sa.Connection, prefix: str, schema: str | None) -> str | None:
    """The revision in accountkit's version table, or ``None`` when there is none.

    Raises:
        DamagedSchema: The table lacks its column, holds several rows or an empty one.
    """
    table = f"{prefix}alembic_version"
    if not sa.inspect(conn).has_table(table, schema=schema):
        return None
    try:
        with conn.begin_nested():
            rows = conn.exec_driver_sql(
                f"SELECT version_num FROM {_qualified(table, schema)}"
            ).all()
    except sa.exc.DBAPIError as exc:
        raise DamagedSchema() from _cause(exc)
    if len(rows) > 1 or (rows and not (isinstance(rows[0][0], str) and rows[0][0].strip())):
        raise DamagedSchema()
    return str(rows[0][0]) if rows else None


def _run_migrations(
    engine: sa.Engine, prefix: str, schema: str | None, revision: str | None
) -> None:
    """Check the schema revision and, unless ``revision`` is None, migrate to it.

    Raises:
        SchemaTooNew: The database is at a revision this package does not know.
        TableConflict: A fresh database holds a table with one of accountkit's names.
        StorageError: ``revision`` is None and the database is not at the newest revision.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info[_BEGIN_KEY] = "BEGIN IMMEDIATE"
        else:
            conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Before CREATE SCHEMA: two processes opening a new schema at once would
                # otherwise both try to make it. The second waits here, then finds the
                # schema up to date. (On SQLite, BEGIN IMMEDIATE does the same.)
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7426730001)")
            if schema is not None:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            current = _read_revision(conn, prefix, schema)
            # The constant, not Alembic's script directory: opening an up-to-date database
            # does not import Alembic (a test holds the two equal).
            head = HEAD_REVISION
            if current == head and revision in (None, "head", head):
                return
            if current is not None and not _migrate.is_known(current):
                raise SchemaTooNew(
                    f"The database is at schema revision {current}, newer than this "
                    f"accountkit knows (up to {head}); upgrade the accountkit package."
                )
            if revision is None:
                raise StorageError(
                    f"The database schema is at revision {current or 'none'}, not {head}; "
                    "call accountkit.storage.migrate() or open the store with migrate=True."
                )
            if current is None:
                ours = {
                    t.name
                    for t in attrs.astuple(build_tables(sa.MetaData(), prefix), recurse=False)
                }
                if ours & set(sa.inspect(conn).get_table_names(schema=schema)):
                    raise TableConflict()
            _migrate.upgrade(conn, prefix, schema, revision)
