"""Links, QR codes and reset tokens through kit.auth, probed as an attacker would."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from accountkit import AccountKit, FrozenClock, MessageKind, SalesChannel, ShopPolicy, UserTier
from accountkit.errors import (
    InvalidPolicy,
    InvalidValue,
    PasswordTooShort,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TokenUsed,
    TokenWrongPurpose,
    UserDisabled,
    WrongTier,
)
from accountkit.security import TokenPurpose
from tests.conftest import KitFactory
from tests.helpers import (
    BASE_URL,
    BIRTH_DATE,
    OPERATOR,
    SIGN_IN_PASSWORD,
    full_user,
    last_message,
    link_token,
)

PASSWORD = SIGN_IN_PASSWORD
BORN = BIRTH_DATE


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def reset_token(kit: AccountKit) -> str:
    kit.auth.request_password_reset("ada@example.com")
    return link_token(last_message(kit, MessageKind.PASSWORD_RESET))


# --- login links and QR codes ----------------------------------------------------------------


def test_a_login_link_uses_the_channels_base_url_and_signs_in_repeatedly(
    kit: AccountKit,
) -> None:
    """Not one-time: a mail scanner's visit does not use it up."""
    user_id = full_user(kit)
    link = kit.auth.login_link(user_id)
    assert link.startswith(BASE_URL + "?token=")
    for _ in range(3):
        assert kit.auth.login_with_token(token_of(link)).user.id == user_id


def test_a_shop_configured_base_url_replaces_the_channels(kit: AccountKit) -> None:
    """A card's landing page from the shop's own configuration."""
    user_id = full_user(kit)
    link = kit.auth.login_link(user_id, base_url="https://cards.shop.example/scan?c=1")
    assert link.startswith("https://cards.shop.example/scan?c=1&token=")


@pytest.mark.parametrize(
    "base_url", ["javascript:alert(1)", "//evil.example/x", "https://u:p@shop.example/", "x"]
)
def test_a_bad_base_url_is_refused(kit: AccountKit, base_url: str) -> None:
    """Only absolute http(s) URLs with a host and no credentials."""
    user_id = full_user(kit)
    with pytest.raises(InvalidValue):
        kit.auth.login_link(user_id, base_url=base_url)


def test_a_channel_without_base_url_cannot_send_links(make_kit: KitFactory) -> None:
    """InvalidPolicy names base_url; the same for every address."""
    kit = make_kit(channels=[SalesChannel("web", ShopPolicy.b2c_open())])
    full_user(kit)
    for email in ("ada@example.com", "nobody@example.com"):
        with pytest.raises(InvalidPolicy) as info:
            kit.auth.request_login_link(email)
        assert info.value.field == "base_url"


def test_a_login_link_expires_after_fifteen_minutes(kit: AccountKit, clock: FrozenClock) -> None:
    """Valid at exactly 15 minutes, expired one second later."""
    user_id = full_user(kit)
    token = token_of(kit.auth.login_link(user_id))
    clock.advance(timedelta(minutes=15))
    assert kit.auth.login_with_token(token).user.id == user_id
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        kit.auth.login_with_token(token)


def test_a_printed_card_lives_as_long_as_the_shop_says(kit: AccountKit, clock: FrozenClock) -> None:
    """max_age makes a LOGIN_CARD token; at most 365 days."""
    blank = kit.registration.create_blank(OPERATOR)
    token = token_of(kit.auth.login_link(blank.id, max_age=timedelta(days=200)))
    clock.advance(timedelta(days=200))
    signed = kit.auth.login_with_token(token)
    assert signed.user.must_complete_profile
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        kit.auth.login_with_token(token)
    with pytest.raises(InvalidValue):
        kit.auth.login_link(blank.id, max_age=timedelta(days=366))


def test_a_login_link_dies_with_a_password_change(kit: AccountKit) -> None:
    """Changing the password revokes every link issued before."""
    user_id = full_user(kit)
    token = token_of(kit.auth.login_link(user_id))
    kit.auth.change_password(
        user_id, current_password=PASSWORD, new_password="a brand new passphrase"
    )
    with pytest.raises(TokenRevoked):
        kit.auth.login_with_token(token)


def test_a_disabled_user_gets_no_link_and_old_links_die(kit: AccountKit) -> None:
    """login_link refuses; a link from before is revoked."""
    user_id = full_user(kit)
    token = token_of(kit.auth.login_link(user_id))
    kit.users.disable(OPERATOR, user_id)
    with pytest.raises(UserDisabled):
        kit.auth.login_link(user_id)
    with pytest.raises(TokenRevoked):
        kit.auth.login_with_token(token)


