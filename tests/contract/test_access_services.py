"""kit.access through the services on every store: anonymous contexts per channel, and the
grants of users read back from the store (tiers, statuses, roles incl. custom ones, group
assortments)."""

from __future__ import annotations

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    FrozenClock,
    MembershipRule,
    Role,
    SalesChannel,
    ShopPolicy,
    UserStatus,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import (
    AwaitingApproval,
    PermissionDenied,
    ProfileIncomplete,
    SignInRequired,
    UnknownRole,
    UserDisabled,
)
from accountkit.policies import MyPage
from accountkit.services import Browse
from accountkit.storage import Store
from accountkit.testing import CheapPasswordHasher
from tests.contract.factories import add_user, in_tx
from tests.helpers import full_user

STAFF = Actor.operator("staff-7")
B2C = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
B2B = attrs.evolve(ShopPolicy.b2b_approval(), my_pages={MyPage.ORDERS})
SHOPPING = frozenset(
    {
        Permission.PLACE_ORDERS,
        Permission.SEE_PRICES,
        Permission.SEE_ORDERS_AND_TRACKING,
        Permission.SEE_INVOICES_AND_DOCUMENTS,
        Permission.DOWNLOAD_FILES,
    }
)


@pytest.fixture
def shop(store: Store, clock: FrozenClock, hasher: CheapPasswordHasher) -> AccountKit:
    """A B2C and a B2B channel and one custom role on the store under test."""
    return AccountKit(
        store=store,
        secret_keys=["test-secret-key-0123456789abcdef"],
        channels=[SalesChannel("web", B2C), SalesChannel("b2b", B2B)],
        clock=clock,
        password_hasher=hasher,
        roles={"purchaser": {Permission.PLACE_ORDERS, Permission.SEE_PRICES}},
    )


def _member(shop: AccountKit, email: str, role: Role, *, group_id: str | None = None) -> str:
    user_id = full_user(shop, email=email)
    customer = shop.customers.create(
        STAFF, name="Gartenbau", kind=CustomerKind.BUSINESS, group_id=group_id
    )
    shop.customers.assign_user(STAFF, user_id, customer.id, role)
    return user_id


def test_anonymous_visitors_get_each_channels_view(shop: AccountKit) -> None:
    """On B2C a visitor sees prices and orders as a guest; on B2B they must sign in."""
    web = shop.customers.context_for(None)
    b2b = shop.customers.context_for(None, channel="b2b")
    assert web.permissions == {Permission.PLACE_ORDERS, Permission.SEE_PRICES}
    assert shop.access.can(web, Browse("garden"))
    assert shop.access.can(b2b, Browse("garden"))
    with pytest.raises(SignInRequired):
        shop.access.check(b2b, Permission.PLACE_ORDERS)
    assert shop.access.my_pages(web) == shop.access.my_pages(b2b) == frozenset()


def test_stored_roles_grant_their_permissions(shop: AccountKit, store: Store) -> None:
    """Managers, buyers, viewers and a custom role read back from the store grant their
    sets, and the grants in the context match kit.access."""
    manager = _member(shop, "manager@example.com", Role.COMPANY_MANAGER)
    viewer = _member(shop, "viewer@example.com", Role.VIEWER)
    custom = _member(shop, "custom@example.com", Role.BUYER)
    (membership,) = shop.customers.memberships(custom)
    in_tx(store, lambda tx: tx.memberships.update(attrs.evolve(membership, role="purchaser")))
    expected = {
        manager: frozenset(Permission),
        viewer: SHOPPING - {Permission.PLACE_ORDERS},
        custom: frozenset({Permission.PLACE_ORDERS, Permission.SEE_PRICES}),
    }
    for user_id, granted in expected.items():
        context = shop.customers.context_for(user_id, channel="b2b")
        assert context.permissions == granted
        assert {p for p in Permission if shop.access.can(context, p)} == granted
    with pytest.raises(PermissionDenied) as raised:
        shop.access.check(shop.customers.context_for(viewer), Permission.PLACE_ORDERS)
    assert raised.value.permission == "place_orders"
    assert shop.customers.context_for(manager, channel="b2b").my_pages == {MyPage.ORDERS}
    assert shop.customers.context_for(custom).my_pages == frozenset()


def test_a_group_assortment_limits_browsing(shop: AccountKit) -> None:
    """A customer in a group with assortment {"garden"} may browse garden, not tools."""
    group = shop.customers.create_group(STAFF, name="Garden", assortment={"garden"})
    user_id = _member(shop, "buyer@example.com", Role.BUYER, group_id=group.id)
    context = shop.customers.context_for(user_id)
    assert context.group is not None
    assert context.group.assortment == frozenset({"garden"})
    assert shop.access.can(context, Browse("garden"))
    assert not shop.access.can(context, Browse("tools"))


def test_user_states_decide_before_roles(shop: AccountKit, store: Store) -> None:
    """A disabled user, one waiting for approval and a BLANK user read back from the store
    get UserDisabled, AwaitingApproval and ProfileIncomplete; a user of no customer shops
    for themself."""
    disabled = full_user(shop, email="off@example.com")
    shop.users.disable(STAFF, disabled)
    pending = add_user(store, status=UserStatus.PENDING_APPROVAL)
    blank = shop.registration.create_blank(STAFF)
    alone = full_user(shop, email="alone@example.com")
    with pytest.raises(UserDisabled) as raised:
        shop.access.check(shop.customers.context_for(disabled), Browse())
    assert raised.value.code == "user_disabled"
    with pytest.raises(AwaitingApproval):
        shop.access.check(shop.customers.context_for(pending.id), Permission.SEE_PRICES)
    with pytest.raises(ProfileIncomplete):
        shop.access.check(shop.customers.context_for(blank.id), Permission.PLACE_ORDERS)
    assert shop.customers.context_for(alone).permissions == SHOPPING


def test_an_unknown_stored_role_is_unknown_role(shop: AccountKit, store: Store) -> None:
    """A membership whose custom role the kit does not know is UnknownRole when read."""
    user_id = _member(shop, "ghost@example.com", Role.BUYER)
    (membership,) = shop.customers.memberships(user_id)
    in_tx(store, lambda tx: tx.memberships.update(attrs.evolve(membership, role="ghost")))
    with pytest.raises(UnknownRole):
        shop.customers.context_for(user_id)
