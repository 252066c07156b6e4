"""Actors and history events: who changed what, and when."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping
from datetime import datetime

import attrs

from accountkit.domain._enums import as_enum
from accountkit.domain.users import frozen_mapping
from accountkit.errors import InvalidValue

__all__ = ["MAX_ACTOR_ID_LENGTH", "Actor", "ActorKind", "Event", "EventKind"]


class ActorKind(enum.StrEnum):
    """Who acts: the shop's ``OPERATOR``, the ``USER`` themself, or the ``SYSTEM``."""

    OPERATOR = "operator"
    USER = "user"
    SYSTEM = "system"


MAX_ACTOR_ID_LENGTH = 200
"""Longest accepted actor id (an operator's staff id or a user id), in code points."""


def _actor_kind(value: ActorKind | str) -> ActorKind:
    return as_enum(ActorKind, value, field="actor.kind")


def _check_actor_id(kind: ActorKind, actor_id: object) -> None:
    if kind is ActorKind.SYSTEM:
        if actor_id is not None:
            raise InvalidValue(
                "The system acts without an id; use Actor.system().", field="actor.id"
            )
        return
    builder = "Actor.operator(staff_id)" if kind is ActorKind.OPERATOR else "Actor.user(user_id)"
    if not isinstance(actor_id, str) or not 1 <= len(actor_id) <= MAX_ACTOR_ID_LENGTH:
        raise InvalidValue(
            f"An {kind.value} actor needs an id of 1 to {MAX_ACTOR_ID_LENGTH} characters; "
            f"use {builder}.",
            field="actor.id",
        )
    # Control characters (NUL included) and lone surrogates cannot be stored or logged safely.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in actor_id):
        raise InvalidValue(
            "An actor id must not hold control characters or lone surrogates.", field="actor.id"
        )


@attrs.frozen
class Actor:
    """Who makes a change; recorded in history.

    Build one with :meth:`operator`, :meth:`user` or :meth:`system`. ``kind`` may be given
    as an :class:`ActorKind` or its value (``"operator"``, ``"user"``, ``"system"``).

    Attributes:
        kind: OPERATOR, USER or SYSTEM.
        id: The staff id (OPERATOR) or user id (USER), 1 to 200 characters without control
            characters; ``None`` for SYSTEM.

    Raises:
        InvalidValue: An unknown kind, an OPERATOR or USER without a valid id, or a SYSTEM
            actor with an id.

    Example:
        >>> Actor.operator("staff-7")
        Actor(kind=<ActorKind.OPERATOR: 'operator'>, id='staff-7')
    """

    kind: ActorKind = attrs.field(converter=_actor_kind)
    id: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_actor_id(self.kind, self.id)

    @classmethod
    def operator(cls, operator_id: str) -> Actor:
        """The shop's operator (staff), named by the shop's own staff id.

        Raises:
            InvalidValue: ``operator_id`` is not 1 to 200 characters without control
                characters.
        """
        return cls(ActorKind.OPERATOR, operator_id)

    @classmethod
    def user(cls, user_id: str) -> Actor:
        """The user acting on their own behalf.

        Raises:
            InvalidValue: ``user_id`` is not 1 to 200 characters without control characters.
        """
        return cls(ActorKind.USER, user_id)

    @classmethod
    def system(cls) -> Actor:
        """accountkit or the shop's automation (checkout, retention jobs)."""
        return cls(ActorKind.SYSTEM, None)

    @classmethod
    def _restore(cls, kind: str, actor_id: str | None) -> Actor:
        """An actor as a store kept it, without the checks of new actors: history written
        before those checks existed must still load."""
        actor = object.__new__(cls)
        object.__setattr__(actor, "kind", ActorKind(kind))
        object.__setattr__(actor, "id", actor_id)
        return actor

    @property
    def is_staff(self) -> bool:
        """True only for the operator and the system, who may change customer records."""
        return self.kind is ActorKind.OPERATOR or self.kind is ActorKind.SYSTEM


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
    COMPANY_DETAILS_CHANGED = "company_details_changed"
    GROUP_CREATED = "group_created"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGED = "email_changed"
    EMAIL_VERIFIED = "email_verified"
    TOKENS_REVOKED = "tokens_revoked"
    USER_INVITED = "user_invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    REGISTRATION_APPROVED = "registration_approved"
    REGISTRATION_REJECTED = "registration_rejected"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    ORDER_PLACED = "order_placed"
    ORDER_STATUS_CHANGED = "order_status_changed"
    USER_ERASED = "user_erased"
    USER_PURGED = "user_purged"


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
            Holds no passwords or hashes. Left out of ``repr``, since it may quote a note.
    """

    id: str
    at: datetime
    actor: Actor
    kind: EventKind
    user_id: str | None = None
    customer_id: str | None = None
    data: Mapping[str, str] = attrs.field(
        factory=dict, converter=frozen_mapping, hash=False, repr=False
    )
