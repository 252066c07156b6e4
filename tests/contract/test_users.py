"""Contract of UserRepository: round trip, e-mail key lookup and uniqueness, optimistic update,
bulk import."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.domain import User, UserStatus, UserTier
from accountkit.domain.validation import email_key
from accountkit.errors import AccountKitError, ConcurrentUpdate, EmailTaken, UserNotFound
from accountkit.storage import Store
from tests.contract.factories import (
    Boom,
    add_user,
    at,
    fresh_email,
    in_tx,
    make_blank_user,
    make_user,
    run_then_fail,
    uid,
)

# Letters whose upper-case form case-folds back to the letter's own case fold ("ß" -> "SS").
CASE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _stored(store: Store, user_id: str) -> User | None:
    return in_tx(store, lambda tx: tx.users.get(user_id))


def _by_key(store: Store, key: str) -> User | None:
    return in_tx(store, lambda tx: tx.users.get_by_email(key))


def _count(store: Store) -> int:
    return in_tx(store, lambda tx: tx.users.count())


# --- round trip ----------------------------------------------------------------------------


def test_full_user_round_trips_every_field(store: Store) -> None:
    """A FULL user with profile, birth date, hash and microsecond times comes back equal."""
    user = make_user(version=3, security_version=7, status=UserStatus.PENDING_APPROVAL)
    with store.transaction() as tx:
        assert tx.users.add(user) == user
    got = _stored(store, user.id)
    assert got == user
    assert got is not None
    assert type(got) is User
    assert dict(got.profile) == {"ski_size": "175", "favourite_colour": "grün"}
    assert type(got.birth_date) is date
    assert got.birth_date == date(1990, 5, 17)
    assert got.password_hash == user.password_hash


def test_user_times_come_back_aware_utc_with_microseconds(store: Store) -> None:
    """created_at and updated_at keep their microseconds and come back aware, in UTC."""
    user = add_user(store, created_at=at(0.000001), updated_at=at(3600.999999))
    got = _stored(store, user.id)
    assert got is not None
    for stored, sent in ((got.created_at, user.created_at), (got.updated_at, user.updated_at)):
        assert stored == sent
        assert stored.utcoffset() == timedelta(0)
        assert stored.microsecond == sent.microsecond


@pytest.mark.parametrize(
    "user",
    [
        pytest.param(make_blank_user(), id="blank"),
        pytest.param(
            make_user(
                tier=UserTier.GUEST,
                password_hash=None,
                birth_date=None,
                given_name=None,
                profile={},
                security_version=0,
            ),
            id="guest",
        ),
        pytest.param(make_user(status=UserStatus.DISABLED, must_complete_profile=True), id="off"),
    ],
)
def test_user_of_each_tier_round_trips(store: Store, user: User) -> None:
    """BLANK (all optional fields empty), GUEST and DISABLED users come back equal."""
    with store.transaction() as tx:
        tx.users.add(user)
    assert _stored(store, user.id) == user


def test_get_unknown_user_returns_none(store: Store) -> None:
    """get and get_by_email answer None for what is not stored."""
    add_user(store)
    assert _stored(store, uid("usr")) is None
    assert _by_key(store, email_key(fresh_email())) is None


# --- e-mail key ----------------------------------------------------------------------------


def test_get_by_email_finds_user_under_case_folded_key(store: Store) -> None:
    """get_by_email takes the case-folded key of the stored, mixed-case address."""
    user = add_user(store, email=fresh_email("Ada.LOVELACE"))
    assert user.email is not None
    key = email_key(user.email)
    assert key != user.email
    assert _by_key(store, key) == user


def test_get_by_email_folds_only_ascii_letters(store: Store) -> None:
    """Only ASCII letters fold: "STRASSE" and "Straße" are two addresses with two keys."""
    suffix = uid("x")
    user = add_user(store, email=f"Straße.{suffix}@example.com")
    assert _by_key(store, email_key(f"STRASSE.{suffix}@example.com")) is None
    assert _by_key(store, email_key(f"StraßE.{suffix.upper()}@example.com")) == user
    before = _count(store)
    with store.transaction() as tx:
        tx.users.add(make_user(email=f"strasse.{suffix}@example.com"))
    assert _count(store) == before + 1


@settings(max_examples=25)
@given(
    local=st.text(alphabet=CASE_LETTERS, min_size=1, max_size=12),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_case_variant_of_stored_email_is_taken(store: Store, local: str, upper: list[bool]) -> None:
    """Any case variant of a stored address finds that user and cannot be added again."""
    suffix = uid("v")
    variant = "".join(c.upper() if up else c for c, up in zip(local, upper, strict=False))
    first = f"{local}.{suffix}@example.com"
    second = f"{variant}.{suffix.upper()}@example.com"
    assert email_key(first) == email_key(second)
    user = add_user(store, email=first)
    before = _count(store)
    with pytest.raises(EmailTaken), store.transaction() as tx:
        tx.users.add(make_user(email=second))
    assert _count(store) == before
    assert _by_key(store, email_key(second)) == user


def test_many_users_without_email_may_be_stored(store: Store) -> None:
    """E-mail is unique only where there is one: several BLANK users coexist."""
    blanks = [make_blank_user() for _ in range(3)]
    with store.transaction() as tx:
        for blank in blanks:
            tx.users.add(blank)
    assert [_stored(store, b.id) for b in blanks] == blanks
    assert _count(store) == 3


# --- update ----------------------------------------------------------------------------------


def test_update_stores_record_and_raises_version_by_one(store: Store) -> None:
    """update returns the record with version + 1, and that is what is stored."""
    user = add_user(store, version=4)
    changed = attrs.evolve(user, given_name="Augusta", profile={"ski_size": "180"})
    with store.transaction() as tx:
        returned = tx.users.update(changed)
    assert returned == attrs.evolve(changed, version=5)
    assert _stored(store, user.id) == returned
    with store.transaction() as tx:
        again = tx.users.update(attrs.evolve(returned, family_name="King"))
    assert again.version == 6
    assert _stored(store, user.id) == again


@pytest.mark.parametrize("offset", [-1, 1], ids=["stale", "ahead"])
def test_update_with_other_version_raises_and_changes_nothing(store: Store, offset: int) -> None:
    """A version other than the stored one raises ConcurrentUpdate; the stored user stays."""
    user = add_user(store, version=3)
    stale = attrs.evolve(user, given_name="Mallory", version=user.version + offset)
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        tx.users.update(stale)
    assert _stored(store, user.id) == user


def test_update_after_another_update_is_concurrent(store: Store) -> None:
    """Two writers read version n; the second to write gets ConcurrentUpdate."""
    user = add_user(store)
    in_tx(store, lambda tx: tx.users.update(attrs.evolve(user, given_name="First")))
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        tx.users.update(attrs.evolve(user, given_name="Second"))
    got = _stored(store, user.id)
    assert got is not None
    assert got.given_name == "First"
    assert got.version == user.version + 1


def test_update_missing_user_raises_user_not_found(store: Store) -> None:
    """update of an id that is not stored raises UserNotFound and stores nothing."""
    ghost = make_user()
    with pytest.raises(UserNotFound), store.transaction() as tx:
        tx.users.update(ghost)
    assert _stored(store, ghost.id) is None
    assert _count(store) == 0


def test_update_to_other_users_email_key_raises_email_taken(store: Store) -> None:
    """Changing to a case variant of another user's address raises; nothing changes."""
    ada = add_user(store)
    bob = add_user(store)
    assert ada.email is not None
    with pytest.raises(EmailTaken), store.transaction() as tx:
        tx.users.update(attrs.evolve(bob, email=ada.email.upper()))
    assert _stored(store, bob.id) == bob
    assert _by_key(store, email_key(ada.email)) == ada


