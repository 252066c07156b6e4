"""Password hashing behind a Protocol, with argon2id as the default.

Services depend on :class:`PasswordHasher` only, so tests can pass a cheap double (see
:class:`accountkit.testing.CheapPasswordHasher`). The full password policy (length rules,
blocklist, legacy hashes, rehashing) comes with the sign-in capability; what is here is
the minimum every password must meet.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import argon2

from accountkit.errors import InvalidPassword

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Argon2Hasher",
    "PasswordHasher",
    "check_password",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def check_password(password: str) -> str:
    """Check the minimum rules of a password before it is hashed.

    Raises:
        InvalidPassword: Not text (also: text with a lone surrogate, which no encoding
            takes), shorter than 8 or longer than 1,024 characters, or with a NUL
            character. The message never quotes the password.
    """
    if not isinstance(password, str):
        raise InvalidPassword("A password must be text.", field="password")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A lone surrogate (say, half of an emoji cut off by a client) is not text that
        # argon2 or a database could take; refuse it before anything is hashed.
        raise InvalidPassword(
            "The password holds characters that are not valid text; type it again.",
            field="password",
        ) from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPassword(
            f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPassword(
            f"The password is too long; use at most {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if "\x00" in password:
        raise InvalidPassword("The password holds a NUL character; remove it.", field="password")
    return password


@runtime_checkable
class PasswordHasher(Protocol):
    """Turns passwords into encoded hashes and checks them."""

    def hash(self, password: str) -> str:
        """Return an encoded hash of ``password`` (with its own random salt)."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``; never raise for a mismatch."""
        ...


class Argon2Hasher:
    """argon2id through argon2-cffi, at RFC 9106's low-memory profile by default.

    Args:
        parameters: An ``argon2.Parameters`` profile; defaults to
            ``argon2.profiles.RFC_9106_LOW_MEMORY`` (t=3, m=64 MiB, p=4).
    """

    def __init__(self, parameters: argon2.Parameters | None = None) -> None:
        self._hasher = argon2.PasswordHasher.from_parameters(
            parameters or argon2.profiles.RFC_9106_LOW_MEMORY
        )

    def hash(self, password: str) -> str:
        """Return the argon2id encoded hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches; a malformed hash counts as a mismatch."""
        try:
            return self._hasher.verify(encoded, password)
        except argon2.exceptions.VerificationError:
            return False
        except (argon2.exceptions.InvalidHashError, argon2.exceptions.VerifyMismatchError):
            return False
