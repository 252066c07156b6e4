"""Privacy (``kit.privacy``): consent to be contacted, per purpose; the export of a person's
data, its erasure, and retention."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs
import cattrs

from accountkit.domain import (
    Actor,
    Consent,
    ContactPurpose,
    Customer,
    CustomerKind,
    EventKind,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.consents import check_consent_text
from accountkit.domain.orders import ERASED
from accountkit.domain.validation import lookup_key
from accountkit.errors import AlreadyErased, InvalidEmail, InvalidValue, UserErased, UserNotFound
from accountkit.reports.export import ExportedSession, PersonalData
from accountkit.security.tokens import MAX_CARD_AGE
from accountkit.serialization import make_converter
from accountkit.services._base import (
    Service,
    check_actor,
    load_user,
    require_active_self,
    require_self_or_staff,
)
from accountkit.services._signin import keyed_digest
from accountkit.storage._protocols import Transaction

if TYPE_CHECKING:
    from accountkit.services.registration import RegistrationService

__all__ = [
    "NEVER_GRANTED_WORDING",
    "SAFE_EVENT_DATA",
    "SAFE_EVENT_KEYS",
    "ErasureReport",
    "PrivacyService",
    "PurgeReport",
]

SAFE_EVENT_KEYS: frozenset[str] = frozenset(
    {
        "action", "after", "bill_to", "channel", "currency", "customer_id", "digest_method",
        "discount", "document", "fields", "from", "group_id", "how", "kind", "number",
        "price_list_id", "purchaser", "purpose", "reason", "role", "ship_to", "signed_in",
        "source", "status", "test_order", "tier", "to", "total", "vat_id", "wording_version",
        "orders", "addresses", "memberships", "customers", "events", "signin",
    }
)  # fmt: skip
"""The keys of history data that erasure keeps: each holds a code, an id, a count or the
names of changed fields, never a value of the person (an allow-list, so a key added later
is dropped until someone decides it is safe). :data:`SAFE_EVENT_DATA` narrows it per kind."""

SAFE_EVENT_DATA: Mapping[EventKind, frozenset[str]] = MappingProxyType(
    {
        kind: SAFE_EVENT_KEYS - {"from", "to"}
        if kind is EventKind.NOTE_CHANGED
        else SAFE_EVENT_KEYS
        for kind in EventKind
    }
)
"""What erasure keeps of each kind's history data: :data:`SAFE_EVENT_KEYS`, except that a
NOTE_CHANGED entry loses its ``from`` and ``to`` (the internal note is free text and may
name the person)."""

_PURGE_BATCH = 500
"""Candidates per unit of work in purge_expired."""

_Remover = Callable[[Transaction, User], bool]

NEVER_GRANTED_WORDING = "-"
"""The wording version of a withdrawal for a purpose that was never granted."""


_HEX_ID = re.compile(r"([a-z]+_)([0-9a-f]{32})")


def _newest(tx: Transaction, user_id: str, purpose: ContactPurpose) -> Consent | None:
    entries = [c for c in tx.consents.for_user(user_id) if c.purpose is purpose]
    return entries[-1] if entries else None


def _after(last: Consent, now: datetime, candidate: str) -> tuple[datetime, str]:
    """A time and id that sort after ``last`` in the log's (at, id) order.

    The log is read in that order and its newest entry decides, so a new entry must come
    last: a clock that stepped back is held at ``last.at``, and within one time (a frozen
    clock, or one millisecond, which is all a new id's time part tells) the id follows
    ``last.id``.
    """
    at = max(now, last.at)
    if at > last.at or candidate > last.id:
        return at, candidate
    match = _HEX_ID.fullmatch(last.id)
    if match is None or match.group(2) == "f" * 32:
        return at + timedelta(microseconds=1), candidate
    return at, f"cns_{int(match.group(2), 16) + 1:032x}"


def _consent_purpose(purpose: object) -> ContactPurpose:
    """A purpose that consent is given for; the contract purpose is refused."""
    kind = as_enum(ContactPurpose, purpose, field="purpose")
    if not kind.needs_consent:
        raise InvalidValue(
            "order_updates needs no consent: the order is its legal basis (GDPR Art. 6(1)(b)); "
            "nothing is granted or withdrawn for it.",
            field="purpose",
        )
    return kind


def _lock_user(tx: Transaction, user_id: str) -> User:
    # Locked: two changes of one user's consents run one after the other, so the later one
    # sees the earlier entry and is ordered after it.
    user = tx.users.lock(user_id)
    if user is None:
        raise UserNotFound()
    if user.status is UserStatus.ERASED:
        raise UserErased()
    return user


@attrs.frozen(kw_only=True)
class ErasureReport:
    """What :meth:`PrivacyService.erase` changed.

    Attributes:
        user_id: The erased user, now a tombstone.
        orders: Orders whose names, e-mail address and addresses were replaced.
        addresses: Address records replaced on those orders.
        memberships: Memberships removed.
        customers: Personal customers (of which the person was the last member) blanked.
        events: History entries redacted.
        signin: Sessions, login codes and one-time token records deleted.
    """

    user_id: str
    orders: int
    addresses: int
    memberships: int
    customers: int
    events: int
    signin: int


@attrs.frozen(kw_only=True)
class PurgeReport:
    """What :meth:`PrivacyService.purge_expired` deleted.

    Attributes:
        guests: GUEST accounts without orders past the retention period.
        unconfirmed: Registrations that never confirmed their e-mail address in time.
        sessions: Sessions past their idle or absolute lifetime.
        login_codes: Expired login codes.
        tokens: One-time token records older than any token can live.
    """

    guests: int
    unconfirmed: int
    sessions: int
    login_codes: int
    tokens: int


@functools.cache
def _converter() -> cattrs.Converter:
    """One converter for every export: making one compiles its hooks anew."""
    return make_converter()


def _tombstone(user: User, now: datetime) -> User:
    return attrs.evolve(
        user,
        tier=UserTier.BLANK,
        status=UserStatus.ERASED,
        email=None,
        given_name=None,
        family_name=None,
        birth_date=None,
        phone=None,
        password_hash=None,
        email_verified_at=None,
        must_complete_profile=False,
        profile={},
        updated_at=now,
    )


def _blank_customer(customer: Customer, now: datetime) -> Customer:
    return attrs.evolve(
        customer,
        name=ERASED,
        surname=None,
        document_contacts=(),
        note="",
        vat_id=None,
        bill_to=None,
        ship_to=None,
        updated_at=now,
    )


class PrivacyService:
    """Privacy: ``kit.privacy``.

    Consent: every grant and withdrawal is appended to the user's consent log with its
    time, source and wording version, and never changed; the newest entry of a purpose
    decides. The person's rights: :meth:`export` (GDPR Art. 15 and 20) and :meth:`erase`
    (Art. 17); the shop's duty to keep little: :meth:`purge_expired` (Art. 5(1)(e)).
    """

    def __init__(self, service: Service, registration: RegistrationService) -> None:
        self._s = service
        self._registration = registration

    def _append(
        self,
        tx: Transaction,
        actor: Actor,
        user: User,
        purpose: ContactPurpose,
        *,
        granted: bool,
        source: str,
        wording_version: str,
    ) -> Consent:
        at, consent_id = self._s._ctx.clock.now(), new_id("cns")
        log = tx.consents.for_user(user.id)
        if log:
            at, consent_id = _after(log[-1], at, consent_id)
        consent = Consent(
            id=consent_id,
            user_id=user.id,
            purpose=purpose,
            granted=granted,
            at=at,
            source=source,
            wording_version=wording_version,
        )
        tx.consents.append(consent)
        kind = EventKind.CONSENT_GRANTED if granted else EventKind.CONSENT_WITHDRAWN
        data = {"purpose": purpose.value, "wording_version": wording_version, "source": source}
        self._s._record(tx, kind, actor, user_id=user.id, data=data)
        return consent

    def grant_consent(
        self,
        actor: Actor,
        user_id: str,
        purpose: ContactPurpose | str,
        *,
        source: str,
        wording_version: str,
    ) -> Consent:
        """Record that the user consents to be contacted for ``purpose``.

        A grant is recorded each time, also when the purpose is granted already (a grant
        of a newer wording is worth keeping).

        Args:
            actor: The user themself, or the operator (recording a consent given on paper).
            user_id: The user.
            purpose: A :class:`ContactPurpose` or its value (``"newsletter"``).
            source: Where it was given (``"checkout"``): 1 to 64 characters without
                control characters.
            wording_version: The version of the text the user agreed to, likewise.

        Returns:
            The new log entry.

        Raises:
            NotPermitted: Another user acts.
            UserDisabled: The user acts as themself while DISABLED or PENDING_APPROVAL.
            UserNotFound: No user has this id.
            InvalidValue: ``actor``, ``purpose``, ``source`` or ``wording_version`` is
                not valid (``field`` names it), or ``purpose`` is ORDER_UPDATES, which
                needs no consent; nothing is recorded.
        """
        require_self_or_staff(actor, user_id)
        kind = _consent_purpose(purpose)
        source = check_consent_text(source, field="source")
        wording_version = check_consent_text(wording_version, field="wording_version")

        def work(tx: Transaction) -> Consent:
            user = _lock_user(tx, user_id)
            require_active_self(actor, user)
            return self._append(
                tx, actor, user, kind, granted=True, source=source, wording_version=wording_version
            )

        return self._s._write(work)

    def withdraw_consent(
        self, actor: Actor, user_id: str, purpose: ContactPurpose | str, *, source: str
    ) -> Consent:
        """Record that the user withdraws consent for ``purpose``, in one call.

        The withdrawal is recorded even when nothing was granted (or it was withdrawn
        already): the user's stated "no", with its time and source, is kept as well. Its
        wording version is that of the newest entry for the purpose, or
        :data:`NEVER_GRANTED_WORDING` when there is none. A DISABLED or
        PENDING_APPROVAL user may withdraw too: withdrawing is never harder than granting.

        Args:
            actor: The user themself, or the operator.
            user_id: The user.
            purpose: A :class:`ContactPurpose` or its value.
            source: Where it was withdrawn (``"unsubscribe_link"``): 1 to 64 characters
                without control characters.

        Returns:
            The new log entry (``granted`` False).

        Raises:
            NotPermitted: Another user acts.
            UserNotFound: No user has this id.
            InvalidValue: ``actor``, ``purpose`` or ``source`` is not valid, or
                ``purpose`` is ORDER_UPDATES (no consent to withdraw); nothing is recorded.
        """
        require_self_or_staff(actor, user_id)
        kind = _consent_purpose(purpose)
        source = check_consent_text(source, field="source")

        def work(tx: Transaction) -> Consent:
            user = _lock_user(tx, user_id)
            newest = _newest(tx, user_id, kind)
            wording = NEVER_GRANTED_WORDING if newest is None else newest.wording_version
            return self._append(
                tx, actor, user, kind, granted=False, source=source, wording_version=wording
            )

        return self._s._write(work)

    def may_contact(self, user_id: str, purpose: ContactPurpose | str) -> bool:
        """Whether the user may be contacted for ``purpose`` now.

        For a consent purpose, True only with live consent: the newest entry for the
        purpose is a grant, and the user is ACTIVE (a DISABLED or PENDING_APPROVAL user is
        contacted for nothing; their log is kept and counts again once they are enabled).
        For the contract purpose ``ORDER_UPDATES``, True when the user has at least one
        order that is not erased: the order is the legal basis (GDPR Art. 6(1)(b)).

        Args:
            user_id: The user.
            purpose: A :class:`ContactPurpose` or its value.

        Raises:
            UserNotFound: No user has this id.
            InvalidValue: ``purpose`` is not a ContactPurpose.
        """
        kind = as_enum(ContactPurpose, purpose, field="purpose")

        def work(tx: Transaction) -> bool:
            user = load_user(tx, user_id, erased_ok=True)
            if not kind.needs_consent:
                return any(not order.erased for order in tx.orders.for_user(user_id))
            newest = _newest(tx, user_id, kind)
            return user.is_active and newest is not None and newest.granted

        return self._s._read(work)

    def consent_history(self, user_id: str) -> Sequence[Consent]:
        """Return the user's consent log, oldest first: every grant and withdrawal.

        Raises:
            UserNotFound: No user has this id.
        """

        def work(tx: Transaction) -> Sequence[Consent]:
            load_user(tx, user_id, erased_ok=True)
            return tx.consents.for_user(user_id)

        return self._s._read(work)

    # --- the person's rights ---------------------------------------------------------------

    def export_data(self, actor: Actor, user_id: str) -> PersonalData:
        """Return every piece of personal data the store holds about a person (GDPR Art.
        15, right of access); :meth:`export` gives the same as JSON.

        The person themself or staff may ask. One read-only unit, so the parts agree.

        Raises:
            NotPermitted: Another user asks.
            UserNotFound: No user has this id.
            UserErased: The person was erased: nothing is left to export.
        """
        require_self_or_staff(actor, user_id)

        def work(tx: Transaction) -> PersonalData:
            user = load_user(tx, user_id)
            memberships = tuple(tx.memberships.for_user(user_id))
            customers = tuple(
                c for c in (tx.customers.get(m.customer_id) for m in memberships) if c is not None
            )
            return PersonalData(
                exported_at=self._s._ctx.clock.now(),
                user=user,
                memberships=memberships,
                customers=customers,
                addresses=tuple(tx.orders.addresses_for_user(user_id)),
                consents=tuple(tx.consents.for_user(user_id)),
                orders=tuple(tx.orders.for_user(user_id)),
                events=tuple(tx.events.for_user(user_id)),
                sessions=tuple(ExportedSession.of(s) for s in tx.sessions.for_user(user_id)),
            )

        return self._s._read(work)

    def export(self, actor: Actor, user_id: str) -> str:
        """Return a person's data as JSON (GDPR Art. 15 and 20, data portability): the
        :class:`~accountkit.reports.PersonalData` of :meth:`export_data` through
        ``make_converter()``: profile, memberships and their customers, addresses, consent
        history, orders, history and sessions. Never a password hash, token or session id.

        Raises:
            NotPermitted, UserNotFound, UserErased: As for :meth:`export_data`.

        Example:
            >>> text = kit.privacy.export(Actor.user(user.id), user.id)  # doctest: +SKIP
            >>> json.loads(text)["user"]["email"]  # doctest: +SKIP
            'ada@example.com'
        """
        record = self.export_data(actor, user_id)
        return json.dumps(
            _converter().unstructure(record), ensure_ascii=False, separators=(",", ":")
        )

    def erase(self, actor: Actor, user_id: str) -> ErasureReport:
        """Erase a person's personal data from every record, in one unit of work (GDPR
        Art. 17, right to erasure).

        The user becomes a tombstone (status ERASED, tier BLANK: no e-mail, names, birth
        date, phone, profile or password; the id stays for the records that name it); the
        e-mail address is free to register again. Memberships go (a company keeps going
        without the person); a PERSONAL customer whose last member they were keeps its id
        and number for accounting, its name replaced by ``"erased"`` and its contacts,
        addresses and note cleared. Orders stay, with amounts, dates, numbers, status and
        the addresses' country: names, e-mail and address lines become ``"erased"`` and
        ``Order.erased`` is set. History entries keep time, kind and actor, their data only
        the keys :data:`SAFE_EVENT_DATA` allows for their kind; a USER_ERASED entry records
        the erasure (with counts). Sessions, login codes, token records and the failed
        sign-in count end. The consent log stays: it holds no personal data and proves what
        was agreed.

        On a SQLite file the log is checkpointed after the unit, and every erased value is
        overwritten in the file (``secure_delete``); on PostgreSQL the old row versions
        stay in the table files until VACUUM: run ``store.vacuum()`` (docs/privacy.md).

        Args:
            actor: Staff, or the person themself.
            user_id: The person.

        Raises:
            NotPermitted: Another user asks.
            UserNotFound: No user has this id.
            AlreadyErased: The person was erased before.
        """
        require_self_or_staff(actor, user_id)

        def work(tx: Transaction) -> ErasureReport:
            user = tx.users.lock(user_id)
            if user is None:
                raise UserNotFound()
            if user.status is UserStatus.ERASED:
                raise AlreadyErased()
            now = self._s._ctx.clock.now()
            blanked: list[str] = []
            memberships = tx.memberships.for_user(user_id)
            for membership in memberships:
                tx.memberships.remove(user_id, membership.customer_id)
                customer = tx.customers.get(membership.customer_id)
                if (
                    customer is not None
                    and customer.kind is CustomerKind.PERSONAL
                    and not tx.memberships.for_customer(customer.id)
                ):
                    tx.customers.update(_blank_customer(customer, now))
                    blanked.append(customer.id)
            orders, addresses = tx.privacy.erase_orders(user_id, at=now)
            events = tx.privacy.redact_events(user_id, blanked, SAFE_EVENT_DATA)
            signin = tx.privacy.end_signin(user_id)
            account = self._attempt_key(user)
            if account is not None:
                tx.attempts.clear(account)
            report = ErasureReport(
                user_id=user_id,
                orders=orders,
                addresses=addresses,
                memberships=len(memberships),
                customers=len(blanked),
                events=events,
                signin=signin,
            )
            data = {
                name: str(getattr(report, name))
                for name in ("orders", "addresses", "memberships", "customers", "events", "signin")
            }
            self._s._save_user(tx, user, _tombstone(user, now), EventKind.USER_ERASED,
                               check_actor(actor), data)  # fmt: skip
            return report

        return self._s._write(work)

    def _attempt_key(self, user: User) -> str | None:
        """The StoreLimiter's key of the user's e-mail address (see AuthService)."""
        if user.email is None:
            return None
        try:
            key = lookup_key(user.email, allow_special_use=True)
        except InvalidEmail:
            return None
        return "a:" + keyed_digest(self._s, "account", key)

    # --- retention --------------------------------------------------------------------------

    def purge_expired(self, now: datetime | None = None) -> PurgeReport:
        """Delete what the shop no longer needs (GDPR Art. 5(1)(e), storage limitation),
        by the kit's :class:`~accountkit.policies.RetentionPolicy` and SessionPolicy.

        - GUEST accounts that no order names, made longer ago than ``retention.guests``,
          unless they have live consent or belong to a customer: removed with their
          consent log, sessions, codes and tokens.
        - Registrations that never confirmed their e-mail address, on a channel with
          ``require_email_verification``, made longer ago than ``retention.unconfirmed``
          and named by no order: removed with the customers their registration made, as a
          rejected request is.
        - Sessions past the idle or absolute lifetime, expired login codes, and one-time
          token records older than any token can live (365 days).

        Run it daily (a cron job or a worker). Each batch of accounts is its own unit, so a
        long purge holds no lock for long; calling it again goes on where it stopped.

        Args:
            now: The time to judge by (aware); defaults to the kit's clock.

        Raises:
            InvalidValue: ``now`` is not an aware datetime.
        """
        moment = self._s._ctx.clock.now() if now is None else now
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise InvalidValue("now is an aware datetime (UTC).", field="now")
        policy, sessions = self._s._ctx.retention, self._s._ctx.session_policy
        signin = self._s._write(
            lambda tx: tx.privacy.purge_signin(
                now=moment,
                seen_before=moment - sessions.idle,
                created_before=moment - sessions.absolute,
                tokens_before=moment - MAX_CARD_AGE,
            )
        )
        guests = self._purge(UserTier.GUEST, moment - policy.guests, self._stale_guest)
        unconfirmed = self._purge(
            UserTier.FULL, moment - policy.unconfirmed, self._unconfirmed_request
        )
        return PurgeReport(
            guests=guests,
            unconfirmed=unconfirmed,
            sessions=signin.sessions,
            login_codes=signin.login_codes,
            tokens=signin.tokens,
        )

    def _purge(self, tier: UserTier, before: datetime, remove: _Remover) -> int:
        removed, after = 0, None
        while True:

            def work(tx: Transaction, after: str | None = after) -> tuple[int, str | None]:
                ids = tx.privacy.users_without_orders(
                    tier=tier, created_before=before, after=after, limit=_PURGE_BATCH
                )
                count = 0
                for user_id in ids:
                    user = tx.users.lock(user_id)
                    if user is not None and remove(tx, user):
                        count += 1
                return count, (ids[-1] if len(ids) == _PURGE_BATCH else None)

            count, after = self._s._write(work)
            removed += count
            if after is None:
                return removed

    def _stale_guest(self, tx: Transaction, user: User) -> bool:
        if tx.memberships.for_user(user.id):
            return False
        newest: dict[ContactPurpose, bool] = {}
        for entry in tx.consents.for_user(user.id):  # oldest first: the last one decides
            newest[entry.purpose] = entry.granted
        if any(newest.values()):
            return False
        self._remove_account(tx, user, [])
        return True

    def _unconfirmed_request(self, tx: Transaction, user: User) -> bool:
        if user.email_verified_at is not None or user.status is UserStatus.ERASED:
            return False
        ch = self._registration._registered_channel(tx, user.id)
        if ch is None or not ch.policy.require_email_verification:
            return False
        made = self._registration._made_by_request(tx, user.id)
        if len(made) != len(tx.memberships.for_user(user.id)):
            return False  # it belongs to a customer someone else made: keep it
        self._remove_account(tx, user, made)
        return True

    def _remove_account(self, tx: Transaction, user: User, made: Sequence[Customer]) -> None:
        """Remove a user whom retention ends, with the customers their registration made;
        what history keeps of them is redacted as at erasure."""
        tx.users.remove(user.id)
        for customer in made:
            tx.customers.remove(customer.id)
        tx.privacy.redact_events(user.id, [c.id for c in made], SAFE_EVENT_DATA)
        self._s._record(tx, EventKind.USER_PURGED, Actor.system(), user_id=user.id,
                        data={"tier": user.tier.value}, new_user=True)  # fmt: skip