@pytest.mark.parametrize(
    "token",
    ["", "x" * 100_000, "t\u00f6ken.abc.def", "abc", "a.b.c", None, 42],
    ids=["empty", "100KB", "non-ascii", "garbage", "dots", "none", "int"],
)
def test_hostile_tokens_are_token_invalid(kit: AccountKit, token: object) -> None:
    """Every malformed token is TokenInvalid, whatever its shape."""
    full_user(kit)
    with pytest.raises(TokenInvalid):
        kit.auth.login_with_token(token)  # type: ignore[arg-type]


def test_a_tampered_or_truncated_login_token_is_invalid(kit: AccountKit) -> None:
    """One changed character or a cut end: TokenInvalid."""
    user_id = full_user(kit)
    token = token_of(kit.auth.login_link(user_id))
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:-5], token[1:]):
        with pytest.raises(TokenInvalid):
            kit.auth.login_with_token(bad)


def test_a_reset_token_does_not_sign_in_and_a_login_token_does_not_reset(kit: AccountKit) -> None:
    """One salt per purpose: TokenWrongPurpose both ways."""
    user_id = full_user(kit)
    reset = reset_token(kit)
    with pytest.raises(TokenWrongPurpose):
        kit.auth.login_with_token(reset)
    login = token_of(kit.auth.login_link(user_id))
    with pytest.raises(TokenWrongPurpose):
        kit.auth.reset_password(login, "a brand new passphrase")


def test_a_token_dated_in_the_future_is_refused(kit: AccountKit, clock: FrozenClock) -> None:
    """A token signed an hour ahead of the clock: TokenInvalid."""
    user_id = full_user(kit)
    clock.advance(timedelta(hours=1))
    token = token_of(kit.auth.login_link(user_id))
    clock.advance(timedelta(hours=-1))
    with pytest.raises(TokenInvalid):
        kit.auth.login_with_token(token)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
def test_login_qr_png_decodes_to_exactly_the_login_link(kit: AccountKit, tmp_path: Path) -> None:
    """zbarimg reads the URL back, and it signs in."""
    user_id = full_user(kit)
    png = kit.auth.login_qr(user_id, format="png", scale=4)
    path = tmp_path / "card.png"
    path.write_bytes(png)
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.startswith(BASE_URL + "?token=")
    assert kit.auth.login_with_token(token_of(out)).user.id == user_id


def test_login_qr_svg_is_an_svg_document(kit: AccountKit) -> None:
    """The default format is SVG bytes."""
    user_id = full_user(kit)
    svg = kit.auth.login_qr(user_id)
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg[:200]


# --- request_login_link and request_password_reset -------------------------------------------


@pytest.mark.parametrize("request_name", ["request_login_link", "request_password_reset"])
def test_a_request_answers_the_same_for_known_and_unknown_addresses(
    kit: AccountKit, request_name: str
) -> None:
    """None for both; a message only for the account."""
    full_user(kit)
    call = getattr(kit.auth, request_name)
    assert call("nobody@example.com") is None
    assert kit.notifier.messages == []  # type: ignore[attr-defined]
    assert call("ADA@example.com") is None
    [sent] = kit.notifier.messages  # type: ignore[attr-defined]
    assert sent.recipient == "ada@example.com"
    assert sent.link.startswith(BASE_URL)


def test_a_requested_login_link_signs_in(kit: AccountKit) -> None:
    """The e-mailed LOGIN link works like login_link's."""
    user_id = full_user(kit)
    kit.auth.request_login_link("ada@example.com")
    token = link_token(last_message(kit, MessageKind.LOGIN_LINK))
    assert kit.auth.login_with_token(token).user.id == user_id


def test_a_reset_link_works_once(kit: AccountKit) -> None:
    """The second use is TokenUsed, and the password stays the first new one."""
    full_user(kit)
    token = reset_token(kit)
    kit.auth.reset_password(token, "first new passphrase")
    with pytest.raises(TokenUsed):
        kit.auth.reset_password(token, "second new passphrase")
    assert kit.auth.login_with_password("ada@example.com", "first new passphrase").user


