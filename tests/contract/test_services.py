"""The services on every store: store-level uniqueness surfaces as the documented errors, and a
failing call leaves no trace."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    DocumentKind,
    EventKind,
    FrozenClock,
    PurchaseConditions,
    Role,
    ShopPolicy,
    User,
)
from accountkit.errors import (
    ConcurrentUpdate,
    CustomerNumberTaken,
    EmailTaken,
    GroupNotFound,
    MembershipConflict,
)
from accountkit.storage import Store
from tests.conftest import KitFactory
from tests.contract.factories import in_tx
from tests.helpers import made
from tests.policies._registration import OPEN_B2B

STAFF = Actor.operator("staff-7")
PASSWORD = "correct horse battery"


def _register(kit: AccountKit, email: str) -> User:
    return made(
        kit.registration.register(
            email=email,
            password=PASSWORD,
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )


def _register_company(kit: AccountKit, email: str) -> User:
    return made(
        kit.registration.register(
            email=email,
            password=PASSWORD,
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
            company_name="Analytical Engines Ltd",
        )
    )


def _user_count(kit: AccountKit) -> int:
    return in_tx(kit.store, lambda tx: tx.users.count())


def _local() -> str:
    return f"Ada.Lovelace.{uuid.uuid4().hex[:8]}"


def test_emails_differing_in_case_register_once(kit: AccountKit) -> None:
    """A second registration whose e-mail differs only in case raises EmailTaken; one user."""
    local = _local()
    first = _register(kit, f"{local}@example.com")
    history = kit.reports.user_history(first.id).items
    with pytest.raises(EmailTaken):
        _register(kit, f"{local.swapcase()}@EXAMPLE.com")
    assert _user_count(kit) == 1
    assert kit.users.find_by_email(f"{local.upper()}@example.com") == first
    assert kit.reports.user_history(first.id).items == history


@settings(max_examples=10)
@given(upper=st.lists(st.booleans(), min_size=8, max_size=8))
def test_any_case_variant_registers_once(kit: AccountKit, upper: list[bool]) -> None:
    """For any case variant of a registered address, registering it again raises EmailTaken."""
    local = f"ada{uuid.uuid4().hex[:5]}"
    variant = "".join(c.upper() if up else c for c, up in zip(local, upper, strict=True))
    before = _user_count(kit)
    first = _register(kit, f"{local}@shop.example")
    with pytest.raises(EmailTaken):
        _register(kit, f"{variant}@Shop.Example")
    assert _user_count(kit) == before + 1
    assert kit.users.find_by_email(f"{variant}@shop.example") == first


def test_second_customer_under_one_customer_rule_conflicts(kit: AccountKit) -> None:
    """ONE_CUSTOMER_PER_USER: a second assignment raises MembershipConflict naming the first."""
    user = _register(kit, f"{_local()}@example.com")
    family = kit.customers.create(STAFF, name="Familie Jensen")
    club = kit.customers.create(STAFF, name="Skiclub")
    first = kit.customers.assign_user(STAFF, user.id, family.id)
    user_history = kit.reports.user_history(user.id).items
    club_history = kit.reports.history(club.id).items
    with pytest.raises(MembershipConflict) as caught:
        kit.customers.assign_user(STAFF, user.id, club.id, Role.BUYER)
    assert caught.value.customer_id == family.id
    assert list(kit.customers.memberships(user.id)) == [first]
    assert list(kit.customers.members(club.id)) == []
    assert kit.reports.user_history(user.id).items == user_history
    assert kit.reports.history(club.id).items == club_history


def test_customer_round_trips_through_the_services(kit: AccountKit) -> None:
    """A customer made and changed through kit.customers reads back equal, discount exact."""
    created = kit.customers.create(
        STAFF,
        name="Müller & Söhne GmbH",
        number="K-1000",
        conditions=PurchaseConditions(price_list_id="wholesale", discount=Decimal("7.25")),
    )
    changed = kit.customers.set_document_contact(
        STAFF, created.id, DocumentKind.INVOICE, email="billing@mueller.example"
    )
    assert kit.customers.get(created.id) == changed
    assert kit.customers.find_by_number("K-1000") == changed
    assert changed.conditions.discount == Decimal("7.25")
    assert changed.version == created.version + 1


def test_taken_customer_number_changes_nothing(kit: AccountKit) -> None:
    """set_customer_number to a taken number raises; the customer and its history stay."""
    holder = kit.customers.create(STAFF, name="Holder", number="K-1")
    other = kit.customers.create(STAFF, name="Other", number="K-2")
    history = kit.reports.history(other.id).items
    with pytest.raises(CustomerNumberTaken):
        kit.customers.set_customer_number(STAFF, other.id, "K-1")
    assert kit.customers.get(other.id) == other
    assert kit.customers.get(holder.id) == holder
    assert kit.reports.history(other.id).items == history


def test_stale_profile_update_changes_nothing(kit: AccountKit) -> None:
    """update_profile with an old expected_version raises ConcurrentUpdate; no trace is left."""
    user = _register(kit, f"{_local()}@example.com")
    fresh = kit.users.update_profile(STAFF, user.id, given_name="Augusta")
    history = kit.reports.user_history(user.id).items
    with pytest.raises(ConcurrentUpdate):
        kit.users.update_profile(STAFF, user.id, family_name="King", expected_version=user.version)
    assert kit.users.get(user.id) == fresh
    assert kit.reports.user_history(user.id).items == history


def test_profile_email_clash_changes_nothing(kit: AccountKit) -> None:
    """Changing to another user's address in other case raises EmailTaken; no trace is left."""
    ada_local = _local()
    ada = _register(kit, f"{ada_local}@example.com")
    bob = _register(kit, f"{_local()}@example.com")
    history = kit.reports.user_history(bob.id).items
    with pytest.raises(EmailTaken):
        kit.users.update_profile(
            Actor.user(bob.id), bob.id, email=f"{ada_local.upper()}@example.com"
        )
    assert kit.users.get(bob.id) == bob
    assert kit.users.get(ada.id) == ada
    assert kit.reports.user_history(bob.id).items == history


