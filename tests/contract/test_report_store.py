"""Contract of the reports' store operations on every store: history pages, the overview per
row kind, a customer's orders and totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import attrs
import pytest

from accountkit.domain import CustomerKind, Event
from accountkit.domain.orders import GuestContact, Order, OrderStatus, sort_key
from accountkit.errors import ReadOnlyUnit
from accountkit.storage import CurrencyTotal, OverviewEntry, OverviewKey, Store, Transaction
from tests.contract.factories import (
    add_customer,
    add_user,
    at,
    in_tx,
    make_event,
    make_group,
    make_order,
    make_signed_in_order,
    uid,
)

T = TypeVar("T")

HOSTILE = ["", "\x00", "a\x00b", "\ud800", "x" * 10_000]


def _add_orders(store: Store, *orders: Order) -> None:
    with store.transaction() as tx:
        for order in orders:
            tx.orders.add(order)


def _read(store: Store, work: Callable[[Transaction], T]) -> T:
    """Run a read in a read-only unit (the raw read path on SQLite files)."""
    with store.transaction(readonly=True) as tx:
        return work(tx)


def _guest(family: str, given: str = "Grace", email: str = "grace@example.com") -> GuestContact:
    return GuestContact(email=email, given_name=given, family_name=family)


# --- history pages ----------------------------------------------------------------------


def _append(store: Store, events: list[Event]) -> None:
    with store.transaction() as tx:
        for event in events:
            tx.events.append(event)


def test_history_pages_follow_the_append_order(store: Store) -> None:
    """Pages of a customer's and a user's events come in append order, also for events of
    one instant, and an after-id starts just behind that event."""
    customer, user = add_customer(store), add_user(store)
    other = add_customer(store)
    mine = [make_event(customer_id=customer.id, user_id=user.id, at=at(5)) for _ in range(5)]
    _append(store, [mine[0], make_event(customer_id=other.id), *mine[1:]])

    def pages(owner: str, *, by_user: bool) -> list[list[str]]:
        found: list[list[str]] = []
        after: str | None = None
        while True:
            page = _read(
                store,
                lambda tx, a=after: (  # type: ignore[misc]
                    tx.events.page_for_user(owner, after=a, limit=2)
                    if by_user
                    else tx.events.page_for_customer(owner, after=a, limit=2)
                ),
            )
            assert isinstance(page, list)
            found.append([e.id for e in page])
            if len(page) < 2:
                return found
            after = page[-1].id

    expected = [[e.id for e in mine[:2]], [e.id for e in mine[2:4]], [mine[4].id]]
    assert pages(customer.id, by_user=False) == expected
    assert pages(user.id, by_user=True) == expected
    stored = in_tx(store, lambda tx: tx.events.page_for_customer(customer.id, after=None, limit=9))
    assert list(stored) == mine


def test_history_page_after_an_event_of_someone_else_is_empty(store: Store) -> None:
    """An after-id that is not one of this customer's events, unknown or hostile, gives
    nothing; hostile owners give nothing."""
    customer, other = add_customer(store), add_customer(store)
    theirs = make_event(customer_id=other.id)
    _append(store, [make_event(customer_id=customer.id), theirs])
    with store.transaction(readonly=True) as tx:
        for after in [theirs.id, uid("evt"), *HOSTILE]:
            assert list(tx.events.page_for_customer(customer.id, after=after, limit=5)) == []
        for owner in HOSTILE:
            assert list(tx.events.page_for_user(owner, after=None, limit=5)) == []


# --- the overview: customers -------------------------------------------------------------


def _customers(
    store: Store,
    after: OverviewKey | None = None,
    *,
    text: str | None = None,
    group_id: str | None = None,
) -> list[str]:
    found = _read(
        store,
        lambda tx: tx.customers.overview(after=after, text=text, group_id=group_id, limit=100),
    )
    assert isinstance(found, list)
    return [e.id for e in found]


def test_customers_newest_order_first_ties_by_sort_key_and_undated_last(store: Store) -> None:
    """Customers with signed-in orders come newest first, equal dates by sort key (surname,
    else name, case-folded) then id; customers without orders last, by sort key then id;
    a not-signed-in order dates nobody."""
    user = add_user(store)
    zeta = add_customer(store, kind=CustomerKind.PERSONAL, name="Familie Zeta", surname="Zeta")
    alpha = add_customer(store, kind=CustomerKind.PERSONAL, name="Familie Z", surname="ALPHA")
    beta = add_customer(store, name="Beta GmbH")
    newest = add_customer(store, name="Zulu AG")
    lone_z = add_customer(store, name="zz")
    lone_a = add_customer(store, name="Aa", number=None)
    lone_a2 = add_customer(store, name="aa", number=None)
    _add_orders(
        store,
        make_signed_in_order(user.id, zeta.id, placed_at=at(100)),
        make_signed_in_order(user.id, alpha.id, placed_at=at(100)),
        make_signed_in_order(user.id, beta.id, placed_at=at(100)),
        make_signed_in_order(user.id, newest.id, placed_at=at(200)),
        make_signed_in_order(user.id, zeta.id, placed_at=at(50)),
        make_order(placed_at=at(300)),
    )
    entries = _read(store, lambda tx: tx.customers.overview(after=None, limit=100))
    assert isinstance(entries, list)
    by_id = {e.id: e for e in entries}
    assert by_id[newest.id].date == at(200)
    assert by_id[zeta.id] == OverviewEntry(
        at(100), "zeta", zeta.id, zeta.number, "Familie Zeta", None, False
    )
    assert by_id[lone_z.id].date is None
    dated = [newest.id, alpha.id, beta.id, zeta.id]
    undated = [*sorted([lone_a.id, lone_a2.id]), lone_z.id]
    assert [e.id for e in entries] == dated + undated


def test_customer_pages_start_after_any_position(store: Store) -> None:
    """After a dated position the rest of the dated rows, then the undated; after an undated
    position only undated rows behind it; a rename moves a customer by its new sort key."""
    user = add_user(store)
    made = [add_customer(store, name=f"Kunde {i}") for i in range(6)]
    _add_orders(
        store,
        *(
            make_signed_in_order(user.id, c.id, placed_at=at(10 * (i % 3)))
            for i, c in enumerate(made[:4])
        ),
    )
    everything = _customers(store)
    assert len(everything) == 6
    entries = _read(store, lambda tx: tx.customers.overview(after=None, limit=100))
    assert isinstance(entries, list)
    for i, entry in enumerate(entries):
        key = OverviewKey(entry.date, entry.sort_key, entry.id)
        assert _customers(store, key) == everything[i + 1 :]
    renamed = in_tx(store, lambda tx: tx.customers.get(made[5].id))
    assert renamed is not None
    in_tx(store, lambda tx: tx.customers.update(attrs.evolve(renamed, name="AAA first")))
    assert _customers(store)[-2:] == [made[5].id, made[4].id]


def test_customer_filters_text_and_group(store: Store) -> None:
    """Text matches the name or the number exactly (case-sensitive, % and _ plain); a group
    keeps its customers; hostile texts and groups match nothing."""
    group = make_group()
    in_tx(store, lambda tx: tx.groups.add(group))
    firm = add_customer(store, name="Öko_Hof GmbH", number="K-77", group_id=group.id)
    other = add_customer(store, name="Oeko 50% AG", number="K-78")
    assert _customers(store, text="Öko_Hof") == [firm.id]
    assert _customers(store, text="öko") == []
    assert _customers(store, text="K-7") == [other.id, firm.id]  # "oeko" < "öko"
    assert _customers(store, text="%") == [other.id]
    assert _customers(store, group_id=group.id) == [firm.id]
    assert _customers(store, group_id=group.id, text="Oeko") == []
    for hostile in HOSTILE[1:]:
        assert _customers(store, text=hostile) == []
        assert _customers(store, group_id=hostile) == []


def test_has_test_order_comes_from_signed_in_test_orders(store: Store) -> None:
    """A customer's flag is set by a signed-in test order of its own."""
    user = add_user(store)
    tested, plain = add_customer(store), add_customer(store)
    _add_orders(
        store,
        make_signed_in_order(user.id, tested.id, test_order=True),
        make_signed_in_order(user.id, plain.id),
        make_order(test_order=True),
    )
    entries = _read(store, lambda tx: tx.customers.overview(after=None, limit=9))
    assert isinstance(entries, list)
    assert {e.id: e.has_test_order for e in entries} == {tested.id: True, plain.id: False}


