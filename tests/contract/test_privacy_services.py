"""kit.privacy's export, erase and purge_expired (GDPR Art. 15, 17, 20 and 5(1)(e)) through
the services, on every store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    Address,
    ContactPurpose,
    CustomerKind,
    EventKind,
    FrozenClock,
    RetentionPolicy,
    Role,
    SalesChannel,
    ShopPolicy,
    UserStatus,
    UserTier,
)
from accountkit.domain.orders import ERASED, GuestContact
from accountkit.errors import (
    AlreadyErased,
    InvalidCredentials,
    InvalidValue,
    NotPermitted,
    OrderNotFound,
    SessionExpired,
    SessionRevoked,
    UserErased,
    UserNotFound,
)
from accountkit.services.privacy import SAFE_EVENT_DATA
from accountkit.storage import Store
from accountkit.testing import CheapPasswordHasher
from tests.conftest import KitFactory
from tests.contract.conftest import _EMAIL
from tests.helpers import BASE_URL, SIGN_IN_PASSWORD, full_user

STAFF = Actor.operator("privacy-officer")
PLACED = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)
STREET = "Xylophonweg 17"


def _address(**changes: str) -> Address:
    lines = {"name": "Ada Lovelace", "street": STREET, "postal_code": "10115", "city": "Berlin"}
    return Address(country="DE", **(lines | changes))


def _shop(kit: AccountKit) -> tuple[str, str, str]:
    """A full user with a personal customer, a signed-in order with addresses, a consent and
    a session; returns (user id, customer id, session token)."""
    user_id = full_user(kit, email="ada.privacy@example.com")
    customer = kit.customers.create(STAFF, name="Ada Lovelace", surname="Lovelace")
    kit.customers.assign_user(STAFF, user_id, customer.id, Role.MEMBER)
    kit.orders.record_order(
        order_id="ord-1",
        number="10001",
        channel="web",
        placed_at=PLACED,
        total=Decimal("59.90"),
        currency="EUR",
        user_id=user_id,
        billing=_address(),
        shipping=_address(street="Lagerweg 9"),
    )
    kit.privacy.grant_consent(
        Actor.user(user_id), user_id, ContactPurpose.NEWSLETTER, source="checkout",
        wording_version="nl-1",
    )  # fmt: skip
    session = kit.auth.login_with_password("ada.privacy@example.com", SIGN_IN_PASSWORD)
    return user_id, customer.id, session.session_token


def test_export_holds_every_part_of_the_person(kit: AccountKit) -> None:
    """The JSON export has the profile, memberships, customers, addresses, consents, orders,
    history and sessions; never a password hash or a session id."""
    user_id, customer_id, token = _shop(kit)
    text = kit.privacy.export(Actor.user(user_id), user_id)
    data = json.loads(text)
    assert data["user"]["email"] == "ada.privacy@example.com"
    assert data["user"]["birth_date"] is not None
    assert "password_hash" not in data["user"]
    assert [m["customer_id"] for m in data["memberships"]] == [customer_id]
    assert data["customers"][0]["name"] == "Ada Lovelace"
    assert {a["street"] for a in data["addresses"]} == {STREET, "Lagerweg 9"}
    assert [c["purpose"] for c in data["consents"]] == ["newsletter"]
    assert data["orders"][0]["billing"]["street"] == STREET
    assert data["orders"][0]["total"] == "59.90"
    assert EventKind.ORDER_PLACED.value in {e["kind"] for e in data["events"]}
    assert len(data["sessions"]) == 2  # registration signs in, then the login
    assert set(data["sessions"][0]) == {"method", "created_at", "last_seen_at"}
    assert "$argon2" not in text
    assert token not in text


def test_export_is_for_the_person_or_staff(kit: AccountKit) -> None:
    """Another user may not export; unknown users are not found."""
    user_id, _, _ = _shop(kit)
    with pytest.raises(NotPermitted):
        kit.privacy.export(Actor.user("usr_other"), user_id)
    with pytest.raises(UserNotFound):
        kit.privacy.export(STAFF, "usr_nobody")
    assert json.loads(kit.privacy.export(STAFF, user_id))["user"]["id"] == user_id


def test_erase_leaves_a_tombstone_and_keeps_the_accounts(kit: AccountKit) -> None:
    """The user keeps only its id; orders keep amounts and numbers with names and lines
    replaced; the consent log keeps its entries."""
    user_id, customer_id, _ = _shop(kit)
    consents = len(kit.privacy.consent_history(user_id))
    report = kit.privacy.erase(STAFF, user_id)
    assert (report.orders, report.addresses, report.memberships, report.customers) == (1, 2, 1, 1)
    user = kit.users.get(user_id)
    assert user.status is UserStatus.ERASED
    assert user.tier is UserTier.BLANK
    assert (user.email, user.given_name, user.family_name, user.birth_date) == (None,) * 4
    assert user.password_hash is None
    assert dict(user.profile) == {}
    order = kit.orders.get("ord-1")
    assert order is not None
    assert order.erased
    assert (order.number, order.total, order.currency) == ("10001", Decimal("59.90"), "EUR")
    assert order.billing is not None
    assert order.billing.street == ERASED
    assert order.billing.country == "DE"
    assert len(kit.privacy.consent_history(user_id)) == consents
    assert not kit.privacy.may_contact(user_id, ContactPurpose.NEWSLETTER)
    assert not kit.privacy.may_contact(user_id, ContactPurpose.ORDER_UPDATES)
    assert kit.customers.memberships(user_id) == []
    customer = kit.customers.get(customer_id)
    assert customer.name == ERASED
    assert customer.surname is None
    summary = kit.reports.order_summary(customer_id)
    assert [(c.count, c.total) for c in summary.currencies] == [(1, Decimal("59.90"))]


def test_erase_redacts_history_and_records_itself(kit: AccountKit) -> None:
    """Every history entry of the person keeps only safe keys; USER_ERASED is the last one."""
    user_id, _, _ = _shop(kit)
    kit.users.update_profile(STAFF, user_id, given_name="Augusta")
    kit.privacy.erase(Actor.user(user_id), user_id)
    events = kit.reports.user_history(user_id, page_size=500).items
    assert events[-1].kind is EventKind.USER_ERASED
    assert events[-1].data["orders"] == "1"
    for event in events:
        assert set(event.data) <= SAFE_EVENT_DATA[event.kind]


def test_erase_ends_sessions_and_frees_the_email(kit: AccountKit) -> None:
    """The session dies, the password no longer signs in, and the address registers anew."""
    user_id, _, token = _shop(kit)
    kit.privacy.erase(STAFF, user_id)
    with pytest.raises((SessionExpired, SessionRevoked)):
        kit.auth.authenticate(token)
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("ada.privacy@example.com", SIGN_IN_PASSWORD)
    assert full_user(kit, email="ADA.privacy@example.com") != user_id


def test_erasing_twice_and_acting_on_a_tombstone_are_refused(kit: AccountKit) -> None:
    """A second erase is AlreadyErased; export and changes of an erased user are UserErased;
    unknown ids and other users are refused as usual."""
    user_id, _, _ = _shop(kit)
    with pytest.raises(NotPermitted):
        kit.privacy.erase(Actor.user("usr_other"), user_id)
    with pytest.raises(UserNotFound):
        kit.privacy.erase(STAFF, "usr_nobody")
    kit.privacy.erase(STAFF, user_id)
    with pytest.raises(AlreadyErased) as again:
        kit.privacy.erase(STAFF, user_id)
    assert isinstance(again.value, UserErased)
    with pytest.raises(UserErased):
        kit.privacy.export(STAFF, user_id)
    with pytest.raises(UserErased):
        kit.users.update_profile(STAFF, user_id, given_name="Back")
    with pytest.raises(UserErased):
        kit.privacy.grant_consent(
            STAFF, user_id, ContactPurpose.NEWSLETTER, source="x", wording_version="v"
        )
    with pytest.raises(UserErased):
        kit.orders.record_order(
            order_id="ord-2", number="10002", channel="web", placed_at=PLACED,
            total=Decimal(1), currency="EUR", user_id=user_id,
        )  # fmt: skip
    with pytest.raises(OrderNotFound):
        kit.orders.get("ord-2")


def test_erase_in_a_shop_unit_that_fails_leaves_everything(kit: AccountKit, store: Store) -> None:
    """Erasure is one unit: inside a shop's unit that raises, nothing of it stays."""
    user_id, customer_id, _ = _shop(kit)
    with pytest.raises(RuntimeError), store.transaction():
        kit.privacy.erase(STAFF, user_id)
        raise RuntimeError("the shop's own step failed")
    user = kit.users.get(user_id)
    assert user.status is UserStatus.ACTIVE
    assert user.email == "ada.privacy@example.com"
    order = kit.orders.get("ord-1")
    assert order is not None
    assert not order.erased
    assert order.billing is not None
    assert order.billing.street == STREET
    assert kit.customers.get(customer_id).name == "Ada Lovelace"


