"""What every service shares: the store, the clock, the channels, and history."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from accountkit._clock import Clock
from accountkit.domain import Actor, ActorKind, Event, EventKind, User, UserStatus
from accountkit.domain._ids import new_id
from accountkit.domain.permissions import Permission
from accountkit.errors import (
    ChannelNotFound,
    ConcurrentUpdate,
    DatabaseBusy,
    DatabaseUnavailable,
    InvalidValue,
    NotPermitted,
    UserDisabled,
    UserErased,
    UserNotFound,
)
from accountkit.notify import Notifier
from accountkit.policies import MembershipRule, RetentionPolicy, SalesChannel, SessionPolicy
from accountkit.security.passwords import PasswordHasher, PasswordPolicy
from accountkit.security.tokens import SessionCodec, TokenCodec
from accountkit.services.limits import AttemptLimiter
from accountkit.storage._protocols import Store, Transaction

T = TypeVar("T")

BUSY_RETRIES = 5
"""How often a write that met a locked database is run again before DatabaseBusy is raised."""


@attrs.frozen(kw_only=True)
class Context:
    """Everything a service needs, built once by :class:`~accountkit.AccountKit`.

    ``allow_special_use_domains`` is passed to every e-mail validation (see
    :func:`accountkit.domain.validation.normalise_email`).
    """

    store: Store
    clock: Clock
    channels: Mapping[str, SalesChannel]
    default_channel: str
    membership_rule: MembershipRule
    hasher: PasswordHasher
    notifier: Notifier
    secret_keys: tuple[bytes, ...]
    tokens: TokenCodec
    session_codec: SessionCodec
    session_policy: SessionPolicy
    password_policy: PasswordPolicy
    limiter: AttemptLimiter
    shop_name: str | None = None
    custom_roles: Mapping[str, frozenset[Permission]] = attrs.field(factory=dict)
    allow_special_use_domains: bool = False
    retention: RetentionPolicy = attrs.field(factory=RetentionPolicy)


class Service:
    """Base of the services: runs units of work and writes history."""

    def __init__(self, context: Context) -> None:
        self._ctx = context

    def _channel(self, name: str | None) -> SalesChannel:
        key = self._ctx.default_channel if name is None else name
        channel = self._ctx.channels.get(key)
        if channel is None:
            raise ChannelNotFound()
        return channel

    def _read(self, work: Callable[[Transaction], T]) -> T:
        return self._run(work, readonly=True)

    def _write(self, work: Callable[[Transaction], T]) -> T:
        return self._run(work, readonly=False)

    def _run(self, work: Callable[[Transaction], T], *, readonly: bool) -> T:
        """Run ``work`` in one unit of work, and run it again when that is known to be safe.

        The store raises :class:`DatabaseBusy` only before anything was written, so the
        unit runs again, up to BUSY_RETRIES times with a growing pause. A
        :class:`DatabaseUnavailable` marked ``retryable`` (a dead pooled connection, found
        before any statement reached the database) is run again once.
        """
        reconnected = False
        attempt = 0
        while True:
            try:
                with self._ctx.store.transaction(readonly=readonly) as tx:
                    return work(tx)
            except DatabaseBusy:
                attempt += 1
                if attempt >= BUSY_RETRIES:
                    raise
                time.sleep(0.01 * 2 ** (attempt - 1))
            except DatabaseUnavailable as exc:
                if reconnected or not exc.retryable:
                    raise
                reconnected = True

    def _save_user(
        self,
        tx: Transaction,
        before: User,
        after: User,
        kind: EventKind,
        actor: Actor,
        data: Mapping[str, str],
        *,
        security: bool = True,
    ) -> User:
        """Store ``after`` over ``before`` (optimistically) and record the change.

        ``security`` raises the security version, which kills the user's tokens: every
        change of password, e-mail, tier or status must pass True.
        """
        if security:
            after = attrs.evolve(after, security_version=before.security_version + 1)
        stored = tx.users.update(attrs.evolve(after, updated_at=self._ctx.clock.now()))
        self._record(tx, kind, actor, user_id=before.id, data=data)
        return stored

    def _record(
        self,
        tx: Transaction,
        kind: EventKind,
        actor: Actor,
        *,
        user_id: str | None = None,
        customer_id: str | None = None,
        data: Mapping[str, str] | None = None,
        new_user: bool = False,
    ) -> None:
        # A user's event is filed under their active customer too, for its history; a user
        # made in this unit has none unless it was given (B2B registration).
        if customer_id is None and user_id is not None and not new_user:
            customer_id = _active_customer_id(tx, user_id)
        tx.events.append(
            Event(
                id=new_id("evt"),
                at=self._ctx.clock.now(),
                actor=actor,
                kind=kind,
                user_id=user_id,
                customer_id=customer_id,
                data=data or {},
            )
        )


def _active_customer_id(tx: Transaction, user_id: str) -> str | None:
    for membership in tx.memberships.for_user(user_id):
        if membership.active:
            return membership.customer_id
    return None


def check_actor(actor: object) -> Actor:
    """Return ``actor`` if it is an :class:`Actor`; refuse anything else (None, a string).

    Raises:
        InvalidValue: ``actor`` is not an Actor; the message says how to make one.
    """
    if not isinstance(actor, Actor):
        raise InvalidValue(
            "actor must be an Actor: Actor.operator(staff_id), Actor.user(user_id) or "
            "Actor.system().",
            field="actor",
        )
    return actor


def require_staff(actor: Actor) -> None:
    """Refuse a change that only the operator (or the system) may make."""
    if not check_actor(actor).is_staff:
        raise NotPermitted()


def require_self_or_staff(actor: Actor, user_id: str) -> None:
    """Refuse a change to a user made by another user."""
    if not check_actor(actor).is_staff and actor.id != user_id:
        raise NotPermitted("A user may change only their own account.")


def require_active_self(actor: Actor, user: User) -> None:
    """Refuse a user acting as themself while DISABLED or PENDING_APPROVAL.

    Staff may still act on such a user (to correct data before enabling them).
    """
    if actor.kind is ActorKind.USER and actor.id == user.id and not user.is_active:
        raise UserDisabled()


def load_user(
    tx: Transaction,
    user_id: str,
    *,
    expected_version: int | None = None,
    erased_ok: bool = False,
) -> User:
    """Read a user or raise UserNotFound; check the caller's version when given.

    An erased user (a tombstone) raises UserErased, unless ``erased_ok``: nothing may act
    on or for them, but reads that only look (``kit.users.get``, consent) see the tombstone.
    """
    user = tx.users.get(user_id)
    if user is None:
        raise UserNotFound()
    if user.status is UserStatus.ERASED and not erased_ok:
        raise UserErased()
    if expected_version is not None and user.version != expected_version:
        raise ConcurrentUpdate()
    return user
