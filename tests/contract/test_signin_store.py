"""Contract of the sign-in storage: sessions, login codes, attempt windows, issued one-time
tokens and ``User.email_verified_at``, with one meaning on every store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.domain import AttemptWindow, IssuedToken, LoginCode, Session, SignInMethod, User
from accountkit.domain.validation import email_key
from accountkit.errors import ConflictError, InvalidValue, ReadOnlyUnit, UserNotFound
from accountkit.storage import Store, Transaction
from tests.contract.factories import (
    Boom,
    add_user,
    at,
    in_tx,
    make_user,
    run_then_fail,
    uid,
)

WINDOW = timedelta(minutes=15)
MICROSECOND = timedelta(microseconds=1)


def make_session(user_id: str, **changes: Any) -> Session:
    """A password session of ``user_id`` begun at T0 + 100 s, last seen 5 s later."""
    session = Session(
        id=uid("ses"),
        user_id=user_id,
        method=SignInMethod.PASSWORD,
        security_version=2,
        created_at=at(100.000001),
        last_seen_at=at(105.999999),
    )
    return attrs.evolve(session, **changes)


def make_code(user_id: str, **changes: Any) -> LoginCode:
    """A login code of ``user_id`` sent at T0 + 200 s, alive for ten minutes."""
    code = LoginCode(
        id=uid("lc"),
        user_id=user_id,
        code_hash=uid("hash"),
        created_at=at(200.5),
        expires_at=at(800.5),
    )
    return attrs.evolve(code, **changes)


def _session(store: Store, session_id: str) -> tuple[Session, User] | None:
    with store.transaction(readonly=True) as tx:
        return tx.sessions.get(session_id)


def _sessions_of(store: Store, user_id: str) -> list[Session]:
    with store.transaction(readonly=True) as tx:
        return list(tx.sessions.for_user(user_id))


def _code(store: Store, user_id: str) -> LoginCode | None:
    with store.transaction(readonly=True) as tx:
        return tx.login_codes.get(user_id)


def _window(store: Store, key: str) -> AttemptWindow | None:
    with store.transaction(readonly=True) as tx:
        return tx.attempts.get(key)


def _current(store: Store, user_id: str, purpose: str) -> IssuedToken | None:
    with store.transaction(readonly=True) as tx:
        return tx.tokens.current(user_id, purpose)


def _fail(store: Store, key: str, moment: datetime, window: timedelta = WINDOW) -> AttemptWindow:
    return in_tx(store, lambda tx: tx.attempts.add_failure(key, at=moment, window=window))


def _is_utc(moment: datetime) -> bool:
    return moment.utcoffset() == timedelta(0)


# --- sessions --------------------------------------------------------------------------------


def test_a_session_comes_back_with_its_user(store: Store) -> None:
    """get returns the stored session and the stored user, equal to what went in."""
    user = add_user(store)
    session = make_session(user.id, method=SignInMethod.LOGIN_CARD)
    assert in_tx(store, lambda tx: tx.sessions.add(session)) == session
    got = _session(store, session.id)
    assert got == (session, user)
    assert got is not None
    assert type(got[0]) is Session and type(got[1]) is User
    assert got[0].method is SignInMethod.LOGIN_CARD
    assert all(_is_utc(t) for t in (got[0].created_at, got[0].last_seen_at))


def test_a_session_reads_its_user_as_stored_now(store: Store) -> None:
    """After the user changes, get returns the changed user with the same session."""
    user = add_user(store)
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    changed = in_tx(store, lambda tx: tx.users.update(attrs.evolve(user, security_version=3)))
    assert _session(store, session.id) == (session, changed)


def test_get_of_an_unknown_session_is_none(store: Store) -> None:
    """A session id never stored finds nothing."""
    user = add_user(store)
    in_tx(store, lambda tx: tx.sessions.add(make_session(user.id)))
    assert _session(store, uid("ses")) is None


def test_a_session_of_an_unknown_user_is_refused(store: Store) -> None:
    """add raises UserNotFound for a user that does not exist, and stores nothing."""
    session = make_session(uid("usr"))
    with pytest.raises(UserNotFound) as caught, store.transaction() as tx:
        tx.sessions.add(session)
    assert caught.value.code == "user_not_found"
    assert _session(store, session.id) is None


def test_a_second_session_with_the_same_id_is_a_conflict(store: Store) -> None:
    """add of an id that exists raises ConflictError and leaves the stored session alone."""
    user, other = add_user(store), add_user(store)
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    clash = make_session(other.id, id=session.id, method=SignInMethod.CODE)
    with pytest.raises(ConflictError) as caught, store.transaction() as tx:
        tx.sessions.add(clash)
    assert type(caught.value) is ConflictError
    assert _session(store, session.id) == (session, user)
    assert _sessions_of(store, other.id) == []


def test_touch_sets_last_seen_and_nothing_else(store: Store) -> None:
    """touch stores the new last_seen_at; the rest of the session stays."""
    user = add_user(store)
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    in_tx(store, lambda tx: tx.sessions.touch(session.id, at(7200.000042)))
    got = _session(store, session.id)
    assert got == (attrs.evolve(session, last_seen_at=at(7200.000042)), user)
    assert got is not None and _is_utc(got[0].last_seen_at)


def test_touch_of_a_gone_session_does_nothing(store: Store) -> None:
    """touch of a removed or unknown session raises nothing and makes no session."""
    user = add_user(store)
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    in_tx(store, lambda tx: tx.sessions.remove(session.id))
    in_tx(store, lambda tx: tx.sessions.touch(session.id, at(9000)))
    in_tx(store, lambda tx: tx.sessions.touch(uid("ses"), at(9000)))
    assert _session(store, session.id) is None
    assert _sessions_of(store, user.id) == []


def test_remove_says_whether_there_was_a_session(store: Store) -> None:
    """remove returns True for a stored session, then False; the others stay."""
    user = add_user(store)
    gone, kept = make_session(user.id), make_session(user.id)
    in_tx(store, lambda tx: (tx.sessions.add(gone), tx.sessions.add(kept)))
    assert in_tx(store, lambda tx: tx.sessions.remove(gone.id)) is True
    assert in_tx(store, lambda tx: tx.sessions.remove(gone.id)) is False
    assert in_tx(store, lambda tx: tx.sessions.remove(uid("ses"))) is False
    assert _session(store, gone.id) is None
    assert _session(store, kept.id) == (kept, user)


def test_remove_for_user_removes_only_that_users_sessions(store: Store) -> None:
    """remove_for_user deletes every session of the user, returns how many, and no other."""
    user, other = add_user(store), add_user(store)
    mine = [make_session(user.id) for _ in range(3)]
    theirs = make_session(other.id)
    with store.transaction() as tx:
        for session in [*mine, theirs]:
            tx.sessions.add(session)
    assert in_tx(store, lambda tx: tx.sessions.remove_for_user(user.id)) == 3
    assert _sessions_of(store, user.id) == []
    assert all(_session(store, s.id) is None for s in mine)
    assert _session(store, theirs.id) == (theirs, other)
    assert in_tx(store, lambda tx: tx.sessions.remove_for_user(user.id)) == 0
    assert in_tx(store, lambda tx: tx.sessions.remove_for_user(uid("usr"))) == 0


def test_for_user_of_a_user_without_sessions_is_empty(store: Store) -> None:
    """A user who never signed in has no sessions."""
    user = add_user(store)
    assert _sessions_of(store, user.id) == []


@settings(max_examples=20)
@given(
    entries=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),
            st.text(alphabet="aAbB_-09zZ", min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda entry: entry[1],
    )
)
def test_sessions_are_listed_oldest_first_then_by_id(
    store: Store, entries: list[tuple[int, str]]
) -> None:
    """for_user orders by created_at, equal times by id in code point order, whatever the
    database's collation."""
    user = add_user(store)
    prefix = uid("s")
    sessions = [make_session(user.id, id=f"{prefix}{i}", created_at=at(t)) for t, i in entries]
    with store.transaction() as tx:
        for session in sessions:
            tx.sessions.add(session)
    expected = sorted(sessions, key=lambda s: (s.created_at, s.id))
    assert _sessions_of(store, user.id) == expected


