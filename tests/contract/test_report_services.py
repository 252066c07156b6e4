"""kit.reports on every store: the overview, history pages, the order summary, a customer
number's orders, and their cursors; Customer.surname as the overview sorts by it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    Address,
    Customer,
    CustomerKind,
    CustomerStatus,
    EventKind,
    OverviewRow,
    SalesChannel,
    ShopPolicy,
)
from accountkit.domain.orders import GuestContact, Order, OrderStatus
from accountkit.errors import (
    CustomerNotFound,
    InvalidCursor,
    InvalidName,
    InvalidValue,
    NotPermitted,
    UserNotFound,
)
from accountkit.services import Page
from accountkit.storage import Store
from tests.conftest import KitFactory
from tests.contract.factories import at, make_order, make_signed_in_order
from tests.helpers import BASE_URL, BIRTH_DATE, OPERATOR, made

STAFF = Actor.operator("staff-7")
T = TypeVar("T")


def _orders(store: Store, *orders: Order) -> None:
    with store.transaction() as tx:
        for order in orders:
            tx.orders.add(order)


def _all_pages(fetch: Callable[[str | None], Page[T]]) -> list[list[T]]:
    pages: list[list[T]] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        pages.append(list(page.items))
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def _guest(family: str, given: str = "Grace") -> GuestContact:
    return GuestContact(email=f"{given.lower()}@example.com", given_name=given, family_name=family)


@attrs.frozen
class Shop:
    """A small shop: two customers with orders, one without, two not-signed-in orders."""

    kit: AccountKit
    ada: Customer
    firm: Customer
    empty: Customer
    user_id: str


@pytest.fixture
def shop(kit: AccountKit, store: Store) -> Shop:
    """Customers and orders at known times."""
    ada = kit.customers.create(STAFF, name="Familie Lovelace", surname="Lovelace")
    firm = kit.customers.create(STAFF, name="Babbage GmbH", kind=CustomerKind.BUSINESS)
    empty = kit.customers.create(STAFF, name="Ohne Bestellung")
    user_id = made(
        kit.registration.register(
            email="buyer@example.com",
            password="correct horse battery",
            birth_date=BIRTH_DATE,
            given_name="Bea",
            family_name="Buyer",
        )
    ).id
    _orders(
        store,
        make_signed_in_order(user_id, ada.id, id="o-ada-1", placed_at=at(100)),
        make_signed_in_order(user_id, ada.id, id="o-ada-2", placed_at=at(300), test_order=True),
        make_signed_in_order(user_id, firm.id, id="o-firm", placed_at=at(200)),
        make_order(id="g-hopper", placed_at=at(200), guest=_guest("Hopper")),
        make_order(id="g-zuse", placed_at=at(400), guest=_guest("Zuse", "Konrad")),
    )
    return Shop(kit, ada, firm, empty, user_id)


def _ids(rows: Sequence[OverviewRow]) -> list[str | None]:
    return [row.customer_id or row.order_id for row in rows]


# --- the overview ---------------------------------------------------------------------------


def test_overview_rows_and_their_order(shop: Shop) -> None:
    """Newest first over customers and not-signed-in orders; a tie of dates by sort key
    (babbage < hopper); customers without orders last; rows say what they are."""
    page = shop.kit.reports.overview(STAFF)
    assert page.next_cursor is None
    assert _ids(page.items) == ["g-zuse", shop.ada.id, shop.firm.id, "g-hopper", shop.empty.id]
    zuse, ada, _, _, empty = page.items
    assert zuse == OverviewRow(
        status=CustomerStatus.NOT_REGISTERED,
        customer_id=None,
        order_id="g-zuse",
        number=zuse.number,
        name="Konrad Zuse",
        email="konrad@example.com",
        date=at(400),
        has_test_order=False,
    )
    assert (ada.status, ada.name, ada.email, ada.date, ada.has_test_order) == (
        CustomerStatus.REGISTERED,
        "Familie Lovelace",
        None,
        at(300),
        True,
    )
    assert (empty.date, empty.has_test_order) == (None, False)
    assert "Zuse" not in repr(zuse) and "konrad@" not in repr(zuse)


def test_overview_pages_return_every_row_once_at_any_size(shop: Shop) -> None:
    """Following the cursors gives the one-page order at every page size."""
    whole = _ids(shop.kit.reports.overview(STAFF).items)
    for size in (1, 2, 3, 4):

        def fetch(cursor: str | None, size: int = size) -> Page[OverviewRow]:
            return shop.kit.reports.overview(STAFF, page_size=size, cursor=cursor)

        pages = _all_pages(fetch)
        assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
        assert [i for p in pages for i in _ids(p)] == whole


def test_overview_filters(shop: Shop, store: Store) -> None:
    """Status, group (customers only) and text (customer name and number, a guest's names
    and e-mail) each narrow the rows; status values are accepted as strings."""
    kit = shop.kit
    registered = kit.reports.overview(STAFF, status=CustomerStatus.REGISTERED).items
    assert _ids(registered) == [shop.ada.id, shop.firm.id, shop.empty.id]
    assert _ids(kit.reports.overview(STAFF, status="not_registered").items) == [
        "g-zuse",
        "g-hopper",
    ]
    group = kit.customers.create_group(STAFF, name="Retail")
    kit.customers.set_group(STAFF, shop.firm.id, group.id)
    assert _ids(kit.reports.overview(STAFF, group_id=group.id).items) == [shop.firm.id]
    assert _ids(kit.reports.overview(STAFF, text="Konrad").items) == ["g-zuse"]
    assert _ids(kit.reports.overview(STAFF, text="grace@").items) == ["g-hopper"]
    assert _ids(kit.reports.overview(STAFF, text="Babbage").items) == [shop.firm.id]
    assert _ids(kit.reports.overview(STAFF, text="babbage").items) == []
    assert _ids(kit.reports.overview(STAFF, text="").items) == _ids(
        kit.reports.overview(STAFF).items
    )
    numbered = kit.customers.set_customer_number(STAFF, shop.empty.id, "K-4711")
    assert _ids(kit.reports.overview(STAFF, text="4711").items) == [numbered.id]


def test_not_signed_in_orders_never_date_a_customer(shop: Shop, store: Store) -> None:
    """An order placed without signing in stays its own row even when a customer exists;
    a later signed-in order moves the customer to the top."""
    kit = shop.kit
    _orders(store, make_order(id="g-late", placed_at=at(900), guest=_guest("Lovelace", "Ada")))
    rows = kit.reports.overview(STAFF).items
    assert _ids(rows)[:2] == ["g-late", "g-zuse"]
    ada = next(r for r in rows if r.customer_id == shop.ada.id)
    assert ada.date == at(300)
    _orders(store, make_signed_in_order(shop.user_id, shop.empty.id, placed_at=at(901)))
    assert _ids(kit.reports.overview(STAFF).items)[0] == shop.empty.id


def test_overview_is_for_staff_and_checks_its_arguments(shop: Shop) -> None:
    """A user may not read it; unknown statuses, bad page sizes and non-text filters are
    refused with their own errors."""
    kit = shop.kit
    with pytest.raises(NotPermitted):
        kit.reports.overview(Actor.user(shop.user_id))
    with pytest.raises(InvalidValue):
        kit.reports.overview(STAFF, status="gone")
    for size in (0, 501, True, 2.0):
        with pytest.raises(InvalidValue):
            kit.reports.overview(STAFF, page_size=size)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.reports.overview(STAFF, text=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.reports.overview(STAFF, group_id=5)  # type: ignore[arg-type]
    assert kit.reports.overview(STAFF, text="\x00").items == ()
    assert kit.reports.overview(STAFF, group_id="\ud800").items == ()


def test_overview_cursors_are_bound_to_their_filters_and_kind(
    shop: Shop, make_kit: KitFactory, store: Store
) -> None:
    """A tampered cursor, one of another kit's keys, one made for other filters, and
    cursors of other pages (search, history) are refused."""
    kit = shop.kit
    cursor = kit.reports.overview(STAFF, page_size=2).next_cursor
    assert cursor is not None
    kit.customers.set_note(STAFF, shop.ada.id, "a second event")
    bad = [
        cursor[:-2] + ("A" if cursor[-1] != "A" else "B") + cursor[-1],
        "x" + cursor,
        "",
        kit.customers.search(STAFF, page_size=1).next_cursor,
        kit.reports.history(shop.ada.id, page_size=1).next_cursor,
        5,
    ]
    assert None not in bad
    for value in bad:
        with pytest.raises(InvalidCursor):
            kit.reports.overview(STAFF, page_size=2, cursor=value)  # type: ignore[arg-type]
    for other in ({"status": CustomerStatus.REGISTERED}, {"text": "a"}, {"group_id": "grp_x"}):
        with pytest.raises(InvalidCursor):
            kit.reports.overview(STAFF, page_size=2, cursor=cursor, **other)
    foreign = AccountKit(store=store, secret_keys=["another-secret-key-0123456789abcd"])
    with pytest.raises(InvalidCursor):
        foreign.reports.overview(STAFF, page_size=2, cursor=cursor)
    assert kit.reports.overview(STAFF, page_size=5, cursor=cursor).items


def test_overview_cursor_keeps_its_place_when_rows_move(shop: Shop, store: Store) -> None:
    """A customer that orders between two pages moves to the top; the next page goes on
    from where the last one ended, without repeating a row."""
    kit = shop.kit
    first = kit.reports.overview(STAFF, page_size=2)
    _orders(store, make_signed_in_order(shop.user_id, shop.empty.id, placed_at=at(999)))
    rest = kit.reports.overview(STAFF, page_size=10, cursor=first.next_cursor)
    assert _ids(first.items) == ["g-zuse", shop.ada.id]
    assert _ids(rest.items) == [shop.firm.id, "g-hopper"]


# --- history --------------------------------------------------------------------------------


def test_history_pages_and_cursors(shop: Shop) -> None:
    """History comes in pages in the order recorded; a cursor belongs to one customer's
    history; user history pages alike."""
    kit = shop.kit
    for n in range(4):
        kit.customers.set_note(STAFF, shop.ada.id, f"note {n}")
    whole = kit.reports.history(shop.ada.id).items
    assert [e.kind for e in whole] == [EventKind.CUSTOMER_CREATED] + [EventKind.NOTE_CHANGED] * 4
    pages = _all_pages(lambda c: kit.reports.history(shop.ada.id, page_size=2, cursor=c))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [e for p in pages for e in p] == list(whole)
    cursor = kit.reports.history(shop.ada.id, page_size=2).next_cursor
    with pytest.raises(InvalidCursor):
        kit.reports.history(shop.firm.id, page_size=2, cursor=cursor)
    with pytest.raises(InvalidCursor):
        kit.reports.user_history(shop.user_id, page_size=2, cursor=cursor)
    user_pages = _all_pages(lambda c: kit.reports.user_history(shop.user_id, page_size=1, cursor=c))
    assert [e for p in user_pages for e in p] == list(kit.reports.user_history(shop.user_id).items)
    with pytest.raises(CustomerNotFound):
        kit.reports.history("cus_missing")
    with pytest.raises(CustomerNotFound):
        kit.reports.history(5)  # type: ignore[arg-type]
    with pytest.raises(UserNotFound):
        kit.reports.user_history("usr_\x00")
    with pytest.raises(InvalidValue):
        kit.reports.history(shop.ada.id, page_size=0)


# --- order summary and a number's orders ----------------------------------------------------


def test_order_summary_per_currency_with_half_even_averages(kit: AccountKit, store: Store) -> None:
    """Totals are exact, averages rounded half-even to the minor unit, currencies apart
    and sorted; cancelled, returned and test orders count; not-signed-in orders do not; the
    last three are newest first."""
    customer = kit.customers.create(STAFF, name="Kunde")
    user_id = made(
        kit.registration.register(
            email="sum@example.com",
            password="correct horse battery",
            birth_date=BIRTH_DATE,
            given_name="Sam",
            family_name="Summer",
        )
    ).id
    orders = [
        make_signed_in_order(user_id, customer.id, id="e1", total=Decimal("0.01"), placed_at=at(1)),
        make_signed_in_order(
            user_id,
            customer.id,
            id="e2",
            total=Decimal("0.04"),
            placed_at=at(2),
            status=OrderStatus.CANCELLED,
        ),
        make_signed_in_order(
            user_id, customer.id, id="s1", total=Decimal("10.01"), currency="SEK", placed_at=at(3)
        ),
        make_signed_in_order(
            user_id,
            customer.id,
            id="s2",
            total=Decimal("10.00"),
            currency="SEK",
            placed_at=at(3),
            test_order=True,
            status=OrderStatus.RETURNED,
        ),
        make_signed_in_order(
            user_id, customer.id, id="j1", total=Decimal(5), currency="JPY", placed_at=at(0)
        ),
        make_order(total=Decimal(1000)),
    ]
    _orders(store, *orders)
    summary = kit.reports.order_summary(customer.id)
    assert [(c.currency, c.total, c.count, c.average) for c in summary.currencies] == [
        ("EUR", Decimal("0.05"), 2, Decimal("0.02")),  # 0.025 -> 0.02
        ("JPY", Decimal(5), 1, Decimal(5)),
        ("SEK", Decimal("20.01"), 2, Decimal("10.00")),  # 10.005 -> 10.00
    ]
    assert summary.count == 5
    assert [o.id for o in summary.last_orders] == ["s2", "s1", "e2"]
    assert summary.last_orders[0] == orders[3]


def test_empty_and_unknown_summaries(kit: AccountKit) -> None:
    """No orders: an empty summary; an unknown customer: CustomerNotFound."""
    customer = kit.customers.create(STAFF, name="Neu")
    summary = kit.reports.order_summary(customer.id)
    assert (summary.currencies, summary.last_orders, summary.count) == ((), (), 0)
    for missing in ("cus_missing", "\x00", 5):
        with pytest.raises(CustomerNotFound):
            kit.reports.order_summary(missing)  # type: ignore[arg-type]


def test_orders_of_a_customer_number_in_pages(shop: Shop, store: Store) -> None:
    """All signed-in orders of the customer holding a number, newest first, in pages; an
    unknown number is CustomerNotFound; a cursor belongs to its number."""
    kit = shop.kit
    number = kit.customers.set_customer_number(STAFF, shop.ada.id, "K-1").number
    other = kit.customers.set_customer_number(STAFF, shop.firm.id, "K-2").number
    assert number is not None and other is not None
    extra = [
        make_signed_in_order(shop.user_id, shop.ada.id, id=f"o-x{n}", placed_at=at(300))
        for n in range(3)
    ]
    _orders(store, *extra)
    pages = _all_pages(lambda c: kit.reports.orders(number, page_size=2, cursor=c))
    ids = [o.id for p in pages for o in p]
    assert ids == ["o-x2", "o-x1", "o-x0", "o-ada-2", "o-ada-1"]
    cursor = kit.reports.orders(number, page_size=2).next_cursor
    with pytest.raises(InvalidCursor):
        kit.reports.orders(other, page_size=2, cursor=cursor)
    for missing in ("K-404", "\x00", 7):
        with pytest.raises(CustomerNotFound):
            kit.reports.orders(missing)  # type: ignore[arg-type]


# --- surname -------------------------------------------------------------------------------


def test_surname_is_kept_checked_and_sorts_the_overview(kit: AccountKit) -> None:
    """create(surname=...) is checked like a name and kept; a business customer refuses
    one; equal dates (none) sort by surname, else by name."""
    zed = kit.customers.create(STAFF, name="Aaron Zed", surname="  Zed ")
    abel = kit.customers.create(STAFF, name="Zora Abel", surname="abel")
    firm = kit.customers.create(STAFF, name="Mitte AG", kind=CustomerKind.BUSINESS)
    assert kit.customers.get(zed.id).surname == "Zed"
    with pytest.raises(InvalidName):
        kit.customers.create(STAFF, name="X", surname="\x00")
    with pytest.raises(InvalidValue):
        kit.customers.create(STAFF, name="Y AG", kind=CustomerKind.BUSINESS, surname="Y")
    assert _ids(kit.reports.overview(STAFF).items) == [abel.id, firm.id, zed.id]


def test_registration_gives_a_personal_customer_the_family_name(
    make_kit: KitFactory, store: Store
) -> None:
    """A personal customer made by registration sorts by the registrant's family name."""
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), personal_customer=True), store=store)
    user = made(
        kit.registration.register(
            email="rita@example.com",
            password="correct horse battery",
            birth_date=BIRTH_DATE,
            given_name="Rita",
            family_name="Aalto",
        )
    )
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert (customer.kind, customer.surname) == (CustomerKind.PERSONAL, "Aalto")


