"""How database errors become accountkit's: constraint names to errors, driver errors to
StorageError subclasses."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import sqlalchemy as sa

from accountkit.errors import (
    AccountKitError,
    CannotOpenDatabase,
    ConcurrentUpdate,
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseUnavailable,
    StorageError,
    TableConflict,
    UnsupportedDatabase,
)


class _DriverError(Exception):
    """What a database error was, without its statement's parameters or the row's values.

    Translated errors carry this as ``__cause__`` instead of the driver's exception: that one
    quotes the bound parameters (SQLAlchemy) and the clashing key (PostgreSQL's ``DETAIL:
    Key (email_key)=(...)``), which are personal data, and a ``logger.exception()`` of the
    translated error prints its whole chain.
    """


def _cause(exc: BaseException) -> _DriverError:
    orig = getattr(exc, "orig", None) or exc
    kind = type(orig)
    parts = [f"{kind.__module__}.{kind.__qualname__}"]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        parts.append(f"sqlstate {sqlstate}")
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if constraint:
        parts.append(f"constraint {constraint}")
    if isinstance(orig, sqlite3.Error):
        # SQLite's messages name tables, columns and constraints, never bound values.
        parts.append(str(orig))
    return _DriverError(", ".join(parts))


# PostgreSQL's serialization failure and deadlock: another writer won; nothing was written.
_LOST_RACE = frozenset({"40001", "40P01"})


def _translate(exc: BaseException) -> AccountKitError:
    """Map a database error to accountkit's; the message never quotes data."""
    orig = getattr(exc, "orig", exc)
    text = str(orig or exc).lower()
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable()
    if getattr(orig, "sqlstate", None) in _LOST_RACE:
        return ConcurrentUpdate()
    if "database is locked" in text or "database table is locked" in text:
        return DatabaseBusy()
    if "file is not a database" in text or "malformed" in text or "not a database" in text:
        return DatabaseCorrupt()
    if "unable to open database file" in text:
        return CannotOpenDatabase()
    if getattr(orig, "sqlstate", None) in ("42P07", "42710") or (
        isinstance(orig, sqlite3.Error) and "already exists" in text
    ):
        return TableConflict()
    if isinstance(exc, sa.exc.NoSuchModuleError | sa.exc.ArgumentError):
        return UnsupportedDatabase()
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return DatabaseUnavailable()
    if isinstance(exc, sqlite3.OperationalError):
        return DatabaseUnavailable()
    return StorageError()


@contextlib.contextmanager
def _translating() -> Iterator[None]:
    try:
        yield
    except AccountKitError:
        raise
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
        raise _translate(exc) from _cause(exc)
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("psycopg", "psycopg_binary"):
            raise _translate(exc) from _cause(exc)
        raise


def _bindable(value: object) -> bool:
    """Whether a looked-up key can reach the database: text without NUL, valid UTF-8.

    A key that cannot (a NUL, a lone surrogate, not text) names nothing, so lookups answer
    "not found" for it, as MemoryStore does, instead of a driver error.
    """
    if type(value) is not str:
        return False
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _constraint(exc: sa.exc.IntegrityError) -> str:
    """Name the violated constraint: PostgreSQL names it; SQLite lists its columns."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return str(name if name else exc.orig).lower()


def _is_foreign_key(exc: sa.exc.IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "foreign key" in text or "_fkey" in _constraint(exc)
