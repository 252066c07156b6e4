"""Executors (how a unit of work runs its named statements) and the repositories' base."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from accountkit.errors import AccountKitError, ConcurrentUpdate, ReadOnlyUnit
from accountkit.storage._sql.errors import _cause

if TYPE_CHECKING:
    from accountkit.storage._sql.statements import _Statements
    from accountkit.storage._sql.store import SqlStore


_BULK_CHUNK = 1000
"""Rows per statement in a bulk insert."""


class _Executor:
    """Runs named statements on a SQLAlchemy connection (every write, and reads elsewhere).

    A read-only executor runs only the statements named in ``_Statements.reads``. A nested
    unit gets its own executor on the same connection; ``root`` is the outermost one, which
    keeps whether anything reached the database.
    """

    def __init__(
        self,
        conn: sa.Connection,
        stmts: _Statements,
        *,
        readonly: bool,
        root: _Executor | None = None,
    ) -> None:
        self.conn = conn
        self._q = stmts
        self.readonly = readonly
        self._root = self if root is None else root
        self.reached = False
        """Whether a statement of this unit has reached the database."""
        self.scrub = False
        """Whether the unit erased personal data: SQLite then checkpoints its log after the
        commit (``SqlStore.transaction``)."""

    def erased(self) -> None:
        """Note that this unit erased personal data (kept on the outermost unit)."""
        self._root.scrub = True

    def _execute(self, name: str, params: Any) -> sa.CursorResult[Any]:
        if self.readonly and name not in self._q.read_set:
            raise ReadOnlyUnit()
        result = self.conn.execute(getattr(self._q, name), params)
        self._root.reached = True
        return result

    def first(self, name: str, params: dict[str, Any]) -> Sequence[Any] | None:
        return self._execute(name, params).first()

    def all(self, name: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self._execute(name, params).all()

    def scalar(self, name: str, params: dict[str, Any]) -> Any:
        return self._execute(name, params).scalar()

    def run(self, name: str, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        return self._execute(name, params).rowcount


class _RawReader:
    """The read path of SQLite read-only units: the same Core statements, compiled to SQL
    text once, run on a per-thread sqlite3 connection with SQLAlchemy's own result
    processors. The SQLAlchemy connection machinery costs several times the query itself
    on the sign-in lookup; this keeps that lookup close to a raw query (docs/performance.md).
    """

    def __init__(self, stmts: _Statements, dialect: sa.Dialect) -> None:
        self.compiled: dict[str, tuple[str, tuple[str, ...], list[Any]]] = {}
        for name in stmts.reads:
            stmt = getattr(stmts, name)
            compiled = stmt.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ())
            processors = [
                col.type.dialect_impl(dialect).result_processor(dialect, None)
                for col in stmt.selected_columns
            ]
            self.compiled[name] = (str(compiled), order, processors)


class _RawExecutor:
    """An executor over one raw sqlite3 connection inside a read-only unit."""

    readonly = True

    def __init__(self, raw: sqlite3.Connection, reader: _RawReader) -> None:
        self._raw = raw
        self._reader = reader

    def _execute(self, name: str, params: dict[str, Any]) -> tuple[sqlite3.Cursor, list[Any]]:
        compiled = self._reader.compiled.get(name)
        if compiled is None:
            raise ReadOnlyUnit()
        sql, order, processors = compiled
        return self._raw.execute(sql, [params[key] for key in order]), processors

    def _process(self, row: Sequence[Any], processors: list[Any]) -> Sequence[Any]:
        return [v if p is None or v is None else p(v) for v, p in zip(row, processors, strict=True)]

    def first(self, name: str, params: dict[str, Any]) -> Sequence[Any] | None:
        cursor, processors = self._execute(name, params)
        row = cursor.fetchone()
        return None if row is None else self._process(row, processors)

    def all(self, name: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        cursor, processors = self._execute(name, params)
        return [self._process(row, processors) for row in cursor.fetchall()]

    def scalar(self, name: str, params: dict[str, Any]) -> Any:
        row = self.first(name, params)
        return None if row is None else row[0]

    def run(self, name: str, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        raise ReadOnlyUnit()

    def erased(self) -> None:
        raise ReadOnlyUnit()


Executor = _Executor | _RawExecutor


class _Repo:
    def __init__(self, x: Executor, store: SqlStore) -> None:
        self._x = x
        self._store = store

    def _writing(self) -> None:
        """Refuse a write in a read-only unit before any check or statement runs."""
        if self._x.readonly:
            raise ReadOnlyUnit()

    def _update(
        self,
        kind: str,
        values: dict[str, Any],
        version: int,
        integrity: Callable[[sa.exc.IntegrityError], AccountKitError],
        not_found: type[AccountKitError],
    ) -> None:
        """Optimistic update: write only if the stored version is still ``version``."""
        record_id = values.pop("id")
        params = {**values, "version": version + 1, "b_id": record_id, "b_version": version}
        try:
            changed = self._x.run(f"{kind}_update", params)
        except sa.exc.IntegrityError as exc:
            raise integrity(exc) from _cause(exc)
        if changed != 1:
            if self._x.first(f"{kind}_exists", {"id": record_id}) is None:
                raise not_found()
            raise ConcurrentUpdate()