# --- login codes -----------------------------------------------------------------------------


def test_a_login_code_comes_back_equal(store: Store) -> None:
    """put then get returns the code with every field, times aware UTC."""
    user = add_user(store)
    code = make_code(user.id, failures=2)
    in_tx(store, lambda tx: tx.login_codes.put(code))
    got = _code(store, user.id)
    assert got == code
    assert got is not None and type(got) is LoginCode
    assert _is_utc(got.created_at) and _is_utc(got.expires_at)


def test_a_user_without_a_code_has_none(store: Store) -> None:
    """get answers None for a user who asked for no code, and for an unknown user."""
    user = add_user(store)
    assert _code(store, user.id) is None
    assert _code(store, uid("usr")) is None


def test_a_new_code_replaces_the_old_one(store: Store) -> None:
    """A second put takes the place of the first: the old id no longer counts or redeems."""
    user = add_user(store)
    old = make_code(user.id)
    new = make_code(user.id, created_at=at(300), expires_at=at(900))
    in_tx(store, lambda tx: tx.login_codes.put(old))
    in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, old.id))
    in_tx(store, lambda tx: tx.login_codes.put(new))
    assert _code(store, user.id) == new
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, old.id)) is None
    assert in_tx(store, lambda tx: tx.login_codes.take(user.id, old.id)) is False
    assert _code(store, user.id) == new


