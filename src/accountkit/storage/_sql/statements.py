"""The statements of a store, built once per store from each aggregate's builder.

Each aggregate module (``users``, ``customers``, ``history``, ``signin``, ``orders``,
``reports``) names its reads in ``READS`` and builds its statements with
``build(q, tables, dialect)``; :class:`_Statements` holds them all under their names, so that
a call only binds values. The helpers here are the ones several builders share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

if TYPE_CHECKING:
    from accountkit.storage._schema import Tables

Builder = Callable[[Any, "Tables", str], None]
"""An aggregate's ``build(q, tables, dialect)``: sets its statements as attributes of ``q``."""


def _select(table: sa.Table, columns: Sequence[str]) -> sa.Select[Any]:
    return sa.select(*(table.c[name] for name in columns))


def insert_for(dialect: str) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing`` / ``_do_update``)."""
    return sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert


def search_arg(name: str) -> sa.Cast[str]:
    """A named text parameter of a search (NULL switches its filter off)."""
    return sa.cast(bindparam(name), sa.String)


def search_has(dialect: str, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    """Whether ``column`` holds the exact characters of parameter ``name``.

    instr()/strpos() match the exact characters (LIKE would need escaping, and SQLite's LIKE
    folds ASCII case).
    """
    find = sa.func.instr if dialect == "sqlite" else sa.func.strpos
    # A literal 0, not a bound one: the raw read path binds only named parameters.
    return find(column, search_arg(name)) > sa.literal_column("0")


class _Statements:
    """Every statement the repositories run, built once so that calls only bind values.

    ``reads`` names the statements that only read; a read-only unit runs only those, and
    ``execute._RawReader`` compiles exactly those to SQL text once.
    """

    def __init__(
        self, t: Tables, dialect: str, aggregates: Iterable[tuple[Sequence[str], Builder]]
    ) -> None:
        reads: list[str] = []
        for names, build in aggregates:
            build(self, t, dialect)
            reads.extend(names)
        self.reads = tuple(reads)
        self.read_set = frozenset(reads)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...
