"""kit.orders on every store: recording orders signed in and not, guest checkout per policy,
status changes, address suggestions, the address rule and the contract purpose."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Address,
    ContactPurpose,
    CustomerKind,
    Event,
    EventKind,
    GuestCheckout,
    GuestContact,
    Order,
    OrderStatus,
    SalesChannel,
    ShopPolicy,
    UserTier,
)
from accountkit.errors import (
    AccountKitError,
    AddressNotAllowed,
    ChannelNotFound,
    CustomerNotFound,
    InvalidAmount,
    InvalidEmail,
    InvalidFields,
    InvalidName,
    InvalidValue,
    MissingField,
    NotAMember,
    NotPermitted,
    OrderNotFound,
    OrderNumberTaken,
    UnknownCurrency,
    UserDisabled,
    UserNotFound,
)
from accountkit.services.users import ImportedUser
from accountkit.storage import Store
from tests.conftest import KitFactory
from tests.helpers import BASE_URL, OPERATOR, full_user

PLACED = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
HOME = Address(
    name="Tom Lee", street="Ringstraße 4", postal_code="10115", city="Berlin", country="DE"
)


def _guest(email: str = "tom@example.com") -> GuestContact:
    return GuestContact(email=email, given_name="Tom", family_name="Lee")


def _record(kit: AccountKit, n: int = 1, **changes: Any) -> Order:
    """Record order ``o-<n>`` / number ``1000<n>`` (a guest's, unless changed)."""
    args: dict[str, Any] = {
        "order_id": f"o-{n}",
        "number": f"1000{n}",
        "channel": "web",
        "placed_at": PLACED + timedelta(minutes=n),
        "total": Decimal("59.90"),
        "currency": "EUR",
        "guest": _guest(),
    }
    if "user_id" in changes:
        args.pop("guest")
    return kit.orders.record_order(**(args | changes))


def _kinds(events: Sequence[Event]) -> list[EventKind]:
    return [e.kind for e in events]


def _order_events(
    kit: AccountKit, *, user_id: str | None = None, customer_id: str | None = None
) -> list[Event]:
    """The order events of a user's history, or else of a customer's."""
    if user_id is not None:
        events = kit.reports.user_history(user_id).items
    else:
        assert customer_id is not None
        events = kit.reports.history(customer_id).items
    wanted = (EventKind.ORDER_PLACED, EventKind.ORDER_STATUS_CHANGED)
    return [e for e in events if e.kind in wanted]


# --- signed in -------------------------------------------------------------------------


def test_a_signed_in_order_is_the_users_and_their_active_companys(kit: AccountKit) -> None:
    """A signed-in order belongs to the user and their active customer, and both
    histories say ORDER_PLACED with amounts and flags, no name or address."""
    user_id = full_user(kit)
    customer = kit.customers.create(OPERATOR, name="Byron Ltd", kind=CustomerKind.BUSINESS)
    kit.customers.assign_user(OPERATOR, user_id, customer.id)
    order = _record(kit, user_id=user_id, billing=HOME, shipping=HOME, test_order=True)
    assert (order.signed_in, order.user_id, order.customer_id) == (True, user_id, customer.id)
    assert order.guest is None and order.billing == HOME
    assert kit.orders.get(order.id) == order
    for events in (
        _order_events(kit, user_id=user_id),
        _order_events(kit, customer_id=customer.id),
    ):
        assert [dict(e.data) for e in events] == [
            {
                "number": "10001",
                "total": "59.90",
                "currency": "EUR",
                "status": "placed",
                "test_order": "true",
                "signed_in": "true",
            }
        ]
        assert events[0].actor == Actor.system()


def test_a_signed_in_order_for_a_named_customer(kit: AccountKit, make_kit: KitFactory) -> None:
    """customer_id picks one of the user's customers; another customer is NotAMember, an
    unknown one CustomerNotFound."""
    user_id = full_user(kit)
    mine = kit.customers.create(OPERATOR, name="Mine", kind=CustomerKind.BUSINESS)
    other = kit.customers.create(OPERATOR, name="Other", kind=CustomerKind.BUSINESS)
    kit.customers.assign_user(OPERATOR, user_id, mine.id)
    assert _record(kit, user_id=user_id, customer_id=mine.id).customer_id == mine.id
    with pytest.raises(NotAMember):
        _record(kit, 2, user_id=user_id, customer_id=other.id)
    with pytest.raises(CustomerNotFound):
        _record(kit, 3, user_id=user_id, customer_id="cus_missing")
    assert _kinds(_order_events(kit, customer_id=other.id)) == []


def test_a_signed_in_order_without_a_customer(kit: AccountKit) -> None:
    """A user without a membership buys for no customer; the order is the user's."""
    user_id = full_user(kit)
    order = _record(kit, user_id=user_id)
    assert (order.user_id, order.customer_id, order.signed_in) == (user_id, None, True)
    assert _kinds(_order_events(kit, user_id=user_id)) == [EventKind.ORDER_PLACED]


def test_signed_in_orders_need_an_active_known_user(kit: AccountKit) -> None:
    """An unknown user is UserNotFound, a disabled one UserDisabled; nothing is stored."""
    with pytest.raises(UserNotFound):
        _record(kit, user_id="usr_missing")
    user_id = full_user(kit)
    kit.users.disable(OPERATOR, user_id)
    with pytest.raises(UserDisabled):
        _record(kit, user_id=user_id)
    with pytest.raises(OrderNotFound):
        kit.orders.get("o-1")


def test_only_staff_or_the_buyer_records(kit: AccountKit) -> None:
    """The buyer may record their own signed-in order; another user may not, nor a user
    an order without sign-in."""
    user_id = full_user(kit)
    other = full_user(kit, email="bob@example.com")
    assert _record(kit, user_id=user_id, actor=Actor.user(user_id)).user_id == user_id
    with pytest.raises(NotPermitted):
        _record(kit, 2, user_id=user_id, actor=Actor.user(other))
    with pytest.raises(NotPermitted):
        _record(kit, 3, actor=Actor.user(user_id))
    with pytest.raises(InvalidValue):
        _record(kit, 4, actor="system")


# --- not signed in ---------------------------------------------------------------------


def test_guest_checkout_makes_then_reuses_a_guest(kit: AccountKit) -> None:
    """Under GUEST_ACCOUNT a checkout without sign-in makes a guest, and the next one with
    that address reuses it; the guest's history has the orders, no customer's has."""
    first = _record(kit)
    second = _record(kit, 2, guest=_guest("TOM@example.com"))
    assert first.user_id is not None and first.user_id == second.user_id
    assert not first.signed_in and first.customer_id is None
    assert first.guest == _guest()
    guest = kit.users.get(first.user_id)
    assert guest.tier is UserTier.GUEST and guest.email == "tom@example.com"
    assert _kinds(_order_events(kit, user_id=first.user_id)) == [EventKind.ORDER_PLACED] * 2
    assert all(e.customer_id is None for e in _order_events(kit, user_id=first.user_id))


def test_a_guest_order_of_a_member_guest_is_no_customers_order(kit: AccountKit) -> None:
    """A guest who is a customer's member buys without signing in: the customer's history
    does not show the order."""
    order = _record(kit)
    assert order.user_id is not None
    customer = kit.customers.create(OPERATOR, name="Lee & Co", kind=CustomerKind.BUSINESS)
    kit.customers.assign_user(OPERATOR, order.user_id, customer.id)
    _record(kit, 2)
    assert _kinds(_order_events(kit, customer_id=customer.id)) == []


def test_a_full_users_address_at_checkout_reveals_nothing(kit: AccountKit) -> None:
    """A checkout with a FULL user's address keeps a standalone order: no user, no
    customer, nothing in the user's history, exactly like an unknown address without
    an account."""
    user_id = full_user(kit, email="ada@example.com")
    before = list(kit.reports.user_history(user_id).items)
    order = _record(
        kit, guest=GuestContact(email="ada@example.com", given_name="A", family_name="B")
    )
    assert (order.user_id, order.customer_id, order.signed_in) == (None, None, False)
    assert list(kit.reports.user_history(user_id).items) == before
    assert kit.users.get(user_id).tier is UserTier.FULL


def test_a_disabled_guests_address_at_checkout_stands_alone(kit: AccountKit) -> None:
    """A disabled guest's address at checkout gives an order without a user."""
    guest_id = _record(kit).user_id
    assert guest_id is not None
    kit.users.disable(OPERATOR, guest_id)
    assert _record(kit, 2).user_id is None


def test_no_account_keeps_no_user(make_kit: KitFactory, store: Store) -> None:
    """Under NO_ACCOUNT a checkout without sign-in makes no user; the order stands alone."""
    policy = attrs.evolve(ShopPolicy.b2c_open(), guest_checkout=GuestCheckout.NO_ACCOUNT)
    kit = make_kit(policy, store=store)
    order = _record(kit)
    assert order.user_id is None and order.guest == _guest()
    assert kit.users.find_by_email("tom@example.com") is None


def test_guest_checkout_follows_the_orders_channel(make_kit: KitFactory, store: Store) -> None:
    """Each channel's own guest_checkout decides."""
    kit = make_kit(
        store=store,
        channels=[
            SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL),
            SalesChannel(
                "kiosk",
                attrs.evolve(ShopPolicy.b2c_open(), guest_checkout=GuestCheckout.NO_ACCOUNT),
            ),
        ],
    )
    assert _record(kit, channel="kiosk").user_id is None
    assert _record(kit, 2, channel="web").user_id is not None
    with pytest.raises(ChannelNotFound):
        _record(kit, 3, channel="shop")


