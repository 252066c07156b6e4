"""Checks that every store makes alike, before it stores anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from accountkit.domain import Customer, User, UserTier
from accountkit.domain._ids import new_id
from accountkit.domain.addresses import MAX_ADDRESS_LINE_LENGTH, MAX_POSTAL_CODE_LENGTH, Address
from accountkit.domain.consents import Consent, ContactPurpose, check_consent_text
from accountkit.domain.money import CURRENCY_MINOR_UNITS, check_amount, check_currency
from accountkit.domain.orders import AddressRole, GuestContact, Order, OrderStatus
from accountkit.domain.validation import _ASCII_LOWER, MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, email_key
from accountkit.errors import CustomerNotFound, InvalidValue, UserNotFound

__all__ = [
    "MAX_ADDRESS_KEY_LENGTH",
    "MAX_ATTEMPT_KEY_LENGTH",
    "MAX_CODE_HASH_LENGTH",
    "MAX_ORDER_ID_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MAX_SIGNIN_ID_LENGTH",
    "MAX_TOKEN_ID_LENGTH",
    "address_rows",
    "check_attempt_key",
    "check_consent",
    "check_order",
    "check_stored_text",
    "customer_matches",
    "minor_units",
    "searchable",
    "stored_total",
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


# --- orders (issue 14) ---

MAX_ORDER_ID_LENGTH = 64
"""Longest order id, order number and channel id (``orders.id``, ``.number``, ``.channel``)."""
MAX_ADDRESS_KEY_LENGTH = 1200
"""Longest ``Address.key()`` a store keeps (``addresses.address_key``). NFKC and case folding
can make a key longer than its lines (``ß`` becomes ``ss``), so it is checked on its own."""
_REFERENCE_LENGTH = 64
"""``users.id`` and ``customers.id``: a longer id names no row."""


def check_limit(limit: object) -> int:
    """Return ``limit`` if it is an int of at least 1 (a page or batch size)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidValue("limit is a whole number of at least 1.", field="limit")
    return limit


def check_after(after: object) -> None:
    """Refuse a keyset position that no store could hold (not text, a NUL, a lone
    surrogate)."""
    if after is None:
        return
    if type(after) is not str or "\x00" in after or not searchable(after):
        raise InvalidValue("after is a user id from the previous page.", field="after")


def check_candidates(tier: object, created_before: object, after: object, limit: object) -> int:
    """Check the arguments of ``PrivacyRepository.users_without_orders``; return ``limit``."""
    check_times(created_before=created_before)
    check_after(after)
    if not isinstance(tier, UserTier):
        raise InvalidValue("tier is a UserTier.", field="tier")
    return check_limit(limit)


def check_times(**times: object) -> None:
    """Refuse any of ``times`` that is not an aware datetime (``field`` names it)."""
    for field, value in times.items():
        _check_time(value, field)


