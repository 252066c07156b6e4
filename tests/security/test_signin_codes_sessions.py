"""E-mailed login codes and sessions: guessing, replay, expiry, sign-out everywhere."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    FrozenClock,
    MessageKind,
    SessionPolicy,
    ShopPolicy,
    SignInMethod,
    UserTier,
)
from accountkit.errors import (
    LoginCodeInvalid,
    NotPermitted,
    SessionExpired,
    SessionInvalid,
    SessionRevoked,
    TooManyAttempts,
)
from accountkit.storage import MemoryStore
from tests.conftest import KitFactory
from tests.helpers import (
    BIRTH_DATE,
    OPERATOR,
    SIGN_IN_PASSWORD,
    full_user,
    last_message,
    link_token,
)

PASSWORD = SIGN_IN_PASSWORD
BORN = BIRTH_DATE


def sent_code(kit: AccountKit) -> str:
    code = last_message(kit, MessageKind.LOGIN_CODE).code
    assert code is not None
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- codes -----------------------------------------------------------------------------------


def test_a_code_is_six_digits_and_signs_in_once(kit: AccountKit) -> None:
    """The e-mailed code signs in; the same code again is LoginCodeInvalid."""
    user_id = full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    assert len(code) == 6
    assert code.isdigit()
    signed = kit.auth.login_with_code("ADA@example.com", code)
    assert (signed.user.id, signed.method) == (user_id, SignInMethod.CODE)
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", code)


def test_the_store_holds_only_a_keyed_hash_of_the_code(kit: AccountKit) -> None:
    """No field of the stored record holds the code."""
    user_id = full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    with kit.store.transaction(readonly=True) as tx:
        stored = tx.login_codes.get(user_id)
    assert stored is not None
    assert all(code not in str(value) for value in attrs.asdict(stored).values())
    assert code not in repr(stored)


def test_three_wrong_codes_kill_the_code(kit: AccountKit) -> None:
    """After three wrong tries even the right code fails."""
    full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    for _ in range(3):
        with pytest.raises(LoginCodeInvalid):
            kit.auth.login_with_code("ada@example.com", wrong(code))
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", code)


def test_two_wrong_codes_leave_the_right_one_working(kit: AccountKit) -> None:
    """The third try may still be right."""
    user_id = full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    for _ in range(2):
        with pytest.raises(LoginCodeInvalid):
            kit.auth.login_with_code("ada@example.com", wrong(code))
    assert kit.auth.login_with_code("ada@example.com", code).user.id == user_id


def test_a_new_request_kills_the_code_before(kit: AccountKit) -> None:
    """Only the newest code works."""
    full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    first = sent_code(kit)
    kit.auth.request_login_code("ada@example.com")
    second = sent_code(kit)
    if first != second:
        with pytest.raises(LoginCodeInvalid):
            kit.auth.login_with_code("ada@example.com", first)
    assert kit.auth.login_with_code("ada@example.com", second).user


def test_a_code_expires_after_ten_minutes(kit: AccountKit, clock: FrozenClock) -> None:
    """Valid just before ten minutes, dead at ten."""
    full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", code)
    kit.auth.request_login_code("ada@example.com")
    code = sent_code(kit)
    clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    assert kit.auth.login_with_code("ada@example.com", code).user


def test_an_unknown_address_gets_no_code_and_the_same_answers(kit: AccountKit) -> None:
    """request answers None and sends nothing; a guessed code is LoginCodeInvalid."""
    full_user(kit)
    kit.auth.request_login_code("nobody@example.com")
    assert kit.notifier.messages == []  # type: ignore[attr-defined]
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("nobody@example.com", "123456")


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "１２３４５６", "x" * 100_000])
def test_malformed_codes_are_just_wrong(kit: AccountKit, typed: str) -> None:
    """Any malformed code is LoginCodeInvalid and counts as a try."""
    full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    with pytest.raises(LoginCodeInvalid):
        kit.auth.login_with_code("ada@example.com", typed)


def test_guessing_codes_is_throttled_across_requests(kit: AccountKit) -> None:
    """Asking for new codes does not give an attacker unlimited guesses."""
    full_user(kit)
    guesses = 0
    with pytest.raises(TooManyAttempts):
        for _ in range(20):
            kit.auth.request_login_code("ada@example.com")
            with contextlib.suppress(LoginCodeInvalid):
                kit.auth.login_with_code("ada@example.com", wrong(sent_code(kit)))
            guesses += 1
    assert guesses == 10


def test_a_code_proves_the_address(kit: AccountKit) -> None:
    """After a code sign-in the address counts as verified."""
    user_id = full_user(kit)
    kit.auth.request_login_code("ada@example.com")
    kit.auth.login_with_code("ada@example.com", sent_code(kit))
    assert kit.users.get(user_id).email_verified_at is not None


def test_a_disabled_user_gets_no_code(kit: AccountKit) -> None:
    """Nothing is sent to a disabled account."""
    user_id = full_user(kit)
    kit.users.disable(OPERATOR, user_id)
    kit.auth.request_login_code("ada@example.com")
    assert kit.notifier.messages == []  # type: ignore[attr-defined]


# --- sessions --------------------------------------------------------------------------------


def test_authenticate_returns_the_signed_in_user(kit: AccountKit) -> None:
    """The session token turns back into the user."""
    user_id = full_user(kit)
    signed = kit.auth.login_with_password("ada@example.com", PASSWORD)
    assert kit.auth.authenticate(signed.session_token).id == user_id
    assert signed.session_token not in repr(signed)


@pytest.mark.parametrize("token", ["", "abc", "x" * 100_000, "ä.b", None, 7])
def test_a_forged_session_token_is_session_invalid(kit: AccountKit, token: object) -> None:
    """Anything that is not our signed id is SessionInvalid."""
    with pytest.raises(SessionInvalid):
        kit.auth.authenticate(token)  # type: ignore[arg-type]


def test_a_session_token_of_another_shop_is_invalid(make_kit: KitFactory) -> None:
    """Signed with another key: SessionInvalid."""
    kit = make_kit(ShopPolicy.b2c_open())
    full_user(kit)
    signed = kit.auth.login_with_password("ada@example.com", PASSWORD)
    other = AccountKit(store=kit.store, secret_keys=["another-shop-key-32-bytes-long!!"])
    with pytest.raises(SessionInvalid):
        other.auth.authenticate(signed.session_token)


def test_a_tampered_session_token_is_invalid(kit: AccountKit) -> None:
    """One changed character: SessionInvalid."""
    full_user(kit)
    token = kit.auth.login_with_password("ada@example.com", PASSWORD).session_token
    with pytest.raises(SessionInvalid):
        kit.auth.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_an_idle_session_expires_and_use_keeps_it_alive(
    make_kit: KitFactory, clock: FrozenClock
) -> None:
    """Idle 30 minutes ends it; a request every 20 minutes keeps it."""
    kit = make_kit(ShopPolicy.b2c_open())
    kit = AccountKit(
        store=kit.store,
        secret_keys=list(kit.secret_keys),
        channels=list(kit.channels.values()),
        clock=clock,
        session_policy=SessionPolicy.strict(),
    )
    full_user(kit)
    token = kit.auth.login_with_password("ada@example.com", PASSWORD).session_token
    for _ in range(5):
        clock.advance(timedelta(minutes=20))
        kit.auth.authenticate(token)
    clock.advance(timedelta(minutes=30))
    with pytest.raises(SessionExpired):
        kit.auth.authenticate(token)


def test_every_session_ends_at_its_absolute_lifetime(kit: AccountKit, clock: FrozenClock) -> None:
    """Used every 20 hours, the session still ends 30 days after sign-in."""
    full_user(kit)
    signed = kit.auth.login_with_password("ada@example.com", PASSWORD)
    while clock.now() + timedelta(hours=20) < signed.expires_at:
        clock.advance(timedelta(hours=20))
        kit.auth.authenticate(signed.session_token)
    clock.advance(signed.expires_at - clock.now())
    with pytest.raises(SessionExpired):
        kit.auth.authenticate(signed.session_token)


def _sessions(kit: AccountKit) -> tuple[str, list[str]]:
    user_id = full_user(kit)
    tokens = [kit.auth.login_with_password("ada@example.com", PASSWORD).session_token]
    kit.auth.request_login_code("ada@example.com")
    tokens.append(kit.auth.login_with_code("ada@example.com", sent_code(kit)).session_token)
    return user_id, tokens


@pytest.mark.parametrize(
    "change",
    ["password", "email", "tier", "disable", "revoke", "revoke_by_staff"],
)
def test_every_session_dies_with_an_account_change(kit: AccountKit, change: str) -> None:
    """Password, e-mail, tier, status change and revoke_tokens end all sessions at once."""
    user_id, tokens = _sessions(kit)
    if change == "password":
        kit.auth.change_password(
            user_id, current_password=PASSWORD, new_password="a brand new passphrase"
        )
    elif change == "email":
        kit.auth.request_email_change(user_id, "new@example.com", current_password=PASSWORD)
        kit.auth.confirm_email_change(link_token(last_message(kit, MessageKind.EMAIL_CHANGE)))
    elif change == "tier":
        kit.users.set_tier(OPERATOR, user_id, UserTier.GUEST)
    elif change == "disable":
        kit.users.disable(OPERATOR, user_id)
    elif change == "revoke":
        kit.auth.revoke_tokens(Actor.user(user_id), user_id)
    else:
        kit.auth.revoke_tokens(OPERATOR, user_id)
    for token in tokens:
        with pytest.raises(SessionRevoked):
            kit.auth.authenticate(token)


def test_enabling_again_does_not_bring_old_sessions_back(kit: AccountKit) -> None:
    """Disable then enable: the old sessions stay dead."""
    user_id, tokens = _sessions(kit)
    kit.users.disable(OPERATOR, user_id)
    kit.users.enable(OPERATOR, user_id)
    with pytest.raises(SessionRevoked):
        kit.auth.authenticate(tokens[0])


def test_another_user_cannot_sign_someone_out_everywhere(kit: AccountKit) -> None:
    """revoke_tokens by another user is NotPermitted."""
    ada = full_user(kit)
    bob = full_user(kit, "bob@example.com")
    with pytest.raises(NotPermitted):
        kit.auth.revoke_tokens(Actor.user(bob), ada)


def test_logout_ends_only_that_session(kit: AccountKit) -> None:
    """Signing out one browser leaves the others; logging out twice is harmless."""
    _, tokens = _sessions(kit)
    kit.auth.logout(tokens[0])
    kit.auth.logout(tokens[0])
    with pytest.raises(SessionRevoked):
        kit.auth.authenticate(tokens[0])
    assert kit.auth.authenticate(tokens[1])


class _CountingStore:
    """A store that counts units and repository calls made through it."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.units: list[bool] = []
        self.calls: list[str] = []

    @contextlib.contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Any]:
        self.units.append(readonly)
        with self.inner.transaction(readonly=readonly) as tx:
            yield _CountingTx(tx, self.calls)

    def close(self) -> None:
        self.inner.close()


class _CountingTx:
    def __init__(self, tx: Any, calls: list[str]) -> None:
        self._tx, self._calls = tx, calls

    def __getattr__(self, name: str) -> Any:
        repo = getattr(self._tx, name)
        calls = self._calls

        class _Repo:
            def __getattr__(self, method: str) -> Any:
                calls.append(f"{name}.{method}")
                return getattr(repo, method)

        return _Repo()


def test_authenticate_is_one_read_by_primary_key(make_kit: KitFactory) -> None:
    """One read-only unit and one repository call: sessions.get."""
    store = _CountingStore(MemoryStore())
    kit = make_kit(ShopPolicy.b2c_open(), store=store)
    full_user(kit)
    token = kit.auth.login_with_password("ada@example.com", PASSWORD).session_token
    store.units.clear()
    store.calls.clear()
    kit.auth.authenticate(token)
    assert store.units == [True]
    assert store.calls == ["sessions.get"]