def test_a_new_reset_request_kills_the_link_before(kit: AccountKit) -> None:
    """Only the newest reset link works; the older one is TokenRevoked."""
    full_user(kit)
    older = reset_token(kit)
    newer = reset_token(kit)
    with pytest.raises(TokenRevoked):
        kit.auth.reset_password(older, "first new passphrase")
    kit.auth.reset_password(newer, "second new passphrase")


def test_a_reset_link_expires_after_one_hour(kit: AccountKit, clock: FrozenClock) -> None:
    """Valid at exactly one hour (inspect), expired one second later."""
    full_user(kit)
    token = reset_token(kit)
    clock.advance(timedelta(hours=1))
    assert kit.auth.inspect_token(token, TokenPurpose.PASSWORD_RESET).one_time
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        kit.auth.reset_password(token, "a brand new passphrase")


def test_inspecting_a_reset_token_never_uses_it_up(kit: AccountKit) -> None:
    """A mail scanner's GET (inspect) any number of times; then the reset still works."""
    full_user(kit)
    token = reset_token(kit)
    for _ in range(3):
        kit.auth.inspect_token(token, "password_reset")
    kit.auth.reset_password(token, "a brand new passphrase")
    with pytest.raises(TokenUsed):
        kit.auth.inspect_token(token, "password_reset")


def test_a_reset_with_a_bad_new_password_leaves_the_token_usable(kit: AccountKit) -> None:
    """PasswordTooShort; the token can then be used with a good password."""
    full_user(kit)
    token = reset_token(kit)
    with pytest.raises(PasswordTooShort):
        kit.auth.reset_password(token, "short")
    kit.auth.reset_password(token, "a brand new passphrase")


def test_a_reset_sends_a_notice_and_verifies_the_address(kit: AccountKit) -> None:
    """PASSWORD_CHANGED goes out; the address counts as verified."""
    user_id = full_user(kit)
    assert kit.users.get(user_id).email_verified_at is None
    signed = kit.auth.reset_password(reset_token(kit), "a brand new passphrase")
    assert last_message(kit, MessageKind.PASSWORD_CHANGED).user_id == user_id
    assert signed.user.email_verified_at is not None


def test_a_guest_asking_for_a_reset_gets_the_upgrade_link(kit: AccountKit) -> None:
    """A guest has no password: the reset request sends UPGRADE, which makes them FULL."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    kit.auth.request_password_reset("gus@example.com")
    token = link_token(last_message(kit, MessageKind.UPGRADE))
    signed = kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)
    assert signed.user.tier is UserTier.FULL
    with pytest.raises(TokenUsed):
        kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)


# --- upgrade links and codes for a guest ------------------------------------------------------


def test_an_upgrade_link_made_by_the_shop_upgrades_the_guest_once(kit: AccountKit) -> None:
    """upgrade_link for a guest; the newest kills the one before; redeemed once."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    older = token_of(kit.auth.upgrade_link(gus.id))
    newer = token_of(kit.auth.upgrade_link(gus.id, base_url="https://shop.example/receipt"))
    with pytest.raises(TokenRevoked):
        kit.registration.upgrade_guest(older, password=PASSWORD, birth_date=BORN)
    assert kit.registration.upgrade_guest(newer, password=PASSWORD, birth_date=BORN).user.tier
    with pytest.raises(TokenUsed):
        kit.registration.upgrade_guest(newer, password=PASSWORD, birth_date=BORN)


def test_only_a_guest_gets_an_upgrade_link(kit: AccountKit) -> None:
    """A full or blank user: WrongTier."""
    user_id = full_user(kit)
    blank = kit.registration.create_blank(OPERATOR)
    for uid in (user_id, blank.id):
        with pytest.raises(WrongTier):
            kit.auth.upgrade_link(uid)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
def test_upgrade_qr_png_decodes_to_a_working_upgrade_link(kit: AccountKit, tmp_path: Path) -> None:
    """zbarimg reads the upgrade link back, and it upgrades the guest."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    path = tmp_path / "receipt.png"
    path.write_bytes(kit.auth.upgrade_qr(gus.id, format="png"))
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    signed = kit.registration.upgrade_guest(token_of(out), password=PASSWORD, birth_date=BORN)
    assert signed.user.tier is UserTier.FULL


def test_a_bad_qr_argument_kills_no_earlier_upgrade_link(kit: AccountKit) -> None:
    """upgrade_qr refuses a bad scale before it records a new link."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    token = token_of(kit.auth.upgrade_link(gus.id))
    with pytest.raises(InvalidValue):
        kit.auth.upgrade_qr(gus.id, scale=0)
    kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)