def test_update_may_change_case_of_own_email(store: Store) -> None:
    """A user may change the case of their own address: same key, no clash."""
    user = add_user(store)
    assert user.email is not None
    local, _, domain = user.email.partition("@")
    changed = attrs.evolve(user, email=f"{local.swapcase()}@{domain}")
    with store.transaction() as tx:
        updated = tx.users.update(changed)
    assert _by_key(store, email_key(user.email)) == updated
    assert updated.email == changed.email


def test_update_frees_the_old_email_key(store: Store) -> None:
    """After a change of address the old key finds no one and a new user may take it."""
    user = add_user(store)
    assert user.email is not None
    old = user.email
    new = fresh_email("Renamed")
    with store.transaction() as tx:
        updated = tx.users.update(attrs.evolve(user, email=new))
    assert _by_key(store, email_key(old)) is None
    assert _by_key(store, email_key(new)) == updated
    newcomer = add_user(store, email=old.upper())
    assert _by_key(store, email_key(old)) == newcomer


def test_update_to_no_email_frees_the_key(store: Store) -> None:
    """Dropping the address (back to BLANK) frees its key."""
    user = add_user(store)
    assert user.email is not None
    blank = attrs.evolve(user, tier=UserTier.BLANK, email=None, password_hash=None)
    with store.transaction() as tx:
        tx.users.update(blank)
    assert _by_key(store, email_key(user.email)) is None
    add_user(store, email=user.email)
    assert _count(store) == 2