def test_codes_of_two_users_are_apart(store: Store) -> None:
    """Each user has their own code; one user's put, failure and take leave the other's."""
    user, other = add_user(store), add_user(store)
    mine, theirs = make_code(user.id), make_code(other.id)
    with store.transaction() as tx:
        tx.login_codes.put(mine)
        tx.login_codes.put(theirs)
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, mine.id)) == 1
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(other.id, mine.id)) is None
    assert in_tx(store, lambda tx: tx.login_codes.take(user.id, mine.id)) is True
    assert _code(store, other.id) == theirs


def test_a_code_of_an_unknown_user_is_refused(store: Store) -> None:
    """put raises UserNotFound for a user that does not exist, and stores nothing."""
    user_id = uid("usr")
    with pytest.raises(UserNotFound), store.transaction() as tx:
        tx.login_codes.put(make_code(user_id))
    assert _code(store, user_id) is None


def test_add_failure_counts_up_and_returns_the_new_count(store: Store) -> None:
    """Each wrong try raises the count by one; get shows it."""
    user = add_user(store)
    code = make_code(user.id, failures=1)
    in_tx(store, lambda tx: tx.login_codes.put(code))
    counts = [in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, code.id)) for _ in "abc"]
    assert counts == [2, 3, 4]
    assert _code(store, user.id) == attrs.evolve(code, failures=4)


def test_add_failure_without_that_code_is_none(store: Store) -> None:
    """add_failure answers None when the user has no code, or another one; nothing changes."""
    user = add_user(store)
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, uid("lc"))) is None
    code = make_code(user.id)
    in_tx(store, lambda tx: tx.login_codes.put(code))
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, uid("lc"))) is None
    assert _code(store, user.id) == code


def test_take_deletes_the_code_once(store: Store) -> None:
    """take of the current code returns True and deletes it; a second take returns False."""
    user = add_user(store)
    code = make_code(user.id)
    in_tx(store, lambda tx: tx.login_codes.put(code))
    assert in_tx(store, lambda tx: tx.login_codes.take(user.id, uid("lc"))) is False
    assert _code(store, user.id) == code
    assert in_tx(store, lambda tx: tx.login_codes.take(user.id, code.id)) is True
    assert _code(store, user.id) is None
    assert in_tx(store, lambda tx: tx.login_codes.take(user.id, code.id)) is False
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, code.id)) is None


def test_a_code_can_be_put_again_after_take(store: Store) -> None:
    """After a take the user can get a new code, which starts at its own failure count."""
    user = add_user(store)
    first = make_code(user.id, failures=3)
    in_tx(store, lambda tx: tx.login_codes.put(first))
    in_tx(store, lambda tx: tx.login_codes.take(user.id, first.id))
    second = make_code(user.id)
    in_tx(store, lambda tx: tx.login_codes.put(second))
    assert _code(store, user.id) == second
    assert in_tx(store, lambda tx: tx.login_codes.add_failure(user.id, second.id)) == 1


# --- attempt windows -------------------------------------------------------------------------


def test_the_first_failure_starts_a_window(store: Store) -> None:
    """A key without failures has no window; its first failure starts one at that moment."""
    key = uid("k")
    assert _window(store, key) is None
    window = _fail(store, key, at(10.000001))
    assert window == AttemptWindow(key=key, started_at=at(10.000001), failures=1)
    assert _window(store, key) == window
    assert _is_utc(window.started_at)


def test_failures_inside_the_window_count_up_from_its_start(store: Store) -> None:
    """Later failures before the window's end raise the count and keep its start."""
    key = uid("k")
    _fail(store, key, at(0))
    second = _fail(store, key, at(60))
    third = _fail(store, key, at(0) + WINDOW - MICROSECOND)
    assert (second.failures, third.failures) == (2, 3)
    assert second.started_at == third.started_at == at(0)
    assert _window(store, key) == third


def test_a_failure_exactly_at_the_windows_end_starts_a_new_window(store: Store) -> None:
    """At started_at + window (not one microsecond later) the count starts again at one."""
    key = uid("k")
    _fail(store, key, at(0))
    _fail(store, key, at(0) + WINDOW - MICROSECOND)
    restarted = _fail(store, key, at(0) + WINDOW)
    assert restarted == AttemptWindow(key=key, started_at=at(0) + WINDOW, failures=1)
    assert _window(store, key) == restarted
    # The new window is measured from its own start.
    assert _fail(store, key, at(0) + 2 * WINDOW - MICROSECOND).failures == 2
    assert _fail(store, key, at(0) + 2 * WINDOW) == AttemptWindow(
        key=key, started_at=at(0) + 2 * WINDOW, failures=1
    )


