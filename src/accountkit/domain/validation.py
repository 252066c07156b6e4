"""Pure checks and normalisation of the values people type in.

Each function returns the normalised value or raises a :class:`~accountkit.errors.ValidationError`
subclass whose message says what to fix and holds none of the input (it may be personal data).

The ``MAX_*`` constants are the limits every store enforces alike; each is at most the size of
the SQL column that holds the value (``storage/_schema.py``), so nothing that passes these
checks can be refused by a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import email_validator
import idna

from accountkit.domain.addresses import Address
from accountkit.errors import (
    AddressNotAllowed,
    InvalidBirthDate,
    InvalidCustomerNumber,
    InvalidEmail,
    InvalidName,
    InvalidValue,
    SpecialUseDomain,
)

__all__ = [
    "ADDRESS_PROFILE_KEYS",
    "MAX_AGE_YEARS",
    "MAX_CUSTOMER_NUMBER_LENGTH",
    "MAX_DISCOUNT_PLACES",
    "MAX_DISCOUNT_TEXT_LENGTH",
    "MAX_EMAIL_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_LOCAL_PART_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_NOTE_LENGTH",
    "MAX_PROFILE_ENTRIES",
    "MAX_PROFILE_KEY_LENGTH",
    "MAX_PROFILE_VALUE_LENGTH",
    "SPECIAL_USE_DOMAINS",
    "email_key",
    "lookup_key",
    "normalise_email",
    "refuse_address",
    "validate_birth_date",
    "validate_customer_number",
    "validate_discount",
    "validate_id",
    "validate_name",
    "validate_note",
    "validate_profile",
]

MAX_EMAIL_LENGTH = 320
"""Longest stored e-mail address and e-mail key (``users.email``, ``users.email_key``).
email-validator already limits an address to 254 octets, so this is a safety margin."""

MAX_LOCAL_PART_LENGTH = 64
"""Longest local part (before the @), in characters (RFC 5321), at registration and lookup."""

MAX_NAME_LENGTH = 200
"""Longest accepted personal or company name, in code points after NFC normalisation."""

MAX_AGE_YEARS = 130
"""A birth date may lie at most this many years back."""

MAX_CUSTOMER_NUMBER_LENGTH = 40
"""Longest customer number, hand-given or automatic (``customers.number``)."""

MAX_ID_LENGTH = 200
"""Longest id that a shop gives (a price list id of a customer or a group)."""

MAX_DISCOUNT_PLACES = 10
"""Most decimal places a discount percentage may have."""

MAX_DISCOUNT_TEXT_LENGTH = 40
"""Longest text form (``str(discount)``) of a discount (``customers.discount``)."""

MAX_NOTE_LENGTH = 10_000
"""Longest internal note on a customer, in characters."""

MAX_PROFILE_ENTRIES = 50
"""Most entries in a user's free-form profile."""

MAX_PROFILE_KEY_LENGTH = 64
"""Longest profile key."""

MAX_PROFILE_VALUE_LENGTH = 500
"""Longest profile value, in characters."""

SPECIAL_USE_DOMAINS: frozenset[str] = frozenset(
    {"arpa", "invalid", "local", "localhost", "onion", "test"}
    | set(email_validator.SPECIAL_USE_DOMAIN_NAMES)
)
"""Domains that cannot receive mail (RFC 6761 and others); an address under one of them is
refused with :class:`~accountkit.errors.SpecialUseDomain` unless the kit allows them
(``AccountKit(..., allow_special_use_domains=True)``, for test suites)."""

_CUSTOMER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_PROFILE_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that render
# as nothing. Some are format characters (category Cf), but others are combining marks
# (U+034F, the variation selectors) or letters (the Hangul fillers) that email-validator
# lets through; two addresses that differ only by them look the same to a person.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


_INVISIBLE = re.compile(
    "["
    + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in _INVISIBLE_RANGES)
    + "]"
)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def _has_control_or_invisible(text: str) -> bool:
    return _INVISIBLE.search(text) is not None or any(
        unicodedata.category(ch)[0] == "C" for ch in text
    )


def _is_special_use(ascii_domain: str) -> bool:
    return any(
        ascii_domain == name or ascii_domain.endswith("." + name) for name in SPECIAL_USE_DOMAINS
    )