# --- count and bulk import ------------------------------------------------------------------


def test_count_counts_stored_users(store: Store) -> None:
    """count is 0 on an empty store and grows with each committed user."""
    assert _count(store) == 0
    add_user(store)
    add_user(store, email=None, tier=UserTier.BLANK, password_hash=None)
    assert _count(store) == 2


def test_add_many_stores_all_and_returns_how_many(store: Store) -> None:
    """add_many takes any iterable (here a generator) and stores every user."""
    users = [make_user() for _ in range(5)] + [make_blank_user()]

    def generate() -> Iterator[User]:
        yield from users

    with store.transaction() as tx:
        assert tx.users.add_many(generate()) == 6
    assert [_stored(store, u.id) for u in users] == users
    assert _count(store) == 6


def test_add_many_of_nothing_returns_zero(store: Store) -> None:
    """An empty import stores nothing and returns 0."""
    with store.transaction() as tx:
        assert tx.users.add_many([]) == 0
    assert _count(store) == 0


def test_add_many_clash_with_stored_user_stores_none(store: Store) -> None:
    """One address already taken raises EmailTaken; none of the batch is stored."""
    existing = add_user(store)
    assert existing.email is not None
    batch = [make_user(), make_user(email=existing.email.swapcase()), make_user()]
    with pytest.raises(EmailTaken), store.transaction() as tx:
        tx.users.add_many(batch)
    assert _count(store) == 1
    assert [_stored(store, u.id) for u in batch] == [None, None, None]


def test_add_many_clash_within_batch_stores_none(store: Store) -> None:
    """Two users of one batch with the same key raise EmailTaken; none is stored."""
    email = fresh_email("Twin")
    batch = [make_user(), make_user(email=email), make_user(email=email.upper())]
    with pytest.raises(EmailTaken), store.transaction() as tx:
        tx.users.add_many(batch)
    assert _count(store) == 0
    assert _by_key(store, email_key(email)) is None


def test_add_many_in_transaction_that_fails_later_stores_none(store: Store) -> None:
    """A bulk import is undone when its transaction raises afterwards."""
    batch = [make_user() for _ in range(3)]
    with pytest.raises(Boom):
        run_then_fail(store, lambda tx: tx.users.add_many(batch))
    assert _count(store) == 0


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_adds_of_one_email_store_exactly_one(store: Store) -> None:
    """Four transactions on four threads add one address; one wins, the rest get EmailTaken."""
    email = fresh_email("Race")
    users = [make_user(email=email if i % 2 else email.upper()) for i in range(4)]
    barrier = threading.Barrier(len(users))
    outcomes: list[User | AccountKitError] = []
    lock = threading.Lock()

    def attempt(user: User) -> None:
        barrier.wait()
        try:
            with store.transaction() as tx:
                tx.users.add(user)
            result: User | AccountKitError = user
        except AccountKitError as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [o for o in outcomes if isinstance(o, User)]
    losers = [o for o in outcomes if not isinstance(o, User)]
    assert len(winners) == 1
    assert all(isinstance(exc, EmailTaken) for exc in losers), losers
    assert _count(store) == 1
    assert _by_key(store, email_key(email)) == winners[0]