# --- the overview: orders placed without signing in -----------------------------------------


def _guests(
    store: Store,
    after: OverviewKey | None = None,
    *,
    or_equal: bool = False,
    text: str | None = None,
) -> list[str]:
    found = _read(
        store,
        lambda tx: tx.orders.guest_overview(after=after, or_equal=or_equal, text=text, limit=100),
    )
    assert isinstance(found, list)
    return [e.id for e in found]


def test_guest_orders_newest_first_ties_by_family_name_then_order_id(store: Store) -> None:
    """Only orders placed without signing in (also of guest accounts) appear, newest first,
    equal times by the family name's sort key, then order id by code point."""
    user, customer = add_user(store), add_customer(store)
    guest_user = add_user(store)
    ids = ["b", "a", "ä", "Z"]
    orders = [
        make_order(id=ids[0], placed_at=at(10), guest=_guest("Hopper")),
        make_order(id=ids[1], placed_at=at(10), guest=_guest("hopper")),
        make_order(id=ids[2], placed_at=at(10), guest=_guest("Hopper")),
        make_order(id=ids[3], placed_at=at(10), guest=_guest("Ärger")),
        make_order(id="late", placed_at=at(20), guest=_guest("Zuse"), user_id=guest_user.id),
        make_signed_in_order(user.id, customer.id, placed_at=at(30)),
    ]
    _add_orders(store, *orders)
    assert _guests(store) == ["late", "a", "b", "ä", "Z"]
    entries = _read(store, lambda tx: tx.orders.guest_overview(after=None, limit=1))
    assert entries == [
        OverviewEntry(
            at(20),
            sort_key("Zuse"),
            "late",
            orders[4].number,
            "Grace Zuse",
            "grace@example.com",
            False,
        )
    ]
    key = OverviewKey(at(10), "hopper", "b")
    assert _guests(store, key) == ["ä", "Z"]
    assert _guests(store, key, or_equal=True) == ["b", "ä", "Z"]
    assert _guests(store, OverviewKey(None, "", "")) == []