def _check_time(value: object, field: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(f"{field} is a timezone-aware datetime.", field=field)


def _check_flag(value: object, field: str) -> None:
    if not isinstance(value, bool):
        raise InvalidValue(f"{field} is True or False.", field=field)


def _check_reference(value: object, not_found: type[UserNotFound | CustomerNotFound]) -> None:
    """An id that no row can hold names no row: the foreign key's error, on every store."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > _REFERENCE_LENGTH:
        raise not_found()
    try:
        check_stored_text(value, field="id", limit=None)
    except InvalidValue:
        raise not_found() from None


def _check_guest(guest: object) -> None:
    if guest is None:
        return
    if not isinstance(guest, GuestContact):
        raise InvalidValue("guest is a GuestContact or None.", field="guest")
    check_stored_text(guest.email, field="guest.email", limit=MAX_EMAIL_LENGTH)
    check_stored_text(guest.given_name, field="guest.given_name", limit=MAX_NAME_LENGTH)
    check_stored_text(guest.family_name, field="guest.family_name", limit=MAX_NAME_LENGTH)


def _check_address(address: object, field: str) -> None:
    if address is None:
        return
    if not isinstance(address, Address):
        raise InvalidValue(f"{field} is an Address or None.", field=field)
    for name, limit, optional in (
        ("name", MAX_ADDRESS_LINE_LENGTH, False),
        ("street", MAX_ADDRESS_LINE_LENGTH, False),
        ("postal_code", MAX_POSTAL_CODE_LENGTH, False),
        ("city", MAX_ADDRESS_LINE_LENGTH, False),
        ("country", 2, False),
        ("company", MAX_ADDRESS_LINE_LENGTH, True),
        ("extra", MAX_ADDRESS_LINE_LENGTH, True),
    ):
        value = getattr(address, name)
        if optional and value is None:
            continue
        check_stored_text(value, field=f"{field}.{name}", limit=limit)
    if len(address.key()) > MAX_ADDRESS_KEY_LENGTH:
        raise InvalidValue(
            f"The {field} is too long once normalised; shorten its lines.", field=field
        )


def address_rows(order: Order) -> list[tuple[str, AddressRole, Address]]:
    """The address rows an order makes: (row id, role, address), billing first.

    One fresh id per order with a suffix per role, so that the two rows of one order sort
    alike in every store (``-s`` after ``-b``: newest first, shipping comes first).
    """
    base = new_id("adr")
    rows: list[tuple[str, AddressRole, Address]] = []
    if order.billing is not None:
        rows.append((f"{base}-b", AddressRole.BILLING, order.billing))
    if order.shipping is not None:
        rows.append((f"{base}-s", AddressRole.SHIPPING, order.shipping))
    return rows


def stored_total(order: Order) -> Decimal:
    """The order's total as every store keeps it: :func:`~accountkit.domain.money.check_amount`'s
    one spelling in the order's currency (a zero without its sign)."""
    total = check_amount(order.total, order.currency)
    return total.copy_abs() if total.is_zero() else total


def minor_units(total: Decimal, currency: str) -> int:
    """``total`` in the currency's minor unit (9.90 EUR -> 990); exact for a checked total."""
    return int(total.scaleb(CURRENCY_MINOR_UNITS[currency]))


def check_order(order: Order) -> Order:
    """Return ``order`` as every store keeps it (its total in the one spelling
    :func:`stored_total` gives, its times in UTC) if every store can keep it; else raise
    before anything is stored.

    The id, number and channel are 1 to 64 characters of storable text; the currency an
    active ISO 4217 code and the total a valid amount in it; the status an
    :class:`OrderStatus`; the flags bools; the times aware; the guest's e-mail at most 320
    and names 200 characters; every address line within the ``validate_address`` limits
    (country 2 characters) and the address key within 1200. A user or customer id that no
    row can hold names nobody.

    Raises:
        InvalidValue: One of those rules is broken; ``field`` names the attribute.
        UnknownCurrency, InvalidAmount: The currency or the total.
        UserNotFound, CustomerNotFound: ``user_id`` or ``customer_id`` cannot name a row.
    """
    if not isinstance(order, Order):
        raise InvalidValue("The order is an Order.", field="order")
    for field in ("id", "number", "channel"):
        value = getattr(order, field)
        check_stored_text(value, field=field, limit=MAX_ORDER_ID_LENGTH)
        if not value:
            raise InvalidValue(f"The {field} is not empty.", field=field)
    check_currency(order.currency)
    stored_total(order)
    if not isinstance(order.status, OrderStatus):
        raise InvalidValue("The status is an OrderStatus.", field="status")
    for flag in ("test_order", "signed_in", "erased"):
        _check_flag(getattr(order, flag), flag)
    _check_time(order.placed_at, "placed_at")
    _check_time(order.updated_at, "updated_at")
    if isinstance(order.version, bool) or not isinstance(order.version, int):
        raise InvalidValue("The version is an int.", field="version")
    _check_guest(order.guest)
    _check_address(order.billing, "billing")
    _check_address(order.shipping, "shipping")
    _check_reference(order.user_id, UserNotFound)
    _check_reference(order.customer_id, CustomerNotFound)
    return attrs.evolve(
        order,
        total=stored_total(order),
        placed_at=order.placed_at.astimezone(UTC),
        updated_at=order.updated_at.astimezone(UTC),
    )
