"""E-mail verification, e-mail change and registration with a known address: no account is
revealed, taken over or merged."""

from __future__ import annotations

import logging
from datetime import timedelta

import attrs
import pytest

from accountkit import AccountKit, FrozenClock, MessageKind, Registration, ShopPolicy, UserTier
from accountkit.errors import (
    AuthenticationError,
    EmailTaken,
    InvalidCredentials,
    InvalidValue,
    TokenRevoked,
    TokenUsed,
    WrongTier,
)
from tests.conftest import KitFactory
from tests.helpers import (
    BIRTH_DATE,
    OPERATOR,
    SIGN_IN_PASSWORD,
    last_message,
    link_token,
    made,
    upgrade_token,
)

PASSWORD = SIGN_IN_PASSWORD
BORN = BIRTH_DATE
VERIFYING = attrs.evolve(ShopPolicy.b2c_open(), require_email_verification=True)


def register(kit: AccountKit, email: str = "ada@example.com", password: str = PASSWORD) -> object:
    return kit.registration.register(
        email=email, password=password, birth_date=BORN, given_name="Ada", family_name="Byron"
    )


def messages(kit: AccountKit) -> list[MessageKind]:
    return [m.kind for m in kit.notifier.messages]  # type: ignore[attr-defined]


# --- registration with an address that has an account ----------------------------------------


def test_registering_with_a_guests_address_sends_an_upgrade_link(kit: AccountKit) -> None:
    """No second user; the answer says check your inbox; an UPGRADE link goes out."""
    gus = kit.registration.register_guest(email="ada@example.com", given_name="Gus")
    assert gus is not None
    answer = register(kit, "ADA@example.com", password="the intruder's password")
    assert answer == Registration(check_inbox=True)
    upgrade = last_message(kit, MessageKind.UPGRADE)
    assert (upgrade.user_id, upgrade.recipient) == (gus.id, "ada@example.com")
    assert kit.users.get(gus.id) == gus


def test_the_password_typed_at_registration_is_never_kept(kit: AccountKit) -> None:
    """Pre-account hijacking: the upgrade sets the owner's password, not the registrant's."""
    gus = kit.registration.register_guest(email="ada@example.com", given_name="Gus")
    assert gus is not None
    register(kit, password="the intruder's password")
    token = link_token(last_message(kit, MessageKind.UPGRADE))
    kit.registration.upgrade_guest(token, password="the owner's own password", birth_date=BORN)
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("ada@example.com", "the intruder's password")
    assert kit.auth.login_with_password("ada@example.com", "the owner's own password").user


def test_on_a_verifying_channel_known_and_new_addresses_answer_alike(
    make_kit: KitFactory,
) -> None:
    """New, guest's and full user's address: the same Registration; a message to each."""
    kit = make_kit(VERIFYING)
    kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    register(kit, "full@example.com")
    answers = [register(kit, e) for e in ("new@example.com", "gus@example.com", "full@example.com")]
    assert answers == [Registration(check_inbox=True)] * 3
    assert messages(kit)[-3:] == [
        MessageKind.EMAIL_VERIFICATION,
        MessageKind.UPGRADE,
        MessageKind.ACCOUNT_EXISTS,
    ]


def test_elsewhere_a_full_users_address_is_email_taken(kit: AccountKit) -> None:
    """The documented trade-off without verification: EmailTaken, no message."""
    register(kit)
    with pytest.raises(EmailTaken):
        register(kit, "Ada@Example.com")
    assert MessageKind.ACCOUNT_EXISTS not in messages(kit)


# --- verification ----------------------------------------------------------------------------


def test_the_verification_link_works_once_and_a_new_one_kills_the_old(
    make_kit: KitFactory,
) -> None:
    """resend_verification sends a new link; the old is revoked; the new used twice is used."""
    kit = make_kit(VERIFYING)
    register(kit)
    first = link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION))
    kit.auth.resend_verification("ada@example.com")
    second = link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION))
    with pytest.raises(TokenRevoked):
        kit.auth.verify_email(first)
    assert kit.auth.verify_email(second).email_verified_at is not None
    with pytest.raises(TokenUsed):
        kit.auth.verify_email(second)


def test_resend_answers_the_same_and_sends_nothing_to_verified_or_unknown(
    make_kit: KitFactory,
) -> None:
    """Unknown address and a verified one: None and no message."""
    kit = make_kit(VERIFYING)
    register(kit)
    kit.auth.verify_email(link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION)))
    count = len(messages(kit))
    kit.auth.resend_verification("ada@example.com")
    kit.auth.resend_verification("nobody@example.com")
    assert len(messages(kit)) == count


def test_a_verification_link_expires_after_48_hours(
    make_kit: KitFactory, clock: FrozenClock
) -> None:
    """Valid at exactly 48 hours (inspect), expired one second later."""
    kit = make_kit(VERIFYING)
    register(kit)
    token = link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION))
    clock.advance(timedelta(hours=48))
    kit.auth.inspect_token(token, "email_verification")
    clock.advance(timedelta(seconds=1))
    with pytest.raises(Exception, match="expired"):
        kit.auth.verify_email(token)


# --- e-mail change ---------------------------------------------------------------------------