def test_a_failure_long_after_the_window_starts_a_new_one(store: Store) -> None:
    """A failure days later starts a new window with one failure."""
    key = uid("k")
    for n in range(3):
        _fail(store, key, at(n))
    later = at(86_400 * 3)
    assert _fail(store, key, later) == AttemptWindow(key=key, started_at=later, failures=1)


@settings(max_examples=25)
@given(
    steps=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=8),
    window_us=st.integers(min_value=1, max_value=3_000_000),
)
def test_windows_follow_the_rule_for_any_failure_times(
    store: Store, steps: list[int], window_us: int
) -> None:
    """For any rising failure times and window, each failure lands where the rule says: a
    new window at or after the end of the current one, else one more in it."""
    key = uid("k")
    window = timedelta(microseconds=window_us)
    moment = at(0)
    expected: AttemptWindow | None = None
    for step in steps:
        moment += timedelta(microseconds=step)
        if expected is None or moment >= expected.started_at + window:
            expected = AttemptWindow(key=key, started_at=moment, failures=1)
        else:
            expected = attrs.evolve(expected, failures=expected.failures + 1)
        assert _fail(store, key, moment, window) == expected
    assert _window(store, key) == expected


def test_a_window_too_long_to_reckon_never_ends(store: Store) -> None:
    """With the longest timedelta as the window, later failures count in the first window
    on every store (no overflow)."""
    key = uid("k")
    _fail(store, key, at(0), timedelta.max)
    later = _fail(store, key, at(86_400 * 365 * 100), timedelta.max)
    assert later == AttemptWindow(key=key, started_at=at(0), failures=2)


def test_keys_count_apart(store: Store) -> None:
    """Failures under one key do not count under another."""
    one, two = uid("k"), uid("k")
    _fail(store, one, at(0))
    _fail(store, one, at(1))
    assert _fail(store, two, at(2)).failures == 1
    window = _window(store, one)
    assert window is not None and window.failures == 2


def test_clear_forgets_the_keys_failures(store: Store) -> None:
    """After clear the key has no window, and its next failure starts one afresh."""
    key, other = uid("k"), uid("k")
    _fail(store, key, at(0))
    _fail(store, key, at(1))
    _fail(store, other, at(1))
    in_tx(store, lambda tx: tx.attempts.clear(key))
    assert _window(store, key) is None
    assert _window(store, other) is not None
    in_tx(store, lambda tx: tx.attempts.clear(key))
    in_tx(store, lambda tx: tx.attempts.clear(uid("k")))
    assert _fail(store, key, at(2)) == AttemptWindow(key=key, started_at=at(2), failures=1)


def test_an_attempt_key_of_128_ascii_characters_is_kept(store: Store) -> None:
    """The longest allowed key (128 ASCII characters) is counted and found."""
    key = (uid("k") * 4)[:128]
    assert len(key) == 128
    assert _fail(store, key, at(0)).key == key
    window = _window(store, key)
    assert window is not None and window.key == key


BAD_KEYS: list[object] = ["", "k" * 129, "schlüssel", "key\x00", "\ud800", 128, b"key", None]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_a_bad_attempt_key_is_refused_and_nothing_is_counted(store: Store, key: Any) -> None:
    """add_failure raises InvalidValue for a key that is not 1 to 128 ASCII characters
    (or holds a NUL), on every store; the unit stays usable and nothing is stored."""
    good = uid("k")
    with store.transaction() as tx:
        with pytest.raises(InvalidValue) as caught:
            tx.attempts.add_failure(key, at=at(0), window=WINDOW)
        assert caught.value.code == "invalid_value"
        tx.attempts.add_failure(good, at=at(0), window=WINDOW)
    with store.transaction(readonly=True) as tx:
        assert tx.attempts.get(key) is None
        assert tx.attempts.get(good) is not None


# --- issued one-time tokens ------------------------------------------------------------------


def test_a_user_without_an_issued_token_has_none(store: Store) -> None:
    """current answers None before anything was issued."""
    user = add_user(store)
    assert _current(store, user.id, "password_reset") is None


def test_an_issued_token_is_the_current_one(store: Store) -> None:
    """issue stores the token as the user's current one of its purpose, with its note."""
    user = add_user(store)
    token_id = uid("tok")
    note = "new.address@example.org"
    in_tx(
        store,
        lambda tx: tx.tokens.issue(
            token_id, user_id=user.id, purpose="email_change", at=at(3.25), note=note
        ),
    )
    got = _current(store, user.id, "email_change")
    assert got == IssuedToken(
        token_id=token_id, user_id=user.id, purpose="email_change", issued_at=at(3.25), note=note
    )
    assert got is not None and _is_utc(got.issued_at)
    assert _current(store, user.id, "password_reset") is None


