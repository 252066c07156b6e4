"""kit.access against an explicit table: every anonymous view under each login requirement,
and every tier x status x role (a custom role included) with and without a group assortment.

The expected cells are written out by hand below; they are not derived from the rules the
service applies.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from accountkit import (
    AccountKit,
    Customer,
    CustomerGroup,
    CustomerKind,
    LoginRequirement,
    Role,
    SalesChannel,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import AccountKitError, PermissionDenied
from accountkit.policies import AnonymousAssortment, AnonymousView, MyPage
from accountkit.services import Action, Browse, StorefrontContext
from accountkit.storage import MemoryStore

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
P = Permission

# The columns of every row, in this order.
ACTIONS: tuple[Action, ...] = (
    P.PLACE_ORDERS,
    P.SEE_PRICES,
    P.SEE_ORDERS_AND_TRACKING,
    P.SEE_INVOICES_AND_DOCUMENTS,
    P.DOWNLOAD_FILES,
    P.MANAGE_USERS,
    P.MANAGE_ADDRESSES,
    MyPage.ORDERS,
    MyPage.TRACKING,
    MyPage.INVOICES,
    MyPage.DOWNLOADS,
    Browse(),
    Browse("garden"),
    Browse("tools"),
)

# Cell codes: Y allowed; S sign_in_required; D permission_denied; B profile_incomplete;
# A awaiting_approval; X user_disabled; E user_erased.
CODES = {
    "S": "sign_in_required",
    "D": "permission_denied",
    "B": "profile_incomplete",
    "A": "awaiting_approval",
    "X": "user_disabled",
    "E": "user_erased",
}

# --- anonymous visitors ------------------------------------------------------------------
# (login requirement, anonymous assortment, anonymous.prices) -> row.
# CATEGORIES shows {"garden"}.
NONE_ = LoginRequirement.NONE
SIGN = LoginRequirement.TO_SEE_PRICES_AND_ORDER
ALL, CATS, HIDDEN = (
    AnonymousAssortment.ALL,
    AnonymousAssortment.CATEGORIES,
    AnonymousAssortment.NONE,
)
# Columns: order prices orders invoices files users addresses | pages: orders tracking
# invoices downloads | browse: all, garden, tools.
ANONYMOUS: dict[tuple[LoginRequirement, AnonymousAssortment, bool | None], str] = {
    (NONE_, ALL, None): "Y Y S S S S S  S S S S  Y Y Y",
    (NONE_, ALL, True): "Y Y S S S S S  S S S S  Y Y Y",
    (NONE_, ALL, False): "Y S S S S S S  S S S S  Y Y Y",
    (NONE_, CATS, None): "Y Y S S S S S  S S S S  Y Y S",
    (NONE_, CATS, True): "Y Y S S S S S  S S S S  Y Y S",
    (NONE_, CATS, False): "Y S S S S S S  S S S S  Y Y S",
    (NONE_, HIDDEN, None): "Y Y S S S S S  S S S S  S S S",
    (NONE_, HIDDEN, True): "Y Y S S S S S  S S S S  S S S",
    (NONE_, HIDDEN, False): "Y S S S S S S  S S S S  S S S",
    (SIGN, ALL, None): "S S S S S S S  S S S S  Y Y Y",
    (SIGN, ALL, False): "S S S S S S S  S S S S  Y Y Y",
    (SIGN, CATS, None): "S S S S S S S  S S S S  Y Y S",
    (SIGN, CATS, False): "S S S S S S S  S S S S  Y Y S",
    (SIGN, HIDDEN, None): "S S S S S S S  S S S S  S S S",
    (SIGN, HIDDEN, False): "S S S S S S S  S S S S  S S S",
}

# --- signed-in users ---------------------------------------------------------------------
# An ACTIVE FULL user, by role (None: acts for no customer), without a group assortment.
# Columns: order prices orders invoices files users addresses | pages: orders tracking
# invoices downloads | browse: all, garden, tools.
ACTIVE_FULL: dict[Role | str | None, str] = {
    None: "Y Y Y Y Y D D  Y Y Y Y  Y Y Y",
    Role.COMPANY_MANAGER: "Y Y Y Y Y Y Y  Y Y Y Y  Y Y Y",
    Role.BUYER: "Y Y Y Y Y D D  Y Y Y Y  Y Y Y",
    Role.VIEWER: "D Y Y Y Y D D  Y Y Y Y  Y Y Y",
    Role.MEMBER: "Y Y Y Y Y D D  Y Y Y Y  Y Y Y",
    "purchaser": "Y Y D D D D D  D D D D  Y Y Y",
    "auditor": "D D D Y D D D  D D Y D  Y Y Y",
}
# The same with the customer's group assortment {"garden"}: "tools" is not browsable.
ACTIVE_FULL_GROUP: dict[Role | str | None, str] = {
    Role.COMPANY_MANAGER: "Y Y Y Y Y Y Y  Y Y Y Y  Y Y D",
    Role.BUYER: "Y Y Y Y Y D D  Y Y Y Y  Y Y D",
    Role.VIEWER: "D Y Y Y Y D D  Y Y Y Y  Y Y D",
    Role.MEMBER: "Y Y Y Y Y D D  Y Y Y Y  Y Y D",
    "purchaser": "Y Y D D D D D  D D D D  Y Y D",
    "auditor": "D D D Y D D D  D D Y D  Y Y D",
}
# A BLANK user may browse but not order: the first cell becomes B in every row above.
# A user waiting for approval gets A in every cell, a disabled one X in every cell.
ALL_A = "A A A A A A A  A A A A  A A A"
ALL_X = "X X X X X X X  X X X X  X X X"
ALL_E = "E E E E E E E  E E E E  E E E"

ROLES = {
    "purchaser": {P.PLACE_ORDERS, P.SEE_PRICES},
    "auditor": {P.SEE_INVOICES_AND_DOCUMENTS},
}


def _cells(row: str) -> list[str]:
    cells = row.split()
    assert len(cells) == len(ACTIONS)
    return cells


def _kit(policy: ShopPolicy) -> AccountKit:
    return AccountKit(
        store=MemoryStore(),
        secret_keys=["k" * 32],
        channels=[SalesChannel("web", policy)],
        roles=ROLES,
    )


def _assert_row(kit: AccountKit, context: StorefrontContext, row: str) -> None:
    for action, cell in zip(ACTIONS, _cells(row), strict=True):
        assert kit.access.can(context, action) is (cell == "Y"), (action, cell)
        if cell == "Y":
            kit.access.check(context, action)
            continue
        with pytest.raises(AccountKitError) as raised:
            kit.access.check(context, action)
        assert raised.value.code == CODES[cell], (action, cell)


@pytest.mark.parametrize(("key", "row"), ANONYMOUS.items(), ids=str)
def test_anonymous_visitors_follow_the_table(
    key: tuple[LoginRequirement, AnonymousAssortment, bool | None], row: str
) -> None:
    """Each login requirement and anonymous view gives anonymous visitors its row."""
    login, assortment, prices = key
    view = AnonymousView(
        assortment=assortment,
        categories={"garden"} if assortment is CATS else frozenset(),
        prices=prices,
    )
    kit = _kit(ShopPolicy(login_requirement=login, anonymous=view))
    context = kit.customers.context_for(None)
    _assert_row(kit, context, row)
    assert kit.access.my_pages(context) == frozenset()


def test_the_anonymous_table_covers_every_valid_view() -> None:
    """Every login requirement, assortment and price choice that makes a valid policy has a
    row (TO_SEE_PRICES_AND_ORDER with prices shown is a contradiction)."""
    keys = {
        (login, assortment, prices)
        for login in LoginRequirement
        for assortment in AnonymousAssortment
        for prices in (None, True, False)
        if not (login is SIGN and prices is True)
    }
    assert set(ANONYMOUS) == keys


def _user(tier: UserTier, status: UserStatus) -> User:
    return User(
        id="usr_1",
        tier=tier,
        status=status,
        must_complete_profile=tier is UserTier.BLANK,
        created_at=NOW,
        updated_at=NOW,
    )


def _context(
    user: User, role: Role | str | None, assortment: frozenset[str] | None
) -> StorefrontContext:
    if role is None:
        return StorefrontContext(user=user, channel="web")
    group = CustomerGroup(id="grp_1", name="Garden", assortment=assortment, created_at=NOW)
    customer = Customer(
        id="cus_1",
        kind=CustomerKind.BUSINESS,
        name="Gartenbau",
        group_id=group.id,
        channel="web",
        created_at=NOW,
        updated_at=NOW,
    )
    return StorefrontContext(user=user, channel="web", customer=customer, group=group, role=role)


def _expected(tier: UserTier, status: UserStatus, role: Role | str | None, grouped: bool) -> str:
    if status is UserStatus.PENDING_APPROVAL:
        return ALL_A
    if status is UserStatus.DISABLED:
        return ALL_X
    if status is UserStatus.ERASED:
        return ALL_E
    row = (ACTIVE_FULL_GROUP if grouped else ACTIVE_FULL)[role]
    if tier is UserTier.BLANK:
        row = "B" + row[1:]
    return row


# Every role without a group assortment, and every role of a customer with one.
ROLE_CASES = [(role, False) for role in ACTIVE_FULL] + [(role, True) for role in ACTIVE_FULL_GROUP]


@pytest.mark.parametrize(("role", "grouped"), ROLE_CASES, ids=str)
@pytest.mark.parametrize("status", list(UserStatus), ids=str)
@pytest.mark.parametrize("tier", list(UserTier), ids=str)
def test_signed_in_users_follow_the_table(
    tier: UserTier, status: UserStatus, role: Role | str | None, grouped: bool
) -> None:
    """Each tier, status and role, with and without a group assortment, gives its row."""
    kit = _kit(ShopPolicy.b2c_open())
    context = _context(_user(tier, status), role, frozenset({"garden"}) if grouped else None)
    _assert_row(kit, context, _expected(tier, status, role, grouped))


def test_the_role_table_covers_every_role() -> None:
    """Every built-in role, both custom roles and "no customer" have a row."""
    assert set(ACTIVE_FULL) == {None, *Role, *ROLES}
    assert set(ACTIVE_FULL_GROUP) == {*Role, *ROLES}


# The permission a refusal names, by column (None: a browse refusal names none).
PERMISSION_NAMED = (
    "place_orders",
    "see_prices",
    "see_orders_and_tracking",
    "see_invoices_and_documents",
    "download_files",
    "manage_users",
    "manage_addresses",
    "see_orders_and_tracking",
    "see_orders_and_tracking",
    "see_invoices_and_documents",
    "download_files",
    None,
    None,
    None,
)


@pytest.mark.parametrize("role", list(ACTIVE_FULL_GROUP), ids=str)
def test_a_refusal_names_the_missing_permission(role: Role | str) -> None:
    """PermissionDenied.permission names what the role lacks (a page's permission for a
    page; nothing for a category outside the assortment)."""
    kit = _kit(ShopPolicy.b2c_open())
    context = _context(_user(UserTier.FULL, UserStatus.ACTIVE), role, frozenset({"garden"}))
    for action, cell, named in zip(
        ACTIONS, _cells(ACTIVE_FULL_GROUP[role]), PERMISSION_NAMED, strict=True
    ):
        if cell != "D":
            continue
        with pytest.raises(PermissionDenied) as raised:
            kit.access.check(context, action)
        assert raised.value.permission == named, action


# Pages the shop does not offer: with my_pages={ORDERS}, a manager sees only ORDERS.
#                    p:ord p:trk p:inv p:dl
OFFERED_ORDERS_ONLY = "Y D D D"


def test_a_page_the_shop_does_not_offer_is_refused_to_everyone() -> None:
    """With my_pages {ORDERS} a company manager gets only ORDERS; a visitor is refused the
    others without being asked to sign in."""
    kit = _kit(attrs.evolve(ShopPolicy.b2c_open(), my_pages={MyPage.ORDERS}))
    manager = _context(_user(UserTier.FULL, UserStatus.ACTIVE), Role.COMPANY_MANAGER, None)
    pages = (MyPage.ORDERS, MyPage.TRACKING, MyPage.INVOICES, MyPage.DOWNLOADS)
    for page, cell in zip(pages, OFFERED_ORDERS_ONLY.split(), strict=True):
        assert kit.access.can(manager, page) is (cell == "Y")
    assert kit.access.my_pages(manager) == {MyPage.ORDERS}
    anonymous = kit.customers.context_for(None)
    with pytest.raises(PermissionDenied) as raised:
        kit.access.check(anonymous, MyPage.INVOICES)
    assert raised.value.code == "permission_denied"
    with pytest.raises(PermissionDenied) as raised:
        kit.access.check(anonymous, MyPage.ORDERS)
    assert raised.value.code == "sign_in_required"
