"""Contract of UserRepository.search and CustomerRepository.search: filters, text rule, keyset."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountkit.domain import CustomerKind, UserStatus, UserTier
from accountkit.storage import Store
from tests.contract.factories import (
    add_customer,
    add_user,
    in_tx,
    make_blank_user,
    make_group,
)

HOSTILE = ["\x00", "Ada\x00", "\ud800", "x" * 10_000, "%", "_", "%%", "A_a"]


def _users(store: Store, **filters: Any) -> list[str]:
    return [u.id for u in in_tx(store, lambda tx: tx.users.search(limit=500, **filters))]


def _customers(store: Store, **filters: Any) -> list[str]:
    return [c.id for c in in_tx(store, lambda tx: tx.customers.search(limit=500, **filters))]


def test_user_search_without_filters_returns_everyone_by_id(store: Store) -> None:
    """No filter returns every user, ordered by id."""
    ids = [add_user(store).id for _ in range(3)]
    in_tx(store, lambda tx: tx.users.add(make_blank_user()))
    found = _users(store)
    assert len(found) == 4
    assert set(ids) <= set(found)
    assert found == sorted(found)


def test_user_search_filters_tier_and_status(store: Store) -> None:
    """Tier and status filters keep only the users having both."""
    full = add_user(store)
    disabled = add_user(store, status=UserStatus.DISABLED)
    guest = add_user(store, tier=UserTier.GUEST, password_hash=None, birth_date=None)
    assert _users(store, tier=UserTier.FULL) == sorted([full.id, disabled.id])
    assert _users(store, status=UserStatus.DISABLED) == [disabled.id]
    assert _users(store, tier=UserTier.GUEST, status=UserStatus.ACTIVE) == [guest.id]
    assert _users(store, tier=UserTier.BLANK) == []


def test_user_text_folds_ascii_case_in_the_email_key_only(store: Store) -> None:
    """Text matches the e-mail key ASCII-case-insensitively, the names case-sensitively."""
    ada = add_user(store, email="ada.x1@example.com", given_name="Zoë", family_name="Ärger")
    add_user(store, email="bob.x2@example.com", given_name="Bob", family_name="Stone")
    assert _users(store, text="ADA.X1") == [ada.id]
    assert _users(store, text="EXAMPLE") == sorted(_users(store))
    assert _users(store, text="Zoë") == [ada.id]
    assert _users(store, text="ZOË") == []
    assert _users(store, text="zoë") == []
    assert _users(store, text="Ärger") == [ada.id]
    assert _users(store, text="ärger") == []
    assert _users(store, text="Sto") != []
    assert _users(store, text="sto") == []


def test_user_text_treats_like_wildcards_as_characters(store: Store) -> None:
    """``%`` and ``_`` match only themselves."""
    under = add_user(store, email="a_b.x3@example.com", given_name="A%B")
    add_user(store, email="axb.x4@example.com", given_name="AxB")
    assert _users(store, text="a_b") == [under.id]
    assert _users(store, text="A%B") == [under.id]
    assert _users(store, text="%") == [under.id]
    assert _users(store, text="_") == [under.id]


@pytest.mark.parametrize("text", HOSTILE)
def test_user_search_hostile_text_finds_nothing_and_does_not_fail(store: Store, text: str) -> None:
    """NUL, lone surrogates, long text and wildcards return a list, without an error."""
    add_user(store)
    assert _users(store, text=text) == []


def test_user_search_pages_by_after_and_limit(store: Store) -> None:
    """``after`` and ``limit`` walk through every user exactly once, in id order."""
    ids = sorted(add_user(store).id for _ in range(7))
    seen: list[str] = []
    after: str | None = None
    while True:
        with store.transaction() as tx:
            page = tx.users.search(after=after, limit=3)
        if not page:
            break
        assert len(page) <= 3
        seen.extend(u.id for u in page)
        after = page[-1].id
    assert seen == ids


def test_customer_search_filters_group_kind_and_text(store: Store) -> None:
    """Group, kind and text (name or number, case-sensitive) filters all hold."""
    group = make_group()
    in_tx(store, lambda tx: tx.groups.add(group))
    firm = add_customer(store, name="Äpfel_Hof 100%", number="K-777", group_id=group.id)
    family = add_customer(store, kind=CustomerKind.PERSONAL, name="Familie Brandt", number=None)
    assert _customers(store, group_id=group.id) == [firm.id]
    assert _customers(store, kind=CustomerKind.PERSONAL) == [family.id]
    assert _customers(store, text="Äpfel") == [firm.id]
    assert _customers(store, text="äpfel") == []
    assert _customers(store, text="K-777") == [firm.id]
    assert _customers(store, text="_") == [firm.id]
    assert _customers(store, text="%") == [firm.id]
    assert _customers(store, text="brandt") == []
    assert _customers(store, text="Brandt", kind=CustomerKind.BUSINESS) == []
    assert _customers(store, group_id="grp_missing") == []


@pytest.mark.parametrize("text", HOSTILE)
def test_customer_search_hostile_text_finds_nothing(store: Store, text: str) -> None:
    """Hostile text and group ids return an empty list, without an error."""
    add_customer(store)
    assert _customers(store, text=text) == []
    assert _customers(store, group_id=text) == []


def test_customer_search_pages_by_after_and_limit(store: Store) -> None:
    """``after`` and ``limit`` walk through every customer exactly once, in id order."""
    ids = sorted(add_customer(store).id for _ in range(5))
    first = in_tx(store, lambda tx: tx.customers.search(limit=2))
    rest = in_tx(store, lambda tx: tx.customers.search(after=first[-1].id, limit=500))
    assert [c.id for c in [*first, *rest]] == ids


def test_search_runs_in_a_read_only_unit(store: Store) -> None:
    """Search is a read: a read-only unit runs it."""
    user = add_user(store)
    customer = add_customer(store)
    with store.transaction(readonly=True) as tx:
        assert [u.id for u in tx.users.search(text="Ada", limit=5)] == [user.id]
        assert [c.id for c in tx.customers.search(text="Müller", limit=5)] == [customer.id]


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ALPHABET = st.sampled_from([*"aAbBzZéÉßöÖ%_.@x1", "ẞ", "ﬁ", "İ", "ı"])
_PEOPLE = [
    ("Ab.x@example.com", "Zoë", "Straße"),
    ("zz_1@example.com", "ÉMILE", "ﬁsh"),
    ("a%b@example.com", "İpek", "ıssız"),
    ("ÖZ@example.com", None, "Aab"),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(_ALPHABET, min_size=1, max_size=3))
def test_user_text_rule_over_many_texts(store: Store, text: str) -> None:
    """Every store finds exactly the users the documented text rule names."""
    if not _users(store):
        for email, given_name, family_name in _PEOPLE:
            add_user(store, email=email, given_name=given_name, family_name=family_name)
    lowered = text.translate(_LOWER)
    expected = sorted(
        u.id
        for u in in_tx(store, lambda tx: tx.users.search(limit=500))
        if (
            u.email is not None
            and lowered
            in u.email.split("@")[0].translate(_LOWER) + "@" + u.email.split("@")[1].lower()
        )
        or text in (u.given_name or "\x00")
        or text in (u.family_name or "\x00")
    )
    assert _users(store, text=text) == expected
