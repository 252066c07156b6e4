"""Privacy: consent to be contacted, per purpose (``kit.privacy``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from accountkit.domain import Actor, Consent, ContactPurpose, EventKind, User
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.consents import check_consent_text
from accountkit.errors import InvalidValue, UserNotFound
from accountkit.services._base import Service, load_user, require_active_self, require_self_or_staff
from accountkit.storage._protocols import Transaction

__all__ = ["NEVER_GRANTED_WORDING", "PrivacyService"]

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
    return user


class PrivacyService:
    """Consent to be contacted: ``kit.privacy``.

    Every grant and withdrawal is appended to the user's consent log with its time, source
    and wording version, and never changed; the newest entry of a purpose decides.
    """

    def __init__(self, service: Service) -> None:
        self._s = service

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
            user = load_user(tx, user_id)
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
            load_user(tx, user_id)
            return tx.consents.for_user(user_id)

        return self._s._read(work)