def test_address_changes_of_a_company_name_the_changed_lines(kit: AccountKit) -> None:
    """Changing lines of a company address records which lines changed, never their text."""
    company = kit.customers.create(STAFF, name="Firma", kind=CustomerKind.BUSINESS)
    address = Address(
        name="Einkauf", street="Weg 1", postal_code="10115", city="Berlin", country="DE"
    )
    kit.customers.set_company_details(OPERATOR, company.id, bill_to=address)
    moved = attrs.evolve(address, street="Platz 2", city="Hamburg")
    kit.customers.set_company_details(OPERATOR, company.id, bill_to=moved, vat_id="DE123456789")
    event = kit.reports.history(company.id).items[-1]
    assert dict(event.data) == {
        "fields": "bill_to,vat_id",
        "bill_to": "street,city",
        "vat_id": "set",
    }
    assert "Platz" not in repr(dict(event.data)) and "Hamburg" not in repr(dict(event.data))


def test_overview_times_and_clock(kit: AccountKit, store: Store) -> None:
    """Orders a microsecond apart keep their order; dates come back as aware UTC."""
    customer = kit.customers.create(STAFF, name="Kunde")
    _orders(
        store,
        make_order(id="g1", placed_at=at(10)),
        make_order(id="g2", placed_at=at(10) + timedelta(microseconds=1)),
    )
    rows = kit.reports.overview(STAFF).items
    assert _ids(rows) == ["g2", "g1", customer.id]
    assert rows[0].date is not None and rows[0].date.utcoffset() == timedelta(0)


