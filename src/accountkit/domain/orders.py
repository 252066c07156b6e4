"""Orders as accountkit sees them: who bought, when, for how much, and where it went.

The shop's own order system keeps the lines and payments; accountkit keeps what the
customer overview, the history, the order summary and the privacy calls need. An order is
the only legal basis on which a natural person's postal address is kept.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime
from decimal import Decimal

import attrs

from accountkit.domain.addresses import Address

__all__ = [
    "ERASED",
    "ERASED_GUEST",
    "MAX_SORT_KEY_LENGTH",
    "AddressRole",
    "GuestContact",
    "Order",
    "OrderStatus",
    "erased_address",
    "sort_key",
]

ERASED = "erased"
"""What replaces a name, e-mail address or address line of an erased person on the records
that stay for accounting (orders)."""


def erased_address(country: str) -> Address:
    """An erased person's address on an order: every line :data:`ERASED`, the country kept
    (for tax reports)."""
    return Address(name=ERASED, street=ERASED, postal_code=ERASED, city=ERASED, country=country)


MAX_SORT_KEY_LENGTH = 200
"""Longest sort key (``orders.sort_key``, ``customers.sort_key``)."""


def sort_key(name: str) -> str:
    """How the overview orders equal dates by surname: NFKC, case-folded, compared by code
    point on every store (never a database collation, so ``Ö`` sorts after ``Z``), cut to
    200 characters.

    Example:
        >>> sort_key("LOVELACE") == sort_key("Lovelace")
        True
    """
    return unicodedata.normalize("NFKC", name).casefold()[:MAX_SORT_KEY_LENGTH]


class OrderStatus(enum.StrEnum):
    """Where an order stands. It may change later; each change is in the history."""

    PLACED = "placed"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    PARTLY_RETURNED = "partly_returned"


class AddressRole(enum.StrEnum):
    """What an address of an order is for."""

    BILLING = "billing"
    SHIPPING = "shipping"


@attrs.frozen(kw_only=True)
class GuestContact:
    """Who bought without signing in: the contact the checkout asked for.

    Its ``repr`` shows nothing of it.
    """

    email: str = attrs.field(repr=False)
    given_name: str = attrs.field(repr=False)
    family_name: str = attrs.field(repr=False)


ERASED_GUEST = GuestContact(email=ERASED, given_name=ERASED, family_name=ERASED)
"""The guest contact of an erased person's order."""


@attrs.frozen(kw_only=True)
class Order:
    """One order, as recorded by ``kit.orders.record_order``.

    Its ``repr`` shows ids, number, status and flags, never a name or an address.

    Attributes:
        id: The shop's own order id (opaque, 1 to 64 characters).
        number: The order number printed on documents, unique in the shop.
        channel: The sales channel it was placed in.
        placed_at: When it was placed (UTC).
        total: The order total, a Decimal in ``currency``'s minor unit, zero or more.
        currency: ISO 4217 code (``"EUR"``).
        status: PLACED, CANCELLED, RETURNED or PARTLY_RETURNED.
        test_order: True for an order the shop placed to test its checkout.
        signed_in: Whether the buyer was signed in. Only signed-in orders count for a
            registered customer's overview row, history and summary.
        user_id: The buyer's user: the signed-in user, or under
            ``GuestCheckout.GUEST_ACCOUNT`` the guest account; ``None`` otherwise.
        customer_id: The customer the signed-in user bought for; ``None`` when not signed in.
        guest: The contact of a buyer who was not signed in; ``None`` when signed in.
        billing: The billing address, if the shop gave one.
        shipping: The shipping address, if the shop gave one.
        erased: True once the buyer was erased: names, e-mail and addresses are replaced
            by :data:`ERASED`; amounts, dates and numbers stay for accounting.
        version: Optimistic-concurrency counter; the store raises it on every update.
        updated_at: When it last changed (UTC).
    """

    id: str
    number: str
    channel: str
    placed_at: datetime
    total: Decimal
    currency: str
    status: OrderStatus = OrderStatus.PLACED
    test_order: bool = False
    signed_in: bool
    user_id: str | None = None
    customer_id: str | None = None
    guest: GuestContact | None = attrs.field(default=None, repr=False)
    billing: Address | None = attrs.field(default=None, repr=False)
    shipping: Address | None = attrs.field(default=None, repr=False)
    erased: bool = False
    version: int = attrs.field(default=0, repr=False)
    updated_at: datetime = attrs.field(repr=False)
