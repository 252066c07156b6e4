"""Read models for the operator: ``kit.reports``. The foundation serves history; the
customer overview and order summary come with the orders capability."""

from __future__ import annotations

from collections.abc import Sequence

from accountkit.domain import Event
from accountkit.errors import CustomerNotFound, UserNotFound
from accountkit.services._base import Service
from accountkit.storage._protocols import Transaction

__all__ = ["ReportService"]


class ReportService:
    """The operator's read models: ``kit.reports``."""

    def __init__(self, service: Service) -> None:
        self._s = service

    def history(self, customer_id: str) -> Sequence[Event]:
        """Return the customer's history, oldest first: every change with time and actor.

        Raises:
            CustomerNotFound: No customer has this id.
        """

        def work(tx: Transaction) -> Sequence[Event]:
            if tx.customers.get(customer_id) is None:
                raise CustomerNotFound()
            return tx.events.for_customer(customer_id)

        return self._s._read(work)

    def user_history(self, user_id: str) -> Sequence[Event]:
        """Return the events about one user, oldest first (tier changes, memberships, ...).

        Raises:
            UserNotFound: No user has this id.
        """

        def work(tx: Transaction) -> Sequence[Event]:
            if tx.users.get(user_id) is None:
                raise UserNotFound()
            return tx.events.for_user(user_id)

        return self._s._read(work)