def test_guest_order_text_matches_names_and_email(store: Store) -> None:
    """Text matches a guest's given name, family name or e-mail address exactly."""
    ada = make_order(guest=_guest("Lovelace", "Ada", "ada.l@example.com"))
    bob = make_order(guest=_guest("Byron", "Bob", "bob@example.org"))
    _add_orders(store, ada, bob)
    assert _guests(store, text="Ada") == [ada.id]
    assert _guests(store, text="Byron") == [bob.id]
    assert _guests(store, text="example.org") == [bob.id]
    assert _guests(store, text="ada.L") == []
    for hostile in HOSTILE[1:]:
        assert _guests(store, text=hostile) == []


# --- a customer's orders and totals -----------------------------------------------------------


def test_totals_are_exact_per_currency_over_every_signed_in_order(store: Store) -> None:
    """Sums are exact per currency (also past 64 bits of minor units), count every status and
    test orders, and leave out other customers' and not-signed-in orders."""
    user, customer, other = add_user(store), add_customer(store), add_customer(store)
    biggest = Decimal("999999999999999999")
    _add_orders(
        store,
        make_signed_in_order(user.id, customer.id, total=Decimal("0.10")),
        make_signed_in_order(user.id, customer.id, total=Decimal("0.20"), test_order=True),
        make_signed_in_order(user.id, customer.id, total=Decimal(5), status=OrderStatus.CANCELLED),
        *(
            make_signed_in_order(user.id, customer.id, total=biggest, currency="JPY")
            for _ in range(11)
        ),
        make_signed_in_order(user.id, other.id, total=Decimal(7)),
        make_order(total=Decimal(9)),
    )
    totals = _read(store, lambda tx: tx.orders.totals_for_customer(customer.id))
    assert totals == [
        CurrencyTotal("EUR", Decimal("5.30"), 3),
        CurrencyTotal("JPY", biggest * 11, 11),
    ]
    assert [str(t.total) for t in totals] == ["5.30", str(biggest * 11)]
    with store.transaction(readonly=True) as tx:
        assert tx.orders.totals_for_customer(uid("cus")) == []
        for hostile in HOSTILE:
            assert tx.orders.totals_for_customer(hostile) == []


def test_customer_orders_page_newest_first_ties_by_id_descending(store: Store) -> None:
    """A customer's signed-in orders come newest first, equal times by order id descending
    in code point order, with their addresses; ``latest`` is the first page."""
    user, customer = add_user(store), add_customer(store)
    orders = [
        make_signed_in_order(user.id, customer.id, id=order_id, placed_at=at(seconds))
        for order_id, seconds in [("a", 10), ("Z", 10), ("ä", 10), ("b", 20), ("c", 5)]
    ]
    _add_orders(store, *orders, make_order(placed_at=at(99)))
    by_id = {o.id: o for o in orders}
    expected = ["b", "ä", "a", "Z", "c"]
    assert _read(store, lambda tx: tx.orders.latest(customer.id, 3)) == [
        by_id[i] for i in expected[:3]
    ]
    seen: list[str] = []
    after: tuple[datetime, str] | None = None
    while True:
        page = _read(
            store,
            lambda tx, a=after: tx.orders.page_for_customer(  # type: ignore[misc]
                customer.id, after=a, limit=2
            ),
        )
        assert isinstance(page, list)
        seen += [o.id for o in page]
        if len(page) < 2:
            break
        after = (page[-1].placed_at, page[-1].id)
    assert seen == expected
    with store.transaction(readonly=True) as tx:
        for hostile in HOSTILE:
            assert tx.orders.latest(hostile, 3) == []


@pytest.mark.parametrize(
    "read",
    [
        lambda tx: tx.customers.overview(after=None, limit=1),
        lambda tx: tx.orders.guest_overview(after=None, limit=1),
        lambda tx: tx.orders.totals_for_customer("cus_x"),
        lambda tx: tx.events.page_for_user("usr_x", after=None, limit=1),
    ],
)
def test_report_reads_never_write(store: Store, read: object) -> None:
    """The reports' operations are reads: a read-only unit runs them and stays writable
    for nothing."""
    with store.transaction(readonly=True) as tx:
        read(tx)  # type: ignore[operator]
        with pytest.raises(ReadOnlyUnit):
            tx.events.append(make_event())
