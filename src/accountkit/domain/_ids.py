"""Opaque ids. Callers must treat them as strings with no meaning."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Callable, Iterator

from accountkit.errors import InvalidValue

__all__ = ["new_id", "sequence"]

_source: Callable[[], str] | None = None
"""Test-only: when set (by :func:`sequence`), it makes the part of every id after the prefix."""


def new_id(prefix: str) -> str:
    """Return a fresh id such as ``"usr_0193f1c2a4b57f3e9d0c1a2b3c4d5e6f"``.

    The first 12 hex digits are the creation time in milliseconds and the other 20 are
    random (80 bits), like a UUIDv7: new rows land at the end of a primary-key index instead
    of at random places in it, which keeps bulk inserts fast as a table grows. The prefix
    only helps humans reading logs.
    """
    # The hook is read here, not bound at import: modules import new_id by name.
    source = _source
    if source is not None:
        return f"{prefix}_{source()}"
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


@contextlib.contextmanager
def sequence(start: int) -> Iterator[None]:
    """Test-only: make ids deterministic while the block runs.

    Inside the block, :func:`new_id` returns ``prefix_`` and 32 hex digits of a counter that
    starts at ``start`` and rises by one per id, so ids are unique and sort in creation order
    as real ones do. Two runs of the same calls from the same ``start`` get the same ids,
    which lets a test compare stores call by call. Not for production: the counter is
    process-wide, and ids made in different blocks from overlapping starts collide.

    Args:
        start: The first counter value, 0 or more.

    Raises:
        InvalidValue: ``start`` is negative.
    """
    global _source
    if start < 0:
        raise InvalidValue("An id sequence starts at 0 or more.", field="start")
    counter = itertools.count(start)
    previous = _source

    def source() -> str:
        return f"{next(counter):032x}"

    _source = source
    try:
        yield
    finally:
        _source = previous