def test_a_new_token_of_a_purpose_replaces_the_old(store: Store) -> None:
    """A second issue of one purpose takes the first one's place, note included."""
    user = add_user(store)
    first, second = uid("tok"), uid("tok")
    in_tx(
        store,
        lambda tx: tx.tokens.issue(
            first, user_id=user.id, purpose="email_change", at=at(1), note="a@example.org"
        ),
    )
    in_tx(
        store, lambda tx: tx.tokens.issue(second, user_id=user.id, purpose="email_change", at=at(2))
    )
    assert _current(store, user.id, "email_change") == IssuedToken(
        token_id=second, user_id=user.id, purpose="email_change", issued_at=at(2), note=None
    )


def test_issued_tokens_are_apart_by_user_and_purpose(store: Store) -> None:
    """Tokens of other purposes and of other users stay as they were."""
    user, other = add_user(store), add_user(store)
    ids = {name: uid("tok") for name in ("reset", "verify", "other")}
    with store.transaction() as tx:
        tx.tokens.issue(ids["reset"], user_id=user.id, purpose="password_reset", at=at(1))
        tx.tokens.issue(ids["verify"], user_id=user.id, purpose="verify_email", at=at(2))
        tx.tokens.issue(ids["other"], user_id=other.id, purpose="password_reset", at=at(3))
        tx.tokens.issue(uid("tok"), user_id=user.id, purpose="password_reset", at=at(4))
    verify = _current(store, user.id, "verify_email")
    theirs = _current(store, other.id, "password_reset")
    assert verify is not None and verify.token_id == ids["verify"]
    assert theirs is not None and theirs.token_id == ids["other"]


def test_an_issued_token_stays_current_after_it_was_used(store: Store) -> None:
    """current returns the newest token whether or not it was redeemed."""
    user = add_user(store)
    token_id = uid("tok")
    with store.transaction() as tx:
        tx.tokens.issue(token_id, user_id=user.id, purpose="login", at=at(1))
        tx.tokens.mark_used(token_id, user_id=user.id, purpose="login", at=at(2))
    got = _current(store, user.id, "login")
    assert got is not None and got.token_id == token_id
    assert in_tx(store, lambda tx: tx.tokens.is_used(token_id)) is True


def test_a_note_holds_a_long_international_address(store: Store) -> None:
    """A note of more than 320 characters, not all ASCII, comes back exactly."""
    user = add_user(store)
    note = "ü" * 64 + "@" + ".".join(["ä" * 60] * 5) + ".example"
    assert len(note) > 320
    in_tx(
        store,
        lambda tx: tx.tokens.issue(
            uid("tok"), user_id=user.id, purpose="email_change", at=at(1), note=note
        ),
    )
    got = _current(store, user.id, "email_change")
    assert got is not None and got.note == note


def test_a_token_issued_to_an_unknown_user_is_refused(store: Store) -> None:
    """issue raises UserNotFound for a user that does not exist, and stores nothing."""
    user_id = uid("usr")
    with pytest.raises(UserNotFound), store.transaction() as tx:
        tx.tokens.issue(uid("tok"), user_id=user_id, purpose="login", at=at(1))
    assert _current(store, user_id, "login") is None


# --- e-mail verification time ----------------------------------------------------------------


def test_email_verified_at_round_trips_through_add_update_and_both_gets(store: Store) -> None:
    """email_verified_at is stored by add and update, and read back by get and get_by_email,
    aware UTC with microseconds; None is stored as None."""
    user = add_user(store, email_verified_at=None)
    assert user.email is not None
    key = email_key(user.email)

    def both() -> tuple[User | None, User | None]:
        with store.transaction(readonly=True) as tx:
            return tx.users.get(user.id), tx.users.get_by_email(key)

    assert both() == (user, user)
    verified = in_tx(
        store, lambda tx: tx.users.update(attrs.evolve(user, email_verified_at=at(42.000007)))
    )
    assert both() == (verified, verified)
    got = both()[0]
    assert got is not None and got.email_verified_at == at(42.000007)
    assert got.email_verified_at is not None and _is_utc(got.email_verified_at)
    cleared = in_tx(
        store, lambda tx: tx.users.update(attrs.evolve(verified, email_verified_at=None))
    )
    assert both() == (cleared, cleared)
    stamped = make_user(email_verified_at=at(5))
    in_tx(store, lambda tx: tx.users.add(stamped))
    assert in_tx(store, lambda tx: tx.users.get(stamped.id)) == stamped


