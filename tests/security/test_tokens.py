"""Signed one-purpose tokens: purposes, expiry, rotation, revocation, hostile input, links."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from accountkit import AccountKit, Actor, FrozenClock
from accountkit.domain.users import User, UserStatus, UserTier
from accountkit.errors import (
    AccountKitError,
    AuthenticationError,
    InvalidValue,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TokenUsed,
    TokenWrongPurpose,
)
from accountkit.security.tokens import (
    MAX_CARD_AGE,
    PURPOSE_RULES,
    TokenClaims,
    TokenCodec,
    TokenPurpose,
    build_link,
)
from tests.helpers import register

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
KEYS = ["old-key-0123456789", "new-key-0123456789"]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
CARD_AGE = timedelta(days=30)


def make_user(user_id: str = "usr_1", security_version: int = 0) -> User:
    """A FULL user record with the given id and security version."""
    return User(
        id=user_id,
        tier=UserTier.FULL,
        email="ada@example.com",
        given_name="Ada",
        security_version=security_version,
        created_at=START,
        updated_at=START,
    )


def age_for(purpose: TokenPurpose) -> timedelta | None:
    """The max_age argument issue needs for ``purpose``."""
    return CARD_AGE if purpose is TokenPurpose.LOGIN_CARD else None


def lifetime(purpose: TokenPurpose) -> timedelta:
    """How long a token of ``purpose`` issued with ``age_for`` lives."""
    return CARD_AGE if purpose is TokenPurpose.LOGIN_CARD else PURPOSE_RULES[purpose].max_age


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at START."""
    return FrozenClock(START)


@pytest.fixture
def codec(clock: FrozenClock) -> TokenCodec:
    """A codec with two keys on the frozen clock."""
    return TokenCodec(KEYS, clock=clock)


@pytest.fixture
def user() -> User:
    """The user tokens are issued to."""
    return make_user()


def test_purpose_rules_hold_the_ages_of_the_issue() -> None:
    """Each purpose has the maximum age and one-time flag the issue sets."""
    expected = {
        TokenPurpose.LOGIN: (timedelta(minutes=15), False),
        TokenPurpose.LOGIN_CARD: (timedelta(days=365), False),
        TokenPurpose.UPGRADE: (timedelta(days=14), True),
        TokenPurpose.PASSWORD_RESET: (timedelta(hours=1), True),
        TokenPurpose.EMAIL_VERIFICATION: (timedelta(hours=48), True),
        TokenPurpose.EMAIL_CHANGE: (timedelta(hours=48), True),
        TokenPurpose.INVITATION: (timedelta(days=14), True),
    }
    assert set(PURPOSE_RULES) == set(TokenPurpose)
    for purpose, (max_age, one_time) in expected.items():
        assert (PURPOSE_RULES[purpose].max_age, PURPOSE_RULES[purpose].one_time) == (
            max_age,
            one_time,
        )
    assert len({rule.code for rule in PURPOSE_RULES.values()}) == len(PURPOSE_RULES)


@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_a_token_inspects_as_its_own_purpose(
    codec: TokenCodec, user: User, purpose: TokenPurpose
) -> None:
    """A fresh token gives back its user, purpose, times and one-time flag."""
    token = codec.issue(user, purpose, max_age=age_for(purpose))
    claims = codec.inspect(token, purpose, user_lookup=lambda _: user)
    assert claims.user_id == user.id
    assert claims.purpose is purpose
    assert claims.issued_at == START
    assert claims.expires_at == START + lifetime(purpose)
    assert claims.one_time is PURPOSE_RULES[purpose].one_time
    assert len(claims.token_id) >= 20


def test_inspect_never_uses_a_token_up(codec: TokenCodec, user: User) -> None:
    """Checking a one-time token twice gives the same claims both times."""
    token = codec.issue(user, TokenPurpose.PASSWORD_RESET)
    first = codec.inspect(token, TokenPurpose.PASSWORD_RESET, user_lookup=user)
    assert codec.inspect(token, "password_reset", user_lookup=user) == first


