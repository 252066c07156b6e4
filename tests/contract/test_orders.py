"""Contract of OrderRepository (``tx.orders``): orders with their addresses, unique by id
and number, the customer's last order time, checked alike on every store."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from accountkit.domain import Address
from accountkit.domain.orders import GuestContact, Order, OrderStatus, sort_key
from accountkit.errors import (
    AccountKitError,
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    InvalidAmount,
    InvalidValue,
    OrderNotFound,
    OrderNumberTaken,
    ReadOnlyUnit,
    UnknownCurrency,
    UserNotFound,
)
from accountkit.storage import MemoryStore, Store
from accountkit.storage.sql import SqlStore
from tests.contract.factories import (
    Boom,
    add_customer,
    add_user,
    at,
    in_tx,
    make_address,
    make_order,
    make_signed_in_order,
    uid,
)


def _add(store: Store, *orders: Order) -> list[Order]:
    with store.transaction() as tx:
        return [tx.orders.add(order) for order in orders]


def _get(store: Store, order_id: str) -> Order | None:
    return in_tx(store, lambda tx: tx.orders.get(order_id))


def _sql(store: Store) -> SqlStore:
    assert isinstance(store, SqlStore)
    return store


def _customer_derived(store: Store, customer_id: str) -> tuple[datetime | None, bool]:
    """(last_order_at, has_test_order) as the store keeps them for the overview."""
    if isinstance(store, MemoryStore):
        data = store._data
        return data.last_order_at.get(customer_id), customer_id in data.has_test_order
    table = _sql(store).tables.customers
    with _sql(store).engine.connect() as conn:
        row = conn.execute(
            sa.select(table.c.last_order_at, table.c.has_test_order).where(
                table.c.id == customer_id
            )
        ).one()
    return row[0], bool(row[1])


def _stored_rows(store: Store, order_id: str) -> tuple[int, int]:
    """(order rows, address rows) of one order id, read beneath the API."""
    if isinstance(store, MemoryStore):
        data = store._data
        return int(order_id in data.orders), len(data.order_addresses.get(order_id, ()))
    tables = _sql(store).tables
    with _sql(store).engine.connect() as conn:
        counts = [
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(column == order_id)
            ).scalar_one()
            for table, column in (
                (tables.orders, tables.orders.c.id),
                (tables.addresses, tables.addresses.c.order_id),
            )
        ]
    return int(counts[0]), int(counts[1])


def _sql_sort_key(store: Store, order_id: str) -> str | None:
    """``orders.sort_key`` of a stored order (SQL stores only)."""
    orders = _sql(store).tables.orders
    with _sql(store).engine.connect() as conn:
        key = conn.execute(sa.select(orders.c.sort_key).where(orders.c.id == order_id)).scalar_one()
    return None if key is None else str(key)


# --- add and read ------------------------------------------------------------------------


def test_guest_order_round_trips(store: Store) -> None:
    """A guest order with both addresses comes back equal by id and by number."""
    order = make_order()
    assert _add(store, order) == [order]
    assert _get(store, order.id) == order
    assert in_tx(store, lambda tx: tx.orders.get_by_number(order.number)) == order


def test_signed_in_order_round_trips(store: Store) -> None:
    """A signed-in order of a user for a customer, without addresses, comes back equal."""
    user, customer = add_user(store), add_customer(store)
    order = make_signed_in_order(
        user.id,
        customer.id,
        billing=None,
        shipping=None,
        status=OrderStatus.PARTLY_RETURNED,
        test_order=True,
        version=3,
    )
    _add(store, order)
    assert _get(store, order.id) == order


@pytest.mark.parametrize("which", ["billing", "shipping"])
def test_an_order_with_one_address_keeps_only_that_one(store: Store, which: str) -> None:
    """An order with only a billing (or only a shipping) address reads back so."""
    order = make_order(**{which: None})
    _add(store, order)
    assert _get(store, order.id) == order


def test_total_and_times_are_stored_in_one_form(store: Store) -> None:
    """9.9 EUR is kept as 9.90, JPY without places, and times come back in UTC."""
    zone = timezone(timedelta(hours=2))
    euro = make_order(total=Decimal("9.9"), placed_at=at(5).astimezone(zone))
    yen = make_order(total=Decimal("1200"), currency="JPY", updated_at=at(6).astimezone(zone))
    zero = make_order(total=Decimal("-0.000"), currency="BHD")
    returned = _add(store, euro, yen, zero)
    for order in returned + [_get(store, o.id) for o in (euro, yen, zero)]:
        assert order is not None
        assert order.placed_at.utcoffset() == timedelta(0)
        assert order.updated_at.utcoffset() == timedelta(0)
    stored = [_get(store, o.id) for o in (euro, yen, zero)]
    assert [str(o.total) for o in stored if o] == ["9.90", "1200", "0.000"]
    assert returned == stored
    assert stored[0] is not None and stored[0].placed_at == at(5)


def test_unknown_orders_are_none(store: Store) -> None:
    """An unknown id or number, or one that cannot be stored, finds nothing."""
    _add(store, make_order())
    with store.transaction(readonly=True) as tx:
        for key in (uid("ord"), "bad\x00id", "\ud800", "x" * 500):
            assert tx.orders.get(key) is None
            assert tx.orders.get_by_number(key) is None


def test_a_taken_id_or_number_is_refused(store: Store) -> None:
    """A second order with an existing id or number raises OrderNumberTaken; the unit
    stays usable and the first order is unchanged."""
    first = make_order()
    _add(store, first)
    with store.transaction() as tx:
        with pytest.raises(OrderNumberTaken):
            tx.orders.add(make_order(id=first.id))
        with pytest.raises(OrderNumberTaken):
            tx.orders.add(make_order(number=first.number, total=Decimal("1.00")))
        other = tx.orders.add(make_order())
    assert _get(store, first.id) == first
    assert _get(store, other.id) == other


def test_concurrent_inserts_of_one_number_let_one_win(store: Store) -> None:
    """Four units on four threads add orders of one number at once: exactly one wins, the
    others get OrderNumberTaken."""
    number = f"O-{uid('race')[-12:]}"
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def place() -> None:
        barrier.wait()
        try:
            in_tx(store, lambda tx: tx.orders.add(make_order(number=number)))
            result = "ok"
        except AccountKitError as exc:
            result = exc.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=place) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["order_number_taken"] * 3


def test_orders_of_unknown_users_or_customers_are_refused(store: Store) -> None:
    """A user or customer id that names nobody raises UserNotFound / CustomerNotFound
    and stores nothing."""
    user, customer = add_user(store), add_customer(store)
    cases: list[tuple[dict[str, Any], type[AccountKitError]]] = [
        ({"user_id": uid("usr")}, UserNotFound),
        ({"user_id": "u" * 65}, UserNotFound),
        ({"user_id": "bad\x00id"}, UserNotFound),
        ({"user_id": user.id, "customer_id": uid("cus")}, CustomerNotFound),
        ({"user_id": user.id, "customer_id": "c" * 65}, CustomerNotFound),
        ({"customer_id": customer.id, "user_id": uid("usr")}, UserNotFound),
    ]
    for changes, error in cases:
        order = make_signed_in_order(**{"user_id": None, "customer_id": None} | changes)
        with pytest.raises(error):
            _add(store, order)
        assert _stored_rows(store, order.id) == (0, 0)


_TOO_LONG_KEY = make_address(
    name="ß" * 200, street="ß" * 200, city="ß" * 200, company="ß" * 200, extra="ß" * 200
)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "i" * 65}, "id"),
        ({"number": ""}, "number"),
        ({"number": "n\x00"}, "number"),
        ({"number": "n" * 65}, "number"),
        ({"channel": "\ud800"}, "channel"),
        ({"status": "placed"}, "status"),
        ({"test_order": 1}, "test_order"),
        ({"signed_in": None}, "signed_in"),
        ({"erased": "no"}, "erased"),
        ({"placed_at": datetime(2025, 1, 1)}, "placed_at"),
        ({"updated_at": "2025-01-01"}, "updated_at"),
        ({"guest": "Grace"}, "guest"),
        (
            {"guest": GuestContact(email="e" * 321, given_name="G", family_name="H")},
            "guest.email",
        ),
        (
            {"guest": GuestContact(email="g@example.com", given_name="G" * 201, family_name="H")},
            "guest.given_name",
        ),
        (
            {"guest": GuestContact(email="g@example.com", given_name="G", family_name="\x00")},
            "guest.family_name",
        ),
        ({"billing": "Main St 1"}, "billing"),
        ({"billing": make_address(street="s" * 201)}, "billing.street"),
        ({"shipping": make_address(postal_code="1" * 17)}, "shipping.postal_code"),
        ({"shipping": make_address(country="DEU")}, "shipping.country"),
        ({"shipping": make_address(extra="\ud800")}, "shipping.extra"),
        ({"billing": make_address(company=5)}, "billing.company"),
        ({"billing": _TOO_LONG_KEY}, "billing"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_unstorable_orders_are_refused_alike(
    store: Store, changes: dict[str, Any], field: str
) -> None:
    """An order no store can keep raises InvalidValue naming the field, on every store,
    and leaves no row."""
    order = make_order(**changes)
    with pytest.raises(InvalidValue) as info:
        _add(store, order)
    assert info.value.field == field
    if isinstance(order.id, str) and order.id:
        assert _stored_rows(store, order.id) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"currency": "eur"}, UnknownCurrency),
        ({"currency": "XXX"}, UnknownCurrency),
        ({"currency": None}, UnknownCurrency),
        ({"total": 9.9}, InvalidAmount),
        ({"total": Decimal("-0.01")}, InvalidAmount),
        ({"total": Decimal("NaN")}, InvalidAmount),
        ({"total": Decimal("0.001")}, InvalidAmount),
        ({"total": Decimal("1" * 17)}, InvalidAmount),
    ],
    ids=repr,
)
def test_bad_money_is_refused_alike(
    store: Store, changes: dict[str, Any], error: type[AccountKitError]
) -> None:
    """An unknown currency or an invalid total raises the same error on every store."""
    order = make_order(**changes)
    with pytest.raises(error):
        _add(store, order)
    assert _get(store, order.id) is None


def test_a_guest_order_keeps_the_family_name_sort_key(store: Store) -> None:
    """A guest order's sort key is the guest's family name's; a signed-in order has none."""
    user = add_user(store)
    guest = make_order()
    signed_in = make_signed_in_order(user.id, None)
    _add(store, guest, signed_in)
    if isinstance(store, MemoryStore):
        return  # MemoryStore derives it from the guest when it is needed
    assert guest.guest is not None
    assert _sql_sort_key(store, guest.id) == sort_key(guest.guest.family_name)
    assert _sql_sort_key(store, signed_in.id) is None


