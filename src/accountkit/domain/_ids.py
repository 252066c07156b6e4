"""Opaque ids. Callers must treat them as strings with no meaning."""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    """Return a fresh id such as ``"usr_0193f1c2a4b57f3e9d0c1a2b3c4d5e6f"``.

    The first 12 hex digits are the creation time in milliseconds and the other 20 are
    random (80 bits), like a UUIDv7: new rows land at the end of a primary-key index instead
    of at random places in it, which keeps bulk inserts fast as a table grows. The prefix
    only helps humans reading logs.
    """
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
