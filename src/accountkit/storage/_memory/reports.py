"""The read models' operations in memory, with the meaning the SQL store gives them: pages of
the history in append order, the customer overview per row kind, a customer's orders.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from accountkit.domain.orders import Order, sort_key
from accountkit.storage._checks import customer_matches, searchable
from accountkit.storage._memory.customers import _Customers
from accountkit.storage._memory.history import _Events
from accountkit.storage._memory.orders import _Orders
from accountkit.storage._protocols import CurrencyTotal, OverviewEntry, OverviewKey

if TYPE_CHECKING:
    from accountkit.domain import Event


class _ReportEvents(_Events):
    def _page(self, events: Sequence[Event], after: str | None, limit: int) -> Sequence[Event]:
        start = 0
        if after is not None:
            position = self._d.event_positions.get(after) if isinstance(after, str) else None
            if position is None:
                return []
            # Events of one owner are in append order, so their global positions grow.
            positions = self._d.event_positions
            start = bisect.bisect_right(events, position, key=lambda e: positions[e.id])
            if start == 0 or events[start - 1].id != after:
                return []
        return list(events[start : start + limit])

    def append(self, event: Event) -> None:
        super().append(event)
        self._j.put(self._d.event_positions, event.id, len(self._d.events) - 1)

    def page_for_customer(
        self, customer_id: str, *, after: str | None, limit: int
    ) -> Sequence[Event]:
        mine = (
            self._d.events_by_customer.get(customer_id, []) if isinstance(customer_id, str) else []
        )
        return self._page(mine, after, limit)

    def page_for_user(self, user_id: str, *, after: str | None, limit: int) -> Sequence[Event]:
        mine = self._d.events_by_user.get(user_id, []) if isinstance(user_id, str) else []
        return self._page(mine, after, limit)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _overview_rank(date: datetime | None, key: str, id_: str) -> tuple[int, int, str, str]:
    """A row's place in the customer overview: dated rows newest first, then undated ones;
    then the sort key and the id in code point order (as SQL compares them)."""
    if date is None:
        return (1, 0, key, id_)
    return (0, -((date - _EPOCH) // timedelta(microseconds=1)), key, id_)


def _after(
    entries: Iterable[OverviewEntry], after: OverviewKey | None, *, or_equal: bool = False
) -> list[OverviewEntry]:
    ranked = sorted(entries, key=lambda e: _overview_rank(e.date, e.sort_key, e.id))
    if after is None:
        return ranked
    bound = _overview_rank(after.date, after.sort_key, after.id)
    return [
        e
        for e in ranked
        if (rank := _overview_rank(e.date, e.sort_key, e.id)) > bound
        or (or_equal and rank == bound)
    ]


class _ReportCustomers(_Customers):
    def overview(
        self,
        *,
        after: OverviewKey | None,
        text: str | None = None,
        group_id: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if any(v is not None and not searchable(v) for v in (text, group_id)):
            return []
        d = self._d
        entries = (
            OverviewEntry(
                d.last_order_at.get(c.id),
                d.customer_sort_keys[c.id],
                c.id,
                c.number,
                c.name,
                None,
                c.id in d.has_test_order,
            )
            for c in d.customers.values()
            if (group_id is None or c.group_id == group_id)
            and (text is None or customer_matches(c, text))
        )
        return _after(entries, after)[:limit]


def _guest_entry(order: Order) -> OverviewEntry:
    guest = order.guest
    given, family, email = (
        ("", "", None) if guest is None else (guest.given_name, guest.family_name, guest.email)
    )
    name = " ".join(part for part in (given, family) if part)
    return OverviewEntry(
        order.placed_at, sort_key(family), order.id, order.number, name, email, order.test_order
    )


def _guest_matches(order: Order, text: str) -> bool:
    guest = order.guest
    return guest is not None and any(
        text in value for value in (guest.given_name, guest.family_name, guest.email)
    )


class _ReportOrders(_Orders):
    def guest_overview(
        self,
        *,
        after: OverviewKey | None,
        or_equal: bool = False,
        text: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if text is not None and not searchable(text):
            return []
        entries = (
            _guest_entry(o)
            for o in self._d.orders.values()
            if not o.signed_in and (text is None or _guest_matches(o, text))
        )
        return _after(entries, after, or_equal=or_equal)[:limit]

    def _signed_in(self, customer_id: str) -> list[Order]:
        return [o for o in self._d.orders.values() if o.customer_id == customer_id and o.signed_in]

    def totals_for_customer(self, customer_id: str) -> Sequence[CurrencyTotal]:
        sums: dict[str, tuple[Decimal, int]] = {}
        for order in self._signed_in(customer_id):
            total, count = sums.get(order.currency, (Decimal(0), 0))
            sums[order.currency] = (total + order.total, count + 1)
        return [CurrencyTotal(code, *sums[code]) for code in sorted(sums)]

    def page_for_customer(
        self, customer_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Order]:
        newest = sorted(
            self._signed_in(customer_id), key=lambda o: (o.placed_at, o.id), reverse=True
        )
        if after is not None:
            newest = [o for o in newest if (o.placed_at, o.id) < after]
        return newest[:limit]

    def latest(self, customer_id: str, n: int) -> Sequence[Order]:
        return self.page_for_customer(customer_id, after=None, limit=n)