def _special_use_label(text: str) -> str | None:
    """The special-use top-level label the typed address ends in, as typed, if any."""
    last = text.rpartition(".")[2]
    if "@" in last:  # a domain without a dot
        return None
    return last if last.lower() in SPECIAL_USE_DOMAINS else None


_INVALID_EMAIL = (
    "The e-mail address is not valid; check it for typing errors "
    "(it needs one @, a local part of at most 64 characters and a domain with a dot)."
)


def _validate_email(value: object, field: str, allow_special_use: bool) -> str:
    if not isinstance(value, str):
        raise InvalidEmail("The e-mail address must be text.", field=field)
    text = value.strip()
    if _has_control_or_invisible(text):
        raise InvalidEmail(
            "The e-mail address holds control or invisible characters (such as a zero-width "
            "space); type it again without them.",
            field=field,
        )
    # email-validator lets only .test through (test_environment); to tell the other
    # special-use domains from malformed addresses, and to allow them when the kit says so,
    # the typed top-level label is swapped for an ordinary one of the same length, which
    # keeps every length check the same, and swapped back afterwards.
    label = _special_use_label(text)
    masked = text if label is None else text[: -len(label)] + "x" * len(label)
    try:
        result = email_validator.validate_email(
            masked,
            check_deliverability=False,
            allow_smtputf8=True,
            strict=True,  # refuses local parts longer than 64 characters
            test_environment=True,
        )
    except email_validator.EmailNotValidError as exc:
        # email-validator's messages can quote the address; keep only a generic hint.
        raise InvalidEmail(_INVALID_EMAIL, field=field) from exc
    normalised = str(result.normalized)
    ascii_domain = str(result.ascii_domain)
    if label is not None:
        normalised = normalised[: -len(label)] + label.lower()
        ascii_domain = ascii_domain[: -len(label)] + label.lower()
    if "." not in ascii_domain:  # test_environment lets a bare "@test" through
        raise InvalidEmail(_INVALID_EMAIL, field=field)
    if _is_special_use(ascii_domain) and not allow_special_use:
        raise SpecialUseDomain(field=field)
    if len(normalised) > MAX_EMAIL_LENGTH or len(email_key(normalised)) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(
            f"The e-mail address is longer than {MAX_EMAIL_LENGTH} characters; use a shorter one.",
            field=field,
        )
    return normalised


def normalise_email(value: str, *, field: str = "email", allow_special_use: bool = False) -> str:
    """Validate an e-mail address's syntax and return its normalised form.

    No DNS lookup is made. The form returned is email-validator's: the local part in NFC
    (so canonically equivalent spellings are one address) keeping its case, the domain
    IDNA-normalised and lower-case, in its Unicode form. Store and mail that form; compare
    addresses with :func:`email_key`.

    Args:
        value: The address as typed; surrounding white space is dropped.
        field: The argument name the error names.
        allow_special_use: Accept domains under :data:`SPECIAL_USE_DOMAINS` (``.test``,
            ``.invalid``, ``.local``, ...), for test suites.

    Raises:
        SpecialUseDomain: The domain is special-use and ``allow_special_use`` is False.
        InvalidEmail: The address is malformed, has a local part of more than 64
            characters, or holds control or invisible characters; the message says how,
            without the address.

    Example:
        >>> normalise_email("Ada@Example.COM")
        'Ada@example.com'
    """
    return _validate_email(value, field, allow_special_use)


# The plain ASCII addresses nearly everyone has: a dot-atom local part of letters, digits
# and . _ % + -, and a domain of letter/digit/hyphen labels with an alphabetic TLD.
# email-validator accepts every such address (outside the special-use domains) and leaves
# it unchanged but for the domain's case; a property test holds the two to that.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)


def lookup_key(value: str, *, allow_special_use: bool = False) -> str:
    """Return the key to look an e-mail address up by: exactly :func:`email_key` of
    :func:`normalise_email`, but fast for plain ASCII addresses (the sign-in path).

    Args:
        value: The address as typed.
        allow_special_use: As for :func:`normalise_email`.

    Raises:
        SpecialUseDomain, InvalidEmail: As :func:`normalise_email` would.
    """
    if isinstance(value, str):
        text = value.strip()
        if (
            len(text) <= 254
            and _PLAIN_EMAIL.fullmatch(text)
            and len(text.partition("@")[0]) <= MAX_LOCAL_PART_LENGTH
            and text.rpartition(".")[2].lower() not in SPECIAL_USE_DOMAINS
            and "--" not in text.partition("@")[2]
            and all(len(label) <= 63 for label in text.partition("@")[2].split("."))
        ):
            # All ASCII: lower() changes only A-Z, as email_key does.
            return text.lower()
    return email_key(normalise_email(value, allow_special_use=allow_special_use))