def test_failed_b2b_registration_leaves_no_user(store: Store, make_kit: KitFactory) -> None:
    """A B2B registration with a taken e-mail stores neither a second user nor a company."""
    kit = make_kit(OPEN_B2B, store=store)
    email = f"{_local()}@example.com"
    first = _register_company(kit, email)
    (membership,) = kit.customers.memberships(first.id)
    company = kit.customers.get(membership.customer_id)
    history = kit.reports.history(company.id).items
    with pytest.raises(EmailTaken):
        _register_company(kit, email.upper())
    assert _user_count(kit) == 1
    assert company.number == "10000"
    assert kit.customers.find_by_number("10001") is None
    assert kit.reports.history(company.id).items == history


def test_automatic_number_skips_a_manual_one(store: Store, make_kit: KitFactory) -> None:
    """Under AUTOMATIC numbering a company never gets a number an operator gave by hand."""
    kit = make_kit(OPEN_B2B, store=store)
    squatter = kit.customers.create(STAFF, name="Squatter", number="10000")
    user = _register_company(kit, f"{_local()}@example.com")
    (membership,) = kit.customers.memberships(user.id)
    company = kit.customers.get(membership.customer_id)
    assert company.number == "10001"
    assert kit.customers.find_by_number("10000") == squatter
    assert kit.customers.find_by_number("10001") == company


@pytest.mark.parametrize("tick", [True, False], ids=["clock-moves", "frozen-clock"])
def test_history_comes_oldest_first(kit: AccountKit, clock: FrozenClock, tick: bool) -> None:
    """kit.reports.history lists a customer's changes in the order they were made."""
    step = timedelta(seconds=1, microseconds=1) if tick else timedelta(0)
    customer = kit.customers.create(STAFF, name="Skiclub")
    group = kit.customers.create_group(STAFF, name="Clubs")
    clock.advance(step)
    kit.customers.set_note(STAFF, customer.id, "Zahlt pünktlich.")
    clock.advance(step)
    kit.customers.set_group(STAFF, customer.id, group.id)
    clock.advance(step)
    user = _register(kit, f"{_local()}@example.com")
    kit.customers.assign_user(STAFF, user.id, customer.id)
    history = kit.reports.history(customer.id).items
    assert [e.kind for e in history] == [
        EventKind.CUSTOMER_CREATED,
        EventKind.NOTE_CHANGED,
        EventKind.GROUP_CHANGED,
        EventKind.MEMBERSHIP_ADDED,
    ]
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert history[1].data == {"from": "", "to": "Zahlt pünktlich."}
    assert all(e.actor == STAFF for e in history)


def test_automatic_numbers_are_distinct_after_a_failed_create(
    store: Store, make_kit: KitFactory
) -> None:
    """A create that fails after drawing a number may leave a gap but never a duplicate."""
    policy = attrs.evolve(ShopPolicy.b2c_open(), numbering=ShopPolicy.b2b_approval().numbering)
    kit = make_kit(policy, store=store)
    first = kit.customers.create(STAFF, name="First")
    with pytest.raises(GroupNotFound):
        kit.customers.create(STAFF, name="Lost", group_id="grp_missing")
    second = kit.customers.create(STAFF, name="Second")
    assert first.number == "10000"
    assert second.number is not None
    assert int(second.number) > int(first.number)
