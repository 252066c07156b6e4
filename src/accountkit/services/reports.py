"""Read models for the operator: ``kit.reports``: the history of a customer or a user in
keyset pages, the customer overview, a customer's order summary and its orders."""

from __future__ import annotations

from datetime import UTC, datetime

from accountkit.domain import Actor, Event
from accountkit.domain._enums import as_enum
from accountkit.domain.orders import Order
from accountkit.errors import CustomerNotFound, InvalidValue, UserNotFound
from accountkit.reports import overview as _overview
from accountkit.reports.overview import CustomerStatus, OverviewRow
from accountkit.reports.summary import LAST_ORDERS, OrderSummary, summarise
from accountkit.services._base import Service, require_staff
from accountkit.services._search import (
    Page,
    _check_text,
    check_page_size,
    cursor_serializer,
    page_of,
    read_cursor,
)
from accountkit.storage._protocols import OverviewEntry, OverviewKey, Transaction

__all__ = ["ReportService"]

_HISTORY_SALT = "accountkit.reports.history"
_USER_HISTORY_SALT = "accountkit.reports.user_history"
_OVERVIEW_SALT = "accountkit.reports.overview"
_ORDERS_SALT = "accountkit.reports.orders"


def _an_id(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _time(value: object) -> datetime | None:
    """A cursor's time (ISO 8601 with its offset), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.astimezone(UTC)


def _overview_position(value: object) -> tuple[OverviewKey, str] | None:
    """The last row of the previous overview page: [date or None, sort key, kind, id]."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    date, key, kind, id_ = value
    moment = None if date is None else _time(date)
    if (date is not None and moment is None) or kind not in (_overview.CUSTOMER, _overview.ORDER):
        return None
    if not isinstance(key, str) or not isinstance(id_, str):
        return None
    return OverviewKey(moment, key, id_), kind


def _overview_cursor(tagged: _overview.Tagged) -> list[object]:
    entry, kind = tagged
    date = None if entry.date is None else entry.date.isoformat(timespec="microseconds")
    return [date, entry.sort_key, kind, entry.id]


def _order_position(value: object) -> tuple[datetime, str] | None:
    """The last order of the previous page: [placed_at, id]."""
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        return None
    moment = _time(value[0])
    return None if moment is None else (moment, value[1])


class ReportService:
    """The operator's read models: ``kit.reports``."""

    def __init__(self, service: Service) -> None:
        self._s = service

    def history(
        self, customer_id: str, *, page_size: int = 100, cursor: str | None = None
    ) -> Page[Event]:
        """Return one page of the customer's history, oldest first (in the order the events
        were recorded): every change with time, actor and what changed.

        Args:
            customer_id: The customer.
            page_size: Events per page, 1 to 500.
            cursor: ``next_cursor`` of the previous page of this customer's history.

        Raises:
            CustomerNotFound: No customer has this id.
            InvalidValue: A page size outside 1..500.
            InvalidCursor: The cursor was not made by this kit, was changed, or belongs to
                another customer's history or to another kind of page.

        Example:
            >>> page = kit.reports.history(customer.id)  # doctest: +SKIP
            >>> while page.next_cursor:  # doctest: +SKIP
            ...     page = kit.reports.history(customer.id, cursor=page.next_cursor)
        """
        return self._history(customer_id, page_size, cursor, customer=True)

    def user_history(
        self, user_id: str, *, page_size: int = 100, cursor: str | None = None
    ) -> Page[Event]:
        """Return one page of the events about one user, oldest first (tier changes,
        memberships, consent, ...); as :meth:`history`.

        Raises:
            UserNotFound: No user has this id.
            InvalidValue: A page size outside 1..500.
            InvalidCursor: The cursor was not made by this kit, was changed, or belongs to
                another user's history or to another kind of page.
        """
        return self._history(user_id, page_size, cursor, customer=False)

    def _history(
        self, owner: str, page_size: int, cursor: str | None, *, customer: bool
    ) -> Page[Event]:
        missing = CustomerNotFound if customer else UserNotFound
        if not isinstance(owner, str):
            raise missing()
        size = check_page_size(page_size)
        serializer = cursor_serializer(self._s, _HISTORY_SALT if customer else _USER_HISTORY_SALT)
        filters: list[object] = [owner]
        after = read_cursor(serializer, cursor, filters, _an_id)

        def work(tx: Transaction) -> list[Event]:
            if customer:
                if tx.customers.get(owner) is None:
                    raise missing()
                return list(tx.events.page_for_customer(owner, after=after, limit=size + 1))
            if tx.users.get(owner) is None:
                raise missing()
            return list(tx.events.page_for_user(owner, after=after, limit=size + 1))

        return page_of(serializer, filters, self._s._read(work), size, lambda e: e.id)

    def overview(
        self,
        actor: Actor,
        *,
        status: CustomerStatus | str | None = None,
        group_id: str | None = None,
        text: str | None = None,
        page_size: int = 50,
        cursor: str | None = None,
    ) -> Page[OverviewRow]:
        """Return one page of the customer overview (the operator's customer list).

        Rows: one per customer (REGISTERED) with the date of its last signed-in order and
        whether it has a test order; one per order placed without signing in
        (NOT_REGISTERED: under ``GuestCheckout.NO_ACCOUNT``, and orders of guest accounts),
        dated when it was placed. Orders placed while not signed in never count for a
        customer. Newest first; equal dates by sort key (a customer's surname, or its
        name; a guest's family name; case-folded, compared by code point), then by id;
        customers without orders at the end, by sort key and id.

        Every page reads one bounded range of an index per row kind, however deep it is.

        Args:
            actor: Staff (the operator or the system).
            status: Only REGISTERED or only NOT_REGISTERED rows (the member or its value).
            group_id: Only customers of this group (and so no orders' rows).
            text: Only rows whose customer name or customer number, or whose guest given
                name, family name or e-mail address, holds this text exactly
                (case-sensitive; ``%`` and ``_`` are plain characters). An empty text is no
                filter.
            page_size: Rows per page, 1 to 500.
            cursor: ``next_cursor`` of the previous page, given with the same filters.

        Raises:
            NotPermitted: The actor is a user.
            InvalidValue: An unknown status, a text or group id that is not a string, or a
                page size outside 1..500.
            InvalidCursor: The cursor was not made by this kit, was changed, or was made
                for other filters or for another kind of page.

        Example:
            >>> page = kit.reports.overview(Actor.operator("staff-1"))  # doctest: +SKIP
            >>> [(row.status, row.number) for row in page.items]  # doctest: +SKIP
        """
        require_staff(actor)
        status_ = None if status is None else as_enum(CustomerStatus, status, field="status")
        if group_id is not None and not isinstance(group_id, str):
            raise InvalidValue("group_id is a string or None.", field="group_id")
        text = _check_text(text)
        size = check_page_size(page_size)
        serializer = cursor_serializer(self._s, _OVERVIEW_SALT)
        filters: list[object] = [None if status_ is None else status_.value, group_id, text]
        position = read_cursor(serializer, cursor, filters, _overview_position)
        after, kind = (None, None) if position is None else position
        customers = status_ is not CustomerStatus.NOT_REGISTERED
        orders = status_ is not CustomerStatus.REGISTERED and group_id is None

        def work(tx: Transaction) -> tuple[list[OverviewEntry], list[OverviewEntry]]:
            return (
                list(
                    tx.customers.overview(after=after, text=text, group_id=group_id, limit=size + 1)
                )
                if customers
                else [],
                list(
                    tx.orders.guest_overview(
                        after=after,
                        or_equal=kind == _overview.CUSTOMER,
                        text=text,
                        limit=size + 1,
                    )
                )
                if orders
                else [],
            )

        found = _overview.merge(*self._s._read(work), size + 1)
        page = page_of(serializer, filters, found, size, _overview_cursor)
        return Page(
            items=tuple(_overview.row(entry, kind) for entry, kind in page.items),
            next_cursor=page.next_cursor,
        )

    def order_summary(self, customer_id: str) -> OrderSummary:
        """Return the summary of a customer's signed-in orders (test, cancelled and returned
        ones included): per currency the total, the count and the average order value
        (rounded half-even to the currency's minor unit), and the last three orders.

        A customer without orders gets an empty summary (no currencies, no orders). Orders
        placed without signing in never count.

        Raises:
            CustomerNotFound: No customer has this id.

        Example:
            >>> summary = kit.reports.order_summary(customer.id)  # doctest: +SKIP
            >>> [(c.currency, c.total, c.count, c.average) for c in summary.currencies]
            [('EUR', Decimal('30.00'), 3, Decimal('10.00'))]
        """

        def work(tx: Transaction) -> OrderSummary:
            if not isinstance(customer_id, str) or tx.customers.get(customer_id) is None:
                raise CustomerNotFound()
            return summarise(
                customer_id,
                tx.orders.totals_for_customer(customer_id),
                tx.orders.latest(customer_id, LAST_ORDERS),
            )

        return self._s._read(work)

    def orders(
        self, customer_number: str, *, page_size: int = 50, cursor: str | None = None
    ) -> Page[Order]:
        """Return one page of the signed-in orders of the customer with this customer
        number, newest first (``placed_at`` descending, then order id descending).

        Args:
            customer_number: The customer's number.
            page_size: Orders per page, 1 to 500.
            cursor: ``next_cursor`` of the previous page for the same number.

        Raises:
            CustomerNotFound: No customer holds this number (now).
            InvalidValue: A page size outside 1..500.
            InvalidCursor: The cursor was not made by this kit, was changed, or was made
                for another number or another kind of page.
        """
        if not isinstance(customer_number, str):
            raise CustomerNotFound()
        size = check_page_size(page_size)
        serializer = cursor_serializer(self._s, _ORDERS_SALT)
        filters: list[object] = [customer_number]
        after = read_cursor(serializer, cursor, filters, _order_position)

        def work(tx: Transaction) -> list[Order]:
            customer = tx.customers.get_by_number(customer_number)
            if customer is None:
                raise CustomerNotFound()
            return list(tx.orders.page_for_customer(customer.id, after=after, limit=size + 1))

        return page_of(
            serializer,
            filters,
            self._s._read(work),
            size,
            lambda o: [o.placed_at.isoformat(timespec="microseconds"), o.id],
        )
