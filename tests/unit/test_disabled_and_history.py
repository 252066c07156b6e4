"""A disabled or pending user cannot act as themself; automatic and chosen company switches are
in history with the company they came from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    EventKind,
    ShopPolicy,
    User,
    UserStatus,
)
from accountkit.errors import UserDisabled
from tests.conftest import KitFactory
from tests.helpers import MANY, OPERATOR, made, register


@pytest.fixture
def many(make_kit: KitFactory) -> AccountKit:
    """A kit whose users may belong to many companies."""
    return make_kit(MANY)


def two_companies(kit: AccountKit, user: User) -> tuple[str, str]:
    """Assign ``user`` to two companies; the first is active."""
    first = kit.customers.create(OPERATOR, name="First", kind=CustomerKind.BUSINESS).id
    second = kit.customers.create(OPERATOR, name="Second", kind=CustomerKind.BUSINESS).id
    kit.customers.assign_user(OPERATOR, user.id, first)
    kit.customers.assign_user(OPERATOR, user.id, second)
    return first, second


# --- a user who may not act --------------------------------------------------------------------

SelfCall = Callable[[AccountKit, User, str], object]
SELF_CALLS: list[tuple[str, SelfCall]] = [
    (
        "update_profile",
        lambda kit, me, _: kit.users.update_profile(Actor.user(me.id), me.id, given_name="Eve"),
    ),
    (
        "email change",
        lambda kit, me, _: kit.users.update_profile(
            Actor.user(me.id), me.id, email="new@example.com"
        ),
    ),
    (
        "profile entries",
        lambda kit, me, _: kit.users.update_profile(
            Actor.user(me.id), me.id, profile={"ski_size": "175"}
        ),
    ),
    (
        "switch_company",
        lambda kit, me, second: kit.customers.switch_company(Actor.user(me.id), me.id, second),
    ),
]


@pytest.mark.parametrize(("name", "call"), SELF_CALLS, ids=[n for n, _ in SELF_CALLS])
def test_a_disabled_user_cannot_act_as_themself(
    many: AccountKit, name: str, call: SelfCall
) -> None:
    """A DISABLED user acting as themself raises UserDisabled and nothing changes."""
    me = register(many)
    _, second = two_companies(many, me)
    many.users.disable(OPERATOR, me.id)
    before = (many.users.get(me.id), many.customers.memberships(me.id))
    history = many.reports.user_history(me.id).items
    with pytest.raises(UserDisabled):
        call(many, me, second)
    assert (many.users.get(me.id), many.customers.memberships(me.id)) == before
    assert many.reports.user_history(me.id).items == history


@pytest.mark.parametrize(("name", "call"), SELF_CALLS, ids=[n for n, _ in SELF_CALLS])
def test_a_pending_user_cannot_act_as_themself(
    make_kit: KitFactory, name: str, call: SelfCall
) -> None:
    """A user waiting for approval raises UserDisabled too."""
    kit = make_kit(ShopPolicy.b2b_approval())
    me = made(
        kit.registration.register(
            email="ada@example.com",
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
            company_name="Engines",
        )
    )
    assert me.status is UserStatus.PENDING_APPROVAL
    second = kit.customers.create(OPERATOR, name="Second", kind=CustomerKind.BUSINESS).id
    kit.customers.assign_user(OPERATOR, me.id, second)
    before = kit.users.get(me.id)
    with pytest.raises(UserDisabled):
        call(kit, me, second)
    assert kit.users.get(me.id) == before


def test_staff_may_still_act_for_a_disabled_user(many: AccountKit) -> None:
    """The operator corrects a disabled user's data and switches their company."""
    me = register(many)
    _, second = two_companies(many, me)
    many.users.disable(OPERATOR, me.id)
    assert many.users.update_profile(OPERATOR, me.id, given_name="Eve").given_name == "Eve"
    assert many.customers.switch_company(OPERATOR, me.id, second).active


def test_an_enabled_user_acts_again(many: AccountKit) -> None:
    """After enable, the user changes their own profile again."""
    me = register(many)
    many.users.disable(OPERATOR, me.id)
    many.users.enable(OPERATOR, me.id)
    assert many.users.update_profile(Actor.user(me.id), me.id, given_name="Eve").given_name == "Eve"


def test_a_checkout_with_a_disabled_guests_email_makes_no_account(kit: AccountKit) -> None:
    """register_guest returns None for a disabled guest: the order stays without an account,
    and the guest is neither reused nor changed."""
    first = kit.registration.register_guest(email="g@example.com", given_name="Gus")
    assert first is not None
    disabled = kit.users.disable(OPERATOR, first.id)
    assert kit.registration.register_guest(email="G@example.com", given_name="Gus") is None
    assert kit.users.get(first.id) == disabled
    assert kit.users.find_by_email("g@example.com") == disabled


# --- history of company switches -----------------------------------------------------------------


def test_removing_the_active_company_records_the_switch_under_the_next(many: AccountKit) -> None:
    """When removing the active company activates another, that company's history says so,
    with the company the user came from and why."""
    me = register(many)
    first, second = two_companies(many, me)
    many.customers.remove_user(OPERATOR, me.id, first)
    switched = [
        e for e in many.reports.history(second).items if e.kind is EventKind.COMPANY_SWITCHED
    ]
    assert len(switched) == 1
    (event,) = switched
    assert event.user_id == me.id
    assert event.actor == OPERATOR
    assert dict(event.data) == {"from": first, "reason": "membership_removed"}
    assert many.customers.context_for(me.id).customer is not None
    assert event in many.reports.user_history(me.id).items


def test_removing_an_inactive_company_records_no_switch(many: AccountKit) -> None:
    """Removing a membership that was not active switches nothing, so no switch is recorded."""
    me = register(many)
    first, second = two_companies(many, me)
    many.customers.remove_user(OPERATOR, me.id, second)
    kinds = [e.kind for e in many.reports.user_history(me.id).items]
    assert EventKind.COMPANY_SWITCHED not in kinds
    assert [m.customer_id for m in many.customers.memberships(me.id) if m.active] == [first]


def test_removing_the_last_company_records_no_switch(many: AccountKit) -> None:
    """With no membership left nothing becomes active and no switch is recorded."""
    me = register(many)
    first = many.customers.create(OPERATOR, name="Only").id
    many.customers.assign_user(OPERATOR, me.id, first)
    many.customers.remove_user(OPERATOR, me.id, first)
    kinds = [e.kind for e in many.reports.user_history(me.id).items]
    assert EventKind.COMPANY_SWITCHED not in kinds


@pytest.mark.parametrize("by_self", [True, False])
def test_company_switched_names_the_previous_company(many: AccountKit, by_self: bool) -> None:
    """A chosen switch is filed under the new company with data {"from": previous}."""
    me = register(many)
    first, second = two_companies(many, me)
    actor = Actor.user(me.id) if by_self else OPERATOR
    many.customers.switch_company(actor, me.id, second)
    many.customers.switch_company(actor, me.id, first)
    switched = [
        e for e in many.reports.user_history(me.id).items if e.kind is EventKind.COMPANY_SWITCHED
    ]
    assert [(e.customer_id, dict(e.data)) for e in switched] == [
        (second, {"from": first}),
        (first, {"from": second}),
    ]
    assert all(e.actor == actor for e in switched)
