"""Engines: URL checks, dialect set-up (SQLite pragmas and WAL, PostgreSQL), fork safety."""

from __future__ import annotations

import math
import os
import re
import sqlite3
import time
import weakref
from collections.abc import Iterator
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from accountkit.errors import InvalidValue, UnsupportedDatabase
from accountkit.storage._schema import build_tables

_BEGIN_KEY = "accountkit_begin"


# A larger page cache than SQLite's 2 MiB default, and reads through a memory map: with a
# million users the e-mail index no longer fits the default cache, and every lookup and
# insert then pays for page reads (docs/performance.md).
_SQLITE_FILE_PRAGMAS = ("PRAGMA cache_size = -32768", "PRAGMA mmap_size = 268435456")


_PG_IDENTIFIER_BYTES = 63
"""PostgreSQL cuts longer identifiers silently, which would make two names one."""


def _check_identifier(value: object, what: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        rule = (
            "lower-case letters, digits and underscores, starting with a letter or underscore"
            if what == "prefix"
            else "letters, digits and underscores, starting with a letter or underscore"
        )
        raise InvalidValue(f"A {what} is {rule}.", field=what)
    return value


# Upper case is refused in a prefix: SQLite's table names ignore case, so "Shop_" and
# "shop_" would name the same tables there and different ones on PostgreSQL.
_PREFIX = re.compile(r"[a-z_][a-z0-9_]*")


_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _check_prefix(prefix: object) -> str:
    """Refuse a prefix that breaks a table or index name on either database.

    Besides the explicit names, PostgreSQL makes ``<table>_pkey``, ``<table>_<column>_fkey``
    and ``<table>_<column>_key``; the store tells constraint violations apart by those
    names, so none of them may be cut at 63 bytes.
    """
    checked = _check_identifier(prefix, "prefix", _PREFIX)
    longest = max(_identifier_lengths(checked))
    if longest > _PG_IDENTIFIER_BYTES:
        room = len(checked) - (longest - _PG_IDENTIFIER_BYTES)
        raise InvalidValue(
            f"The prefix makes a table or index name longer than PostgreSQL's "
            f"{_PG_IDENTIFIER_BYTES} bytes; use at most {max(room, 0)} characters.",
            field="prefix",
        )
    return checked


def _identifier_lengths(prefix: str) -> Iterator[int]:
    tables = build_tables(sa.MetaData(), prefix)
    yield len(f"{prefix}alembic_version_pkc")
    for table in attrs.astuple(tables, recurse=False):
        yield len(f"{table.name}_pkey")
        for index in table.indexes:
            yield len(str(index.name))
        for constraint in table.constraints:
            if constraint.name is not None:
                yield len(str(constraint.name))
        for column in table.columns:
            if column.foreign_keys:
                yield len(f"{table.name}_{column.name}_fkey")
            if column.unique:
                yield len(f"{table.name}_{column.name}_key")


def _check_busy_timeout(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 86_400
    ):
        raise InvalidValue(
            "busy_timeout is a number of seconds from 0 to 86400, for example 5.0.",
            field="busy_timeout",
        )
    return float(value)


def _engine_from_url(url: str, busy_timeout: float) -> sa.Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UnsupportedDatabase(
            "The database URL could not be read; use sqlite:///path.db or "
            "postgresql+psycopg://user@host/dbname."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise UnsupportedDatabase("For SQLite use the built-in driver: sqlite:///path.db.")
        args = {"timeout": busy_timeout, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            return sa.create_engine(
                parsed, poolclass=StaticPool, connect_args=args, hide_parameters=True
            )
        return sa.create_engine(parsed, connect_args=args, hide_parameters=True)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":
            raise UnsupportedDatabase(
                "For PostgreSQL use psycopg 3: postgresql+psycopg://user@host/dbname."
            )
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise UnsupportedDatabase(
                "PostgreSQL needs psycopg 3: pip install 'accountkit[postgres]'."
            ) from exc
        # No pool_pre_ping: it costs a round trip on every unit of work. A pooled
        # connection the server has closed fails on the unit's first statement instead;
        # that unit is reported as retryable and the kit runs it again once.
        return sa.create_engine(parsed, hide_parameters=True)
    raise UnsupportedDatabase(
        f"accountkit supports SQLite and PostgreSQL, not {backend!r}; use sqlite:///path.db "
        "or postgresql+psycopg://user@host/dbname."
    )


_CONFIGURED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _open_engine(url: str | sa.Engine, busy_timeout: float) -> tuple[sa.Engine, bool]:
    """Return a configured engine for ``url`` and whether the caller owns (disposes) it."""
    if isinstance(url, sa.Engine):
        engine, owned = url, False
    elif isinstance(url, str):
        engine, owned = _engine_from_url(url, busy_timeout), True
    else:
        raise InvalidValue(
            "Pass a database URL such as 'sqlite:///shop.db' or a SQLAlchemy Engine.",
            field="url",
        )
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(
            f"accountkit supports SQLite and PostgreSQL, not {engine.dialect.name!r}."
        )
    if engine.dialect.name == "sqlite" and engine not in _CONFIGURED:
        _configure_sqlite(engine, busy_timeout)
        _CONFIGURED.add(engine)
    return engine, owned


def _switch_to_wal(cursor: Any, busy_timeout: float) -> None:
    """Put a SQLite file in WAL mode, waiting up to ``busy_timeout`` for other writers.

    On a file not yet in WAL mode (a new one) the switch reads, then upgrades its read
    lock to a write lock; while another connection holds the write lock SQLite refuses
    that upgrade at once, without calling its busy handler (it would deadlock). Several
    processes opening one new file meet this, so the switch is retried here.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.002
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # accountkit issues BEGIN itself (the driver's implicit transactions start too
        # late for SQLite's locks); this is SQLAlchemy's documented pysqlite recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            # Erased values are overwritten with zeros where they stood, not just unlinked
            # (GDPR Art. 17; docs/privacy.md). The raw read connections only read.
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if not in_memory:
                _switch_to_wal(cursor, busy_timeout)
                cursor.execute("PRAGMA synchronous = NORMAL")
                for pragma in _SQLITE_FILE_PRAGMAS:
                    cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(connection.info.pop(_BEGIN_KEY, "BEGIN"))


_forks = 0
"""How many times this process is a fork's child: a store made before a fork sees the change
and lets go of its parent's connections (SQLAlchemy's pattern: ``dispose(close=False)``)."""


def _after_fork_in_child() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_after_fork_in_child)