# --- through kit.orders.record_order -------------------------------------------------------


def test_recorded_orders_in_overview_summary_and_history(
    make_kit: KitFactory, store: Store
) -> None:
    """Orders recorded by the checkout: a signed-in one dates its customer and counts in
    its summary and history; a guest-account order, a NO_ACCOUNT order and a checkout with
    a full user's address are NOT_REGISTERED rows that never count for a customer; a
    status change keeps a cancelled order in the summary."""
    channels = [
        SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL),
        SalesChannel("plain", ShopPolicy.site_builder(), base_url=BASE_URL),
    ]
    kit = make_kit(store=store, channels=channels)
    family = kit.customers.create(STAFF, name="Familie Lovelace", surname="Lovelace")
    ada = made(
        kit.registration.register(
            email="ada@example.com",
            password="correct horse battery",
            birth_date=BIRTH_DATE,
            given_name="Ada",
            family_name="Lovelace",
        )
    )
    kit.customers.assign_user(STAFF, ada.id, family.id, "member")

    def record(order_id: str, seconds: float, **extra: object) -> Order:
        return kit.orders.record_order(
            order_id=order_id,
            number=f"N-{order_id}",
            channel=str(extra.pop("channel", "web")),
            placed_at=at(seconds),
            total=Decimal("10.00"),
            currency="EUR",
            **extra,  # type: ignore[arg-type]
        )

    record("signed", 10, user_id=ada.id)
    guest_order = record("guest", 20, guest=_guest("Hopper"))
    record("plain", 30, channel="plain", guest=_guest("Zuse", "Konrad"))
    record(
        "known", 40, guest=GuestContact(email="ada@example.com", given_name="A", family_name="L")
    )
    kit.orders.set_status("signed", OrderStatus.CANCELLED, actor=STAFF)
    rows = kit.reports.overview(STAFF).items
    assert [(r.status, _ids([r])[0]) for r in rows] == [
        (CustomerStatus.NOT_REGISTERED, "known"),
        (CustomerStatus.NOT_REGISTERED, "plain"),
        (CustomerStatus.NOT_REGISTERED, "guest"),
        (CustomerStatus.REGISTERED, family.id),
    ]
    assert guest_order.user_id is not None
    assert rows[-1].date == at(10)
    summary = kit.reports.order_summary(family.id)
    assert [(c.total, c.count) for c in summary.currencies] == [(Decimal("10.00"), 1)]
    assert summary.last_orders[0].status is OrderStatus.CANCELLED
    kinds = [e.kind for e in kit.reports.history(family.id).items]
    assert kinds[-2:] == [EventKind.ORDER_PLACED, EventKind.ORDER_STATUS_CHANGED]