def test_erase_keeps_a_business_customer_and_its_other_members(kit: AccountKit) -> None:
    """A company keeps its master data and its other members; only the person's membership
    goes."""
    leaver = full_user(kit, email="leaver@example.com")
    stayer = full_user(kit, email="stayer@example.com")
    company = kit.customers.create(STAFF, name="Müller GmbH", kind=CustomerKind.BUSINESS)
    kit.customers.assign_user(STAFF, leaver, company.id, Role.COMPANY_MANAGER)
    kit.customers.assign_user(STAFF, stayer, company.id, Role.COMPANY_MANAGER)
    report = kit.privacy.erase(STAFF, leaver)
    assert (report.memberships, report.customers) == (1, 0)
    assert kit.customers.get(company.id).name == "Müller GmbH"
    assert [m.user_id for m in kit.customers.members(company.id)] == [stayer]


def test_erase_replaces_a_guest_accounts_checkout_contact(
    make_kit: KitFactory, store: Store
) -> None:
    """Orders of a guest account lose the guest contact's e-mail and names."""
    kit = make_kit(ShopPolicy.b2c_open(), store=store)
    order = kit.orders.record_order(
        order_id="g-1", number="G-1", channel="web", placed_at=PLACED, total=Decimal("5"),
        currency="EUR",
        guest=GuestContact(email="tom.guest@example.com", given_name="Tom", family_name="Gast"),
        billing=_address(),
    )  # fmt: skip
    assert order.user_id is not None
    kit.privacy.erase(STAFF, order.user_id)
    stored = kit.orders.get("g-1")
    assert stored is not None
    assert stored.guest is not None
    assert (stored.guest.email, stored.guest.given_name, stored.guest.family_name) == (
        ERASED,
        ERASED,
        ERASED,
    )
    rows = kit.reports.overview(STAFF, page_size=50).items
    assert all("tom.guest" not in (row.email or "") for row in rows)
    assert not any(_EMAIL.search(row.name or "") for row in rows)


