"""Attempt limits for sign-in: a pluggable Protocol and the default that counts in the store.

The sign-in service calls the limiter with opaque keys, HMAC digests of the normalised e-mail
key and of the client key the shop passes (an IP address, a device id), never the values
themselves, so a limiter (and the table behind the default one) holds no personal data.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import attrs

from accountkit.errors import InvalidPolicy
from accountkit.storage._protocols import Store, Transaction

__all__ = ["AttemptLimiter", "StoreLimiter"]


@runtime_checkable
class AttemptLimiter(Protocol):
    """Decides whether a sign-in may be tried, and learns from failures and successes.

    ``account`` is the digest of the normalised e-mail (case variants share it); ``client``
    the digest of the shop's client key, or ``None`` when the shop passed none. A limiter
    must never lock an account out for good: every refusal ends by itself.
    """

    def retry_after(self, *, account: str, client: str | None, at: datetime) -> timedelta | None:
        """Return how long the caller must wait before trying, or ``None`` to go on."""
        ...

    def failed(self, *, account: str, client: str | None, at: datetime) -> None:
        """Count a failed attempt."""
        ...

    def succeeded(self, *, account: str, client: str | None, at: datetime) -> None:
        """Forget the account's failures (not the client's: one good password must not
        clear what a client tried against other accounts)."""
        ...


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
        raise InvalidPolicy(f"{attribute.name} is a whole number from 1.", field=attribute.name)


def _window(instance: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or not timedelta(0) < value <= timedelta(days=1):
        raise InvalidPolicy("window is a timedelta above 0 and at most 1 day.", field="window")


@attrs.frozen
class StoreLimiter:
    """The default limiter: fixed windows counted in the kit's store, shared by every process.

    After ``per_account`` failures for one account (or ``per_client`` from one client)
    within ``window`` of the window's first failure, sign-in is refused with
    ``TooManyAttempts`` until the window ends; then the count starts again. A success clears
    the account's count. So an attacker gets at most ``per_account`` guesses per window and
    account, and the owner is never locked out for longer than one window (and can still
    reset the password or ask for a sign-in link meanwhile).

    Args:
        store: The store to count in (the kit's own).
        per_account: Failures per account and window (default 10).
        per_client: Failures per client key and window (default 100: many people may share
            one address behind a proxy).
        window: How long a window lasts (default 15 minutes).

    Raises:
        InvalidPolicy: A count below 1 or a window outside (0, 1 day].

    Example:
        >>> limiter = StoreLimiter(store, per_account=5)
        >>> kit = AccountKit(store=store, secret_keys=[key], limiter=limiter)  # doctest: +SKIP

    Failures are written in their own unit of work, so they count even though the sign-in
    raises. A sign-in called inside the shop's own ``with store.transaction():`` writes them
    in a savepoint of the shop's unit: if the shop lets the error roll that unit back, the
    failure is not counted, so call the sign-in methods outside the shop's own units.
    """

    store: Store
    per_account: int = attrs.field(default=10, kw_only=True, validator=_positive_int)
    per_client: int = attrs.field(default=100, kw_only=True, validator=_positive_int)
    window: timedelta = attrs.field(default=timedelta(minutes=15), kw_only=True, validator=_window)

    def _limits(self, account: str, client: str | None) -> list[tuple[str, int]]:
        keys = [(account, self.per_account)]
        if client is not None:
            keys.append((client, self.per_client))
        return keys

    def retry_after(self, *, account: str, client: str | None, at: datetime) -> timedelta | None:
        """See :meth:`AttemptLimiter.retry_after`; one read-only unit."""

        def work(tx: Transaction) -> timedelta | None:
            wait = timedelta(0)
            for key, limit in self._limits(account, client):
                current = tx.attempts.get(key)
                if current is None or current.failures < limit:
                    continue
                ends = current.started_at + self.window
                if at < ends:
                    wait = max(wait, ends - at)
            if wait <= timedelta(0):
                return None
            # Whole seconds, rounded up, so that a caller waiting that long is let in.
            return timedelta(seconds=math.ceil(wait.total_seconds()))

        with self.store.transaction(readonly=True) as tx:
            return work(tx)

    def failed(self, *, account: str, client: str | None, at: datetime) -> None:
        """See :meth:`AttemptLimiter.failed`; one unit of work."""
        with self.store.transaction() as tx:
            for key, _ in self._limits(account, client):
                tx.attempts.add_failure(key, at=at, window=self.window)

    def succeeded(self, *, account: str, client: str | None, at: datetime) -> None:
        """See :meth:`AttemptLimiter.succeeded`; one unit of work, only when there is a
        count to clear."""
        with self.store.transaction(readonly=True) as tx:
            if tx.attempts.get(account) is None:
                return
        with self.store.transaction() as tx:
            tx.attempts.clear(account)
