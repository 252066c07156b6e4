"""kit.access and context_for on MemoryStore: anonymous contexts per channel, stored users,
group assortments, custom roles, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Customer,
    CustomerGroup,
    CustomerKind,
    LoginRequirement,
    MembershipRule,
    Role,
    SalesChannel,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import (
    ChannelNotFound,
    InvalidValue,
    NotPermitted,
    PermissionDenied,
    SignInRequired,
    UnknownPermission,
    UnknownRole,
    UserDisabled,
    UserErased,
)
from accountkit.policies import AnonymousAssortment, AnonymousView, MyPage
from accountkit.services import Browse, StorefrontContext
from accountkit.storage import MemoryStore
from tests.helpers import full_user

OPERATOR = Actor.operator("staff-1")
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ROLES = {"purchaser": {Permission.PLACE_ORDERS, Permission.SEE_PRICES}}
B2C = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
B2B = attrs.evolve(ShopPolicy.b2b_approval(), my_pages={MyPage.ORDERS, MyPage.INVOICES})


def _kit(roles: dict[str, set[Permission]] | None = None) -> AccountKit:
    return AccountKit(
        store=MemoryStore(),
        secret_keys=["k" * 32],
        channels=[SalesChannel("web", B2C), SalesChannel("b2b", B2B)],
        roles=ROLES if roles is None else roles,
    )


def test_an_anonymous_context_names_the_channel_and_what_it_grants() -> None:
    """context_for(None) is the first channel's visitor unless a channel is named."""
    kit = _kit()
    web = kit.customers.context_for(None)
    b2b = kit.customers.context_for(None, channel="b2b")
    assert (web.user, web.channel, b2b.channel) == (None, "web", "b2b")
    assert web.permissions == {Permission.PLACE_ORDERS, Permission.SEE_PRICES}
    assert b2b.permissions == frozenset()
    assert web.my_pages == b2b.my_pages == frozenset()
    assert kit.access.can(web, Permission.SEE_PRICES)
    with pytest.raises(SignInRequired) as raised:
        kit.access.check(b2b, Permission.SEE_PRICES)
    assert raised.value.permission == "see_prices"


def test_an_unknown_channel_is_channel_not_found() -> None:
    """context_for and kit.access refuse a channel the kit does not have."""
    kit = _kit()
    user_id = full_user(kit)
    with pytest.raises(ChannelNotFound):
        kit.customers.context_for(None, channel="shop")
    with pytest.raises(ChannelNotFound):
        kit.customers.context_for(user_id, channel="shop")
    with pytest.raises(ChannelNotFound):
        kit.access.can(StorefrontContext(user=None, channel="shop"), Permission.SEE_PRICES)


def test_a_users_context_keeps_the_customer_and_adds_the_channels_grants() -> None:
    """A manager's context on the B2B channel carries the customer, group, role and the
    grants of that channel's policy (my pages as the channel offers them)."""
    kit = _kit()
    user_id = full_user(kit)
    group = kit.customers.create_group(OPERATOR, name="Garden", assortment={"garden"})
    customer = kit.customers.create(
        OPERATOR, name="Gartenbau", kind=CustomerKind.BUSINESS, group_id=group.id
    )
    kit.customers.assign_user(OPERATOR, user_id, customer.id, Role.COMPANY_MANAGER)
    context = kit.customers.context_for(user_id, channel="b2b")
    assert context.customer is not None
    assert (context.customer.id, context.role, context.group) == (
        customer.id,
        Role.COMPANY_MANAGER,
        group,
    )
    assert context.permissions == frozenset(Permission)
    assert context.my_pages == {MyPage.ORDERS, MyPage.INVOICES}
    assert kit.access.my_pages(context) == {MyPage.ORDERS, MyPage.INVOICES}
    assert kit.customers.context_for(user_id).my_pages == frozenset(MyPage)
    assert kit.access.can(context, Browse("garden"))
    with pytest.raises(PermissionDenied) as raised:
        kit.access.check(context, Browse("tools"))
    assert (raised.value.code, raised.value.permission) == ("permission_denied", None)


def test_a_user_without_a_customer_shops_for_themself() -> None:
    """A B2C user of no customer may order and see their pages, not manage a company."""
    kit = _kit()
    context = kit.customers.context_for(full_user(kit))
    assert context.customer is None
    assert kit.access.can(context, Permission.PLACE_ORDERS)
    assert kit.access.my_pages(context) == frozenset(MyPage)
    with pytest.raises(PermissionDenied) as raised:
        kit.access.check(context, Permission.MANAGE_USERS)
    assert raised.value.permission == "manage_users"


