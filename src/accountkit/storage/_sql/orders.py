"""Orders and their addresses: statements and repository."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.errors import (
    AccountKitError,
    ConcurrentUpdate,
    CustomerNotFound,
    OrderNotFound,
    OrderNumberTaken,
    UserNotFound,
)
from accountkit.storage._checks import check_order
from accountkit.storage._sql.errors import _bindable, _cause, _constraint
from accountkit.storage._sql.execute import _Repo
from accountkit.storage._sql.rows import (
    _LINES_WIDTH,
    _ORDER_COLUMNS_CHANGED,
    ADDRESS_LINE_COLUMNS,
    ORDER_COLUMNS,
    _address_values,
    _order,
    _order_values,
    _stored_address,
)
from accountkit.storage._sql.statements import insert_for
from accountkit.storage._sqltypes import UtcDateTime

if TYPE_CHECKING:
    from accountkit.domain import Address
    from accountkit.domain.orders import Order
    from accountkit.storage._schema import Tables


_INSERT_COLUMNS = (*ORDER_COLUMNS, "sort_key", "total_minor")
"""The columns an order's insert writes (``rows._order_values``)."""


def _order_statements(t: Tables, insert: Any) -> dict[str, Any]:
    """The statements of ``_Orders``, by name, for ``_Statements``."""
    o, a, c, u = t.orders, t.addresses, t.customers, t.users

    def joined(role: str, alias: Any) -> sa.ColumnElement[bool]:
        # A literal, not a bound value: the raw read path binds only named parameters.
        return sa.and_(alias.c.order_id == o.c.id, alias.c.role == sa.literal_column(f"'{role}'"))

    billing, shipping = a.alias("billing"), a.alias("shipping")
    # One statement per read: the order with its billing and its shipping row.
    order_select = sa.select(
        *(o.c[n] for n in ORDER_COLUMNS),
        *(billing.c[n] for n in ADDRESS_LINE_COLUMNS),
        *(shipping.c[n] for n in ADDRESS_LINE_COLUMNS),
    ).select_from(
        o.outerjoin(billing, joined("billing", billing)).outerjoin(
            shipping, joined("shipping", shipping)
        )
    )
    moment = bindparam("b_at", type_=UtcDateTime)
    return {
        "order_by_id": order_select.where(o.c.id == bindparam("id")),
        "order_by_number": order_select.where(o.c.number == bindparam("number")),
        # Ordered in Python: order ids are the shop's, and collations differ.
        "orders_of_user": order_select.where(o.c.user_id == bindparam("u")),
        "addresses_of_user": sa.select(
            *(a.c[n] for n in ADDRESS_LINE_COLUMNS), a.c.created_at, a.c.order_id, a.c.id
        ).where(a.c.user_id == bindparam("u")),
        "order_exists": sa.select(o.c.id).where(o.c.id == bindparam("id")),
        # A taken id or number inserts nothing and returns no row, without aborting the
        # unit on PostgreSQL; of concurrent inserts of one number the first to commit wins.
        # The buyer's user and customer must exist: checked in the same statement
        # (INSERT ... SELECT ... WHERE EXISTS), so that a recorded order costs one round
        # trip; no row back sends add() to find out why, off the common path.
        "order_insert": insert(o)
        .from_select(
            list(_INSERT_COLUMNS),
            sa.select(*(bindparam(n, type_=o.c[n].type) for n in _INSERT_COLUMNS)).where(
                sa.or_(
                    bindparam("user_id", type_=o.c.user_id.type).is_(None),
                    sa.exists().where(u.c.id == bindparam("user_id", type_=o.c.user_id.type)),
                ),
                sa.or_(
                    bindparam("customer_id", type_=o.c.customer_id.type).is_(None),
                    sa.exists().where(
                        c.c.id == bindparam("customer_id", type_=o.c.customer_id.type)
                    ),
                ),
            ),
        )
        .on_conflict_do_nothing()
        .returning(o.c.id),
        "order_update": (
            sa.update(o)
            .where(o.c.id == bindparam("b_id"), o.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in (*_ORDER_COLUMNS_CHANGED, "version")})
        ),
        "address_insert": sa.insert(a),
        "addresses_delete_of_order": sa.delete(a).where(a.c.order_id == bindparam("o")),
        # One statement under the row lock, so concurrent orders never lower the time.
        "customer_ordered": (
            sa.update(c)
            .where(c.c.id == bindparam("b_customer"))
            .values(
                last_order_at=sa.case(
                    (sa.or_(c.c.last_order_at.is_(None), c.c.last_order_at < moment), moment),
                    else_=c.c.last_order_at,
                ),
                has_test_order=sa.case(
                    (bindparam("b_test", type_=sa.Boolean), sa.true()),
                    else_=c.c.has_test_order,
                ),
            )
        ),
    }


