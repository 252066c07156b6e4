"""The discrepancies the differential machine found, one small example each.

Each test runs the same calls on MemoryStore and on one other store (SQLite file, SQLite
memory, PostgreSQL when ACCOUNTKIT_TEST_POSTGRES is set) through :class:`Kits`, which
requires the same result or the same error code from both, only accountkit errors, and
aware UTC times in every result. They let each fix be checked on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    CustomerNumbering,
    FrozenClock,
    PurchaseConditions,
    SalesChannel,
    ShopPolicy,
)
from accountkit.errors import InvalidPolicy
from tests.conftest import POSTGRES_URL
from tests.differential._harness import START, Kits, ShiftingClock
from tests.helpers import made

OTHER_STORES = ["sqlite_file", "sqlite_memory", "postgres"]
STAFF = Actor.operator("staff-1")
PASSWORD = "correct horse battery"
LONG = 10_000
# A valid address whose case-folded key has 347 characters (each 'ΐ' folds to three).
LONG_KEY_EMAIL = "ΐ" * 64 + "@" + "ΐ" * 25 + "." + "ΐ" * 25 + ".de"

KitCall = Callable[[AccountKit], object]


@attrs.define
class Pair:
    """MemoryStore and one other store, on one clock; ``run`` requires them to agree."""

    kits: Kits
    clock: ShiftingClock

    def run(self, label: str, call: KitCall) -> tuple[tuple[str, ...], object]:
        """Run ``call`` on both stores; fail unless both give the same outcome."""
        return self.kits.each(label, call)

    def customer(self) -> str:
        """Make one customer in both stores (with the same id) and return its id."""
        _, customer = self.run("customers.create", lambda k: k.customers.create(STAFF, name="C"))
        return str(getattr(customer, "id", ""))


@contextlib.contextmanager
def _pair(kind: str, policy: ShopPolicy) -> Iterator[Pair]:
    if kind.startswith("postgres") and POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL cases skipped")
    clock = ShiftingClock(FrozenClock(START))
    kits = Kits([SalesChannel("web", policy)], clock, kinds=("memory", kind))
    try:
        yield Pair(kits, clock)
    finally:
        kits.close()


@pytest.fixture(params=OTHER_STORES)
def pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    """MemoryStore and each other store in turn, with an open B2C channel."""
    with _pair(request.param, ShopPolicy.b2c_open()) as opened:
        yield opened


def _register(email: str = "ada@example.com", **changes: object) -> KitCall:
    arguments: dict[str, object] = {
        "email": email,
        "password": PASSWORD,
        "birth_date": date(1990, 5, 17),
        "given_name": "Ada",
        "family_name": "Lovelace",
        **changes,
    }
    return lambda k: made(k.registration.register(**arguments))  # type: ignore[arg-type]


# --- column limits that only PostgreSQL enforces -------------------------------------------


def test_price_list_id_of_10000_characters(pair: Pair) -> None:
    """A 10,000-character price list id gives the same outcome on every store."""
    conditions = PurchaseConditions(price_list_id="p" * LONG)
    pair.run("create", lambda k: k.customers.create(STAFF, name="C", conditions=conditions))


def test_group_price_list_id_of_10000_characters(pair: Pair) -> None:
    """A group's 10,000-character price list id gives the same outcome on every store."""
    pair.run(
        "create_group",
        lambda k: k.customers.create_group(STAFF, name="G", price_list_id="p" * LONG),
    )


def test_operator_id_of_10000_characters(pair: Pair) -> None:
    """An operator id of 10,000 characters gives the same outcome on every store."""
    pair.run("create", lambda k: k.customers.create(Actor.operator("o" * LONG), name="C"))


def test_discount_with_many_digits(pair: Pair) -> None:
    """A discount with 61 significant digits gives the same outcome on every store."""
    customer = pair.customer()
    conditions = PurchaseConditions(discount=Decimal("7." + "3" * 60))
    pair.run("set_conditions", lambda k: k.customers.set_conditions(STAFF, customer, conditions))


def test_nul_in_a_note(pair: Pair) -> None:
    """A NUL in an internal note gives the same outcome on every store."""
    customer = pair.customer()
    pair.run("set_note", lambda k: k.customers.set_note(STAFF, customer, "call\x00me"))
    pair.run("get", lambda k: k.customers.get(customer))


@pytest.mark.parametrize("kind", OTHER_STORES)
def test_automatic_number_longer_than_its_column(kind: str) -> None:
    """A number that outgrows its column (40) later is refused alike on every store."""
    numbering = CustomerNumbering.AUTOMATIC("K" * 22 + "{n}", 10**18 - 1)  # 40 characters
    policy = attrs.evolve(ShopPolicy.b2c_open(), numbering=numbering)
    with _pair(kind, policy) as pair:
        pair.run("first", lambda k: k.customers.create(STAFF, name="C"))
        pair.run("second", lambda k: k.customers.create(STAFF, name="D"))  # 41: refused
        pair.run("third", lambda k: k.customers.create(STAFF, name="E"))


@pytest.mark.parametrize("kind", OTHER_STORES)
def test_automatic_numbers_near_64_bits(kind: str) -> None:
    """Numbers from the largest start allowed (10**18) give the same outcome on every store;
    a start past it is refused when the policy is built."""
    with pytest.raises(InvalidPolicy):
        CustomerNumbering.AUTOMATIC("{n}", 2**63 - 1)
    numbering = CustomerNumbering.AUTOMATIC("{n}", 10**18)
    policy = attrs.evolve(ShopPolicy.b2c_open(), numbering=numbering)
    with _pair(kind, policy) as pair:
        pair.run("first", lambda k: k.customers.create(STAFF, name="C"))
        pair.run("second", lambda k: k.customers.create(STAFF, name="D"))


