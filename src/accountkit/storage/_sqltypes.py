"""Column types shared by the schema and its migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

__all__ = ["UtcDateTime"]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime in every database.

    PostgreSQL keeps ``timestamp with time zone``. SQLite has no time type, so the value is
    kept as fixed-width ISO 8601 text in UTC with microseconds: it sorts as time sorts, and
    reads back with the fast ``datetime.fromisoformat``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Text on SQLite, ``timestamp with time zone`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive times; store aware ones in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("accountkit stores only timezone-aware datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # "2026-01-01T12:00:00.000000+00:00": fixed width, so text order is time order.
            return value.isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
