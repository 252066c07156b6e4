"""Builders the registration policy tests share (MemoryStore and the contract twins)."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from accountkit import (
    AccountKit,
    Address,
    MessageKind,
    Outbox,
    RegistrationAccess,
    ShopPolicy,
    User,
)
from tests.helpers import BIRTH_DATE, last_message, link_token, made

PASSWORD = "correct horse battery"
BORN: date = BIRTH_DATE

OPEN_B2B = attrs.evolve(ShopPolicy.b2b_approval(), registration_access=RegistrationAccess.OPEN)
"""Companies register and may order at once; automatic numbers from 10000."""

APPROVAL_B2C = attrs.evolve(ShopPolicy.tyrios(), registration_access=RegistrationAccess.APPROVAL)
"""TYRIOS with approval: personal customers, automatic numbers from 100000."""

COMPANY_ADDRESS = Address(
    name="Accounts payable",
    street="1 Engine Row",
    postal_code="10115",
    city="Berlin",
    country="de",
)


def register(kit: AccountKit, email: str = "ada@example.com", **fields: Any) -> User:
    """Register Ada (a company's when the channel is B2B) and return the user made."""
    values: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "birth_date": BORN,
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    values.update(fields)
    return made(kit.registration.register(**values))


def company(kit: AccountKit, email: str = "ada@example.com", **fields: Any) -> User:
    """Register Ada with a company "Analytical Engines"."""
    fields.setdefault("company_name", "Analytical Engines")
    return register(kit, email, **fields)


def invitation_token(kit: AccountKit) -> str:
    """The token of the newest INVITATION message."""
    return link_token(last_message(kit, MessageKind.INVITATION))


def sent(kit: AccountKit, kind: MessageKind) -> int:
    """How many messages of ``kind`` the kit's Outbox holds."""
    assert isinstance(kit.notifier, Outbox)
    return sum(1 for m in kit.notifier.messages if m.kind is kind)
