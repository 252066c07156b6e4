"""Actors and history events: who changed what, and when."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from accountkit.domain.users import frozen_mapping

__all__ = ["Actor", "ActorKind", "Event", "EventKind"]


class ActorKind(enum.StrEnum):
    """Who acts: the shop's ``OPERATOR``, the ``USER`` themself, or the ``SYSTEM``."""

    OPERATOR = "operator"
    USER = "user"
    SYSTEM = "system"


@attrs.frozen
class Actor:
    """Who makes a change; recorded in history.

    Build one with :meth:`operator`, :meth:`user` or :meth:`system`.

    Example:
        >>> Actor.operator("staff-7")
        Actor(kind=<ActorKind.OPERATOR: 'operator'>, id='staff-7')
    """

    kind: ActorKind
    id: str | None = None

    @classmethod
    def operator(cls, operator_id: str) -> Actor:
        """The shop's operator (staff), named by the shop's own staff id."""
        return cls(ActorKind.OPERATOR, operator_id)

    @classmethod
    def user(cls, user_id: str) -> Actor:
        """The user acting on their own behalf."""
        return cls(ActorKind.USER, user_id)

    @classmethod
    def system(cls) -> Actor:
        """accountkit or the shop's automation (checkout, retention jobs)."""
        return cls(ActorKind.SYSTEM, None)

    @property
    def is_staff(self) -> bool:
        """True for the operator and the system, who may change customer records."""
        return self.kind is not ActorKind.USER


class EventKind(enum.StrEnum):
    """What a history event records."""

    USER_CREATED = "user_created"
    TIER_CHANGED = "tier_changed"
    PROFILE_COMPLETED = "profile_completed"
    PROFILE_UPDATED = "profile_updated"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    CUSTOMER_CREATED = "customer_created"
    MEMBERSHIP_ADDED = "membership_added"
    MEMBERSHIP_REMOVED = "membership_removed"
    ROLE_CHANGED = "role_changed"
    COMPANY_SWITCHED = "company_switched"
    GROUP_CHANGED = "group_changed"
    NOTE_CHANGED = "note_changed"
    DOCUMENT_CONTACT_CHANGED = "document_contact_changed"
    CUSTOMER_NUMBER_CHANGED = "customer_number_changed"
    CONDITIONS_CHANGED = "conditions_changed"
    GROUP_CREATED = "group_created"


@attrs.frozen(kw_only=True)
class Event:
    """One append-only history entry.

    Attributes:
        id: Opaque id.
        at: When it happened (UTC).
        actor: Who acted.
        kind: What happened.
        user_id: The user it concerns, if any.
        customer_id: The customer it concerns, if any.
        data: What changed, as short strings (for example ``{"from": "guest", "to": "full"}``).
            Holds no passwords or hashes.
    """

    id: str
    at: datetime
    actor: Actor
    kind: EventKind
    user_id: str | None = None
    customer_id: str | None = None
    data: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_mapping, hash=False)
