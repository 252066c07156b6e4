"""Consent to be contacted, per purpose: an append-only log of grants and withdrawals."""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

import attrs

from accountkit.errors import InvalidValue

__all__ = ["MAX_CONSENT_TEXT_LENGTH", "Consent", "ContactPurpose", "check_consent_text"]

MAX_CONSENT_TEXT_LENGTH = 64
"""Longest consent source and wording version (``consents.source``, ``.wording_version``)."""


class ContactPurpose(enum.StrEnum):
    """What a user may be contacted for.

    Each consent purpose is consented to on its own. ``ORDER_UPDATES`` (order confirmations,
    shipping notices) is a contract purpose: the order is its legal basis (GDPR Art.
    6(1)(b)), so it needs no consent and cannot be granted or withdrawn.
    """

    NEWSLETTER = "newsletter"
    MARKETING_EMAIL = "marketing_email"
    PHONE = "phone"
    POST = "post"
    ORDER_UPDATES = "order_updates"

    @property
    def needs_consent(self) -> bool:
        """Whether contact for this purpose needs the user's consent (False for the
        contract purpose ``ORDER_UPDATES``)."""
        return self is not ContactPurpose.ORDER_UPDATES


def check_consent_text(value: object, *, field: str) -> str:
    """Return ``value`` if it can be a consent's source or wording version: text of 1 to 64
    characters without control, format or surrogate characters.

    Args:
        value: The value as given.
        field: Its name in the error (``"source"`` or ``"wording_version"``).

    Raises:
        InvalidValue: ``value`` breaks one of those rules; ``field`` names it.
    """
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_CONSENT_TEXT_LENGTH
        or any(unicodedata.category(ch)[0] == "C" for ch in value)
    ):
        raise InvalidValue(
            f"The {field} is text of 1 to {MAX_CONSENT_TEXT_LENGTH} characters without "
            "control or invisible characters.",
            field=field,
        )
    return value


@attrs.frozen(kw_only=True)
class Consent:
    """One entry of a user's consent log: a grant or a withdrawal for one purpose.

    Entries are never changed or removed; the newest entry of a purpose says whether the
    user consents to it now.

    Attributes:
        id: Opaque id, ordered by time of creation.
        user_id: The user who consented or withdrew.
        purpose: What the entry is about.
        granted: True for a grant, False for a withdrawal.
        at: When it was given (UTC).
        source: Where it was given (for example ``"checkout"``, ``"account_page"``).
        wording_version: The version of the text the user saw (for a withdrawal, the
            version of the grant it ends, or the text of the withdrawal form).
    """

    id: str
    user_id: str
    purpose: ContactPurpose
    granted: bool
    at: datetime
    source: str
    wording_version: str