_ORDER_CHANGES = ("status", "guest", "billing", "shipping", "erased", "updated_at")
"""What ``OrderRepository.update`` changes; the rest stays as recorded."""


class _Orders(_Repo):
    def _integrity(self, exc: sa.exc.IntegrityError) -> AccountKitError:
        # A user or customer removed after the check (the foreign keys decide).
        if "customer" in _constraint(exc):
            return CustomerNotFound()
        return UserNotFound()

    def add(self, order: Order) -> Order:
        self._writing()
        order = check_order(order)
        try:
            inserted = self._x.first("order_insert", _order_values(order))
            if inserted is None:
                raise self._not_inserted(order)
            rows = _address_values(order)
            if rows:
                self._x.run("address_insert", rows)
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        if order.signed_in and order.customer_id is not None:
            params = {"b_customer": order.customer_id, "b_at": order.placed_at}
            self._x.run("customer_ordered", {**params, "b_test": order.test_order})
        return order

    def _not_inserted(self, order: Order) -> AccountKitError:
        """Why ``order_insert`` wrote nothing: the buyer is unknown, or the id or number is
        taken."""
        if (
            order.user_id is not None
            and self._x.first("user_exists", {"id": order.user_id}) is None
        ):
            return UserNotFound()
        if (
            order.customer_id is not None
            and self._x.first("customer_exists", {"id": order.customer_id}) is None
        ):
            return CustomerNotFound()
        return OrderNumberTaken()

    def get(self, order_id: str) -> Order | None:
        if not _bindable(order_id):
            return None
        row = self._x.first("order_by_id", {"id": order_id})
        return None if row is None else _order(row)

    def get_by_number(self, number: str) -> Order | None:
        if not _bindable(number):
            return None
        row = self._x.first("order_by_number", {"number": number})
        return None if row is None else _order(row)

    def update(self, order: Order) -> Order:
        self._writing()
        order = check_order(order)
        row = self._x.first("order_by_id", {"id": order.id})
        if row is None:
            raise OrderNotFound()
        stored = _order(row)
        if stored.version != order.version:
            raise ConcurrentUpdate()
        new = attrs.evolve(
            stored,
            **{name: getattr(order, name) for name in _ORDER_CHANGES},
            version=stored.version + 1,
        )
        values = _order_values(new)
        changes = {name: values[name] for name in ("id", *_ORDER_COLUMNS_CHANGED)}
        self._update("order", changes, stored.version, self._integrity, OrderNotFound)
        if (new.billing, new.shipping) != (stored.billing, stored.shipping):
            self._x.run("addresses_delete_of_order", {"o": new.id})
            rows = _address_values(new)
            if rows:
                self._x.run("address_insert", rows)
        return new

    def for_user(self, user_id: str) -> Sequence[Order]:
        if not _bindable(user_id):
            return []
        orders = [_order(r) for r in self._x.all("orders_of_user", {"u": user_id})]
        return sorted(orders, key=lambda o: (o.placed_at, o.id))

    def addresses_for_user(self, user_id: str) -> Sequence[Address]:
        if not _bindable(user_id):
            return []
        rows = self._x.all("addresses_of_user", {"u": user_id})
        # (created_at, order_id, id), newest first, in code point order on every database.
        ordered = sorted(rows, key=lambda r: tuple(r[_LINES_WIDTH:]), reverse=True)
        return [_stored_address(r[:_LINES_WIDTH]) for r in ordered]


READS = (
    "order_by_id",
    "order_by_number",
    "orders_of_user",
    "addresses_of_user",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    q.__dict__.update(_order_statements(t, insert_for(dialect)))