# --- the customer's last order ----------------------------------------------------------


def test_signed_in_orders_move_last_order_at_forward_only(store: Store) -> None:
    """A customer's last order time is the latest signed-in order's; an earlier order
    never lowers it, and the customer's version stays."""
    user, customer = add_user(store), add_customer(store)
    assert _customer_derived(store, customer.id) == (None, False)
    _add(store, make_signed_in_order(user.id, customer.id, placed_at=at(100)))
    assert _customer_derived(store, customer.id) == (at(100), False)
    _add(store, make_signed_in_order(user.id, customer.id, placed_at=at(50)))
    assert _customer_derived(store, customer.id) == (at(100), False)
    _add(store, make_signed_in_order(user.id, customer.id, placed_at=at(100.000001)))
    assert _customer_derived(store, customer.id) == (at(100.000001), False)
    stored = in_tx(store, lambda tx: tx.customers.get(customer.id))
    assert stored == customer


def test_a_test_order_flags_the_customer(store: Store) -> None:
    """A signed-in test order sets the customer's test-order flag; later orders keep it."""
    user, customer = add_user(store), add_customer(store)
    _add(store, make_signed_in_order(user.id, customer.id, test_order=True, placed_at=at(1)))
    assert _customer_derived(store, customer.id) == (at(1), True)
    _add(store, make_signed_in_order(user.id, customer.id, placed_at=at(2)))
    assert _customer_derived(store, customer.id) == (at(2), True)


