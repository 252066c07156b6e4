"""Small builders that several test folders share."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs

from accountkit import AccountKit, Actor, MembershipRule, ShopPolicy, User, UserTier

OPERATOR = Actor.operator("staff-1")
MANY = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
"""An open B2C policy under MANY_COMPANIES."""

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def register(kit: AccountKit, email: str = "ada@example.com") -> User:
    """Register a FULL user through the kit."""
    return kit.registration.register(
        email=email,
        password="correct horse",
        birth_date=date(1990, 5, 17),
        given_name="Ada",
        family_name="Lovelace",
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
