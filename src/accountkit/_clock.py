"""Clocks: where accountkit reads the time. Inject a :class:`FrozenClock` in tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FrozenClock", "SystemClock", "checked_clock", "ensure_utc"]


def ensure_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; refuse naive datetimes, whose zone is a guess.

    Raises:
        accountkit.errors.InvalidValue: ``moment`` is not a datetime or has no time zone.
    """
    from accountkit.errors import InvalidValue

    if not isinstance(moment, datetime):
        raise InvalidValue("A time is an aware datetime, such as datetime.now(UTC).", field="time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("A time must carry a time zone; use datetime.now(UTC).", field="time")
    return moment.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class _CheckedClock:
    """Wraps the shop's clock so that every time accountkit reads is aware and in UTC.

    A naive time raises at the read, before the unit of work that asked stores anything; an
    aware time in another zone is converted, so every store keeps the same instant in UTC.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        """Return the wrapped clock's time in UTC.

        Raises:
            accountkit.errors.InvalidValue: The clock returned something other than an
                aware datetime.
        """
        from accountkit.errors import InvalidValue

        moment = self._clock.now()
        if not isinstance(moment, datetime):
            raise InvalidValue(
                "The kit's clock must return a datetime from now(), such as datetime.now(UTC).",
                field="clock",
            )
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidValue(
                "The kit's clock returned a time without a time zone; return an aware "
                "datetime, such as datetime.now(UTC).",
                field="clock",
            )
        return moment.astimezone(UTC)


def checked_clock(clock: object) -> Clock:
    """Return ``clock`` wrapped so that every time it gives is checked and made UTC.

    Raises:
        accountkit.errors.InvalidValue: ``clock`` has no callable ``now()``.
    """
    from accountkit.errors import InvalidValue

    # A class (``clock=FrozenClock``) has a callable ``now`` too, which fails at the first read.
    if isinstance(clock, type) or not callable(getattr(clock, "now", None)):
        raise InvalidValue(
            "clock must have a now() method that returns an aware datetime, such as "
            "SystemClock() or FrozenClock(); leave it out for the system time.",
            field="clock",
        )
    if isinstance(clock, _CheckedClock):
        return clock
    return _CheckedClock(clock)  # type: ignore[arg-type]


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
