"""kit.users.search and kit.customers.search on every store: pages, filters, text rule, cursors."""

from __future__ import annotations

import pytest

from accountkit import AccountKit, Actor, CustomerKind, UserTier
from accountkit.errors import InvalidCursor
from accountkit.storage import Store
from tests.contract.factories import add_customer, add_user, in_tx, make_group

STAFF = Actor.operator("staff-7")


def test_paging_through_users_returns_everyone_once(kit: AccountKit, store: Store) -> None:
    """Following next_cursor returns every user once, in id order, then no cursor."""
    ids = sorted(add_user(store).id for _ in range(5))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = kit.users.search(STAFF, page_size=2, cursor=cursor)
        seen.extend(u.id for u in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids
    assert pages == 3


def test_user_text_rule_holds_for_non_ascii_names(kit: AccountKit, store: Store) -> None:
    """ASCII case folds in the e-mail key only; names match exactly, also beyond ASCII."""
    ada = add_user(store, email="ada.q9@example.com", given_name="Élodie", family_name="Straße")
    add_user(store, email="bob.q8@example.com", given_name="Bob", family_name="Strasse")

    def found(text: str) -> list[str]:
        return [u.id for u in kit.users.search(STAFF, text=text).items]

    assert found("ADA.Q9") == [ada.id]
    assert found("Élodie") == [ada.id]
    assert found("élodie") == []
    assert found("ÉLODIE") == []
    assert found("Straße") == [ada.id]
    assert found("STRASSE") == []
    assert found("%") == []
    assert found("_") == []


def test_customer_search_filters_on_every_store(kit: AccountKit, store: Store) -> None:
    """Group, kind and text filters and paging hold for customers."""
    group = make_group()
    in_tx(store, lambda tx: tx.groups.add(group))
    firms = sorted(add_customer(store, name=f"Öko_Hof {i}", group_id=group.id).id for i in range(3))
    add_customer(store, kind=CustomerKind.PERSONAL, name="Öko_Hof Familie")
    first = kit.customers.search(
        STAFF, text="Öko_Hof", kind=CustomerKind.BUSINESS, group_id=group.id, page_size=2
    )
    assert first.next_cursor is not None
    rest = kit.customers.search(
        STAFF,
        text="Öko_Hof",
        kind=CustomerKind.BUSINESS,
        group_id=group.id,
        page_size=2,
        cursor=first.next_cursor,
    )
    assert [c.id for c in (*first.items, *rest.items)] == firms
    assert rest.next_cursor is None
    assert kit.customers.search(STAFF, text="öko_hof").items == ()


def test_cursor_for_other_filters_is_refused(kit: AccountKit, store: Store) -> None:
    """A cursor made for one tier is refused for another, and for customers."""
    for _ in range(3):
        add_user(store)
    cursor = kit.users.search(STAFF, tier=UserTier.FULL, page_size=1).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        kit.users.search(STAFF, tier=UserTier.GUEST, page_size=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        kit.customers.search(STAFF, page_size=1, cursor=cursor)