def test_guest_contact_is_checked_and_normalised(kit: AccountKit) -> None:
    """The guest's address is normalised and names trimmed; bad ones raise the e-mail and
    name errors; one of the two names may be empty."""
    order = _record(
        kit, guest=GuestContact(email="Tom@Example.COM", given_name=" Tom ", family_name="")
    )
    assert order.guest == GuestContact(email="Tom@example.com", given_name="Tom", family_name="")
    with pytest.raises(InvalidEmail):
        _record(kit, 2, guest=GuestContact(email="no-at-sign", given_name="T", family_name="L"))
    with pytest.raises(InvalidName):
        _record(
            kit, 3, guest=GuestContact(email="t@example.com", given_name="T\x00", family_name="L")
        )
    with pytest.raises(MissingField):
        _record(kit, 4, guest=GuestContact(email="t@example.com", given_name=" ", family_name=""))
    with pytest.raises(MissingField) as missing:
        _record(kit, 5, guest=None)
    assert missing.value.field == "guest"


# --- what is checked -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"order_id": ""}, InvalidValue, "order_id"),
        ({"order_id": "o" * 65}, InvalidValue, "order_id"),
        ({"order_id": "o\n1"}, InvalidValue, "order_id"),
        ({"order_id": 5}, InvalidValue, "order_id"),
        ({"number": "1\u200b"}, InvalidValue, "number"),
        ({"placed_at": datetime(2026, 1, 1)}, InvalidValue, "placed_at"),
        ({"placed_at": date(2026, 1, 1)}, InvalidValue, "placed_at"),
        ({"currency": "eur"}, UnknownCurrency, "currency"),
        ({"total": 59.9}, InvalidAmount, "total"),
        ({"total": Decimal("-1")}, InvalidAmount, "total"),
        ({"total": Decimal("1.999")}, InvalidAmount, "total"),
        ({"status": "shipped"}, InvalidValue, "status"),
        ({"test_order": "yes"}, InvalidValue, "test_order"),
        ({"billing": "Ringstraße 4"}, InvalidValue, "billing"),
        ({"customer_id": "cus_1"}, InvalidValue, "customer_id"),
        ({"channel": None}, InvalidValue, "channel"),
    ],
    ids=repr,
)
def test_bad_input_is_refused_before_anything_is_stored(
    kit: AccountKit, changes: dict[str, Any], error: type[AccountKitError], field: str
) -> None:
    """Each bad argument raises its error naming the field; no order and no guest exist."""
    with pytest.raises(error) as info:
        _record(kit, **changes)
    assert getattr(info.value, "field", None) == field
    assert kit.users.find_by_email("tom@example.com") is None


