"""Registration by mode: B2C makes a personal user (and a PERSONAL customer where the
policy says so); B2B makes a BUSINESS customer with the user as its COMPANY_MANAGER."""

from __future__ import annotations

import attrs
import pytest

from accountkit import (
    AccountKit,
    CustomerKind,
    CustomerNumbering,
    EventKind,
    Role,
    ShopPolicy,
)
from accountkit.errors import EmailTaken
from tests.conftest import KitFactory
from tests.policies._registration import OPEN_B2B, company, register


def test_b2c_makes_a_user_without_a_customer(kit: AccountKit) -> None:
    """Plain B2C registration makes the user alone."""
    user = register(kit)
    assert kit.customers.memberships(user.id) == []


def test_b2c_asks_the_company_name_and_keeps_none(kit: AccountKit) -> None:
    """A company name given under B2C makes no customer."""
    user = register(kit, company_name="Engines")
    assert kit.customers.memberships(user.id) == []


def test_personal_customer_is_made_with_the_user_as_member(make_kit: KitFactory) -> None:
    """TYRIOS: registration makes a PERSONAL customer, numbered at once, with the user as
    its active MEMBER; all in the customer's history."""
    kit = make_kit(ShopPolicy.tyrios())
    user = register(kit)
    context = kit.customers.context_for(user.id)
    assert context.customer is not None
    assert context.customer.kind is CustomerKind.PERSONAL
    assert context.customer.name == "Ada Lovelace"
    assert context.customer.number == "100000"
    assert context.role is Role.MEMBER
    assert context.customer.vat_id is None
    assert context.customer.bill_to is None
    kinds = [e.kind for e in kit.reports.history(context.customer.id).items]
    assert kinds == [EventKind.CUSTOMER_CREATED, EventKind.MEMBERSHIP_ADDED, EventKind.USER_CREATED]


def test_personal_customer_without_numbering_has_no_number(make_kit: KitFactory) -> None:
    """Under NONE numbering the personal customer has no number."""
    kit = make_kit(attrs.evolve(ShopPolicy.tyrios(), numbering=CustomerNumbering.NONE))
    user = register(kit)
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.number is None


def test_b2b_makes_the_company_and_its_manager_in_one_unit(make_kit: KitFactory) -> None:
    """Open B2B: a numbered BUSINESS customer with the user as COMPANY_MANAGER."""
    kit = make_kit(OPEN_B2B)
    user = company(kit)
    context = kit.customers.context_for(user.id)
    assert context.customer is not None
    assert context.customer.kind is CustomerKind.BUSINESS
    assert context.customer.number == "10000"
    assert context.role is Role.COMPANY_MANAGER


@pytest.mark.parametrize("policy", [OPEN_B2B, ShopPolicy.tyrios()], ids=["b2b", "personal"])
def test_registering_twice_makes_no_second_customer(
    make_kit: KitFactory, policy: ShopPolicy
) -> None:
    """A second registration of the address is EmailTaken and makes no customer and no
    number."""
    kit = make_kit(policy)
    first = company(kit)
    with pytest.raises(EmailTaken) as info:
        company(kit, "ADA@example.com")
    assert info.value.code == "email_taken"
    with kit.store.transaction(readonly=True) as tx:
        assert len(tx.memberships.for_user(first.id)) == 1
    second = company(kit, "bob@example.com")
    customer = kit.customers.context_for(second.id).customer
    assert customer is not None
    assert customer.number in {"10001", "100001"}