def test_every_token_has_its_own_id(codec: TokenCodec, user: User) -> None:
    """Two tokens issued at the same second differ and carry different ids."""
    one = codec.issue(user, TokenPurpose.LOGIN)
    two = codec.issue(user, TokenPurpose.LOGIN)
    assert one != two
    ids = {codec.inspect(t, TokenPurpose.LOGIN, user_lookup=user).token_id for t in (one, two)}
    assert len(ids) == 2


def test_token_carries_no_personal_data(codec: TokenCodec, user: User) -> None:
    """The token's decoded payload holds neither the e-mail address nor the name."""
    token = codec.issue(user, TokenPurpose.LOGIN)
    serializer = URLSafeTimedSerializer(KEYS, salt="accountkit.token.login")
    payload = serializer.loads_unsafe(token)[1]
    text = repr(payload)
    assert "ada" not in text.lower()
    assert "example.com" not in text


@given(pair=st.sampled_from(list(itertools.permutations(TokenPurpose, 2))))
def test_a_token_never_inspects_as_another_purpose(
    pair: tuple[TokenPurpose, TokenPurpose],
) -> None:
    """For every pair of distinct purposes, a token of the first is refused as the second."""
    issued, asked = pair
    codec = TokenCodec(KEYS, clock=FrozenClock(START))
    user = make_user()
    token = codec.issue(user, issued, max_age=age_for(issued))
    with pytest.raises(TokenWrongPurpose):
        codec.inspect(token, asked, user_lookup=user)


@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_expiry_is_exactly_at_the_maximum_age(
    codec: TokenCodec, clock: FrozenClock, user: User, purpose: TokenPurpose
) -> None:
    """A token is valid at exactly its maximum age and expired one second later."""
    token = codec.issue(user, purpose, max_age=age_for(purpose))
    clock.set(START + lifetime(purpose))
    assert codec.inspect(token, purpose, user_lookup=user).expires_at == clock.now()
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        codec.inspect(token, purpose, user_lookup=user)


def test_fractional_seconds_do_not_stretch_or_shorten_the_age(user: User) -> None:
    """A token issued at .9 s is valid until the whole second of its maximum age passes."""
    clock = FrozenClock(START + timedelta(milliseconds=900))
    codec = TokenCodec(KEYS, clock=clock)
    token = codec.issue(user, TokenPurpose.LOGIN)
    assert codec.inspect(token, TokenPurpose.LOGIN, user_lookup=user).issued_at == START
    clock.set(START + timedelta(minutes=15, milliseconds=999))
    codec.inspect(token, TokenPurpose.LOGIN, user_lookup=user)
    clock.set(START + timedelta(minutes=15, seconds=1))
    with pytest.raises(TokenExpired):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=user)


def test_a_future_dated_token_is_invalid(clock: FrozenClock, user: User) -> None:
    """A token signed later than now (a clock gone wrong) is refused as invalid."""
    future = TokenCodec(KEYS, clock=FrozenClock(START + timedelta(seconds=1)))
    token = future.issue(user, TokenPurpose.LOGIN)
    with pytest.raises(TokenInvalid) as info:
        TokenCodec(KEYS, clock=clock).inspect(token, TokenPurpose.LOGIN, user_lookup=user)
    assert "future" in info.value.message


def test_card_age_is_set_by_the_shop_and_bounded(
    codec: TokenCodec, clock: FrozenClock, user: User
) -> None:
    """A login card needs max_age, up to 365 days, and lives exactly that long."""
    with pytest.raises(InvalidValue) as missing:
        codec.issue(user, TokenPurpose.LOGIN_CARD)
    assert missing.value.field == "max_age"
    for bad in (timedelta(0), timedelta(seconds=-1), MAX_CARD_AGE + timedelta(seconds=1)):
        with pytest.raises(InvalidValue):
            codec.issue(user, TokenPurpose.LOGIN_CARD, max_age=bad)
    with pytest.raises(InvalidValue):
        codec.issue(user, TokenPurpose.LOGIN_CARD, max_age=timedelta(seconds=1.5))
    token = codec.issue(user, TokenPurpose.LOGIN_CARD, max_age=MAX_CARD_AGE)
    clock.set(START + MAX_CARD_AGE)
    codec.inspect(token, TokenPurpose.LOGIN_CARD, user_lookup=user)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        codec.inspect(token, TokenPurpose.LOGIN_CARD, user_lookup=user)