def test_bad_address_lines_are_reported_per_line(kit: AccountKit) -> None:
    """An address with bad lines raises InvalidFields naming each line under its role."""
    bad = attrs.evolve(HOME, postal_code="", country="Germany")
    with pytest.raises(InvalidFields) as info:
        _record(kit, shipping=bad)
    assert [e.field for e in info.value.errors] == ["shipping.postal_code", "shipping.country"]


def test_a_guest_contact_on_a_signed_in_order_is_refused(kit: AccountKit) -> None:
    """A signed-in order carries no guest contact."""
    user_id = full_user(kit)
    with pytest.raises(InvalidValue) as info:
        _record(kit, user_id=user_id, guest=_guest())
    assert info.value.field == "guest"


def test_values_are_stored_normalised(kit: AccountKit) -> None:
    """Time in UTC, total in the currency's places, status from its value, addresses
    normalised."""
    zone = timezone(timedelta(hours=-5))
    order = _record(
        kit,
        placed_at=PLACED.astimezone(zone),
        total=Decimal("12.5"),
        status="partly_returned",
        billing=attrs.evolve(HOME, city=" Berlin ", country="de"),
    )
    assert order.placed_at == PLACED
    assert order.placed_at.utcoffset() == timedelta(0)
    assert str(order.total) == "12.50" and order.status is OrderStatus.PARTLY_RETURNED
    assert order.billing == HOME
    assert kit.orders.get(order.id) == order