def test_not_signed_in_orders_leave_the_customer_alone(store: Store) -> None:
    """An order placed without signing in does not count for a customer, even one that
    names the customer."""
    customer = add_customer(store)
    _add(store, make_order(customer_id=customer.id, test_order=True))
    assert _customer_derived(store, customer.id) == (None, False)


def test_concurrent_orders_keep_the_latest_time(store: Store) -> None:
    """Orders of one customer added on four threads at once leave the latest time."""
    user, customer = add_user(store), add_customer(store)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def place(seconds: int) -> None:
        barrier.wait()
        try:
            order = make_signed_in_order(user.id, customer.id, placed_at=at(seconds))
            in_tx(store, lambda tx: tx.orders.add(order))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=place, args=(s,)) for s in (40, 10, 30, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _customer_derived(store, customer.id)[0] == at(40)


# --- update ------------------------------------------------------------------------------


def test_update_changes_the_status_and_raises_the_version(store: Store) -> None:
    """A status change is stored with the version raised by one."""
    order = _add(store, make_order())[0]
    changed = attrs.evolve(order, status=OrderStatus.CANCELLED, updated_at=at(90))
    new = in_tx(store, lambda tx: tx.orders.update(changed))
    assert new == attrs.evolve(changed, version=order.version + 1)
    assert _get(store, order.id) == new


def test_update_keeps_what_was_recorded(store: Store) -> None:
    """Number, time, amount, user, customer and flags stay as recorded on update."""
    user, customer = add_user(store), add_customer(store)
    order = _add(store, make_signed_in_order(user.id, customer.id))[0]
    other_user, other_customer = add_user(store), add_customer(store)
    tampered = attrs.evolve(
        order,
        number="O-other",
        channel="shop2",
        placed_at=at(999),
        total=Decimal("1.00"),
        currency="SEK",
        test_order=True,
        signed_in=False,
        user_id=other_user.id,
        customer_id=other_customer.id,
        status=OrderStatus.RETURNED,
    )
    new = in_tx(store, lambda tx: tx.orders.update(tampered))
    assert new == attrs.evolve(order, status=OrderStatus.RETURNED, version=order.version + 1)
    assert _get(store, order.id) == new
    assert in_tx(store, lambda tx: tx.orders.get_by_number("O-other")) is None


def test_update_rewrites_guest_and_replaces_addresses(store: Store) -> None:
    """An erasure-like update rewrites the guest and the addresses; the old address rows
    are gone and the user's addresses are the new ones."""
    user = add_user(store)
    order = _add(store, make_order(user_id=user.id))[0]
    blank = Address(name="erased", street="erased", postal_code="0", city="erased", country="DE")
    erased = attrs.evolve(
        order,
        guest=GuestContact(email="erased", given_name="erased", family_name="erased"),
        billing=blank,
        shipping=None,
        erased=True,
    )
    new = in_tx(store, lambda tx: tx.orders.update(erased))
    assert _get(store, order.id) == new == attrs.evolve(erased, version=1)
    assert in_tx(store, lambda tx: tx.orders.addresses_for_user(user.id)) == [blank]
    assert _stored_rows(store, order.id) == (1, 1)
    if not isinstance(store, MemoryStore):
        assert _sql_sort_key(store, order.id) == sort_key("erased")


def test_update_with_a_stale_version_is_refused(store: Store) -> None:
    """An update based on an older read raises ConcurrentUpdate and changes nothing."""
    order = _add(store, make_order())[0]
    first = in_tx(
        store, lambda tx: tx.orders.update(attrs.evolve(order, status=OrderStatus.CANCELLED))
    )
    with pytest.raises(ConcurrentUpdate):
        in_tx(store, lambda tx: tx.orders.update(attrs.evolve(order, billing=None)))
    assert _get(store, order.id) == first


def test_update_of_an_unknown_order_is_refused(store: Store) -> None:
    """An update of an order that is not stored raises OrderNotFound."""
    with pytest.raises(OrderNotFound):
        in_tx(store, lambda tx: tx.orders.update(make_order()))


def test_update_checks_the_order_like_add(store: Store) -> None:
    """An update with an address no store can keep raises InvalidValue and changes nothing."""
    order = _add(store, make_order())[0]
    with pytest.raises(InvalidValue) as info:
        in_tx(
            store,
            lambda tx: tx.orders.update(attrs.evolve(order, billing=make_address(city="c" * 201))),
        )
    assert info.value.field == "billing.city"
    assert _get(store, order.id) == order


# --- per user ----------------------------------------------------------------------------


def test_for_user_lists_the_users_orders_oldest_first(store: Store) -> None:
    """A user's orders come oldest first, equal times by id; others' orders are not there."""
    user, other = add_user(store), add_user(store)
    late = make_order(user_id=user.id, placed_at=at(300))
    tie_a, tie_b = (make_order(user_id=user.id, placed_at=at(100), id=f"ord-{c}") for c in "ba")
    signed_in = make_signed_in_order(user.id, None, placed_at=at(200))
    _add(store, late, tie_a, signed_in, tie_b, make_order(user_id=other.id), make_order())
    orders = in_tx(store, lambda tx: tx.orders.for_user(user.id))
    assert [o.id for o in orders] == ["ord-a", "ord-b", signed_in.id, late.id]
    assert in_tx(store, lambda tx: tx.orders.for_user(uid("usr"))) == []
    assert in_tx(store, lambda tx: tx.orders.for_user("bad\x00")) == []


def test_addresses_for_user_are_newest_first_with_duplicates(store: Store) -> None:
    """A user's stored addresses come newest first, shipping before billing within an
    order, duplicates included; other users' addresses are not there."""
    user, other = add_user(store), add_user(store)
    home = make_address()
    office = make_address(street="Büroweg 2", company=None)
    depot = make_address(street="Depotstr. 7", extra=None)
    _add(
        store,
        make_order(user_id=user.id, placed_at=at(10), billing=home, shipping=office),
        make_order(user_id=user.id, placed_at=at(30), billing=home, shipping=None),
        make_signed_in_order(user.id, None, placed_at=at(20), billing=None, shipping=depot),
        make_order(user_id=other.id, placed_at=at(40), billing=office, shipping=None),
        make_order(placed_at=at(50)),
    )
    found = in_tx(store, lambda tx: tx.orders.addresses_for_user(user.id))
    assert found == [home, depot, office, home]
    assert in_tx(store, lambda tx: tx.orders.addresses_for_user(uid("usr"))) == []


# --- units -------------------------------------------------------------------------------


def test_read_only_unit_refuses_order_writes(store: Store) -> None:
    """A read-only unit refuses add and update with ReadOnlyUnit; nothing is stored."""
    stored = _add(store, make_order())[0]
    fresh = make_order()
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
        tx.orders.add(fresh)
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
        tx.orders.update(attrs.evolve(stored, status=OrderStatus.CANCELLED))
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
        tx.orders.add("not even an order")  # type: ignore[arg-type]
    assert _get(store, fresh.id) is None
    assert _get(store, stored.id) == stored


def test_read_only_unit_reads_orders(store: Store) -> None:
    """Every read works in a read-only unit (the raw SQLite read path included)."""
    user = add_user(store)
    order = _add(store, make_order(user_id=user.id))[0]
    with store.transaction(readonly=True) as tx:
        assert tx.orders.get(order.id) == order
        assert tx.orders.get_by_number(order.number) == order
        assert tx.orders.for_user(user.id) == [order]
        assert tx.orders.addresses_for_user(user.id) == [order.shipping, order.billing]


def test_nested_unit_rollback_leaves_no_order_and_no_address(store: Store) -> None:
    """An order added in a nested unit that raises leaves no order, no address row and no
    customer change; the outer unit goes on and commits its own order."""
    user, customer = add_user(store), add_customer(store)
    undone = make_signed_in_order(
        user.id, customer.id, test_order=True, billing=make_address(), shipping=make_address()
    )
    kept = make_order()
    with store.transaction() as tx:
        with pytest.raises(Boom), store.transaction() as inner:
            inner.orders.add(undone)
            raise Boom
        tx.orders.add(kept)
    assert _stored_rows(store, undone.id) == (0, 0)
    assert in_tx(store, lambda tx: tx.orders.addresses_for_user(user.id)) == []
    assert _customer_derived(store, customer.id) == (None, False)
    assert _get(store, kept.id) == kept


def test_rolled_back_update_restores_the_addresses(store: Store) -> None:
    """An update in a unit that fails leaves the order and its address rows as they were."""
    user = add_user(store)
    order = _add(store, make_order(user_id=user.id))[0]
    with pytest.raises(Boom), store.transaction() as tx:
        tx.orders.update(attrs.evolve(order, billing=None, shipping=None))
        raise Boom
    assert _get(store, order.id) == order
    assert in_tx(store, lambda tx: tx.orders.addresses_for_user(user.id)) == [
        order.shipping,
        order.billing,
    ]


def test_users_and_customers_with_orders_stay(store: Store) -> None:
    """A user or a customer that orders refer to cannot be removed (ConflictError)."""
    user, customer = add_user(store), add_customer(store)
    _add(store, make_signed_in_order(user.id, customer.id))
    with pytest.raises(ConflictError):
        in_tx(store, lambda tx: tx.users.remove(user.id))
    with pytest.raises(ConflictError):
        in_tx(store, lambda tx: tx.customers.remove(customer.id))
    assert in_tx(store, lambda tx: tx.users.get(user.id)) == user
    assert in_tx(store, lambda tx: tx.customers.get(customer.id)) == customer