@pytest.mark.parametrize("purpose", [p for p in TokenPurpose if p is not TokenPurpose.LOGIN_CARD])
def test_fixed_ages_cannot_be_changed(codec: TokenCodec, user: User, purpose: TokenPurpose) -> None:
    """Every purpose but the card refuses a max_age: its age is fixed."""
    with pytest.raises(InvalidValue):
        codec.issue(user, purpose, max_age=timedelta(minutes=1))


def test_key_rotation_old_key_verifies_new_key_signs(clock: FrozenClock, user: User) -> None:
    """A token of the old key passes after rotation; new tokens fail without the new key."""
    old_only = TokenCodec(KEYS[:1], clock=clock)
    rotated = TokenCodec(KEYS, clock=clock)
    old_token = old_only.issue(user, TokenPurpose.INVITATION)
    assert rotated.inspect(old_token, TokenPurpose.INVITATION, user_lookup=user).user_id == "usr_1"
    new_token = rotated.issue(user, TokenPurpose.INVITATION)
    with pytest.raises(TokenInvalid):
        old_only.inspect(new_token, TokenPurpose.INVITATION, user_lookup=user)
    assert TokenCodec(KEYS[1:], clock=clock).inspect(
        new_token, TokenPurpose.INVITATION, user_lookup=user
    )


def test_a_key_dropped_from_the_list_kills_its_tokens(clock: FrozenClock, user: User) -> None:
    """A token signed by a key no longer configured is invalid."""
    token = TokenCodec(KEYS[:1], clock=clock).issue(user, TokenPurpose.LOGIN)
    with pytest.raises(TokenInvalid):
        TokenCodec(KEYS[1:], clock=clock).inspect(token, TokenPurpose.LOGIN, user_lookup=user)


def test_a_change_of_security_state_revokes(codec: TokenCodec, user: User) -> None:
    """A higher security_version (password, e-mail, tier or status changed) revokes."""
    token = codec.issue(user, TokenPurpose.EMAIL_CHANGE)
    changed = attrs.evolve(user, security_version=user.security_version + 1)
    with pytest.raises(TokenRevoked):
        codec.inspect(token, TokenPurpose.EMAIL_CHANGE, user_lookup=changed)
    with pytest.raises(TokenRevoked):
        codec.inspect(token, TokenPurpose.EMAIL_CHANGE, user_lookup=lambda _: changed)


def test_an_erased_user_revokes(codec: TokenCodec, user: User) -> None:
    """A token whose user is gone (erased) is revoked, and the lookup gets the token's user id."""
    token = codec.issue(user, TokenPurpose.LOGIN)
    asked: list[str] = []

    def lookup(user_id: str) -> User | None:
        asked.append(user_id)
        return None

    with pytest.raises(TokenRevoked):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=lookup)
    assert asked == ["usr_1"]


def test_same_version_of_another_user_does_not_pass(codec: TokenCodec, user: User) -> None:
    """A token checked against another user's record is refused, not accepted."""
    token = codec.issue(user, TokenPurpose.LOGIN)
    other = make_user("usr_2")
    with pytest.raises(TokenInvalid):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=other)
    with pytest.raises(TokenRevoked):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=lambda _: other)


def test_rotation_keeps_the_fingerprint(clock: FrozenClock, user: User) -> None:
    """Adding a newer key does not revoke tokens fingerprinted under the old newest key."""
    token = TokenCodec(KEYS[:1], clock=clock).issue(user, TokenPurpose.UPGRADE)
    assert TokenCodec(KEYS, clock=clock).inspect(token, TokenPurpose.UPGRADE, user_lookup=user)


