"""Helpers for test suites: a cheap password hasher and a frozen clock.

Never use :class:`CheapPasswordHasher` outside tests: it is fast on purpose.
"""

from __future__ import annotations

import threading

import argon2

from accountkit import FrozenClock
from accountkit.security.passwords import Argon2Hasher

__all__ = ["CheapPasswordHasher", "FrozenClock"]


class CheapPasswordHasher(Argon2Hasher):
    """argon2id at argon2-cffi's cheapest profile that counts its calls; for tests only.

    It runs the real scheme (NFKC, legacy hashes, rehash decisions) in microseconds. Its hashes
    differ in parameters from :class:`~accountkit.security.Argon2Hasher`'s, so a production
    hasher's ``needs_rehash`` is True for them, and the other way round.

    Attributes:
        hash_calls: How many times :meth:`hash` ran.
        verify_calls: How many times :meth:`verify` ran.
        dummy_verify_calls: How many times :meth:`dummy_verify` ran.
        computations: How many hash computations ran (argon2, PBKDF2 or bcrypt), over all
            three methods; a refused hash, or one that does not parse, adds none.
    """

    _allows_test_profile = True

    def __init__(self) -> None:
        super().__init__(argon2.profiles.CHEAPEST)
        self.hash_calls = 0
        self.verify_calls = 0
        self.dummy_verify_calls = 0
        self.computations = 0
        self._lock = threading.Lock()

    def _computed(self) -> None:
        with self._lock:
            self.computations += 1

    def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password`` (NFKC) at the cheapest profile."""
        with self._lock:
            self.hash_calls += 1
        return super().hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded`` (see ``Argon2Hasher.verify``)."""
        with self._lock:
            self.verify_calls += 1
        return super().verify(encoded, password)

    def dummy_verify(self, password: str) -> bool:
        """Run one cheap verification against a hash nobody has; return False."""
        with self._lock:
            self.dummy_verify_calls += 1
        return super().dummy_verify(password)
