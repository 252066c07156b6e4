"""Checks that every store makes alike, before it stores anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accountkit.domain import Customer, User
from accountkit.domain.consents import Consent, ContactPurpose, check_consent_text
from accountkit.domain.validation import _ASCII_LOWER, email_key
from accountkit.errors import InvalidValue

__all__ = [
    "MAX_ATTEMPT_KEY_LENGTH",
    "MAX_CODE_HASH_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MAX_SIGNIN_ID_LENGTH",
    "MAX_TOKEN_ID_LENGTH",
    "check_attempt_key",
    "check_consent",
    "check_stored_text",
    "customer_matches",
    "searchable",
    "user_matches",
    "window_cutoff",
]

MAX_ATTEMPT_KEY_LENGTH = 128
"""Longest attempt key (``attempts.key``)."""
MAX_SIGNIN_ID_LENGTH = 64
"""Longest session id and login code id (``sessions.id``, ``login_codes.id``)."""
MAX_CODE_HASH_LENGTH = 128
"""Longest login code hash (``login_codes.code_hash``)."""
MAX_TOKEN_ID_LENGTH = 128
"""Longest one-time token id (``issued_tokens.token_id``, as ``used_tokens.token_id``)."""
MAX_PURPOSE_LENGTH = 32
"""Longest token purpose (``issued_tokens.purpose``, as ``used_tokens.purpose``)."""


def check_stored_text(value: object, *, field: str, limit: int | None) -> str:
    """Return ``value`` if every store can keep it: text without NUL or lone surrogates, of
    at most ``limit`` characters (no limit for ``None``).

    PostgreSQL alone refuses a NUL, SQLite alone a lone surrogate, and PostgreSQL alone a
    value longer than its column; checked here, such a value is refused alike everywhere.

    Raises:
        InvalidValue: ``value`` breaks one of those rules; ``field`` names it.
    """
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidValue(f"The {field} is text without NUL characters.", field=field)
    if limit is not None and len(value) > limit:
        raise InvalidValue(f"The {field} is at most {limit} characters.", field=field)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidValue(
                f"The {field} holds a lone surrogate, which no store can keep.", field=field
            ) from None
    return value


def check_attempt_key(key: object) -> str:
    """Return ``key`` if it can be an attempt key: 1 to 128 ASCII characters, no NUL.

    Every store calls it, so that a key the SQL column (or PostgreSQL's text) could not hold
    is refused alike everywhere, not by one database alone.

    Raises:
        InvalidValue: ``key`` is not text, is empty or longer than 128 characters, holds a
            character outside ASCII, or a NUL.
    """
    if (
        not isinstance(key, str)
        or not key.isascii()
        or "\x00" in key
        or not 0 < len(key) <= MAX_ATTEMPT_KEY_LENGTH
    ):
        raise InvalidValue(
            "An attempt key is 1 to 128 ASCII characters without NUL (a digest).", field="key"
        )
    return key


def check_consent(consent: Consent) -> Consent:
    """Return ``consent`` if every store can keep it: an id of 1 to 64 characters, a
    :class:`ContactPurpose`, a bool ``granted``, an aware ``at``, and a source and wording
    version as :func:`~accountkit.domain.consents.check_consent_text` allows.

    Raises:
        InvalidValue: One of those rules is broken; ``field`` names the attribute.
    """
    check_stored_text(consent.id, field="id", limit=MAX_SIGNIN_ID_LENGTH)
    if not consent.id:
        raise InvalidValue("The id is not empty.", field="id")
    if not isinstance(consent.purpose, ContactPurpose):
        raise InvalidValue("The purpose is a ContactPurpose.", field="purpose")
    if not isinstance(consent.granted, bool):
        raise InvalidValue("granted is True or False.", field="granted")
    if not isinstance(consent.at, datetime) or consent.at.utcoffset() is None:
        raise InvalidValue("at is a timezone-aware datetime.", field="at")
    check_consent_text(consent.source, field="source")
    check_consent_text(consent.wording_version, field="wording_version")
    return consent


def window_cutoff(at: datetime, window: timedelta) -> datetime | None:
    """The latest start of an attempt window that has ended at ``at``: ``at - window``.

    A window that started at or before it has ended (``at >= started_at + window``, with no
    sum that could overflow). ``None`` when no window can have ended: ``window`` reaches back
    beyond the first representable time.
    """
    try:
        return at - window
    except OverflowError:
        return None if window > timedelta(0) else datetime.max.replace(tzinfo=UTC)


def searchable(value: object) -> bool:
    """Whether a search value can reach a database: text without NUL, valid UTF-8.

    A value that cannot matches nothing in every store (SqlStore's ``_bindable``).
    """
    if type(value) is not str or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def user_matches(user: User, text: str) -> bool:
    """The search text rule for users (``UserRepository.search``), as SQL runs it: the
    ASCII-lower-cased text in the e-mail key, or the text as given in either name."""
    # Only ASCII letters are folded: SQLite's and PostgreSQL's LOWER() differ beyond them.
    if user.email is not None and text.translate(_ASCII_LOWER) in email_key(user.email):
        return True
    return any(name is not None and text in name for name in (user.given_name, user.family_name))


def customer_matches(customer: Customer, text: str) -> bool:
    """The search text rule for customers: the text as given in the name or the number."""
    return text in customer.name or (customer.number is not None and text in customer.number)