def test_the_kit_revokes_tokens_when_a_user_is_disabled(
    kit: AccountKit, clock: FrozenClock
) -> None:
    """A real change through the kit (disable, then enable) kills a token issued before."""
    user = register(kit)
    codec = TokenCodec(KEYS, clock=clock)
    token = codec.issue(user, TokenPurpose.LOGIN)
    codec.inspect(token, TokenPurpose.LOGIN, user_lookup=kit.users.get)
    kit.users.disable(Actor.operator("staff-1"), user.id)
    kit.users.enable(Actor.operator("staff-1"), user.id)
    assert kit.users.get(user.id).status is UserStatus.ACTIVE
    with pytest.raises(TokenRevoked):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=kit.users.get)


@given(data=st.data())
def test_changing_any_single_character_makes_the_token_invalid(data: st.DataObject) -> None:
    """Replacing the character at any position by any other gives TokenInvalid."""
    codec = TokenCodec(KEYS, clock=FrozenClock(START))
    user = make_user()
    purpose = data.draw(st.sampled_from(list(TokenPurpose)))
    token = codec.issue(user, purpose, max_age=age_for(purpose))
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != token[position]))
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(TokenInvalid):
        codec.inspect(tampered, purpose, user_lookup=user)


def test_every_other_character_at_every_position_is_invalid(user: User) -> None:
    """Exhaustively: each position, each other URL-safe character, gives TokenInvalid (base64's
    unused low bits included, which a decoder alone would read back as the same bytes)."""
    codec = TokenCodec(KEYS, clock=FrozenClock(START))
    token = codec.issue(user, TokenPurpose.PASSWORD_RESET)
    accepted = []
    for position, original in enumerate(token):
        for replacement in ALPHABET.replace(original, ""):
            tampered = token[:position] + replacement + token[position + 1 :]
            try:
                codec.inspect(tampered, TokenPurpose.PASSWORD_RESET, user_lookup=user)
            except TokenInvalid:
                continue
            accepted.append((position, replacement))
    assert accepted == []


@given(data=st.data())
def test_truncated_or_extended_tokens_are_invalid(data: st.DataObject) -> None:
    """A token cut short anywhere, or with characters added, gives TokenInvalid."""
    codec = TokenCodec(KEYS, clock=FrozenClock(START))
    token = codec.issue(make_user(), TokenPurpose.LOGIN)
    cut = token[: data.draw(st.integers(0, len(token) - 1))]
    extra = token + data.draw(st.text(ALPHABET, min_size=1, max_size=8))
    for bad in (cut, extra):
        with pytest.raises(TokenInvalid):
            codec.inspect(bad, TokenPurpose.LOGIN, user_lookup=make_user())


def forge(payload: object, purpose: str = "login") -> str:
    """Sign ``payload`` with the real keys and salt: a genuine signature on a payload of
    another shape (as an older or buggy release might have made)."""
    return URLSafeTimedSerializer(
        KEYS, salt=f"accountkit.token.{purpose}", signer_kwargs={"digest_method": hashlib.sha256}
    ).dumps(payload)


