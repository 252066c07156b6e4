"""The customer overview against a plain sorted() model, on every store: random customers
and orders with equal dates, equal (and case- or ligature-equal) surnames and order ids
that need code point order, paged at random sizes and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit import AccountKit, Actor, CustomerKind, CustomerStatus, OverviewRow
from accountkit.domain.orders import GuestContact, Order, sort_key
from accountkit.storage import MemoryStore, SqlStore, Store
from tests.contract.factories import at, make_customer, make_user

STAFF = Actor.operator("staff-7")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SURNAMES = ["Müller", "MÜLLER", "Mueller", "Öz", "oz", "Zeta", "ß", "ss", "\ufb01sh", "fish", "A"]
TIMES = [at(0), at(0), at(1), at(60), at(60.000001)]
ORDER_IDS = ["a", "b", "B", "ä", "Z", "é", "e\u0301", "o-10", "o-9", "ord_1", "ORD_1"]
TEXTS = [None, "M", "ü", "ss", "Gus", "fish", "GmbH"]


@attrs.frozen
class CustomerSpec:
    name: str
    surname: str | None
    business: bool


@attrs.frozen
class OrderSpec:
    id: str
    placed: datetime
    customer: int | None  # index into the customers; None: placed without signing in
    family: str
    test: bool


CUSTOMERS = st.lists(
    st.builds(
        CustomerSpec,
        name=st.sampled_from(["Familie Gus", "Müller GmbH", "A", "Zoë", *SURNAMES]),
        surname=st.none() | st.sampled_from(SURNAMES),
        business=st.booleans(),
    ),
    max_size=7,
)


@st.composite
def shops(draw: st.DrawFn) -> tuple[list[CustomerSpec], list[OrderSpec]]:
    customers = draw(CUSTOMERS)
    ids = draw(st.lists(st.sampled_from(ORDER_IDS), unique=True, max_size=len(ORDER_IDS)))
    orders = [
        OrderSpec(
            id=order_id,
            placed=draw(st.sampled_from(TIMES)),
            customer=draw(st.none() | st.integers(0, len(customers) - 1)) if customers else None,
            family=draw(st.sampled_from(SURNAMES)),
            test=draw(st.booleans()),
        )
        for order_id in ids
    ]
    return customers, orders


def _empty(store: Store) -> None:
    """Start an example from an empty store (the overview reads all of it)."""
    if isinstance(store, MemoryStore):
        store._data = type(store._data)()
        return
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        for table in reversed(store.metadata.sorted_tables):
            conn.execute(table.delete())


Row = tuple[str, str, datetime | None, bool]


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _model(
    customer_ids: list[str],
    specs: list[CustomerSpec],
    orders: list[OrderSpec],
    status: CustomerStatus | None,
    text: str | None,
) -> list[Row]:
    """The overview as the documentation states it, computed with sorted()."""
    rows: list[tuple[tuple[object, ...], Row]] = []
    if status is not CustomerStatus.NOT_REGISTERED:
        for index, (customer_id, spec) in enumerate(zip(customer_ids, specs, strict=True)):
            if text is not None and text not in spec.name:
                continue
            mine = [o for o in orders if o.customer == index]
            date = max((o.placed for o in mine), default=None)
            key = sort_key(spec.surname or spec.name)
            rank = (
                (1, 0, key, customer_id, 0)
                if date is None
                else (0, -_micros(date), key, customer_id, 0)
            )
            rows.append((rank, ("customer", customer_id, date, any(o.test for o in mine))))
    if status is not CustomerStatus.REGISTERED:
        for o in orders:
            if o.customer is not None:
                continue
            if text is not None and not any(
                text in value for value in ("Gus", o.family, f"gus.{o.id}@example.com")
            ):
                continue
            rank = (0, -_micros(o.placed), sort_key(o.family), o.id, 1)
            rows.append((rank, ("order", o.id, o.placed, o.test)))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _paged(
    kit: AccountKit, size: int, status: CustomerStatus | None, text: str | None
) -> list[Row]:
    seen: list[Row] = []
    cursor: str | None = None
    while True:
        page = kit.reports.overview(STAFF, status=status, text=text, page_size=size, cursor=cursor)
        assert len(page.items) <= size
        seen += [_row(r) for r in page.items]
        if page.next_cursor is None:
            return seen
        assert len(page.items) == size
        cursor = page.next_cursor


def _row(row: OverviewRow) -> Row:
    if row.status is CustomerStatus.REGISTERED:
        assert row.customer_id is not None
        return ("customer", row.customer_id, row.date, row.has_test_order)
    assert row.order_id is not None
    return ("order", row.order_id, row.date, row.has_test_order)


@settings(max_examples=60)
@given(
    shop=shops(),
    size=st.integers(1, 4),
    status=st.none() | st.sampled_from(CustomerStatus),
    text=st.sampled_from(TEXTS),
)
def test_overview_pages_equal_the_sorted_model(
    kit: AccountKit,
    store: Store,
    shop: tuple[list[CustomerSpec], list[OrderSpec]],
    size: int,
    status: CustomerStatus | None,
    text: str | None,
) -> None:
    """Every page in turn, joined, is the model's order: dates newest first (none last),
    ties by sort key, then id, then kind; signed-in orders date their customer, others are
    rows of their own."""
    _empty(store)
    specs, orders = shop
    user = make_user()
    customers = [
        make_customer(
            name=spec.name,
            kind=CustomerKind.BUSINESS if spec.business else CustomerKind.PERSONAL,
            surname=None if spec.business else spec.surname,
            number=None,
        )
        for spec in specs
    ]
    specs = [
        attrs.evolve(spec, surname=c.surname) for spec, c in zip(specs, customers, strict=True)
    ]
    with store.transaction() as tx:
        tx.users.add(user)
        for customer in customers:
            tx.customers.add(customer)
        for o in orders:
            signed_in = o.customer is not None
            tx.orders.add(
                Order(
                    id=o.id,
                    number=f"N-{o.id}",
                    channel="web",
                    placed_at=o.placed,
                    total=Decimal("1.00"),
                    currency="EUR",
                    test_order=o.test,
                    signed_in=signed_in,
                    user_id=user.id if signed_in else None,
                    customer_id=None if o.customer is None else customers[o.customer].id,
                    guest=None
                    if signed_in
                    else GuestContact(
                        email=f"gus.{o.id}@example.com", given_name="Gus", family_name=o.family
                    ),
                    updated_at=o.placed,
                )
            )
    expected = _model([c.id for c in customers], specs, orders, status, text)
    assert _paged(kit, size, status, text) == expected