def test_a_disabled_user_may_do_nothing() -> None:
    """After kit.users.disable every action is UserDisabled and no page is shown."""
    kit = _kit()
    user_id = full_user(kit)
    kit.users.disable(OPERATOR, user_id)
    context = kit.customers.context_for(user_id)
    assert context.permissions == frozenset()
    assert context.my_pages == frozenset()
    with pytest.raises(UserDisabled):
        kit.access.check(context, Browse())


def test_a_blank_user_may_browse_and_must_complete_the_profile_to_order() -> None:
    """A BLANK user's order is ProfileIncomplete; browsing and prices are open."""
    kit = _kit()
    blank = kit.registration.create_blank(OPERATOR)
    context = kit.customers.context_for(blank.id)
    assert kit.access.can(context, Browse("tools"))
    assert kit.access.can(context, Permission.SEE_PRICES)
    with pytest.raises(PermissionDenied) as raised:
        kit.access.check(context, Permission.PLACE_ORDERS)
    assert (raised.value.code, raised.value.permission) == ("profile_incomplete", "place_orders")


def test_a_stored_custom_role_grants_its_permissions() -> None:
    """A membership with a custom role read back grants exactly the role's set."""
    kit = _kit()
    user_id = full_user(kit)
    customer = kit.customers.create(OPERATOR, name="Gartenbau", kind=CustomerKind.BUSINESS)
    membership = kit.customers.assign_user(OPERATOR, user_id, customer.id, Role.BUYER)
    with kit.store.transaction() as tx:
        tx.memberships.update(attrs.evolve(membership, role="purchaser"))
    context = kit.customers.context_for(user_id)
    assert context.role == "purchaser"
    assert context.permissions == {Permission.PLACE_ORDERS, Permission.SEE_PRICES}
    assert context.my_pages == frozenset()


def test_a_stored_role_the_kit_does_not_know_is_unknown_role() -> None:
    """A membership whose custom role the kit was not given is UnknownRole when read back,
    and a context holding one is UnknownRole in kit.access, even for browsing."""
    kit = _kit()
    user_id = full_user(kit)
    customer = kit.customers.create(OPERATOR, name="Gartenbau", kind=CustomerKind.BUSINESS)
    membership = kit.customers.assign_user(OPERATOR, user_id, customer.id, Role.BUYER)
    with kit.store.transaction() as tx:
        tx.memberships.update(attrs.evolve(membership, role="ghost"))
    with pytest.raises(UnknownRole):
        kit.customers.context_for(user_id)
    context = attrs.evolve(kit.customers.context_for(None), role="ghost", customer=customer)
    context = attrs.evolve(context, user=kit.users.get(user_id))
    for action in (Browse(), Permission.SEE_PRICES, MyPage.ORDERS):
        with pytest.raises(UnknownRole):
            kit.access.can(context, action)


@pytest.mark.parametrize("action", ["fly", "orders", "PLACE_ORDERS", "", 3, None, Role.BUYER])
def test_an_unknown_action_is_unknown_permission(action: object) -> None:
    """A name that is no permission (a page's value and wrong case included) is refused
    by can, check and for every context."""
    kit = _kit()
    for context in (kit.customers.context_for(None), kit.customers.context_for(full_user(kit))):
        with pytest.raises(UnknownPermission):
            kit.access.can(context, action)  # type: ignore[arg-type]
        with pytest.raises(UnknownPermission):
            kit.access.check(context, action)  # type: ignore[arg-type]


def test_a_permissions_exact_value_means_the_permission() -> None:
    """can(context, "see_prices") is can(context, Permission.SEE_PRICES)."""
    kit = _kit()
    b2b = kit.customers.context_for(None, channel="b2b")
    assert kit.access.can(b2b, "see_prices") is False
    assert kit.access.can(kit.customers.context_for(None), "place_orders") is True


@pytest.mark.parametrize("category", ["", "x" * 201, "a\x00b", "\u200b", 7])
def test_a_bad_category_is_invalid_value(category: object) -> None:
    """Browse refuses a category that is not an id of 1 to 200 characters."""
    with pytest.raises(InvalidValue) as raised:
        Browse(category)  # type: ignore[arg-type]
    assert raised.value.field == "category"