@pytest.mark.parametrize(
    ("payload", "purpose"),
    [
        ({"id": "t", "user": "usr_1"}, "login"),
        (["t", "usr_1", "l"], "login"),
        (["t", "usr_1", "l", "fp", "extra"], "login"),
        (["t", "usr_1", "r", "fp"], "login"),
        (["t", 1, "l", "fp"], "login"),
        (["t", "usr_1", "c", "fp", "30"], "login_card"),
        (["t", "usr_1", "c", "fp", 10**12], "login_card"),
        (["t", "usr_1", "c", "fp", 0], "login_card"),
        (["t", "usr_1", "c", "fp", True], "login_card"),
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_invalid(
    codec: TokenCodec, user: User, payload: object, purpose: str
) -> None:
    """A correctly signed token whose payload is not of this purpose's shape is TokenInvalid."""
    with pytest.raises(TokenInvalid):
        codec.inspect(forge(payload, purpose), purpose, user_lookup=user)


def test_a_signed_payload_that_is_not_json_is_invalid(codec: TokenCodec, user: User) -> None:
    """A genuine signature over bytes that are not JSON is TokenInvalid, not itsdangerous's."""
    signer = TimestampSigner(KEYS, salt="accountkit.token.login", digest_method=hashlib.sha256)
    token = signer.sign(b"bm90anNvbg").decode("ascii")
    with pytest.raises(TokenInvalid):
        codec.inspect(token, TokenPurpose.LOGIN, user_lookup=user)


MARKER = "Qwertz7Secret"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "A" * 100_000,
        MARKER + "." * 5000,
        f"{MARKER}é.aVZhwA.Q2tAm205",
        f"{MARKER}\x00.a.b",
        f"{MARKER}.{MARKER}.{MARKER}",
        f"{MARKER} .aVZhwA.Q2tA",
        None,
        12345,
        b"bytes-token",
    ],
    ids=[
        "empty",
        "100KB",
        "dots",
        "non-ascii",
        "nul",
        "garbage",
        "space",
        "none",
        "int",
        "bytes",
    ],
)
def test_hostile_input_is_token_invalid(codec: TokenCodec, user: User, bad: object) -> None:
    """Empty, huge, non-ASCII, malformed and non-text tokens are TokenInvalid, quoting nothing."""
    with pytest.raises(TokenInvalid) as info:
        codec.inspect(bad, TokenPurpose.LOGIN, user_lookup=user)
    assert MARKER not in info.value.message
    assert MARKER not in repr(info.value)


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything chained to it by cause or context."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def test_errors_tell_each_case_apart_and_quote_no_token(
    codec: TokenCodec, clock: FrozenClock, user: User
) -> None:
    """Tampered, wrong-purpose, expired, revoked and future tokens raise distinct codes; none
    holds the token in its message, repr or chain, and no itsdangerous error escapes."""
    token = codec.issue(user, TokenPurpose.PASSWORD_RESET)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    future = TokenCodec(KEYS, clock=FrozenClock(START + timedelta(hours=1))).issue(
        user, TokenPurpose.PASSWORD_RESET
    )
    cases: list[tuple[object, str, User, str]] = [
        (tampered, "password_reset", user, "token_invalid"),
        (token, "login", user, "token_wrong_purpose"),
        (token, "password_reset", attrs.evolve(user, security_version=1), "token_revoked"),
        (future, "password_reset", user, "token_invalid"),
    ]
    errors: list[AccountKitError] = []
    for bad, purpose, current, code in cases:
        with pytest.raises(AuthenticationError) as info:
            codec.inspect(bad, purpose, user_lookup=current)
        assert info.value.code == code
        errors.append(info.value)
    clock.advance(timedelta(hours=2))
    with pytest.raises(TokenExpired) as expired:
        codec.inspect(token, TokenPurpose.PASSWORD_RESET, user_lookup=user)
    errors.append(expired.value)
    for error in errors:
        for linked in chain(error):
            assert isinstance(linked, AccountKitError)
            for text in (token, tampered, future):
                assert text not in str(linked)
                assert text not in repr(linked)
                assert text[:40] not in repr(linked.args)


def test_token_used_is_an_authentication_error_with_its_own_code() -> None:
    """TokenUsed (raised by the redeem step) is an AuthenticationError that says to ask again."""
    exc = TokenUsed()
    assert isinstance(exc, AuthenticationError)
    assert exc.code == "token_used"
    assert "new one" in exc.message


