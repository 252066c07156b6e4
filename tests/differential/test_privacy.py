"""Export, erasure and retention give the same results and errors on every store (memory,
SQLite file and memory, PostgreSQL when set), on one clock and with the same ids."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accountkit import (
    AccountKit,
    Actor,
    Address,
    ContactPurpose,
    FrozenClock,
    GuestContact,
    SalesChannel,
    ShopPolicy,
)
from tests.differential._harness import START, Kits, ShiftingClock

STAFF = Actor.operator("staff-1")
KitCall = Callable[[AccountKit], object]
HOME = Address(
    name="Ada Byron", street="Ringweg 1", postal_code="10115", city="Berlin", country="DE"
)


@pytest.fixture
def kits() -> Iterator[tuple[Kits, ShiftingClock]]:
    """Every store on one clock, with an open B2C channel."""
    clock = ShiftingClock(FrozenClock(START))
    opened = Kits([SalesChannel("web", ShopPolicy.b2c_open())], clock)
    try:
        yield opened, clock
    finally:
        opened.close()


def _register(n: int) -> KitCall:
    def call(k: AccountKit) -> object:
        result = k.registration.register(
            email=f"person{n}@example.com",
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name=f"Byron{n}",
        )
        return result.user

    return call


def _user_id(kits: Kits, n: int) -> str:
    _, user = kits.each(f"register {n}", _register(n))
    return str(getattr(user, "id", ""))


def _order(user_id: str | None, n: int) -> KitCall:
    def call(k: AccountKit) -> object:
        return k.orders.record_order(
            order_id=f"o-{n}",
            number=f"N{n:05d}",
            channel="web",
            placed_at=START + timedelta(minutes=n),
            total=Decimal("12.30"),
            currency="EUR",
            user_id=user_id,
            guest=None
            if user_id
            else GuestContact(email=f"g{n}@example.com", given_name="G", family_name="H"),
            billing=HOME,
            shipping=HOME,
        )

    return call


def test_a_whole_erasure_agrees_on_every_store(kits: tuple[Kits, ShiftingClock]) -> None:
    """Register, order, consent, sign in, export, erase, the three errors, register again:
    every step has one outcome on every store."""
    k, clock = kits
    user_id = _user_id(k, 1)
    for n in range(3):
        k.each(f"order {n}", _order(user_id, n))
    k.each("guest order", _order(None, 9))
    k.each(
        "grant",
        lambda kit: kit.privacy.grant_consent(
            STAFF, user_id, ContactPurpose.NEWSLETTER, source="form", wording_version="1"
        ),
    )
    k.each(
        "sign in",
        lambda kit: (
            kit.auth.login_with_password("person1@example.com", "correct horse battery").user
        ),
    )
    clock.advance(60)
    k.each("export", lambda kit: kit.privacy.export(STAFF, user_id))
    k.each("erase", lambda kit: kit.privacy.erase(STAFF, user_id))
    outcome, _ = k.each("erase again", lambda kit: kit.privacy.erase(STAFF, user_id))
    assert outcome[:2] == ("error", "already_erased")
    outcome, _ = k.each("export erased", lambda kit: kit.privacy.export(STAFF, user_id))
    assert outcome[:2] == ("error", "user_erased")
    outcome, _ = k.each("erase unknown", lambda kit: kit.privacy.erase(STAFF, "usr_nobody"))
    assert outcome[:2] == ("error", "user_not_found")
    k.each("orders after", lambda kit: [kit.orders.get(f"o-{n}") for n in (0, 1, 2, 9)])
    k.each("history after", lambda kit: kit.reports.user_history(user_id).items)
    k.each("register again", _register(1))


def _guest(email: str) -> KitCall:
    return lambda kit: kit.registration.register_guest(email=email, given_name="Gus")


def _erase(user_id: str, kit: AccountKit) -> object:
    return kit.privacy.erase(STAFF, user_id)


def _export(user_id: str, kit: AccountKit) -> object:
    return kit.privacy.export(STAFF, user_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_erasures_and_purges_agree(kits: tuple[Kits, ShiftingClock], seed: int) -> None:
    """A random mix of registrations, guests, orders, erasures, exports and purges over
    weeks of clock time agrees on every store."""
    k, clock = kits
    rng = random.Random(seed)
    users: list[str] = []
    for step in range(25):
        choice = rng.choice(["register", "guest", "order", "erase", "export", "purge", "wait"])
        if choice == "register" or not users:
            users.append(_user_id(k, 100 * seed + step))
        elif choice == "guest":
            k.each("guest", _guest(f"guest{seed}-{step}@example.com"))
        elif choice == "order":
            k.each("order", _order(rng.choice(users), 1000 * seed + step))
        elif choice == "erase":
            k.each("erase", functools.partial(_erase, rng.choice(users)))
        elif choice == "export":
            k.each("export", functools.partial(_export, rng.choice(users)))
        elif choice == "purge":
            k.each("purge", lambda kit: kit.privacy.purge_expired())
        else:
            clock.advance(rng.choice([3600, 86_400 * 8, 86_400 * 40]))