def test_valid_address_whose_key_outgrows_the_column(pair: Pair) -> None:
    """A valid address with a 347-character case-folded key registers alike everywhere."""
    pair.run("register", _register(LONG_KEY_EMAIL))
    pair.run("find_by_email", lambda k: k.users.find_by_email(LONG_KEY_EMAIL.upper()))


# --- NUL and lone surrogates in any text ---------------------------------------------------

LOOKUPS: dict[str, Callable[[str], KitCall]] = {
    "users.get": lambda v: lambda k: k.users.get(v),
    "customers.get": lambda v: lambda k: k.customers.get(v),
    "get_group": lambda v: lambda k: k.customers.get_group(v),
    "memberships": lambda v: lambda k: k.customers.memberships(v),
    "context_for": lambda v: lambda k: k.customers.context_for(v),
    "find_by_number": lambda v: lambda k: k.customers.find_by_number(v),
    "history": lambda v: lambda k: k.reports.history(v),
    "user_history": lambda v: lambda k: k.reports.user_history(v),
}


@pytest.mark.parametrize("value", ["\x00", "\ud800"], ids=["nul", "surrogate"])
@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_hostile_ids_find_nothing_alike(pair: Pair, lookup: str, value: str) -> None:
    """An id with a NUL or a lone surrogate gives the same answer (not a crash) everywhere."""
    pair.run(lookup, LOOKUPS[lookup](value))


WRITES: dict[str, Callable[[str, str], KitCall]] = {
    "note": lambda c, v: lambda k: k.customers.set_note(STAFF, c, v),
    "price_list_id": lambda c, v: (
        lambda k: k.customers.set_conditions(STAFF, c, PurchaseConditions(price_list_id=v))
    ),
    "group_price_list_id": lambda _, v: (
        lambda k: k.customers.create_group(STAFF, name="G", price_list_id=v)
    ),
    "operator_id": lambda c, v: lambda k: k.customers.set_note(Actor.operator(v), c, "n"),
}


@pytest.mark.parametrize("value", ["a\x00b", "a\ud800b"], ids=["nul", "surrogate"])
@pytest.mark.parametrize("field", sorted(WRITES))
def test_hostile_text_is_stored_or_refused_alike(pair: Pair, field: str, value: str) -> None:
    """A NUL or a lone surrogate in stored text gives the same outcome everywhere."""
    customer = pair.customer()
    pair.run(field, WRITES[field](customer, value))


@pytest.mark.parametrize("password", ["pass\ud800word", "\udfff" * 12], ids=["inside", "only"])
def test_lone_surrogate_in_a_password(pair: Pair, password: str) -> None:
    """A password with a lone surrogate is refused with an accountkit error everywhere."""
    pair.run("register", _register(password=password))


# --- orders and times ----------------------------------------------------------------------


def test_profile_keeps_its_key_order(pair: Pair) -> None:
    """A profile reads back with its keys in the order they were given, on every store."""
    profile = {"zz": "1", "aa": "2", "mm": "3", "b2": "4"}
    _, user = pair.run("register", _register(profile=profile))
    user_id = str(getattr(user, "id", ""))
    pair.run("users.get", lambda k: k.users.get(user_id))


def test_history_data_key_order(pair: Pair) -> None:
    """An event's data reads back with its keys in the same order on every store."""
    _, user = pair.run("register", _register())
    user_id = str(getattr(user, "id", ""))
    pair.run("user_history", lambda k: k.reports.user_history(user_id))


def test_groups_by_name_in_the_same_order(pair: Pair) -> None:
    """Groups whose names differ in case and accents list in one order on every store."""
    for name in ["b", "B", "a", "É", "e", "ß", "ss", "Z", "é", "E\u0301"]:
        pair.run("create_group", _create_group(name))
    pair.run("list_groups", lambda k: k.customers.list_groups())


def test_groups_by_name_ignore_the_database_collation() -> None:
    """On a PostgreSQL database whose collation is ICU English, groups list as on MemoryStore."""
    names = ["b", "B", "a", "É", "e", "ß", "ss", "Z", "é"]
    with _pair("postgres_icu", ShopPolicy.b2c_open()) as pair:
        for name in names:
            pair.run("create_group", _create_group(name))
        pair.run("list_groups", lambda k: k.customers.list_groups())


def _create_group(name: str) -> KitCall:
    return lambda k: k.customers.create_group(STAFF, name=name)


def test_clock_in_another_zone_gives_utc(pair: Pair) -> None:
    """A clock that answers at +02:00 gives UTC times in every result on every store."""
    pair.clock.zone = timezone(timedelta(hours=2))
    _, user = pair.run("create_blank", lambda k: k.registration.create_blank(STAFF))
    user_id = str(getattr(user, "id", ""))
    pair.run("users.get", lambda k: k.users.get(user_id))
    pair.run("create_group", lambda k: k.customers.create_group(STAFF, name="G"))


def test_naive_clock_is_refused(pair: Pair) -> None:
    """A clock that answers without a zone is refused with a clear error on every store."""
    pair.clock.zone = None
    outcome, _ = pair.run("create_blank", lambda k: k.registration.create_blank(STAFF))
    assert outcome[0] == "error" and outcome[1] != "storage", outcome