def test_an_order_is_recorded_once(kit: AccountKit) -> None:
    """The same id or number again raises OrderNumberTaken and makes no guest."""
    _record(kit)
    with pytest.raises(OrderNumberTaken):
        _record(kit, 2, order_id="o-1", guest=_guest("new@example.com"))
    with pytest.raises(OrderNumberTaken):
        _record(kit, 3, number="10001", guest=_guest("new@example.com"))
    assert kit.users.find_by_email("new@example.com") is None


# --- status ----------------------------------------------------------------------------


def test_status_changes_are_history_events(kit: AccountKit) -> None:
    """A status change by staff is stored and recorded with from and to; the same status
    again changes nothing."""
    user_id = full_user(kit)
    customer = kit.customers.create(OPERATOR, name="Byron Ltd", kind=CustomerKind.BUSINESS)
    kit.customers.assign_user(OPERATOR, user_id, customer.id)
    order = _record(kit, user_id=user_id)
    changed = kit.orders.set_status(order.id, OrderStatus.CANCELLED, actor=OPERATOR)
    assert changed.status is OrderStatus.CANCELLED and changed.version == order.version + 1
    assert kit.orders.set_status(order.id, "cancelled", actor=OPERATOR) == changed
    for events in (
        _order_events(kit, user_id=user_id),
        _order_events(kit, customer_id=customer.id),
    ):
        assert _kinds(events) == [EventKind.ORDER_PLACED, EventKind.ORDER_STATUS_CHANGED]
        assert dict(events[1].data) == {"number": "10001", "from": "placed", "to": "cancelled"}
        assert events[1].actor == OPERATOR
    assert kit.orders.get(order.id) == changed


def test_status_changes_need_staff_and_a_known_order(kit: AccountKit) -> None:
    """A user may not change a status (NotPermitted); an unknown order is OrderNotFound;
    an unknown status InvalidValue."""
    order = _record(kit)
    assert order.user_id is not None
    with pytest.raises(NotPermitted):
        kit.orders.set_status(order.id, OrderStatus.RETURNED, actor=Actor.user(order.user_id))
    with pytest.raises(OrderNotFound):
        kit.orders.set_status("o-404", OrderStatus.RETURNED, actor=OPERATOR)
    with pytest.raises(InvalidValue):
        kit.orders.set_status(order.id, "lost", actor=OPERATOR)
    assert kit.orders.get(order.id).status is OrderStatus.PLACED


def test_a_guest_orders_status_change_stays_out_of_customer_history(kit: AccountKit) -> None:
    """The status change of a guest order is in the guest's history only."""
    order = _record(kit)
    assert order.user_id is not None
    kit.orders.set_status(order.id, OrderStatus.RETURNED, actor=Actor.system())
    events = _order_events(kit, user_id=order.user_id)
    assert _kinds(events) == [EventKind.ORDER_PLACED, EventKind.ORDER_STATUS_CHANGED]
    assert all(e.customer_id is None for e in events)


# --- address suggestions ---------------------------------------------------------------


def test_suggestions_are_newest_first_one_per_address(kit: AccountKit) -> None:
    """Suggestions come newest first with one entry per address key; the newest spelling
    wins."""
    user_id = full_user(kit)
    office = attrs.evolve(HOME, street="Büroweg 2")
    shouting = attrs.evolve(HOME, name="TOM LEE", city="BERLIN")
    _record(kit, 1, user_id=user_id, billing=HOME, shipping=office)
    _record(kit, 2, user_id=user_id, billing=office)
    _record(kit, 3, user_id=user_id, shipping=shouting)
    assert kit.orders.address_suggestions(user_id) == (shouting, office)


def test_suggestions_of_a_user_without_orders_are_empty(kit: AccountKit) -> None:
    """A user without orders gets no suggestions; an unknown user is UserNotFound."""
    assert kit.orders.address_suggestions(full_user(kit)) == ()
    with pytest.raises(UserNotFound):
        kit.orders.address_suggestions("usr_missing")


def test_suggestions_never_show_another_users_address(kit: AccountKit) -> None:
    """A standalone order with a FULL user's e-mail adds nothing to their suggestions."""
    user_id = full_user(kit, email="ada@example.com")
    _record(
        kit,
        guest=GuestContact(email="ada@example.com", given_name="X", family_name="Y"),
        billing=HOME,
    )
    assert kit.orders.address_suggestions(user_id) == ()


