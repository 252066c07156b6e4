"""Contract of PrivacyRepository (``tx.privacy``) and ``Store.vacuum``: history redaction,
the end of a user's sign-in records, the purge of expired ones and retention candidates,
checked alike on every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accountkit.domain import EventKind, LoginCode, Session, SignInMethod, UserTier
from accountkit.domain.orders import ERASED_GUEST, erased_address
from accountkit.errors import InvalidValue, ReadOnlyUnit, StorageError
from accountkit.storage import SigninPurge, Store, Transaction
from tests.contract.factories import (
    Boom,
    add_customer,
    add_user,
    at,
    in_tx,
    make_event,
    make_order,
    make_signed_in_order,
    run_then_fail,
    uid,
)

KEEP = {EventKind.NOTE_CHANGED: frozenset({"from", "tier"})}
NOTHING: dict[EventKind, frozenset[str]] = {}


def _session(user_id: str, *, created: float, seen: float) -> Session:
    return Session(
        id=uid("ses"),
        user_id=user_id,
        method=SignInMethod.PASSWORD,
        security_version=0,
        created_at=at(created),
        last_seen_at=at(seen),
    )


def _code(user_id: str, *, expires: float) -> LoginCode:
    return LoginCode(
        id=uid("lc"), user_id=user_id, code_hash="h" * 64, created_at=at(0), expires_at=at(expires)
    )


def _signin_rows(store: Store, user_id: str) -> tuple[int, bool, bool, bool]:
    """(sessions, has a login code, has an issued token, a used token is still known)."""

    def work(tx: Transaction) -> tuple[int, bool, bool, bool]:
        return (
            len(tx.sessions.for_user(user_id)),
            tx.login_codes.get(user_id) is not None,
            tx.tokens.current(user_id, "login") is not None,
            tx.tokens.is_used(f"used-{user_id}"),
        )

    return in_tx(store, work)


def _give_signin(store: Store, user_id: str) -> None:
    with store.transaction() as tx:
        tx.sessions.add(_session(user_id, created=0, seen=5))
        tx.login_codes.put(_code(user_id, expires=600))
        tx.tokens.issue(f"tok-{user_id}", user_id=user_id, purpose="login", at=at(1))
        tx.tokens.mark_used(f"used-{user_id}", user_id=user_id, purpose="login", at=at(2))


def test_redact_events_keeps_only_allowed_keys(store: Store) -> None:
    """Events filed under the user or the listed customers keep only the allowed keys."""
    user, other = add_user(store), add_user(store)
    customer = add_customer(store)
    data = {"from": "a", "to": "Zahlt pünktlich", "tier": "full"}
    mine = make_event(user_id=user.id, data=data)
    theirs = make_event(customer_id=customer.id, data=data)
    untouched = make_event(user_id=other.id, data=data)
    clean = make_event(user_id=user.id, data={"tier": "guest"})
    with store.transaction() as tx:
        for event in (mine, theirs, untouched, clean):
            tx.events.append(event)
        assert tx.privacy.redact_events(user.id, [customer.id], KEEP) == 2
    with store.transaction() as tx:
        assert [dict(e.data) for e in tx.events.for_user(user.id)] == [
            {"from": "a", "tier": "full"},
            {"tier": "guest"},
        ]
        assert [dict(e.data) for e in tx.events.for_customer(customer.id)] == [
            {"from": "a", "tier": "full"}
        ]
        assert dict(tx.events.for_user(other.id)[0].data) == data
        page = tx.events.page_for_user(user.id, after=None, limit=10)
        assert [e.id for e in page] == [mine.id, clean.id]
        assert [e.kind for e in page] == [EventKind.NOTE_CHANGED, EventKind.NOTE_CHANGED]


def test_redact_events_counts_an_event_of_user_and_customer_once(store: Store) -> None:
    """An event filed under both the user and a listed customer is redacted once."""
    user, customer = add_user(store), add_customer(store)
    event = make_event(user_id=user.id, customer_id=customer.id)
    with store.transaction() as tx:
        tx.events.append(event)
        assert tx.privacy.redact_events(user.id, [customer.id], NOTHING) == 1
        assert dict(tx.events.for_customer(customer.id)[0].data) == {}


def test_redaction_rolls_back_with_its_unit(store: Store) -> None:
    """A unit that raises after redacting leaves the history as it was."""
    user = add_user(store)
    event = make_event(user_id=user.id)
    in_tx(store, lambda tx: tx.events.append(event))
    with pytest.raises(Boom):
        run_then_fail(store, lambda tx: tx.privacy.redact_events(user.id, [], NOTHING))
    assert in_tx(store, lambda tx: dict(tx.events.for_user(user.id)[0].data)) == dict(event.data)


def test_end_signin_deletes_every_signin_record_of_the_user(store: Store) -> None:
    """Sessions, the login code, issued and used token records of the user go; another
    user's stay."""
    user, other = add_user(store), add_user(store)
    _give_signin(store, user.id)
    _give_signin(store, other.id)
    assert in_tx(store, lambda tx: tx.privacy.end_signin(user.id)) == 4
    assert _signin_rows(store, user.id) == (0, False, False, False)
    assert _signin_rows(store, other.id) == (1, True, True, True)
    assert in_tx(store, lambda tx: tx.privacy.end_signin(user.id)) == 0


