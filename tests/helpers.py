"""Small builders that several test folders share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import attrs

from accountkit import (
    AccountKit,
    Actor,
    MembershipRule,
    Message,
    MessageKind,
    Outbox,
    ShopPolicy,
    User,
    UserTier,
)
from accountkit.services.registration import Registration

OPERATOR = Actor.operator("staff-1")
MANY = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
"""An open B2C policy under MANY_COMPANIES."""

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)

BASE_URL = "https://shop.example/login"
"""The base URL test channels send links from."""


def made(result: Registration) -> User:
    """The user a registration made (on a channel without e-mail verification)."""
    assert result.user is not None, "the registration made no user (check_inbox)"
    return result.user


SIGN_IN_PASSWORD = "correct horse battery"
"""The password :func:`full_user` registers with."""

BIRTH_DATE = date(1990, 5, 17)


def full_user(
    kit: AccountKit, email: str = "ada@example.com", password: str = SIGN_IN_PASSWORD
) -> str:
    """Register a FULL user "Ada Byron" on the kit's default channel; return the id."""
    return made(
        kit.registration.register(
            email=email,
            password=password,
            birth_date=BIRTH_DATE,
            given_name="Ada",
            family_name="Byron",
        )
    ).id


def register(kit: AccountKit, email: str = "ada@example.com") -> User:
    """Register a FULL user through the kit."""
    return made(
        kit.registration.register(
            email=email,
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )


def guest_record(n: int) -> User:
    """A GUEST user record with id ``usr_<n>``, for store-level tests."""
    return User(
        id=f"usr_{n}",
        tier=UserTier.GUEST,
        email=f"user{n}@example.com",
        given_name="Test",
        created_at=NOW,
        updated_at=NOW,
    )


def link_token(message: Message) -> str:
    """The token in a message's link."""
    assert message.link is not None, f"a {message.kind} message has no link"
    return parse_qs(urlsplit(message.link).query)["token"][0]


def last_message(kit: AccountKit, kind: MessageKind) -> Message:
    """The newest message of ``kind`` in the kit's Outbox."""
    assert isinstance(kit.notifier, Outbox)
    found = [m for m in kit.notifier.messages if m.kind is kind]
    assert found, f"no {kind} message was sent"
    return found[-1]


def upgrade_token(kit: AccountKit, guest: User, channel: str | None = None) -> str:
    """An UPGRADE token for a guest, as its owner gets one (a reset request for a guest
    sends the upgrade link)."""
    assert guest.email is not None
    kit.auth.request_password_reset(guest.email, channel=channel)
    return link_token(last_message(kit, MessageKind.UPGRADE))