@pytest.mark.parametrize("assortment", ["garden", ["garden", ""], [None], 5])
def test_a_bad_group_assortment_stores_nothing(assortment: object) -> None:
    """create_group refuses an assortment that is not a set of ids, and makes no group."""
    kit = _kit()
    with pytest.raises(InvalidValue) as raised:
        kit.customers.create_group(OPERATOR, name="Garden", assortment=assortment)  # type: ignore[arg-type]
    assert raised.value.field == "assortment"
    assert kit.customers.list_groups() == []


def test_a_group_assortment_is_read_back() -> None:
    """create_group keeps the assortment; None stays the whole assortment."""
    kit = _kit()
    some = kit.customers.create_group(OPERATOR, name="A", assortment=["garden", "tools"])
    every = kit.customers.create_group(OPERATOR, name="B")
    assert kit.customers.get_group(some.id).assortment == frozenset({"garden", "tools"})
    assert kit.customers.get_group(every.id).assortment is None


def test_a_user_may_ask_only_for_their_own_context() -> None:
    """context_for with another user as actor is NotPermitted; anonymous needs no actor."""
    kit = _kit()
    ada = full_user(kit)
    bob = full_user(kit, email="bob@example.com")
    with pytest.raises(NotPermitted):
        kit.customers.context_for(ada, actor=Actor.user(bob))


# --- rules over all inputs ---------------------------------------------------------------

ACTIONS = [*Permission, *MyPage, Browse(), Browse("garden"), Browse("tools")]
VIEWS = st.builds(
    lambda assortment, prices: AnonymousView(
        assortment=assortment,
        categories={"garden"} if assortment is AnonymousAssortment.CATEGORIES else frozenset(),
        prices=prices,
    ),
    st.sampled_from(AnonymousAssortment),
    st.sampled_from([None, False]),
)
POLICIES = st.builds(
    lambda login, view, pages: ShopPolicy(login_requirement=login, anonymous=view, my_pages=pages),
    st.sampled_from(LoginRequirement),
    VIEWS,
    st.frozensets(st.sampled_from(MyPage)),
)


@st.composite
def contexts(draw: st.DrawFn) -> StorefrontContext:
    """An anonymous visitor, or a user of any tier and status with any role and group."""
    if draw(st.booleans()):
        return StorefrontContext(user=None, channel="web")
    tier = draw(st.sampled_from(UserTier))
    user = User(
        id="usr_1",
        tier=tier,
        status=draw(st.sampled_from(UserStatus)),
        must_complete_profile=tier is UserTier.BLANK,
        created_at=NOW,
        updated_at=NOW,
    )
    role = draw(st.sampled_from([None, *Role, "purchaser"]))
    if role is None:
        return StorefrontContext(user=user, channel="web")
    group = CustomerGroup(
        id="grp_1",
        name="G",
        assortment=draw(st.none() | st.frozensets(st.sampled_from(["garden", "tools"]))),
        created_at=NOW,
    )
    customer = Customer(
        id="cus_1",
        kind=CustomerKind.BUSINESS,
        name="C",
        channel="web",
        created_at=NOW,
        updated_at=NOW,
    )
    return StorefrontContext(user=user, channel="web", customer=customer, group=group, role=role)


@given(policy=POLICIES, context=contexts())
def test_can_is_check_passing_and_pages_follow_their_permission(
    policy: ShopPolicy, context: StorefrontContext
) -> None:
    """For every policy and context: can is True exactly when check passes; a page is shown
    only when offered and its permission is granted; nothing is granted to an inactive user."""
    kit = AccountKit(
        store=MemoryStore(),
        secret_keys=["k" * 32],
        channels=[SalesChannel("web", policy)],
        roles=ROLES,
    )
    for action in ACTIONS:
        try:
            kit.access.check(context, action)
            passed = True
        except (PermissionDenied, UserDisabled, UserErased):
            passed = False
        assert kit.access.can(context, action) is passed
    pages = kit.access.my_pages(context)
    assert pages <= policy.my_pages
    needs = {
        MyPage.ORDERS: Permission.SEE_ORDERS_AND_TRACKING,
        MyPage.TRACKING: Permission.SEE_ORDERS_AND_TRACKING,
        MyPage.INVOICES: Permission.SEE_INVOICES_AND_DOCUMENTS,
        MyPage.DOWNLOADS: Permission.DOWNLOAD_FILES,
    }
    for page in pages:
        assert kit.access.can(context, needs[page])
    if context.user is not None and context.user.status is not UserStatus.ACTIVE:
        assert not any(kit.access.can(context, a) for a in ACTIONS)
    if context.user is None:
        assert pages == frozenset()