def test_an_email_change_happens_only_when_the_new_address_confirms(kit: AccountKit) -> None:
    """Link to the new address, notice to the old; the address changes on confirm."""
    user = made(register(kit))  # type: ignore[arg-type]
    kit.auth.request_email_change(user.id, "new@example.com", current_password=PASSWORD)
    change = last_message(kit, MessageKind.EMAIL_CHANGE)
    notice = last_message(kit, MessageKind.EMAIL_CHANGE_NOTICE)
    assert (change.recipient, notice.recipient) == ("new@example.com", "ada@example.com")
    assert kit.users.get(user.id).email == "ada@example.com"
    signed = kit.auth.confirm_email_change(link_token(change))
    assert signed.user.email == "new@example.com"
    assert signed.user.email_verified_at is not None
    assert last_message(kit, MessageKind.EMAIL_CHANGED).recipient == "ada@example.com"
    assert kit.users.find_by_email("ada@example.com") is None
    assert kit.auth.login_with_password("new@example.com", PASSWORD).user.id == user.id


def test_a_full_user_needs_the_current_password_to_change_the_address(kit: AccountKit) -> None:
    """Missing or wrong: InvalidCredentials, nothing sent."""
    user = made(register(kit))  # type: ignore[arg-type]
    for password in (None, "not the password"):
        with pytest.raises(InvalidCredentials):
            kit.auth.request_email_change(user.id, "new@example.com", current_password=password)
    assert MessageKind.EMAIL_CHANGE not in messages(kit)


def test_a_taken_new_address_answers_like_a_free_one(kit: AccountKit) -> None:
    """None, and the old address gets the notice; no link goes to the other account."""
    user = made(register(kit))  # type: ignore[arg-type]
    made(register(kit, "bob@example.com"))  # type: ignore[arg-type]
    kit.auth.request_email_change(user.id, "BOB@example.com", current_password=PASSWORD)
    assert messages(kit)[-1] is MessageKind.EMAIL_CHANGE_NOTICE
    assert MessageKind.EMAIL_CHANGE not in messages(kit)


def test_uniqueness_is_checked_again_when_the_link_is_used(kit: AccountKit) -> None:
    """Taken meanwhile: EmailTaken at confirm, nothing changes, the link stays unused."""
    user = made(register(kit))  # type: ignore[arg-type]
    kit.auth.request_email_change(user.id, "new@example.com", current_password=PASSWORD)
    token = link_token(last_message(kit, MessageKind.EMAIL_CHANGE))
    kit.registration.register_guest(email="new@example.com", given_name="Nina")
    with pytest.raises(EmailTaken):
        kit.auth.confirm_email_change(token)
    assert kit.users.get(user.id).email == "ada@example.com"
    kit.auth.inspect_token(token, "email_change")


def test_the_email_change_token_carries_no_address(kit: AccountKit) -> None:
    """The new address is kept in the store, not in the token."""
    import base64

    user = made(register(kit))  # type: ignore[arg-type]
    kit.auth.request_email_change(user.id, "new@example.com", current_password=PASSWORD)
    token = link_token(last_message(kit, MessageKind.EMAIL_CHANGE))
    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"new@example.com" not in decoded
    assert b"ada@example.com" not in decoded


def test_a_blank_user_has_no_address_to_change(kit: AccountKit) -> None:
    """WrongTier; the same address is InvalidValue."""
    blank = kit.registration.create_blank(OPERATOR)
    with pytest.raises(WrongTier):
        kit.auth.request_email_change(blank.id, "new@example.com")
    user = made(register(kit))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.auth.request_email_change(user.id, "ADA@example.com", current_password=PASSWORD)


def test_a_guest_changes_the_address_without_a_password(kit: AccountKit) -> None:
    """A guest has none; the link still has to reach the new address."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    kit.auth.request_email_change(gus.id, "gus2@example.com")
    signed = kit.auth.confirm_email_change(link_token(last_message(kit, MessageKind.EMAIL_CHANGE)))
    assert (signed.user.email, signed.user.tier) == ("gus2@example.com", UserTier.GUEST)


# --- nothing secret in logs, errors or reprs -------------------------------------------------


def test_no_token_code_or_password_reaches_a_log_record_or_repr(
    kit: AccountKit, caplog: pytest.LogCaptureFixture
) -> None:
    """Run every flow with all loggers at DEBUG; no secret appears in any record."""
    caplog.set_level(logging.DEBUG)
    user = made(register(kit))  # type: ignore[arg-type]
    stored_hash = kit.users.get(user.id).password_hash
    assert stored_hash is not None
    secrets: list[str] = [PASSWORD, stored_hash]
    signed = kit.auth.login_with_password("ada@example.com", PASSWORD)
    secrets.append(signed.session_token)
    kit.auth.request_login_code("ada@example.com")
    code = last_message(kit, MessageKind.LOGIN_CODE).code
    assert code is not None
    secrets.append(code)
    kit.auth.login_with_code("ada@example.com", code)
    kit.auth.request_password_reset("ada@example.com")
    reset = link_token(last_message(kit, MessageKind.PASSWORD_RESET))
    secrets.append(reset)
    kit.auth.reset_password(reset, "a brand new passphrase")
    secrets.append("a brand new passphrase")
    for bad in (reset, "garbage-token"):
        with pytest.raises(AuthenticationError) as info:
            kit.auth.reset_password(bad, "another new passphrase")
        assert all(s not in str(info.value) and s not in repr(info.value) for s in secrets)
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    secrets.append(upgrade_token(kit, gus))
    for m in kit.notifier.messages:  # type: ignore[attr-defined]
        assert all(s not in repr(m) for s in secrets)
    assert all(s not in repr(kit.users.get(user.id)) for s in secrets)
    text = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert all(s not in text for s in secrets)