_LINES = st.sampled_from(
    ["Ringstraße 4", "ringstrasse 4", "RINGSTRASSE  4", "Büroweg 2", "Depot 1"]
)


@given(
    orders=st.lists(st.tuples(st.integers(0, 3), _LINES, st.one_of(st.none(), _LINES)), max_size=8)
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_suggestions_follow_a_plain_model(
    kit: AccountKit, orders: list[tuple[int, str, str | None]]
) -> None:
    """For any orders, suggestions are the addresses newest first (equal times by order id,
    shipping before billing within an order), one per key, the newest spelling."""
    run = uuid.uuid4().hex[:8]
    user_id = full_user(kit, email=f"ada.{run}@example.com")
    stamped: list[tuple[datetime, int, Address]] = []
    for n, (minutes, billing, shipping) in enumerate(orders):
        moment = PLACED + timedelta(minutes=minutes)
        bill = attrs.evolve(HOME, street=billing)
        ship = None if shipping is None else attrs.evolve(HOME, street=shipping)
        kit.orders.record_order(
            order_id=f"{run}-{n}",
            number=f"{run}{n}",
            channel="web",
            placed_at=moment,
            total=Decimal("1.00"),
            currency="EUR",
            user_id=user_id,
            billing=bill,
            shipping=ship,
        )
        stamped.append((moment, 2 * n, bill))
        if ship is not None:
            stamped.append((moment, 2 * n + 1, ship))
    model: list[Address] = []
    seen: set[str] = set()
    for _moment, _seq, address in sorted(stamped, key=lambda s: (s[0], s[1]), reverse=True):
        if address.key() not in seen:
            seen.add(address.key())
            model.append(address)
    assert kit.orders.address_suggestions(user_id) == tuple(model)


# --- the address rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    [
        {"street": "Ringstraße 4"},
        {"Postal_Code": "10115"},
        {"ZIP": "10115"},
        {"address-line1": "Ringstraße 4"},
        {"city": "Berlin"},
        {"home": HOME},
    ],
    ids=repr,
)
def test_profiles_carry_no_address(kit: AccountKit, profile: dict[str, Any]) -> None:
    """Registration, profile updates and imports refuse a profile with an address
    (AddressNotAllowed); nothing is stored."""
    with pytest.raises(AddressNotAllowed):
        kit.registration.register(
            email="ada@example.com",
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            profile=profile,
        )
    assert kit.users.find_by_email("ada@example.com") is None
    user_id = full_user(kit)
    with pytest.raises(AddressNotAllowed):
        kit.users.update_profile(OPERATOR, user_id, profile=profile)
    assert kit.users.get(user_id).profile == {}
    with pytest.raises(AddressNotAllowed):
        kit.users.import_user(
            OPERATOR, ImportedUser(email="imp@example.com", given_name="Imp", profile=profile)
        )
    assert kit.users.find_by_email("imp@example.com") is None


def test_a_profile_without_an_address_is_kept(kit: AccountKit) -> None:
    """Entries that are no address field stay allowed."""
    user_id = full_user(kit)
    updated = kit.users.update_profile(
        OPERATOR, user_id, profile={"ski_size": "175", "city_bike": "yes"}
    )
    assert updated.profile == {"city_bike": "yes", "ski_size": "175"}


# --- the contract purpose --------------------------------------------------------------


def test_order_updates_rest_on_an_order(kit: AccountKit) -> None:
    """A user may get order updates once they have an order, without any consent."""
    user_id = full_user(kit)
    assert not kit.privacy.may_contact(user_id, ContactPurpose.ORDER_UPDATES)
    _record(kit, user_id=user_id)
    assert kit.privacy.may_contact(user_id, "order_updates")
    assert not kit.privacy.may_contact(user_id, ContactPurpose.NEWSLETTER)


def test_order_updates_need_no_consent(kit: AccountKit) -> None:
    """Granting or withdrawing ORDER_UPDATES raises InvalidValue; nothing is logged."""
    user_id = full_user(kit)
    with pytest.raises(InvalidValue, match="needs no consent") as info:
        kit.privacy.grant_consent(
            OPERATOR, user_id, ContactPurpose.ORDER_UPDATES, source="s", wording_version="v"
        )
    assert info.value.field == "purpose"
    with pytest.raises(InvalidValue, match="needs no consent"):
        kit.privacy.withdraw_consent(OPERATOR, user_id, "order_updates", source="s")
    assert kit.privacy.consent_history(user_id) == []
