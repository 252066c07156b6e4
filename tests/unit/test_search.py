"""kit.users.search and kit.customers.search: filters, pages, hostile text and cursors."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    Page,
    SalesChannel,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.errors import InvalidCursor, InvalidValue, NotPermitted
from accountkit.storage import MemoryStore
from tests.conftest import KitFactory
from tests.contract.factories import add_customer, add_user, in_tx, make_blank_user
from tests.helpers import BASE_URL

STAFF = Actor.operator("staff-7")


@pytest.fixture
def store() -> MemoryStore:
    """A fresh MemoryStore."""
    return MemoryStore()


@pytest.fixture
def kit(make_kit: KitFactory, store: MemoryStore) -> AccountKit:
    """A kit on ``store``."""
    return make_kit(store=store)


def _all_users(kit: AccountKit, page_size: int, **filters: object) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page: Page[User] = kit.users.search(
            STAFF,
            page_size=page_size,
            cursor=cursor,
            **filters,  # type: ignore[arg-type]
        )
        assert len(page.items) <= page_size
        seen.extend(u.id for u in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_users_may_not_search(kit: AccountKit, store: MemoryStore) -> None:
    """A user actor gets NotPermitted from both searches."""
    user = add_user(store)
    with pytest.raises(NotPermitted):
        kit.users.search(Actor.user(user.id))
    with pytest.raises(NotPermitted):
        kit.customers.search(Actor.user(user.id))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tiers=st.lists(st.sampled_from([UserTier.FULL, UserTier.GUEST]), min_size=0, max_size=12),
    page_size=st.integers(1, 5),
)
def test_paging_returns_every_match_exactly_once_in_id_order(
    make_kit: KitFactory, tiers: list[UserTier], page_size: int
) -> None:
    """Following next_cursor yields each matching user once, in id order, and then stops."""
    store = MemoryStore()
    kit = make_kit(store=store)
    users = [add_user(store, tier=tier) for tier in tiers]
    expected = sorted(u.id for u in users if u.tier is UserTier.GUEST)
    assert _all_users(kit, page_size, tier=UserTier.GUEST) == expected
    assert _all_users(kit, page_size) == sorted(u.id for u in users)


def test_last_full_page_has_no_next_cursor(kit: AccountKit, store: MemoryStore) -> None:
    """A page that holds the last match offers no next page."""
    for _ in range(4):
        add_user(store)
    first = kit.users.search(STAFF, page_size=2)
    assert first.next_cursor is not None
    second = kit.users.search(STAFF, page_size=2, cursor=first.next_cursor)
    assert len(second.items) == 2
    assert second.next_cursor is None


def test_user_filters_combine(kit: AccountKit, store: MemoryStore) -> None:
    """Text, tier and status filters (also as plain strings) all apply at once."""
    match = add_user(store, given_name="Grete", status=UserStatus.DISABLED)
    add_user(store, given_name="Grete")
    add_user(store, given_name="Hans", status=UserStatus.DISABLED)
    page = kit.users.search(STAFF, text="Gret", tier="full", status="disabled")
    assert [u.id for u in page.items] == [match.id]


def test_customer_filters_combine(kit: AccountKit, store: MemoryStore) -> None:
    """Text, kind and group filters apply; text is case-sensitive on the name."""
    firm = add_customer(store, name="Bäckerei Korn")
    add_customer(store, kind=CustomerKind.PERSONAL, name="Bäckerei Korn")
    page = kit.customers.search(STAFF, text="Bäckerei", kind=CustomerKind.BUSINESS)
    assert [c.id for c in page.items] == [firm.id]
    assert kit.customers.search(STAFF, text="bäckerei").items == ()
    assert kit.customers.search(STAFF, group_id="grp_none").items == ()


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\ud800", "x" * 10_000, "%", "_", "%_%"])
def test_hostile_text_finds_nothing_without_an_error(
    kit: AccountKit, store: MemoryStore, text: str
) -> None:
    """NUL, a lone surrogate, 10,000 characters and LIKE wildcards match nothing."""
    add_user(store)
    add_customer(store)
    assert kit.users.search(STAFF, text=text) == Page(items=(), next_cursor=None)
    assert kit.customers.search(STAFF, text=text) == Page(items=(), next_cursor=None)


@pytest.mark.parametrize("page_size", [0, -1, 501, True, 2.0, "5"])
def test_page_size_outside_1_to_500_is_refused(kit: AccountKit, page_size: object) -> None:
    """A page size that is not a whole number from 1 to 500 raises InvalidValue."""
    with pytest.raises(InvalidValue):
        kit.users.search(STAFF, page_size=page_size)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.customers.search(STAFF, page_size=page_size)  # type: ignore[arg-type]


def test_page_size_bounds_are_accepted(kit: AccountKit) -> None:
    """Page sizes 1 and 500 are accepted."""
    assert kit.users.search(STAFF, page_size=1).items == ()
    assert kit.customers.search(STAFF, page_size=500).items == ()


def test_unknown_tier_is_refused(kit: AccountKit) -> None:
    """A tier that is no UserTier raises InvalidValue."""
    with pytest.raises(InvalidValue):
        kit.users.search(STAFF, tier="FULL")


def _cursor(kit: AccountKit, store: MemoryStore, **filters: object) -> str:
    for _ in range(2):
        add_user(store, given_name="Anna")
    cursor = kit.users.search(STAFF, page_size=1, **filters).next_cursor  # type: ignore[arg-type]
    assert cursor is not None
    return cursor


@pytest.mark.parametrize("bad", ["", "garbage", "a.b", "\ud800", "\x00"])
def test_a_made_up_cursor_is_refused(kit: AccountKit, bad: str) -> None:
    """A cursor the kit did not make raises InvalidCursor."""
    with pytest.raises(InvalidCursor):
        kit.users.search(STAFF, cursor=bad)
    with pytest.raises(InvalidCursor):
        kit.customers.search(STAFF, cursor=bad)


def test_a_tampered_cursor_is_refused(kit: AccountKit, store: MemoryStore) -> None:
    """Changing one character of a cursor makes it invalid."""
    cursor = _cursor(kit, store)
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    with pytest.raises(InvalidCursor):
        kit.users.search(STAFF, cursor=flipped)


def test_a_cursor_is_bound_to_its_filters(kit: AccountKit, store: MemoryStore) -> None:
    """A cursor used with other filters raises InvalidCursor; with its own it works."""
    cursor = _cursor(kit, store, text="Anna")
    assert len(kit.users.search(STAFF, text="Anna", page_size=1, cursor=cursor).items) == 1
    with pytest.raises(InvalidCursor):
        kit.users.search(STAFF, text="Ann", page_size=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        kit.users.search(STAFF, text="Anna", tier=UserTier.FULL, cursor=cursor)


def test_a_user_cursor_is_refused_by_the_customer_search(
    kit: AccountKit, store: MemoryStore
) -> None:
    """A cursor of one kind of search is invalid for the other."""
    cursor = _cursor(kit, store)
    with pytest.raises(InvalidCursor):
        kit.customers.search(STAFF, cursor=cursor)


def test_a_cursor_of_another_kit_is_refused(kit: AccountKit, store: MemoryStore) -> None:
    """A cursor signed with other secret keys raises InvalidCursor."""
    cursor = _cursor(kit, store)
    other = AccountKit(
        store=store,
        secret_keys=["another-secret-key-of-32-bytes!!"],
        channels=[SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL)],
    )
    with pytest.raises(InvalidCursor):
        other.users.search(STAFF, cursor=cursor)


def test_a_cursor_does_not_reveal_the_search_text(kit: AccountKit, store: MemoryStore) -> None:
    """The search text cannot be read back from a cursor or a page's repr."""
    cursor = _cursor(kit, store, text="Anna")
    payload = cursor.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"Anna" not in decoded
    page = kit.users.search(STAFF, text="Anna", page_size=1)
    assert cursor not in repr(page)


@pytest.mark.parametrize("bad", [5, b"Ada", ["Ada"]])
def test_text_and_group_that_are_not_strings_are_refused(kit: AccountKit, bad: object) -> None:
    """A text or group id that is not a string raises InvalidValue."""
    with pytest.raises(InvalidValue):
        kit.users.search(STAFF, text=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.customers.search(STAFF, group_id=bad)  # type: ignore[arg-type]


def test_empty_text_is_no_filter(kit: AccountKit, store: MemoryStore) -> None:
    """An empty text finds what no text finds, also users without e-mail or names."""
    add_user(store)
    in_tx(store, lambda tx: tx.users.add(make_blank_user()))
    assert kit.users.search(STAFF, text="") == kit.users.search(STAFF)
    assert len(kit.users.search(STAFF, text="").items) == 2
