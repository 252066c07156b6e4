"""Policy presets and contradictions: each seed system's preset builds, and a policy that
contradicts itself is refused naming every field of the clash."""

from __future__ import annotations

import attrs
import pytest

from accountkit import (
    CustomerNumbering,
    Field,
    GuestCheckout,
    LoginRequirement,
    MembershipRule,
    RegistrationAccess,
    RegistrationMode,
    ShopPolicy,
)
from accountkit.errors import InvalidPolicy, ValidationError
from accountkit.policies import AnonymousAssortment, AnonymousView, MyPage, NumberingMode

PRESETS = {
    "b2c_open": ShopPolicy.b2c_open,
    "b2c_closed": ShopPolicy.b2c_closed,
    "b2b_approval": ShopPolicy.b2b_approval,
    "tyrios": ShopPolicy.tyrios,
    "tradeline_pro": ShopPolicy.tradeline_pro,
    "abicart": ShopPolicy.abicart,
    "site_builder": ShopPolicy.site_builder,
}


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_builds_and_is_a_fresh_equal_value(name: str) -> None:
    """Presets are values: two calls give equal, independent policies."""
    assert PRESETS[name]() == PRESETS[name]()


def test_the_seed_system_presets_make_their_systems_choices() -> None:
    """Each preset's defining choices, as docs/policies.md describes them."""
    tyrios = ShopPolicy.tyrios()
    assert (tyrios.membership, tyrios.personal_customer, tyrios.guest_checkout) == (
        MembershipRule.ONE_CUSTOMER_PER_USER,
        True,
        GuestCheckout.GUEST_ACCOUNT,
    )
    trade = ShopPolicy.tradeline_pro()
    assert trade.registration_mode is RegistrationMode.B2B
    assert trade.registration_access is RegistrationAccess.APPROVAL
    assert {Field.COMPANY_NAME, Field.VAT_ID, Field.PHONE} <= trade.required_fields
    assert trade.membership is MembershipRule.MANY_COMPANIES
    abicart = ShopPolicy.abicart()
    assert abicart.registration_access is RegistrationAccess.CLOSED
    assert abicart.login_requirement is LoginRequirement.TO_SEE_PRICES_AND_ORDER
    assert abicart.anonymous.assortment is AnonymousAssortment.ALL
    assert not abicart.anonymous_prices
    assert abicart.numbering.mode is NumberingMode.AUTOMATIC
    site = ShopPolicy.site_builder()
    assert (site.guest_checkout, site.numbering) == (
        GuestCheckout.NO_ACCOUNT,
        CustomerNumbering.NONE,
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"registration_mode": "b2b", "required_fields": {Field.GIVEN_NAME}},
            ("registration_mode", "required_fields"),
        ),
        ({"required_fields": {Field.VAT_ID}}, ("registration_mode", "required_fields")),
        ({"required_fields": {Field.COMPANY_ADDRESS}}, ("registration_mode", "required_fields")),
        (
            {
                "registration_mode": "b2b",
                "required_fields": {Field.COMPANY_NAME},
                "personal_customer": True,
            },
            ("registration_mode", "personal_customer"),
        ),
        (
            {
                "login_requirement": "to_see_prices_and_order",
                "anonymous": AnonymousView(prices=True),
            },
            ("login_requirement", "anonymous"),
        ),
        (
            {
                "registration_mode": "b2b",
                "required_fields": set(),
                "personal_customer": True,
                "login_requirement": "to_see_prices_and_order",
                "anonymous": AnonymousView(prices=True),
            },
            (
                "registration_mode",
                "required_fields",
                "personal_customer",
                "login_requirement",
                "anonymous",
            ),
        ),
    ],
    ids=["b2b-no-company", "b2c-vat", "b2c-address", "b2b-personal", "prices", "all-at-once"],
)
def test_a_contradictory_policy_names_every_clashing_field(
    changes: dict[str, object], fields: tuple[str, ...]
) -> None:
    """One InvalidPolicy, every field of every clash in it."""
    with pytest.raises(InvalidPolicy) as info:
        ShopPolicy(**changes)  # type: ignore[arg-type]
    assert info.value.fields == fields
    assert info.value.field == fields[0]


def test_an_anonymous_view_needs_categories_exactly_with_categories() -> None:
    """CATEGORIES without categories, or categories with ALL: InvalidPolicy."""
    with pytest.raises(InvalidPolicy):
        AnonymousView(assortment="categories")
    with pytest.raises(InvalidPolicy):
        AnonymousView(categories={"ski"})
    view = AnonymousView(assortment="categories", categories=["ski", "boots"])
    assert view.categories == frozenset({"ski", "boots"})


@pytest.mark.parametrize(
    "bad",
    [
        {"my_pages": "orders"},
        {"my_pages": {"wishlist"}},
        {"personal_customer": 1},
        {"anonymous": "all"},
    ],
)
def test_bad_policy_values_are_refused(bad: dict[str, object]) -> None:
    """A wrong type or an unknown value: a ValidationError naming the field."""
    with pytest.raises(ValidationError) as info:
        ShopPolicy(**bad)  # type: ignore[arg-type]
    assert info.value.field in bad


def test_prices_follow_the_login_requirement_unless_set() -> None:
    """anonymous.prices None: shown under NONE, hidden under TO_SEE_PRICES_AND_ORDER."""
    assert ShopPolicy().anonymous_prices
    required = ShopPolicy(login_requirement="to_see_prices_and_order")
    assert not required.anonymous_prices
    hidden = attrs.evolve(ShopPolicy(), anonymous=AnonymousView(prices=False))
    assert not hidden.anonymous_prices
    assert ShopPolicy().my_pages == frozenset(MyPage)
