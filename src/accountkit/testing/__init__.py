"""Helpers for test suites: a cheap password hasher and a frozen clock.

Never use :class:`CheapPasswordHasher` outside tests: it is fast on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from accountkit import FrozenClock

__all__ = ["CheapPasswordHasher", "FrozenClock"]


class CheapPasswordHasher:
    """A fast, salted SHA-256 stand-in for argon2 that counts its calls; for tests only.

    Attributes:
        hash_calls: How many times :meth:`hash` ran.
        verify_calls: How many times :meth:`verify` ran.
    """

    prefix = "cheap-sha256$"

    def __init__(self) -> None:
        self.hash_calls = 0
        self.verify_calls = 0
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        """Return ``cheap-sha256$<salt>$<digest>``."""
        with self._lock:
            self.hash_calls += 1
        salt = secrets.token_hex(8)
        digest = hashlib.sha256((salt + password).encode()).hexdigest()
        return f"{self.prefix}{salt}${digest}"

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``."""
        with self._lock:
            self.verify_calls += 1
        if not encoded.startswith(self.prefix):
            return False
        salt, _, digest = encoded[len(self.prefix) :].partition("$")
        expected = hashlib.sha256((salt + password).encode()).hexdigest()
        return hmac.compare_digest(expected, digest)
