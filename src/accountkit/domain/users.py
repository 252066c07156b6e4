"""Users: the people who sign in. Frozen records; rules live in the services."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType

import attrs

__all__ = ["User", "UserStatus", "UserTier", "frozen_mapping"]


class UserTier(enum.StrEnum):
    """What is known about a user, and so how they sign in.

    - ``BLANK``: nothing known yet; signs in by QR code or direct link and must complete the
      profile at first sign-in.
    - ``GUEST``: name and e-mail, no password; made at checkout or newsletter sign-up.
    - ``FULL``: e-mail, password and birth date; signs in by itself.
    """

    BLANK = "blank"
    GUEST = "guest"
    FULL = "full"


class UserStatus(enum.StrEnum):
    """Whether a user may act: ``ACTIVE``, ``PENDING_APPROVAL`` (waits for the operator),
    ``DISABLED`` (switched off by the operator; can be enabled again) or ``ERASED`` (a
    tombstone left by ``kit.privacy.erase``: no personal data, never active again)."""

    ACTIVE = "active"
    PENDING_APPROVAL = "pending_approval"
    DISABLED = "disabled"
    ERASED = "erased"


def frozen_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    """Copy ``value`` into a read-only mapping sorted by key, so a record cannot change under
    a store and reads back in one order from every store (SQL keeps it as sorted JSON)."""
    return MappingProxyType(dict(sorted(value.items())))


@attrs.frozen(kw_only=True)
class User:
    """A person who can sign in.

    Records are values: change one with :func:`attrs.evolve` inside a service, never in place.
    Its ``repr`` shows ids, tier, status and counters only: no e-mail, name, birth date,
    profile value or hash. ``make_converter()`` never writes the password hash.

    Attributes:
        id: Opaque id.
        tier: BLANK, GUEST or FULL.
        status: ACTIVE, PENDING_APPROVAL or DISABLED.
        email: The normalised e-mail address (``None`` only for BLANK users).
        given_name: First name(s), if known.
        family_name: Surname, if known.
        birth_date: Known for FULL users.
        phone: A telephone number in international form (``+4930123456``), if given.
        password_hash: The hasher's encoded hash; only FULL users have one.
        email_verified_at: When the owner proved the address (used a link or a code sent
            to it), or ``None``. A channel with ``require_email_verification`` refuses
            password sign-in until then.
        must_complete_profile: True for BLANK users until they complete the profile.
        profile: Free-form entries that are the user's own (for example a ski size).
        security_version: Raised whenever password, e-mail, tier or status changes; tokens
            carry it, so that such a change kills them.
        version: Optimistic-concurrency counter; the store raises it on every update.
        created_at: When the user was made (UTC).
        updated_at: When the user last changed (UTC).
    """

    id: str
    tier: UserTier
    status: UserStatus = UserStatus.ACTIVE
    # Personal data and the hash stay out of repr, so that logs and tracebacks carry none.
    email: str | None = attrs.field(default=None, repr=False)
    given_name: str | None = attrs.field(default=None, repr=False)
    family_name: str | None = attrs.field(default=None, repr=False)
    birth_date: date | None = attrs.field(default=None, repr=False)
    phone: str | None = attrs.field(default=None, repr=False)
    password_hash: str | None = attrs.field(default=None, repr=False)
    email_verified_at: datetime | None = attrs.field(default=None, repr=False)
    must_complete_profile: bool = False
    profile: Mapping[str, str] = attrs.field(
        factory=dict, converter=frozen_mapping, hash=False, repr=False
    )
    security_version: int = 0
    version: int = 0
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        """Given and family name joined, or an empty string when neither is known."""
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def is_active(self) -> bool:
        """True when the user may act (status ACTIVE)."""
        return self.status is UserStatus.ACTIVE
