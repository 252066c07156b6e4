"""Checks that every store makes alike, before it stores anything."""

from __future__ import annotations

from accountkit.errors import InvalidValue

__all__ = ["MAX_ATTEMPT_KEY_LENGTH", "check_attempt_key"]

MAX_ATTEMPT_KEY_LENGTH = 128
"""Longest attempt key (``attempts.key``)."""


def check_attempt_key(key: object) -> str:
    """Return ``key`` if it can be an attempt key: 1 to 128 ASCII characters, no NUL.

    Every store calls it, so that a key the SQL column (or PostgreSQL's text) could not hold
    is refused alike everywhere, not by one database alone.

    Raises:
        InvalidValue: ``key`` is not text, is empty or longer than 128 characters, holds a
            character outside ASCII, or a NUL.
    """
    if (
        not isinstance(key, str)
        or not key.isascii()
        or "\x00" in key
        or not 0 < len(key) <= MAX_ATTEMPT_KEY_LENGTH
    ):
        raise InvalidValue(
            "An attempt key is 1 to 128 ASCII characters without NUL (a digest).", field="key"
        )
    return key
