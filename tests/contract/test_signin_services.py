"""Sign-in through the services, on every store: the same flows mean the same everywhere."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from accountkit import AccountKit, Actor, FrozenClock, MessageKind, Registration
from accountkit.errors import (
    InvalidCredentials,
    LoginCodeInvalid,
    SessionExpired,
    SessionRevoked,
    TokenRevoked,
    TokenUsed,
    TooManyAttempts,
)
from tests.helpers import BIRTH_DATE, SIGN_IN_PASSWORD, full_user, last_message, link_token

PASSWORD = SIGN_IN_PASSWORD
BORN = BIRTH_DATE


def test_password_sign_in_and_authenticate(kit: AccountKit) -> None:
    """A session from a password sign-in authenticates, and logout ends it."""
    user_id = full_user(kit)
    signed = kit.auth.login_with_password("ADA@example.com", PASSWORD)
    assert kit.auth.authenticate(signed.session_token).id == user_id
    kit.auth.logout(signed.session_token)
    with pytest.raises(SessionRevoked):
        kit.auth.authenticate(signed.session_token)


def test_the_attempt_limit_counts_in_the_store(kit: AccountKit, clock: FrozenClock) -> None:
    """Ten failures throttle; the window's end lets the owner in."""
    full_user(kit)
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            kit.auth.login_with_password("ada@example.com", "wrong guess number")
    with pytest.raises(TooManyAttempts) as info:
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    clock.advance(timedelta(seconds=info.value.retry_after))
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id


def test_a_reset_link_is_redeemed_once_and_a_newer_one_kills_it(kit: AccountKit) -> None:
    """Newest link only; used once; the password changes once."""
    full_user(kit)
    kit.auth.request_password_reset("ada@example.com")
    older = link_token(last_message(kit, MessageKind.PASSWORD_RESET))
    kit.auth.request_password_reset("ada@example.com")
    newer = link_token(last_message(kit, MessageKind.PASSWORD_RESET))
    with pytest.raises(TokenRevoked):
        kit.auth.reset_password(older, "an older new passphrase")
    kit.auth.reset_password(newer, "a brand new passphrase")
    with pytest.raises(TokenUsed):
        kit.auth.reset_password(newer, "yet another passphrase")
    assert kit.auth.login_with_password("ada@example.com", "a brand new passphrase").user


def test_a_login_code_works_once_and_dies_after_three_wrong_tries(kit: AccountKit) -> None:
    """The code signs in once; a second code dies after three wrong tries."""
    full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = last_message(kit, MessageKind.LOGIN_CODE).code
    assert code is not None
    kit.auth.login_with_code("ada@example.com", code)
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", code)
    kit.auth.request_login_code("ada@example.com")
    code = last_message(kit, MessageKind.LOGIN_CODE).code
    assert code is not None
    for _ in range(3):
        with contextlib.suppress(LoginCodeInvalid):
            kit.auth.login_with_code("ada@example.com", f"{(int(code) + 1) % 10**6:06d}")
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", code)


def test_sessions_expire_idle_and_die_with_revoke(kit: AccountKit, clock: FrozenClock) -> None:
    """Idle past a day: SessionExpired; sign out everywhere: SessionRevoked."""
    user_id = full_user(kit)
    first = kit.auth.login_with_password("ada@example.com", PASSWORD)
    clock.advance(timedelta(hours=2))
    kit.auth.authenticate(first.session_token)  # refreshes last seen
    clock.advance(timedelta(hours=23))
    kit.auth.authenticate(first.session_token)
    clock.advance(timedelta(days=1))
    with pytest.raises(SessionExpired):
        kit.auth.authenticate(first.session_token)
    second = kit.auth.login_with_password("ada@example.com", PASSWORD)
    kit.auth.revoke_tokens(Actor.user(user_id), user_id)
    with pytest.raises(SessionRevoked):
        kit.auth.authenticate(second.session_token)


def test_a_guest_registering_gets_the_upgrade_link(kit: AccountKit) -> None:
    """check_inbox, then the link upgrades the guest and signs them in."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    answer = kit.registration.register(
        email="gus@example.com",
        password="someone else's password",
        birth_date=BORN,
        given_name="Gus",
        family_name="Gast",
    )
    assert answer == Registration(check_inbox=True)
    token = link_token(last_message(kit, MessageKind.UPGRADE))
    signed = kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)
    assert kit.auth.authenticate(signed.session_token).id == gus.id
    with pytest.raises(TokenUsed):
        kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)


def test_an_email_change_confirms_on_the_new_address(kit: AccountKit) -> None:
    """The address changes on confirm; the old one no longer finds the user."""
    user_id = full_user(kit)
    kit.auth.request_email_change(user_id, "new@example.com", current_password=PASSWORD)
    signed = kit.auth.confirm_email_change(link_token(last_message(kit, MessageKind.EMAIL_CHANGE)))
    assert signed.user.email == "new@example.com"
    assert kit.users.find_by_email("ada@example.com") is None
    assert kit.auth.login_with_password("new@example.com", PASSWORD).user.id == user_id