def test_a_session_reads_its_users_verification_time(store: Store) -> None:
    """The user that sessions.get returns carries email_verified_at too."""
    user = add_user(store, email_verified_at=at(9.5))
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    got = _session(store, session.id)
    assert got is not None and got[1].email_verified_at == at(9.5)


# --- read-only units, rollback, savepoints ---------------------------------------------------


@attrs.frozen
class _World:
    """A user with a session, a login code, an issued token and an attempt window."""

    user: User
    session: Session
    code: LoginCode
    token_id: str
    key: str


def _world(store: Store) -> _World:
    user = add_user(store)
    world = _World(user, make_session(user.id), make_code(user.id), uid("tok"), uid("k"))
    with store.transaction() as tx:
        tx.sessions.add(world.session)
        tx.login_codes.put(world.code)
        tx.tokens.issue(world.token_id, user_id=user.id, purpose="login", at=at(1))
        tx.attempts.add_failure(world.key, at=at(1), window=WINDOW)
    return world


def _snapshot(store: Store, w: _World) -> tuple[object, ...]:
    """Everything the sign-in writes below could change."""
    with store.transaction(readonly=True) as tx:
        return (
            tx.sessions.get(w.session.id),
            list(tx.sessions.for_user(w.user.id)),
            tx.login_codes.get(w.user.id),
            tx.tokens.current(w.user.id, "login"),
            tx.tokens.current(w.user.id, "password_reset"),
            tx.attempts.get(w.key),
            tx.attempts.get("fresh-key"),
        )


SIGNIN_WRITES: dict[str, Callable[[Transaction, _World], object]] = {
    "sessions.add": lambda tx, w: tx.sessions.add(make_session(w.user.id)),
    "sessions.touch": lambda tx, w: tx.sessions.touch(w.session.id, at(5000)),
    "sessions.touch unknown": lambda tx, w: tx.sessions.touch(uid("ses"), at(5000)),
    "sessions.remove": lambda tx, w: tx.sessions.remove(w.session.id),
    "sessions.remove_for_user": lambda tx, w: tx.sessions.remove_for_user(w.user.id),
    "login_codes.put": lambda tx, w: tx.login_codes.put(make_code(w.user.id)),
    "login_codes.add_failure": lambda tx, w: tx.login_codes.add_failure(w.user.id, w.code.id),
    "login_codes.take": lambda tx, w: tx.login_codes.take(w.user.id, w.code.id),
    "attempts.add_failure": lambda tx, w: tx.attempts.add_failure(w.key, at=at(2), window=WINDOW),
    "attempts.add_failure new key": lambda tx, w: tx.attempts.add_failure(
        "fresh-key", at=at(2), window=WINDOW
    ),
    "attempts.add_failure bad key": lambda tx, w: tx.attempts.add_failure(
        "k" * 200, at=at(2), window=WINDOW
    ),
    "attempts.clear": lambda tx, w: tx.attempts.clear(w.key),
    "tokens.issue": lambda tx, w: tx.tokens.issue(
        uid("tok"), user_id=w.user.id, purpose="login", at=at(3), note="n"
    ),
    "tokens.issue new purpose": lambda tx, w: tx.tokens.issue(
        uid("tok"), user_id=w.user.id, purpose="password_reset", at=at(3)
    ),
}
CHANGING = [name for name in SIGNIN_WRITES if not name.endswith(("unknown", "bad key"))]


@pytest.mark.parametrize("write", list(SIGNIN_WRITES), ids=list(SIGNIN_WRITES))
def test_a_readonly_unit_refuses_every_signin_write(store: Store, write: str) -> None:
    """Each sign-in write in a read-only unit raises ReadOnlyUnit before any check, and
    nothing changes, also when the block goes on to its end."""
    world = _world(store)
    before = _snapshot(store, world)
    with store.transaction(readonly=True) as tx:
        with pytest.raises(ReadOnlyUnit):
            SIGNIN_WRITES[write](tx, world)
        assert tx.sessions.get(world.session.id) is not None
    assert _snapshot(store, world) == before


@pytest.mark.parametrize("write", CHANGING, ids=CHANGING)
def test_a_signin_write_rolls_back_with_its_unit(store: Store, write: str) -> None:
    """Each sign-in write is undone when its unit raises afterwards."""
    world = _world(store)
    before = _snapshot(store, world)
    with pytest.raises(Boom):
        run_then_fail(store, lambda tx: SIGNIN_WRITES[write](tx, world))
    assert _snapshot(store, world) == before