def email_key(normalised_email: str) -> str:
    """Return the key under which e-mail addresses are unique.

    The key is the local part with ASCII letters lower-cased and nothing else changed
    (never ``casefold()``: ``straße@`` and ``strasse@``, or ``ﬁle@`` and ``file@``, may be
    different mailboxes), ``@``, and the domain's IDNA A-label in lower case (so
    ``bücher.de`` and ``xn--bcher-kva.de`` are one domain).

    Args:
        normalised_email: An address as :func:`normalise_email` returns it. Other text
            gets a key too (for stored legacy rows), but two spellings of one address
            then need not share it.
    """
    local, at, domain = normalised_email.rpartition("@")
    if not at:
        return normalised_email.translate(_ASCII_LOWER)
    return f"{local.translate(_ASCII_LOWER)}@{_a_label(domain)}"


def _a_label(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return domain.lower()


def validate_name(value: str, *, field: str = "name") -> str:
    """Return a person's or company's name trimmed and NFC-normalised.

    Raises:
        InvalidName: Empty, longer than 200 code points, or holding control characters
            (NUL, lone surrogates, format characters such as a zero-width space).
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
            f"A customer number is 1 to {MAX_CUSTOMER_NUMBER_LENGTH} letters, digits, '.', "
            "'_', '/' or '-', starting with a letter or digit.",
            field="number",
        )
    return value.strip()


def validate_id(value: str, *, field: str) -> str:
    """Return an id that the shop gives (a price list id) if it is 1 to 200 characters
    without control characters (NUL, lone surrogates, format characters).

    Args:
        value: The id, kept exactly as given.
        field: The argument name the error names.

    Raises:
        InvalidValue: Not text, empty, too long, or with control characters.
    """
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH or _has_control(value):
        raise InvalidValue(
            f"The {field} is an id of 1 to {MAX_ID_LENGTH} characters without control characters.",
            field=field,
        )
    return value


def validate_note(value: str) -> str:
    """Return an internal note if it has at most 10,000 characters and no control characters
    other than tab, line feed and carriage return (no NUL, no lone surrogates).

    Raises:
        InvalidValue: Not text, too long, or with such characters.
    """
    if (
        not isinstance(value, str)
        or len(value) > MAX_NOTE_LENGTH
        or any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r" for ch in value)
    ):
        raise InvalidValue(
            f"An internal note is text of at most {MAX_NOTE_LENGTH} characters, without "
            "control characters other than tabs and line breaks.",
            field="note",
        )
    return value


def validate_discount(value: Decimal | int | str) -> Decimal:
    """Return a discount percentage as a Decimal between 0 and 100, kept exactly as given.

    Raises:
        InvalidValue: Not a number (a float is refused: it would lose precision), outside
            0-100, with more than 10 decimal places, or with a text form longer than 40
            characters (the column's size).
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
    exponent = discount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > MAX_DISCOUNT_PLACES or len(str(discount)) > MAX_DISCOUNT_TEXT_LENGTH:
        raise InvalidValue(
            f"A discount has at most {MAX_DISCOUNT_PLACES} decimal places, such as "
            "Decimal('7.25').",
            field="discount",
        )
    return discount


ADDRESS_PROFILE_KEYS = frozenset(
    {
        "address",
        "street",
        "street_address",
        "address_line1",
        "address_line2",
        "postal_code",
        "postcode",
        "zip",
        "zip_code",
        "city",
    }
)
"""Profile keys that name a postal address field (compared case-insensitively, with ``-``
and spaces read as ``_``): a profile may not hold them (see :func:`refuse_address`)."""


def refuse_address(key: object, value: object) -> None:
    """Refuse a profile entry that carries a postal address: a value that is an
    :class:`~accountkit.domain.addresses.Address`, or a key in :data:`ADDRESS_PROFILE_KEYS`.

    A natural person's address is kept only with an order, its legal basis (GDPR Art.
    6(1)(b)), so no registration or profile call may store one.

    Raises:
        AddressNotAllowed: The entry carries an address; pass it to
            ``kit.orders.record_order`` with the order instead.
    """
    if isinstance(value, Address) or (
        isinstance(key, str)
        and key.strip().casefold().replace("-", "_").replace(" ", "_") in ADDRESS_PROFILE_KEYS
    ):
        raise AddressNotAllowed()


def validate_profile(entries: Mapping[str, str]) -> dict[str, str]:
    """Check a user's free-form profile (for example ``{"ski_size": "175"}``).

    Keys are lower-case identifiers of up to 64 characters; values are text of up to 500
    characters without control characters; at most 50 entries. No entry may carry a postal
    address (:func:`refuse_address`): every registration and profile call checks its
    profile here.

    Returns:
        The entries sorted by key, so a profile comes back in one order from every store.

    Raises:
        InvalidValue: Not a mapping, or a key, a value or the number of entries out of range.
        AddressNotAllowed: An entry carries an address (an Address value, or a key such as
            ``street`` or ``postal_code``).
    """
    if not isinstance(entries, Mapping):
        raise InvalidValue(
            "A profile is a dict of str to str, such as {'ski_size': '175'}.", field="profile"
        )
    if len(entries) > MAX_PROFILE_ENTRIES:
        raise InvalidValue(
            f"A profile holds at most {MAX_PROFILE_ENTRIES} entries.", field="profile"
        )
    checked: dict[str, str] = {}
    for key, value in entries.items():
        refuse_address(key, value)
        if not isinstance(key, str) or not _PROFILE_KEY.fullmatch(key):
            raise InvalidValue(
                "Profile keys are lower-case identifiers such as 'ski_size' "
                f"(letters, digits, underscores; at most {MAX_PROFILE_KEY_LENGTH}).",
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
    return dict(sorted(checked.items()))


def check_base_url(base_url: object) -> str:
    """Return ``base_url`` if it can be the start of a link accountkit sends; refuse it
    otherwise. The message never quotes the URL.

    Raises:
        InvalidValue: Not text, not an absolute http(s) URL with a host, or holding
            credentials, a fragment, port 0, spaces or control characters.
    """
    if not isinstance(base_url, str) or not base_url.isprintable() or " " in base_url:
        raise InvalidValue(
            "The base URL must be text without spaces or control characters.", field="base_url"
        )
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        raise InvalidValue(
            "The base URL cannot be parsed; check its host and port.", field="base_url"
        ) from None
    if parts.scheme not in ("https", "http"):
        raise InvalidValue("The base URL must start with https:// or http://.", field="base_url")
    if not parts.hostname:
        raise InvalidValue("The base URL must name a host.", field="base_url")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("The base URL must not hold a user name or password.", field="base_url")
    if parts.fragment or base_url.endswith("#"):
        raise InvalidValue("The base URL must not have a fragment (#...).", field="base_url")
    if port == 0:
        raise InvalidValue("The base URL has port 0; leave the port out.", field="base_url")
    return base_url


_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_VAT_ID = re.compile(r"[A-Z]{2}[0-9A-Z+*]{2,12}")


def validate_phone(value: object, *, field: str = "phone") -> str:
    """Return a telephone number in international form: ``+`` and 7 to 15 digits (E.164),
    after dropping spaces, ``-``, ``/``, ``.`` and brackets; ``00`` may stand for ``+``.

    Raises:
        InvalidValue: Anything else (the message says the form; it never quotes the input).
    """
    if isinstance(value, str) and len(value) <= 40:
        compact = re.sub(r"[\s\-/.()]", "", value)
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        if _PHONE.fullmatch(compact):
            return compact
    raise InvalidValue(
        "A telephone number is given in international form, such as +49 30 1234567.",
        field=field,
    )


def validate_vat_id(value: object, *, field: str = "vat_id") -> str:
    """Return a VAT identification number upper-cased without spaces, dots or dashes: two
    letters of the country and 2 to 12 letters or digits (for example ``DE123456789``).
    Only the form is checked, not whether the number exists (VIES is the shop's call).

    Raises:
        InvalidValue: Anything else.
    """
    if isinstance(value, str) and len(value) <= 40:
        compact = re.sub(r"[\s.\-]", "", value).upper()
        if _VAT_ID.fullmatch(compact):
            return compact
    raise InvalidValue(
        "A VAT id is the country's two letters and 2 to 12 letters or digits, such as DE123456789.",
        field=field,
    )
