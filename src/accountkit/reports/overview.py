"""The customer overview (Kundenübersicht): one row per registered customer and one per
order placed without signing in, newest first."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from accountkit.storage._protocols import OverviewEntry

__all__ = ["CustomerStatus", "OverviewRow", "merge"]


class CustomerStatus(enum.StrEnum):
    """Whether an overview row is a registered customer or an order of a buyer who was not
    signed in."""

    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"


@attrs.frozen(kw_only=True)
class OverviewRow:
    """One row of the customer overview.

    Its ``repr`` shows the status, ids, number, date and flag, never a name or an e-mail.

    Attributes:
        status: REGISTERED (a customer) or NOT_REGISTERED (an order placed without
            signing in: under ``GuestCheckout.NO_ACCOUNT``, or by a guest account).
        customer_id: The customer's id; ``None`` for an order's row.
        order_id: The order's id; ``None`` for a customer's row.
        number: The customer number (``None`` when it has none), or the order number.
        name: The customer's name, or the guest's given and family name.
        email: The guest's e-mail address; ``None`` for a customer's row.
        date: The customer's last signed-in order (``None`` without one: such customers
            come last), or when the order was placed.
        has_test_order: The customer has at least one test order among its signed-in
            orders; the order is a test order.
    """

    status: CustomerStatus
    customer_id: str | None
    order_id: str | None
    number: str | None
    name: str = attrs.field(repr=False)
    email: str | None = attrs.field(repr=False)
    date: datetime | None
    has_test_order: bool


CUSTOMER = "customer"
ORDER = "order"
"""The two row kinds, as cursors name them; a customer sorts before an order of equal date,
sort key and id."""

Tagged = tuple[OverviewEntry, str]


def _before(a: OverviewEntry, a_kind: str, b: OverviewEntry, b_kind: str) -> bool:
    """Whether ``a`` comes before ``b``: date newest first (none last), then sort key, id
    and kind, all compared by code point (as every store compares them)."""
    if a.date != b.date:
        if a.date is None:
            return False
        return b.date is None or a.date > b.date
    if a.sort_key != b.sort_key:
        return a.sort_key < b.sort_key
    if a.id != b.id:
        return a.id < b.id
    return a_kind < b_kind


def merge(
    customers: Sequence[OverviewEntry], orders: Sequence[OverviewEntry], limit: int
) -> list[Tagged]:
    """The first ``limit`` rows of two lists each in overview order, in overview order."""
    merged: list[Tagged] = []
    i = j = 0
    while len(merged) < limit and (i < len(customers) or j < len(orders)):
        if j >= len(orders) or (
            i < len(customers) and _before(customers[i], CUSTOMER, orders[j], ORDER)
        ):
            merged.append((customers[i], CUSTOMER))
            i += 1
        else:
            merged.append((orders[j], ORDER))
            j += 1
    return merged


def row(entry: OverviewEntry, kind: str) -> OverviewRow:
    """The public row of a store's entry."""
    if kind == CUSTOMER:
        return OverviewRow(
            status=CustomerStatus.REGISTERED,
            customer_id=entry.id,
            order_id=None,
            number=entry.number,
            name=entry.name,
            email=None,
            date=entry.date,
            has_test_order=entry.has_test_order,
        )
    return OverviewRow(
        status=CustomerStatus.NOT_REGISTERED,
        customer_id=None,
        order_id=entry.id,
        number=entry.number,
        name=entry.name,
        email=entry.email,
        date=entry.date,
        has_test_order=entry.has_test_order,
    )
