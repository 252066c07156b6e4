"""Clocks: where accountkit reads the time. Inject a :class:`FrozenClock` in tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FrozenClock", "SystemClock", "ensure_utc"]


def ensure_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; refuse naive datetimes, whose zone is a guess.

    Raises:
        accountkit.errors.InvalidValue: ``moment`` has no time zone.
    """
    from accountkit.errors import InvalidValue

    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("A time must carry a time zone; use datetime.now(UTC).", field="time")
    return moment.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real time, from the operating system."""

    def now(self) -> datetime:
        """Return ``datetime.now(UTC)``."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move; for tests and examples.

    Args:
        at: The starting time (aware); defaults to 2026-01-01 12:00 UTC.

    Example:
        >>> clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
        >>> clock.advance(timedelta(hours=1)).isoformat()
        '2026-01-01T01:00:00+00:00'
    """

    def __init__(self, at: datetime | None = None) -> None:
        self._now = ensure_utc(at) if at is not None else datetime(2026, 1, 1, 12, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by ``by`` and return the new time."""
        with self._lock:
            self._now = self._now + by
            return self._now

    def set(self, at: datetime) -> None:
        """Set the clock to ``at`` (aware)."""
        with self._lock:
            self._now = ensure_utc(at)
