"""The personal-data export (GDPR Art. 15 and 20): everything held about one person."""

from __future__ import annotations

from datetime import datetime

import attrs

from accountkit.domain import (
    Address,
    Consent,
    Customer,
    Event,
    Membership,
    Session,
    SignInMethod,
    User,
)
from accountkit.domain.orders import Order

__all__ = ["ExportedSession", "PersonalData"]


@attrs.frozen(kw_only=True)
class ExportedSession:
    """A signed-in session as the export shows it: how and when, never its id (which would
    let the reader of the file act as the person).

    Attributes:
        method: How the person signed in.
        created_at: When (UTC).
        last_seen_at: The last request seen (UTC).
    """

    method: SignInMethod
    created_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, session: Session) -> ExportedSession:
        """The exported view of ``session``."""
        return cls(
            method=session.method,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
        )


@attrs.frozen(kw_only=True)
class PersonalData:
    """Every piece of personal data a store holds about one person, as
    ``kit.privacy.export_data`` returns it (``kit.privacy.export`` gives it as JSON).

    Never a password hash, a token, a login code or a session id: they are secrets, not
    data about the person, and a file with them would let its reader sign in.

    Attributes:
        exported_at: When the export was made (UTC).
        user: The profile: e-mail, names, birth date, phone, profile values, tier, status.
        memberships: The customers the person belongs to, with role and active flag.
        customers: Those customers' records (name, number, document contacts,
            addresses; for a personal customer these are the person's own data).
        addresses: The addresses kept with the person's orders, newest first.
        consents: The whole consent log, oldest first.
        orders: The orders that name the person, with their addresses.
        events: The person's history, oldest first.
        sessions: The signed-in sessions.
    """

    exported_at: datetime
    user: User
    memberships: tuple[Membership, ...]
    customers: tuple[Customer, ...]
    addresses: tuple[Address, ...]
    consents: tuple[Consent, ...]
    orders: tuple[Order, ...]
    events: tuple[Event, ...]
    sessions: tuple[ExportedSession, ...]
