"""The order summary (Bestellhistorie): a customer's signed-in orders per currency, and the
last three."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

import attrs

from accountkit.domain.money import round_money
from accountkit.domain.orders import Order
from accountkit.storage._protocols import CurrencyTotal

__all__ = ["LAST_ORDERS", "CurrencySummary", "OrderSummary", "summarise"]

LAST_ORDERS = 3
"""How many of the newest orders a summary lists."""


@attrs.frozen(kw_only=True)
class CurrencySummary:
    """A customer's signed-in orders in one currency.

    Attributes:
        currency: The ISO 4217 code.
        total: The exact sum of the orders' totals.
        count: How many orders.
        average: ``total / count`` rounded half-even to the currency's minor unit
            (0.025 EUR -> 0.02; 0.035 EUR -> 0.04).
    """

    currency: str
    total: Decimal
    count: int
    average: Decimal


@attrs.frozen(kw_only=True)
class OrderSummary:
    """A customer's signed-in orders: test, cancelled and returned ones included.

    Attributes:
        customer_id: The customer.
        currencies: One entry per currency, sorted by code; empty without orders (mixed
            currencies are never added up).
        last_orders: The newest orders (at most three), newest first: ``placed_at``
            descending, then order id descending.
    """

    customer_id: str
    currencies: tuple[CurrencySummary, ...]
    last_orders: tuple[Order, ...]

    @property
    def count(self) -> int:
        """How many orders, in every currency."""
        return sum(c.count for c in self.currencies)


def average(total: Decimal, count: int, currency: str) -> Decimal:
    """``total / count`` rounded half-even to the minor unit of ``currency``.

    The quotient is computed with 60 digits, far more than an 18-digit total and any count
    need to decide a tie exactly; :func:`~accountkit.domain.money.round_money` rounds it.

    Example:
        >>> average(Decimal("0.05"), 2, "EUR")
        Decimal('0.02')
    """
    with localcontext() as context:
        context.prec = 60
        return round_money(total / count, currency)


def summarise(
    customer_id: str, totals: Sequence[CurrencyTotal], latest: Sequence[Order]
) -> OrderSummary:
    """Build the summary of what a store read (``orders.totals_for_customer`` and
    ``orders.latest``)."""
    with localcontext() as context:
        # Sums of many 18-digit totals outgrow the default 28 digits.
        context.prec = 60
        currencies = tuple(
            CurrencySummary(
                currency=t.currency,
                # One spelling per amount, whichever store summed it (12.3 and 12.30).
                total=round_money(t.total, t.currency),
                count=t.order_count,
                average=average(t.total, t.order_count, t.currency),
            )
            for t in sorted(totals, key=lambda t: t.currency)
            if t.order_count
        )
    return OrderSummary(
        customer_id=customer_id, currencies=currencies, last_orders=tuple(latest[:LAST_ORDERS])
    )
