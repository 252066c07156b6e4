"""Orders and their addresses in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from accountkit.errors import (
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    OrderNotFound,
    OrderNumberTaken,
    UserNotFound,
)
from accountkit.storage._checks import address_rows, check_order

if TYPE_CHECKING:
    from accountkit.domain import Address
    from accountkit.domain.orders import AddressRole, Order
    from accountkit.storage._memory.state import _Data, _Journal


@attrs.frozen
class _AddressRow:
    """One row of SQL's ``addresses`` table."""

    id: str
    order_id: str
    user_id: str | None
    role: AddressRole
    address: Address
    created_at: datetime


def _refuse_if_ordered(
    data: _Data, *, user_id: str | None = None, customer_id: str | None = None
) -> None:
    """What the SQL foreign keys from orders do: a user or customer with orders stays."""
    for order in data.orders.values():
        if user_id is not None and order.user_id == user_id:
            raise ConflictError("The user still has orders on record; they cannot be removed.")
        if customer_id is not None and order.customer_id == customer_id:
            raise ConflictError("The customer still has members; remove them first.")


def _newest_first(rows: Iterable[_AddressRow]) -> list[Address]:
    ordered = sorted(rows, key=lambda r: (r.created_at, r.order_id, r.id), reverse=True)
    return [row.address for row in ordered]


class _Orders:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def _put_addresses(self, order: Order) -> None:
        rows = tuple(
            _AddressRow(
                id=row_id,
                order_id=order.id,
                user_id=order.user_id,
                role=role,
                address=address,
                created_at=order.placed_at,
            )
            for row_id, role, address in address_rows(order)
        )
        if rows:
            self._j.put(self._d.order_addresses, order.id, rows)
        elif order.id in self._d.order_addresses:
            self._j.delete(self._d.order_addresses, order.id)

    def _customer_ordered(self, order: Order) -> None:
        customer_id = order.customer_id
        if not order.signed_in or customer_id is None:
            return
        last = self._d.last_order_at.get(customer_id)
        if last is None or last < order.placed_at:
            self._j.put(self._d.last_order_at, customer_id, order.placed_at)
        if order.test_order and customer_id not in self._d.has_test_order:
            self._j._check()
            flagged = self._d.has_test_order
            flagged.add(customer_id)
            self._j.undo.append(lambda: flagged.discard(customer_id))

    def add(self, order: Order) -> Order:
        self._j._check()
        order = check_order(order)
        if order.user_id is not None and order.user_id not in self._d.users:
            raise UserNotFound()
        if order.customer_id is not None and order.customer_id not in self._d.customers:
            raise CustomerNotFound()
        if order.id in self._d.orders or order.number in self._d.orders_by_number:
            raise OrderNumberTaken()
        self._j.put(self._d.orders, order.id, order)
        self._j.put(self._d.orders_by_number, order.number, order.id)
        self._put_addresses(order)
        self._customer_ordered(order)
        return order

    def get(self, order_id: str) -> Order | None:
        return self._d.orders.get(order_id) if isinstance(order_id, str) else None

    def get_by_number(self, number: str) -> Order | None:
        order_id = self._d.orders_by_number.get(number) if isinstance(number, str) else None
        return None if order_id is None else self._d.orders[order_id]

    def update(self, order: Order) -> Order:
        self._j._check()
        order = check_order(order)
        stored = self._d.orders.get(order.id)
        if stored is None:
            raise OrderNotFound()
        if stored.version != order.version:
            raise ConcurrentUpdate()
        new = attrs.evolve(
            stored,
            status=order.status,
            guest=order.guest,
            billing=order.billing,
            shipping=order.shipping,
            erased=order.erased,
            updated_at=order.updated_at,
            version=stored.version + 1,
        )
        self._j.put(self._d.orders, new.id, new)
        if (new.billing, new.shipping) != (stored.billing, stored.shipping):
            self._put_addresses(new)
        return new

    def for_user(self, user_id: str) -> Sequence[Order]:
        mine = [o for o in self._d.orders.values() if o.user_id == user_id]
        return sorted(mine, key=lambda o: (o.placed_at, o.id))

    def addresses_for_user(self, user_id: str) -> Sequence[Address]:
        return _newest_first(
            row
            for rows in self._d.order_addresses.values()
            for row in rows
            if row.user_id == user_id
        )