def test_purge_signin_deletes_only_what_expired(store: Store) -> None:
    """Stale sessions (idle or too old), expired codes and old token records go; the rest
    stays."""
    old, fresh = add_user(store), add_user(store)
    with store.transaction() as tx:
        tx.sessions.add(_session(old.id, created=0, seen=10))  # idle since 10
        tx.sessions.add(_session(old.id, created=0, seen=500))  # made too long ago
        tx.sessions.add(_session(fresh.id, created=400, seen=500))
        tx.login_codes.put(_code(old.id, expires=100))
        tx.login_codes.put(_code(fresh.id, expires=1000))
        tx.tokens.issue("t-old", user_id=old.id, purpose="login", at=at(50))
        tx.tokens.issue("t-new", user_id=fresh.id, purpose="login", at=at(450))
        tx.tokens.mark_used("u-old", user_id=old.id, purpose="login", at=at(50))
        tx.tokens.mark_used("u-new", user_id=fresh.id, purpose="login", at=at(450))
        purged = tx.privacy.purge_signin(
            now=at(500), seen_before=at(100), created_before=at(300), tokens_before=at(300)
        )
    assert purged == SigninPurge(sessions=2, login_codes=1, tokens=2)
    assert _signin_rows(store, old.id)[:3] == (0, False, False)
    with store.transaction() as tx:
        assert len(tx.sessions.for_user(fresh.id)) == 1
        assert tx.login_codes.get(fresh.id) is not None
        assert tx.tokens.current(fresh.id, "login") is not None
        assert tx.tokens.is_used("u-new")
        assert not tx.tokens.is_used("u-old")


def test_purge_signin_refuses_naive_times(store: Store) -> None:
    """A naive time is refused before anything is deleted."""
    with store.transaction() as tx, pytest.raises(InvalidValue):
        tx.privacy.purge_signin(
            now=at(0).replace(tzinfo=None),
            seen_before=at(0),
            created_before=at(0),
            tokens_before=at(0),
        )


