"""MemoryStore's state: the tables and indexes (``_Data``) and the undo log (``_Journal``)
that makes a failed unit leave no trace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from accountkit.errors import ReadOnlyUnit

if TYPE_CHECKING:
    from accountkit.domain import (
        AttemptWindow,
        Consent,
        Customer,
        CustomerGroup,
        Event,
        IssuedToken,
        LoginCode,
        Membership,
        Session,
        User,
    )
    from accountkit.domain.orders import Order
    from accountkit.storage._memory.orders import _AddressRow

K = TypeVar("K")


V = TypeVar("V")


class _Journal:
    """Undo log of one unit of work: each write registers how to take it back.

    A nested unit shares its outer unit's log and remembers where it began, so that its
    failure takes back exactly its own writes (a savepoint). A read-only unit's log refuses
    every write before anything changes.
    """

    def __init__(self, undo: list[Callable[[], None]] | None = None, *, readonly: bool) -> None:
        self.undo: list[Callable[[], None]] = [] if undo is None else undo
        self.readonly = readonly

    def _check(self) -> None:
        if self.readonly:
            raise ReadOnlyUnit()

    def put(self, table: dict[K, V], key: K, value: V) -> None:
        self._check()
        if key in table:
            old = table[key]
            self.undo.append(lambda: table.__setitem__(key, old))
        else:
            self.undo.append(lambda: table.__delitem__(key))
        table[key] = value

    def delete(self, table: dict[K, V], key: K) -> None:
        self._check()
        old = table.pop(key)
        self.undo.append(lambda: table.__setitem__(key, old))

    def append(self, items: list[V], item: V) -> None:
        self._check()
        items.append(item)
        self.undo.append(lambda: items.__delitem__(-1))

    def set_item(self, items: list[V], index: int, item: V) -> None:
        self._check()
        old = items[index]
        items[index] = item
        self.undo.append(lambda: items.__setitem__(index, old))

    def rollback(self, to: int = 0) -> None:
        """Undo the writes made after the log had ``to`` entries."""
        while len(self.undo) > to:
            self.undo.pop()()


@attrs.define
class _Data:
    users: dict[str, User] = attrs.Factory(dict)
    users_by_email: dict[str, str] = attrs.Factory(dict)
    customers: dict[str, Customer] = attrs.Factory(dict)
    customers_by_number: dict[str, str] = attrs.Factory(dict)
    # Numbers given up (changed or removed), and the customer that held them: never given
    # to another customer.
    retired_numbers: dict[str, str] = attrs.Factory(dict)
    # The overview's sort key of every customer, as SQL keeps customers.sort_key.
    customer_sort_keys: dict[str, str] = attrs.Factory(dict)
    memberships: dict[tuple[str, str], Membership] = attrs.Factory(dict)
    exclusive: dict[tuple[str, str], bool] = attrs.Factory(dict)
    by_user: dict[str, dict[str, Membership]] = attrs.Factory(dict)
    by_customer: dict[str, dict[str, Membership]] = attrs.Factory(dict)
    groups: dict[str, CustomerGroup] = attrs.Factory(dict)
    events: list[Event] = attrs.Factory(list)
    events_by_user: dict[str, list[Event]] = attrs.Factory(dict)
    events_by_customer: dict[str, list[Event]] = attrs.Factory(dict)
    # Each event's position in ``events``: where a history page starts again.
    event_positions: dict[str, int] = attrs.Factory(dict)
    consents: dict[str, list[Consent]] = attrs.Factory(dict)
    consent_ids: dict[str, str] = attrs.Factory(dict)
    sequences: dict[str, int] = attrs.Factory(dict)
    used_tokens: dict[str, tuple[str, str, datetime]] = attrs.Factory(dict)
    issued_tokens: dict[tuple[str, str], IssuedToken] = attrs.Factory(dict)
    sessions: dict[str, Session] = attrs.Factory(dict)
    login_codes: dict[str, LoginCode] = attrs.Factory(dict)
    attempts: dict[str, AttemptWindow] = attrs.Factory(dict)
    # Orders (issue 14): the orders by id and number, their address rows by order id, and
    # per customer what SQL keeps on its row (customers.last_order_at, .has_test_order).
    orders: dict[str, Order] = attrs.Factory(dict)
    orders_by_number: dict[str, str] = attrs.Factory(dict)
    order_addresses: dict[str, tuple[_AddressRow, ...]] = attrs.Factory(dict)
    last_order_at: dict[str, datetime] = attrs.Factory(dict)
    has_test_order: set[str] = attrs.Factory(set)