def _retention_kit(store: Store, clock: FrozenClock) -> AccountKit:
    """A kit with an ordinary channel and a double opt-in one, 30 and 7 days' retention."""
    optin = attrs.evolve(ShopPolicy.b2c_open(), require_email_verification=True)
    return AccountKit(
        store=store,
        secret_keys=["k" * 32],
        channels=[
            SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL),
            SalesChannel("optin", optin, base_url=BASE_URL),
        ],
        clock=clock,
        password_hasher=CheapPasswordHasher(),
        retention=RetentionPolicy(guests=timedelta(days=30), unconfirmed=timedelta(days=7)),
    )


def test_purge_expired_applies_the_retention_policy(store: Store, clock: FrozenClock) -> None:
    """Old guests without orders, consent or membership go, and unconfirmed registrations on
    a double opt-in channel; the rest stays."""
    kit = _retention_kit(store, clock)
    old_guest = kit.registration.register_guest(email="old.guest@example.com", given_name="Old")
    kept_buyer = kit.registration.register_guest(email="buyer@example.com", given_name="Buy")
    kept_reader = kit.registration.register_guest(email="reader@example.com", given_name="Rea")
    assert old_guest and kept_buyer and kept_reader
    kit.orders.record_order(
        order_id="keep-1", number="K-1", channel="web", placed_at=PLACED, total=Decimal(1),
        currency="EUR", user_id=kept_buyer.id, actor=Actor.system(),
    )  # fmt: skip
    kit.privacy.grant_consent(
        STAFF, kept_reader.id, ContactPurpose.NEWSLETTER, source="form", wording_version="v1"
    )
    kit.registration.register(
        email="never.clicked@example.com", password="a long enough passphrase",
        birth_date=date(1990, 1, 1), given_name="Nev", family_name="Er", channel="optin",
    )  # fmt: skip
    unconfirmed = kit.users.find_by_email("never.clicked@example.com")
    assert unconfirmed is not None
    assert unconfirmed.email_verified_at is None
    confirmed_elsewhere = full_user(kit, email="web.user@example.com")
    clock.advance(timedelta(days=8))
    young_guest = kit.registration.register_guest(email="young@example.com", given_name="Yo")
    assert young_guest
    first = kit.privacy.purge_expired()
    assert first.unconfirmed == 1
    assert first.guests == 0
    clock.advance(timedelta(days=25))
    second = kit.privacy.purge_expired()
    assert second.guests == 1
    with pytest.raises(UserNotFound):
        kit.users.get(old_guest.id)
    for user_id in (kept_buyer.id, kept_reader.id, young_guest.id, confirmed_elsewhere):
        assert kit.users.get(user_id).status is UserStatus.ACTIVE
    with pytest.raises(UserNotFound):
        kit.users.get(unconfirmed.id)
    assert kit.users.find_by_email("old.guest@example.com") is None
    assert kit.privacy.purge_expired().guests == 0


def test_purge_expired_ends_stale_sessions(kit: AccountKit, clock: FrozenClock) -> None:
    """A session idle past the SessionPolicy is deleted by the purge."""
    full_user(kit)
    signed_in = kit.auth.login_with_password("ada@example.com", SIGN_IN_PASSWORD)
    clock.advance(timedelta(days=2))
    # the registration's own session and the login's
    assert kit.privacy.purge_expired().sessions == 2
    with pytest.raises((SessionExpired, SessionRevoked)):
        kit.auth.authenticate(signed_in.session_token)


def test_purge_expired_refuses_a_naive_time(kit: AccountKit) -> None:
    """now must be aware."""
    with pytest.raises(InvalidValue):
        kit.privacy.purge_expired(datetime(2026, 1, 1))