def test_claims_and_codec_reprs_hold_no_secret(codec: TokenCodec, user: User) -> None:
    """Neither the codec's repr nor the claims' repr shows a key or the token."""
    token = codec.issue(user, TokenPurpose.LOGIN)
    claims = codec.inspect(token, TokenPurpose.LOGIN, user_lookup=user)
    assert isinstance(claims, TokenClaims)
    for key in KEYS:
        assert key not in repr(codec)
    assert token not in repr(claims)
    assert token.split(".")[0] not in repr(claims)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        claims.user_id = "usr_2"  # type: ignore[misc]


@pytest.mark.parametrize("keys", [[], [""], [b""], "", [42], None])
def test_bad_keys_are_refused(keys: object) -> None:
    """No key, an empty key or a non-text key is refused with InvalidValue on secret_keys."""
    with pytest.raises(InvalidValue) as info:
        TokenCodec(keys)  # type: ignore[arg-type]
    assert info.value.field == "secret_keys"


def test_a_single_key_and_bytes_keys_work(clock: FrozenClock, user: User) -> None:
    """One key as text, and keys as bytes, sign and verify alike."""
    token = TokenCodec("just-one-key", clock=clock).issue(user, TokenPurpose.LOGIN)
    assert TokenCodec([b"just-one-key"], clock=clock).inspect(
        token, TokenPurpose.LOGIN, user_lookup=user
    )


def test_unknown_purpose_and_non_user_are_refused(codec: TokenCodec, user: User) -> None:
    """An unknown purpose or something other than a User is InvalidValue."""
    with pytest.raises(InvalidValue):
        codec.issue(user, "LOGIN")
    with pytest.raises(InvalidValue):
        codec.issue("usr_1", TokenPurpose.LOGIN)  # type: ignore[arg-type]
    token = codec.issue(user, TokenPurpose.LOGIN)
    with pytest.raises(InvalidValue):
        codec.inspect(token, "sign-in", user_lookup=user)


# --- links ------------------------------------------------------------------------------


def test_build_link_puts_the_token_in_the_query() -> None:
    """The token is added as ?token=, after the shop's own query, which stays as written."""
    assert build_link("https://shop.example", "abc.def") == "https://shop.example/?token=abc.def"
    assert (
        build_link("https://shop.example/card?src=print&x", "a-b_c")
        == "https://shop.example/card?src=print&x&token=a-b_c"
    )
    assert build_link("http://localhost:8000/in", "t", param="t2").endswith("/in?t2=t")


@pytest.mark.parametrize(
    "base",
    [
        "ftp://shop.example/",
        "javascript:alert(1)",
        "//shop.example/x",
        "shop.example/x",
        "https:///path",
        "https://user:pw@shop.example/",
        "https://user@shop.example/",
        "https://shop.example/#frag",
        "https://shop.example/#",
        "https://shop.example:99999/",
        "https://shop.example:0/",
        "https://shop.example/a b",
        "https://shop.example/\n",
        "https://shop.example/?token=old",
        "",
    ],
)
def test_build_link_refuses_bad_base_urls(base: str) -> None:
    """Non-http(s), host-less, credentialed, fragmented or malformed base URLs are refused."""
    with pytest.raises(InvalidValue) as info:
        build_link(base, "abc")
    assert info.value.field == "base_url"
    assert "shop.example" not in info.value.message


@pytest.mark.parametrize("token", ["", "a b", "a&b=c", "é", "x" * 5000])
def test_build_link_refuses_tokens_that_are_not_ours(token: str) -> None:
    """A token that is not URL-safe text is refused, so it cannot smuggle query parameters."""
    with pytest.raises(InvalidValue) as info:
        build_link("https://shop.example/", token)
    assert info.value.field == "token"


def test_issue_and_link_round_trip(codec: TokenCodec, user: User) -> None:
    """The token read back from a built link's query inspects."""
    from urllib.parse import parse_qs, urlsplit

    token = codec.issue(user, TokenPurpose.LOGIN)
    link = build_link("https://shop.example/login", token)
    (read,) = parse_qs(urlsplit(link).query)["token"]
    assert codec.inspect(read, TokenPurpose.LOGIN, user_lookup=user).user_id == user.id
