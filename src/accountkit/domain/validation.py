"""Pure checks and normalisation of the values people type in.

Each function returns the normalised value or raises a :class:`~accountkit.errors.ValidationError`
subclass whose message says what to fix and holds none of the input (it may be personal data).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import email_validator

from accountkit.errors import (
    InvalidBirthDate,
    InvalidCustomerNumber,
    InvalidEmail,
    InvalidName,
    InvalidValue,
)

__all__ = [
    "MAX_AGE_YEARS",
    "MAX_NAME_LENGTH",
    "email_key",
    "lookup_key",
    "normalise_email",
    "validate_birth_date",
    "validate_customer_number",
    "validate_discount",
    "validate_name",
    "validate_note",
    "validate_profile",
]

MAX_NAME_LENGTH = 200
"""Longest accepted personal or company name, in code points after NFC normalisation."""

MAX_AGE_YEARS = 130
"""A birth date may lie at most this many years back."""

MAX_NOTE_LENGTH = 10_000
MAX_PROFILE_ENTRIES = 50
MAX_PROFILE_KEY_LENGTH = 64
MAX_PROFILE_VALUE_LENGTH = 500

_CUSTOMER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_PROFILE_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


def normalise_email(value: str, *, field: str = "email") -> str:
    """Validate an e-mail address's syntax and return its normalised form.

    No DNS lookup is made. The domain is lower-cased and IDNA-normalised; the local part
    keeps its case (compare addresses with :func:`email_key`).

    Raises:
        InvalidEmail: The address is malformed; the message says how, without the address.

    Example:
        >>> normalise_email("Ada@Example.COM")
        'Ada@example.com'
    """
    if not isinstance(value, str):
        raise InvalidEmail("The e-mail address must be text.", field=field)
    try:
        result = email_validator.validate_email(
            value.strip(), check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError as exc:
        # email-validator's messages can quote the address; keep only a generic hint.
        raise InvalidEmail(
            "The e-mail address is not valid; check it for typing errors "
            "(it needs one @, a local part and a domain with a dot).",
            field=field,
        ) from exc
    return str(result.normalized)


# The plain ASCII addresses nearly everyone has: a dot-atom local part of letters, digits
# and . _ % + -, and a domain of letter/digit/hyphen labels with an alphabetic TLD.
# email-validator accepts every such address (outside the special-use domains) and leaves
# it unchanged but for the domain's case; a property test holds the two to that.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def lookup_key(value: str) -> str:
    """Return the key to look an e-mail address up by, as :func:`email_key` of
    :func:`normalise_email` would, but fast for plain ASCII addresses (the sign-in path).

    Raises:
        InvalidEmail: The address is malformed.
    """
    if isinstance(value, str):
        text = value.strip()
        if (
            len(text) <= 254
            and _PLAIN_EMAIL.fullmatch(text)
            and len(text.partition("@")[0]) <= 64
            and text.rpartition(".")[2].lower() not in _SPECIAL_USE_TLDS
            and "--" not in text.partition("@")[2]
            and all(len(label) <= 63 for label in text.partition("@")[2].split("."))
        ):
            return text.casefold()
    return email_key(normalise_email(value))


def email_key(normalised_email: str) -> str:
    """Return the key under which e-mail addresses are unique: the case-folded form."""
    return normalised_email.casefold()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def validate_name(value: str, *, field: str = "name") -> str:
    """Return a person's or company's name trimmed and NFC-normalised.

    Raises:
        InvalidName: Empty, longer than 200 code points, or holding control characters.
    """
    if not isinstance(value, str):
        raise InvalidName("A name must be text.", field=field)
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise InvalidName(f"The {field} is empty; enter a name.", field=field)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(
            f"The {field} is longer than {MAX_NAME_LENGTH} characters; shorten it.", field=field
        )
    if _has_control(name):
        raise InvalidName(
            f"The {field} holds control or invisible characters; remove them.", field=field
        )
    return name


def validate_birth_date(value: date, *, today: date) -> date:
    """Check that a birth date lies neither in the future nor more than 130 years back.

    Args:
        value: The birth date (a ``date``, not a ``datetime``).
        today: Today's date from the kit's clock.

    Raises:
        InvalidBirthDate: The date is in the future, too far back, or not a date.
    """
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidBirthDate(
            "The birth date must be a date (year, month, day).", field="birth_date"
        )
    if value > today:
        raise InvalidBirthDate("The birth date lies in the future; check it.", field="birth_date")
    try:
        earliest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value < earliest:
        raise InvalidBirthDate(
            f"The birth date lies more than {MAX_AGE_YEARS} years back; check it.",
            field="birth_date",
        )
    return value


def validate_customer_number(value: str) -> str:
    """Return a customer number if it is 1-40 letters, digits or ``. _ / -``.

    Raises:
        InvalidCustomerNumber: Empty, too long, or with other characters.
    """
    if not isinstance(value, str) or not _CUSTOMER_NUMBER.fullmatch(value.strip()):
        raise InvalidCustomerNumber(
            "A customer number is 1 to 40 letters, digits, '.', '_', '/' or '-', "
            "starting with a letter or digit.",
            field="number",
        )
    return value.strip()


def validate_note(value: str) -> str:
    """Return an internal note if it has at most 10,000 characters."""
    if not isinstance(value, str) or len(value) > MAX_NOTE_LENGTH:
        raise InvalidValue(
            f"An internal note is text of at most {MAX_NOTE_LENGTH} characters.", field="note"
        )
    return value


def validate_discount(value: Decimal | int | str) -> Decimal:
    """Return a discount percentage as a Decimal between 0 and 100.

    Raises:
        InvalidValue: Not a number, or outside 0-100.
    """
    try:
        discount = Decimal(value) if not isinstance(value, float) else Decimal("NaN")
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidValue(
            "A discount is a percentage such as Decimal('5.5').", field="discount"
        ) from exc
    if not discount.is_finite() or not Decimal(0) <= discount <= Decimal(100):
        raise InvalidValue(
            "A discount is a percentage from 0 to 100, given as a Decimal (not a float).",
            field="discount",
        )
    return discount


def validate_profile(entries: dict[str, str]) -> dict[str, str]:
    """Check a user's free-form profile (for example ``{"ski_size": "175"}``).

    Keys are lower-case identifiers of up to 64 characters; values are text of up to 500
    characters; at most 50 entries.

    Raises:
        InvalidValue: A key, a value or the number of entries is out of range.
    """
    if len(entries) > MAX_PROFILE_ENTRIES:
        raise InvalidValue(
            f"A profile holds at most {MAX_PROFILE_ENTRIES} entries.", field="profile"
        )
    checked: dict[str, str] = {}
    for key, value in entries.items():
        if not isinstance(key, str) or not _PROFILE_KEY.fullmatch(key):
            raise InvalidValue(
                "Profile keys are lower-case identifiers such as 'ski_size' "
                "(letters, digits, underscores; at most 64).",
                field="profile",
            )
        if (
            not isinstance(value, str)
            or len(value) > MAX_PROFILE_VALUE_LENGTH
            or _has_control(value)
        ):
            raise InvalidValue(
                f"Profile values are text of at most {MAX_PROFILE_VALUE_LENGTH} characters "
                "without control characters.",
                field="profile",
            )
        checked[key] = value
    return checked