@pytest.mark.parametrize("write", CHANGING, ids=CHANGING)
def test_a_signin_write_in_a_failed_nested_unit_is_undone_alone(store: Store, write: str) -> None:
    """A nested unit that writes and raises undoes only its write; the outer unit's own
    writes before and after it commit."""
    world = _world(store)
    before = _snapshot(store, world)
    kept_before, kept_after = make_session(world.user.id), make_session(world.user.id)
    with store.transaction() as tx:
        tx.sessions.add(kept_before)
        with pytest.raises(Boom), store.transaction() as inner:
            SIGNIN_WRITES[write](inner, world)
            raise Boom
        tx.sessions.add(kept_after)
    assert _session(store, kept_before.id) == (kept_before, world.user)
    assert _session(store, kept_after.id) == (kept_after, world.user)
    in_tx(
        store,
        lambda tx: (tx.sessions.remove(kept_before.id), tx.sessions.remove(kept_after.id)),
    )
    assert _snapshot(store, world) == before


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda tx: tx.sessions.add(make_session(uid("usr"))), id="sessions.add"),
        pytest.param(lambda tx: tx.login_codes.put(make_code(uid("usr"))), id="login_codes.put"),
        pytest.param(
            lambda tx: tx.tokens.issue(uid("tok"), user_id=uid("usr"), purpose="login", at=at(1)),
            id="tokens.issue",
        ),
    ],
)
def test_an_unknown_user_in_a_nested_unit_leaves_the_outer_unit_usable(
    store: Store, write: Callable[[Transaction], object]
) -> None:
    """UserNotFound from a nested unit (a foreign-key violation on SQL) is caught, and the
    outer unit still writes and commits."""
    user = add_user(store)
    kept = make_session(user.id)
    with store.transaction() as tx:
        with pytest.raises(UserNotFound), store.transaction() as inner:
            write(inner)
        tx.sessions.add(kept)
    assert _session(store, kept.id) == (kept, user)


def test_a_duplicate_session_in_a_nested_unit_leaves_the_outer_unit_usable(store: Store) -> None:
    """ConflictError from a nested unit is caught, and the outer unit commits its writes."""
    user = add_user(store)
    session, kept = make_session(user.id), make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    with store.transaction() as tx:
        with pytest.raises(ConflictError), store.transaction() as inner:
            inner.sessions.add(attrs.evolve(session, method=SignInMethod.CODE))
        tx.sessions.add(kept)
    assert _sessions_of(store, user.id) == sorted(
        [session, kept], key=lambda s: (s.created_at, s.id)
    )


def test_signin_writes_in_one_unit_see_each_other(store: Store) -> None:
    """Inside one unit, every sign-in read sees the unit's own earlier writes."""
    user = make_user()
    session, code, key = make_session(user.id), make_code(user.id), uid("k")
    with store.transaction() as tx:
        tx.users.add(user)
        tx.sessions.add(session)
        tx.login_codes.put(code)
        tx.tokens.issue("tok-1", user_id=user.id, purpose="login", at=at(1))
        tx.attempts.add_failure(key, at=at(1), window=WINDOW)
        assert tx.sessions.get(session.id) == (session, user)
        assert tx.login_codes.add_failure(user.id, code.id) == 1
        assert tx.attempts.add_failure(key, at=at(2), window=WINDOW).failures == 2
        current = tx.tokens.current(user.id, "login")
        assert current is not None and current.token_id == "tok-1"
        assert tx.login_codes.take(user.id, code.id) is True
        assert tx.login_codes.get(user.id) is None


# --- keys that cannot be stored --------------------------------------------------------------

UNBINDABLE: list[object] = ["\x00", "ses_\x00", "\ud800", "usr_\udfff", 42, b"usr_1", ""]


@pytest.mark.parametrize("key", UNBINDABLE, ids=repr)
def test_signin_lookups_by_keys_that_cannot_be_stored_find_nothing(store: Store, key: Any) -> None:
    """Reads, and writes addressed by such a key, find nothing and raise nothing."""
    world = _world(store)
    before = _snapshot(store, world)
    with store.transaction(readonly=True) as tx:
        assert tx.sessions.get(key) is None
        assert list(tx.sessions.for_user(key)) == []
        assert tx.login_codes.get(key) is None
        assert tx.tokens.current(key, "login") is None
        assert tx.tokens.current(world.user.id, key) is None
        assert tx.attempts.get(key) is None
    with store.transaction() as tx:
        tx.sessions.touch(key, at(1))
        assert tx.sessions.remove(key) is False
        assert tx.sessions.remove_for_user(key) == 0
        assert tx.login_codes.add_failure(key, world.code.id) is None
        assert tx.login_codes.add_failure(world.user.id, key) is None
        assert tx.login_codes.take(key, world.code.id) is False
        assert tx.login_codes.take(world.user.id, key) is False
        tx.attempts.clear(key)
    assert _snapshot(store, world) == before