def test_users_without_orders_pages_by_id(store: Store) -> None:
    """Candidates are users of the tier made before the time and named by no order, in id
    order, page by page."""
    guests = sorted(
        (add_user(store, tier=UserTier.GUEST, created_at=at(i)) for i in range(5)),
        key=lambda u: u.id,
    )
    add_user(store, tier=UserTier.GUEST, created_at=at(100))  # too new
    add_user(store, tier=UserTier.FULL, created_at=at(0))  # another tier
    buyer = guests[2]
    with store.transaction() as tx:
        tx.orders.add(make_signed_in_order(buyer.id, None))
    expected = [u.id for u in guests if u is not buyer]

    def page(after: str | None) -> list[str]:
        return list(
            in_tx(
                store,
                lambda tx: tx.privacy.users_without_orders(
                    tier=UserTier.GUEST, created_before=at(50), after=after, limit=2
                ),
            )
        )

    first = page(None)
    second = page(first[-1])
    assert first + second == expected
    assert page(second[-1]) == []


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "3"])
def test_users_without_orders_refuses_a_bad_limit(store: Store, bad: object) -> None:
    """A limit that is not an int of at least 1 is refused."""
    with store.transaction() as tx, pytest.raises(InvalidValue):
        tx.privacy.users_without_orders(
            tier=UserTier.GUEST,
            created_before=at(0),
            after=None,
            limit=bad,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("bad", [7, "a\x00b", "\ud800"])
def test_users_without_orders_refuses_a_bad_position(store: Store, bad: object) -> None:
    """A position no store could hold is refused alike."""
    with store.transaction() as tx, pytest.raises(InvalidValue):
        tx.privacy.users_without_orders(
            tier=UserTier.GUEST,
            created_before=at(0),
            after=bad,  # type: ignore[arg-type]
            limit=1,
        )


def test_privacy_writes_refused_in_read_only_units(store: Store) -> None:
    """Every write of tx.privacy raises ReadOnlyUnit in a read-only unit; the read works."""
    user = add_user(store)
    _give_signin(store, user.id)
    with store.transaction(readonly=True) as tx:
        with pytest.raises(ReadOnlyUnit):
            tx.privacy.end_signin(user.id)
        with pytest.raises(ReadOnlyUnit):
            tx.privacy.redact_events(user.id, [], NOTHING)
        with pytest.raises(ReadOnlyUnit):
            tx.privacy.purge_signin(
                now=at(0), seen_before=at(0), created_before=at(0), tokens_before=at(0)
            )
        assert tx.privacy.users_without_orders(
            tier=UserTier.FULL, created_before=at(1000), after=None, limit=5
        ) == [user.id]
    assert _signin_rows(store, user.id) == (1, True, True, True)


def test_vacuum_runs_outside_units_and_refuses_inside(store: Store) -> None:
    """vacuum() (plain and full) works on an idle store and refuses inside a unit."""
    user = add_user(store)
    in_tx(store, lambda tx: tx.privacy.end_signin(user.id))
    store.vacuum()
    store.vacuum(full=True)
    with store.transaction() as tx, pytest.raises(StorageError):
        store.vacuum()
        tx.users.count()
    assert in_tx(store, lambda tx: tx.users.count()) == 1


def test_a_week_old_session_is_purged_with_a_one_day_idle_limit(store: Store) -> None:
    """The cut-offs are compared as times, not as text of different widths."""
    user = add_user(store)
    with store.transaction() as tx:
        tx.sessions.add(_session(user.id, created=0, seen=0))
        now = at(0) + timedelta(days=7)
        purged = tx.privacy.purge_signin(
            now=now,
            seen_before=now - timedelta(days=1),
            created_before=now - timedelta(days=30),
            tokens_before=now - timedelta(days=365),
        )
    assert purged.sessions == 1


def test_erase_orders_replaces_the_users_orders_in_place(store: Store) -> None:
    """The user's orders lose guest contact and address lines (country kept, same rows),
    are flagged erased with a new version; amounts stay; others' orders are untouched; a
    second call changes nothing."""
    user, other = add_user(store), add_user(store)
    guest_order = make_order(user_id=user.id)
    signed_in = make_signed_in_order(user.id, None, shipping=None)
    theirs = make_signed_in_order(other.id, None)
    with store.transaction() as tx:
        for order in (guest_order, signed_in, theirs):
            tx.orders.add(order)
        assert tx.privacy.erase_orders(user.id, at=at(99)) == (2, 3)
    with store.transaction() as tx:
        first, second = tx.orders.get(guest_order.id), tx.orders.get(signed_in.id)
        assert first is not None and second is not None
        assert first.guest == ERASED_GUEST
        assert first.billing == erased_address("DE")
        assert first.shipping == erased_address("DE")
        assert second.guest is None
        assert second.shipping is None
        assert (first.erased, first.version, first.updated_at) == (True, 1, at(99))
        assert (first.total, first.number) == (guest_order.total, guest_order.number)
        assert tx.orders.get(theirs.id) == theirs
        assert list(tx.orders.addresses_for_user(user.id)) == [erased_address("DE")] * 3
        assert tx.privacy.erase_orders(user.id, at=at(100)) == (0, 0)
    with store.transaction(readonly=True) as tx, pytest.raises(ReadOnlyUnit):
        tx.privacy.erase_orders(user.id, at=at(101))
