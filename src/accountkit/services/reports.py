"""Read models for the operator: ``kit.reports``: the history of a customer or a user in
keyset pages, the customer overview, a customer's order summary and its orders."""

from __future__ import annotations

from accountkit.domain import Event
from accountkit.errors import CustomerNotFound, UserNotFound
from accountkit.services._base import Service
from accountkit.services._search import (
    Page,
    check_page_size,
    cursor_serializer,
    page_of,
    read_cursor,
)
from accountkit.storage._protocols import Transaction

__all__ = ["ReportService"]

_HISTORY_SALT = "accountkit.reports.history"
_USER_HISTORY_SALT = "accountkit.reports.user_history"


def _an_id(value: object) -> str | None:
    return value if isinstance(value, str) else None


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