# --- values no store could keep --------------------------------------------------------------

Write = Callable[[Transaction, str, Any], object]
Read = Callable[[Transaction, str, str], object]


def _code_field(tx: Transaction, user_id: str, name: str) -> object:
    code = tx.login_codes.get(user_id)
    return None if code is None else getattr(code, name)


def _token_field(tx: Transaction, user_id: str, purpose: str, name: str) -> object:
    token = tx.tokens.current(user_id, purpose)
    return None if token is None else getattr(token, name)


LIMITED: dict[str, tuple[Write, Read, int]] = {
    "session id": (
        lambda tx, u, v: tx.sessions.add(make_session(u, id=v)),
        lambda tx, u, v: [s.id for s in tx.sessions.for_user(u)],
        64,
    ),
    "code id": (
        lambda tx, u, v: tx.login_codes.put(make_code(u, id=v)),
        lambda tx, u, v: [_code_field(tx, u, "id")],
        64,
    ),
    "code hash": (
        lambda tx, u, v: tx.login_codes.put(make_code(u, code_hash=v)),
        lambda tx, u, v: [_code_field(tx, u, "code_hash")],
        128,
    ),
    "token id": (
        lambda tx, u, v: tx.tokens.issue(v, user_id=u, purpose="login", at=at(1)),
        lambda tx, u, v: [_token_field(tx, u, "login", "token_id")],
        128,
    ),
    "purpose": (
        lambda tx, u, v: tx.tokens.issue(uid("tok"), user_id=u, purpose=v, at=at(1)),
        lambda tx, u, v: [_token_field(tx, u, v, "purpose")],
        32,
    ),
}


def _issue_with_note(tx: Transaction, user_id: str, note: Any) -> None:
    tx.tokens.issue(uid("tok"), user_id=user_id, purpose="login", at=at(1), note=note)


BAD_TEXT = {"NUL": "x\x00y", "surrogate": "x\ud800y", "not text": 42}


def _signin_rows(store: Store, user_id: str) -> tuple[object, ...]:
    with store.transaction(readonly=True) as tx:
        return (
            list(tx.sessions.for_user(user_id)),
            tx.login_codes.get(user_id),
            tx.tokens.current(user_id, "login"),
        )


@pytest.mark.parametrize("what", list(LIMITED), ids=list(LIMITED))
def test_values_up_to_their_column_limit_are_kept(store: Store, what: str) -> None:
    """An id, hash or purpose of exactly its limit in characters is stored and read back."""
    write, read, limit = LIMITED[what]
    user = add_user(store)
    value = (uid("v") * 8)[:limit]
    in_tx(store, lambda tx: write(tx, user.id, value))
    assert in_tx(store, lambda tx: read(tx, user.id, value)) == [value]


@pytest.mark.parametrize(
    ("write", "value"),
    [
        *(
            pytest.param(w, "v" * (limit + 1), id=f"{what} too long")
            for what, (w, _, limit) in LIMITED.items()
        ),
        *(
            pytest.param(w, bad, id=f"{what} {name}")
            for what, (w, _, _) in LIMITED.items()
            for name, bad in BAD_TEXT.items()
        ),
        *(pytest.param(_issue_with_note, bad, id=f"note {name}") for name, bad in BAD_TEXT.items()),
    ],
)
def test_values_no_store_can_keep_are_refused_alike(store: Store, write: Write, value: Any) -> None:
    """A value longer than its column, or with a NUL, a lone surrogate, or not text, raises
    InvalidValue on every store before anything is written; the unit goes on."""
    user = add_user(store)
    kept = make_session(user.id)
    with store.transaction() as tx:
        with pytest.raises(InvalidValue) as caught:
            write(tx, user.id, value)
        assert caught.value.code == "invalid_value"
        tx.sessions.add(kept)
    assert _signin_rows(store, user.id) == ([kept], None, None)


@pytest.mark.parametrize("user_id", ["u" * 65, "usr_\x00", "usr_\udfff"], ids=repr)
@pytest.mark.parametrize(
    "write",
    [LIMITED["session id"][0], LIMITED["code id"][0], LIMITED["token id"][0]],
    ids=["session", "code", "token"],
)
def test_a_user_id_no_user_can_have_is_an_unknown_user(
    store: Store, write: Write, user_id: str
) -> None:
    """Sessions, codes and tokens of an id that no users row could hold raise UserNotFound."""
    with pytest.raises(UserNotFound), store.transaction() as tx:
        write(tx, user_id, uid("v"))
