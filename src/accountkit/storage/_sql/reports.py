"""The reports' reads: history pages, the customer overview per row kind, a customer's
orders and totals; their statements and repositories.

Every page is a bounded range of one index (migration 0008): a statement for the first page
and one after a position, so that the planner can seek to the position (``:d IS NULL OR ...``
would make it scan from the start). Orders and customers with a date and those without one
are separate statements, so NULL ordering (first on SQLite, last on PostgreSQL) never matters.
Sort keys compare by code point (BINARY on SQLite, a "C" column on PostgreSQL); order ids,
which the shop chooses, are compared under "C" on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from accountkit.domain.money import CURRENCY_MINOR_UNITS
from accountkit.storage._protocols import CurrencyTotal, OverviewEntry, OverviewKey
from accountkit.storage._sql.customers import _Customers
from accountkit.storage._sql.errors import _bindable
from accountkit.storage._sql.history import _Events
from accountkit.storage._sql.orders import _order_statements, _Orders
from accountkit.storage._sql.rows import (
    EVENT_COLUMNS,
    OVERVIEW_CUSTOMER_COLUMNS,
    OVERVIEW_GUEST_COLUMNS,
    _event,
    _order,
    _overview_customer,
    _overview_guest,
)
from accountkit.storage._sql.statements import _select
from accountkit.storage._sqltypes import UtcDateTime

if TYPE_CHECKING:
    from accountkit.domain import Event
    from accountkit.domain.orders import Order
    from accountkit.storage._schema import Tables
    from accountkit.storage._sql.store import SqlStore


def _report_statements(t: Tables, dialect: str) -> dict[str, Any]:
    """Build the reports' statements (``_Statements`` takes them on as attributes)."""
    find = sa.func.instr if dialect == "sqlite" else sa.func.strpos

    def text_param(name: str) -> sa.BindParameter[str]:
        return bindparam(name, type_=sa.String())

    def has(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        # A literal 0, not a bound one: the raw read path binds only named parameters.
        return find(column, sa.cast(text_param(name), sa.String)) > sa.literal_column("0")

    def when(name: str, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        # A filter that a NULL parameter switches off; never on an index's leading column.
        return sa.or_(sa.cast(text_param(name), sa.String).is_(None), condition)

    # SQLite keeps times as fixed-width ISO text: the repositories pass the text (the raw
    # read path binds values as they are); PostgreSQL takes the datetime.
    date = (
        bindparam("d", type_=sa.String())
        if dialect == "sqlite"
        else bindparam("d", type_=UtcDateTime())
    )
    key, last = text_param("s"), text_param("i")

    def paged(select: sa.Select[Any]) -> sa.Select[Any]:
        # SQLite renders LIMIT with an OFFSET; both named, for the raw read path.
        return select.limit(bindparam("n")).offset(bindparam("skip"))

    q: dict[str, Any] = {}
    e = t.events
    for kind, column, param in (("customer", e.c.customer_id, "c"), ("user", e.c.user_id, "u")):
        mine = _select(e, EVENT_COLUMNS).where(column == bindparam(param)).order_by(e.c.seq)
        # The position is the previous page's last event, which must be one of this
        # customer's (user's): any other id gives NULL, and so nothing.
        position = (
            sa.select(e.c.seq)
            .where(e.c.id == text_param("after"), column == bindparam(param))
            .scalar_subquery()
        )
        q[f"events_page_of_{kind}"] = paged(mine)
        q[f"events_page_of_{kind}_after"] = paged(mine.where(e.c.seq > position))

    c = t.customers
    filters = (
        when("group", c.c.group_id == sa.cast(text_param("group"), sa.String)),
        when("t", sa.or_(has(c.c.name, "t"), has(c.c.number, "t"))),
    )
    rows = _select(c, OVERVIEW_CUSTOMER_COLUMNS).where(*filters)
    dated = rows.where(c.c.last_order_at.is_not(None)).order_by(
        c.c.last_order_at.desc(), c.c.sort_key, c.c.id
    )
    q["overview_customers_dated"] = paged(dated)
    q["overview_customers_dated_after"] = paged(
        dated.where(_after_position(c.c.last_order_at, c.c.sort_key, c.c.id, date, key, last))
    )
    undated = rows.where(c.c.last_order_at.is_(None)).order_by(c.c.sort_key, c.c.id)
    q["overview_customers_undated"] = paged(undated)
    q["overview_customers_undated_after"] = paged(
        undated.where(
            c.c.sort_key >= key,
            sa.or_(c.c.sort_key > key, sa.and_(c.c.sort_key == key, c.c.id > last)),
        )
    )

    o = t.orders
    # Order ids are the shop's: compared by code point, whatever PostgreSQL's collation.
    order_id = o.c.id.collate("C") if dialect == "postgresql" else o.c.id
    guests = (
        sa.select(*(o.c[n] for n in OVERVIEW_GUEST_COLUMNS))
        .where(
            # As the partial index says it, so that SQLite uses the index.
            o.c.signed_in.is_(sa.false()),
            when(
                "t",
                sa.or_(
                    has(o.c.guest_name, "t"),
                    has(o.c.guest_family_name, "t"),
                    has(o.c.guest_email, "t"),
                ),
            ),
        )
        .order_by(o.c.placed_at.desc(), o.c.sort_key, order_id)
    )
    q["overview_guest_orders"] = paged(guests)
    for suffix, or_equal in (("after", False), ("from", True)):
        q[f"overview_guest_orders_{suffix}"] = paged(
            guests.where(
                _after_position(
                    o.c.placed_at, o.c.sort_key, order_id, date, key, last, or_equal=or_equal
                )
            )
        )
    signed_in = sa.and_(o.c.customer_id == bindparam("c"), o.c.signed_in.is_(sa.true()))
    # Exact sums of minor units in two halves: SQLite's SUM raises on a 64-bit overflow
    # (eleven totals of 10**18 - 1), and 10**9 per order keeps each half far below it.
    half = sa.literal_column("1000000000", sa.BigInteger)
    q["order_totals_of_customer"] = (
        sa.select(
            o.c.currency,
            sa.func.sum(o.c.total_minor // half),
            sa.func.sum(o.c.total_minor % half),
            sa.func.count(),
        )
        .where(signed_in)
        .group_by(o.c.currency)
    )
    # The order with its billing and shipping rows, as _Orders reads it.
    insert = sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert
    base = _order_statements(t, insert)["order_by_id"]
    orders = (
        sa.select(*base.selected_columns)
        .select_from(*base.get_final_froms())
        .where(signed_in)
        .order_by(o.c.placed_at.desc(), order_id.desc())
    )
    q["orders_page_of_customer"] = paged(orders)
    q["orders_page_of_customer_after"] = paged(
        orders.where(
            o.c.placed_at <= date,
            sa.or_(o.c.placed_at < date, sa.and_(o.c.placed_at == date, order_id < last)),
        )
    )
    return q


def _after_position(
    date: sa.ColumnElement[Any],
    key: sa.ColumnElement[Any],
    id_: sa.ColumnElement[Any],
    d: sa.BindParameter[Any],
    s: sa.BindParameter[str],
    i: sa.BindParameter[str],
    *,
    or_equal: bool = False,
) -> sa.ColumnElement[bool]:
    """Rows after (d, s, i) in the order date descending, key and id ascending. The first
    term repeats what the rest implies, so that the planner seeks the index to ``d``."""
    last = id_ >= i if or_equal else id_ > i
    return sa.and_(date <= d, sa.or_(date < d, key > s, sa.and_(key == s, last)))


def _time_param(store: SqlStore, moment: datetime) -> Any:
    """A time as the reports' statements bind it (see _report_statements)."""
    if store.dialect == "sqlite":
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return moment


class _ReportEvents(_Events):
    def _page(self, kind: str, owner: str, after: str | None, limit: int) -> Sequence[Event]:
        if not _bindable(owner) or (after is not None and not _bindable(after)):
            return []
        param = "c" if kind == "customer" else "u"
        name = f"events_page_of_{kind}" if after is None else f"events_page_of_{kind}_after"
        params = {param: owner, "after": after, "n": limit, "skip": 0}
        return [_event(r) for r in self._x.all(name, params)]

    def page_for_customer(
        self, customer_id: str, *, after: str | None, limit: int
    ) -> Sequence[Event]:
        return self._page("customer", customer_id, after, limit)

    def page_for_user(self, user_id: str, *, after: str | None, limit: int) -> Sequence[Event]:
        return self._page("user", user_id, after, limit)


class _ReportCustomers(_Customers):
    def overview(
        self,
        *,
        after: OverviewKey | None,
        text: str | None = None,
        group_id: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if any(v is not None and not _bindable(v) for v in (text, group_id)):
            return []
        params: dict[str, Any] = {"t": text, "group": group_id, "n": limit, "skip": 0}
        found: list[OverviewEntry] = []
        if after is None or after.date is not None:
            if after is None:
                name = "overview_customers_dated"
            else:
                assert after.date is not None
                name = "overview_customers_dated_after"
                params |= {
                    "d": _time_param(self._store, after.date),
                    "s": after.sort_key,
                    "i": after.id,
                }
            found = [_overview_customer(r) for r in self._x.all(name, params)]
            if len(found) >= limit:
                return found
            params = {**params, "n": limit - len(found)}
            name = "overview_customers_undated"
        else:
            name = "overview_customers_undated_after"
            params |= {"s": after.sort_key, "i": after.id}
        return found + [_overview_customer(r) for r in self._x.all(name, params)]


class _ReportOrders(_Orders):
    def guest_overview(
        self,
        *,
        after: OverviewKey | None,
        or_equal: bool = False,
        text: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if text is not None and not _bindable(text):
            return []
        params: dict[str, Any] = {"t": text, "n": limit, "skip": 0}
        if after is None:
            name = "overview_guest_orders"
        elif after.date is None:
            return []  # every order has a date: none comes after the undated customers
        else:
            name = "overview_guest_orders_from" if or_equal else "overview_guest_orders_after"
            params |= {
                "d": _time_param(self._store, after.date),
                "s": after.sort_key,
                "i": after.id,
            }
        return [_overview_guest(r) for r in self._x.all(name, params)]

    def totals_for_customer(self, customer_id: str) -> Sequence[CurrencyTotal]:
        if not _bindable(customer_id):
            return []
        rows = self._x.all("order_totals_of_customer", {"c": customer_id})
        totals = [
            CurrencyTotal(
                currency,
                Decimal(int(high) * 1_000_000_000 + int(low)).scaleb(
                    -CURRENCY_MINOR_UNITS[currency]
                ),
                int(count),
            )
            for currency, high, low, count in rows
        ]
        return sorted(totals, key=lambda t: t.currency)

    def page_for_customer(
        self, customer_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Order]:
        if not _bindable(customer_id) or (after is not None and not _bindable(after[1])):
            return []
        params: dict[str, Any] = {"c": customer_id, "n": limit, "skip": 0}
        name = "orders_page_of_customer"
        if after is not None:
            name = "orders_page_of_customer_after"
            params |= {"d": _time_param(self._store, after[0]), "i": after[1]}
        return [_order(r) for r in self._x.all(name, params)]

    def latest(self, customer_id: str, n: int) -> Sequence[Order]:
        return self.page_for_customer(customer_id, after=None, limit=n)


READS = (
    "events_page_of_customer",
    "events_page_of_customer_after",
    "events_page_of_user",
    "events_page_of_user_after",
    "overview_customers_dated",
    "overview_customers_dated_after",
    "overview_customers_undated",
    "overview_customers_undated_after",
    "overview_guest_orders",
    "overview_guest_orders_after",
    "overview_guest_orders_from",
    "order_totals_of_customer",
    "orders_page_of_customer",
    "orders_page_of_customer_after",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    q.__dict__.update(_report_statements(t, dialect))
