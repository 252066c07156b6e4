"""The public API refuses what it cannot use: wrong types give an AccountKitError that says
what to pass, never AttributeError or a silent misreading."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    ActorKind,
    CustomerKind,
    CustomerNumbering,
    DocumentKind,
    EventKind,
    Field,
    FrozenClock,
    GuestCheckout,
    GuestSource,
    LoginRequirement,
    MembershipRule,
    NumberingMode,
    Outbox,
    RegistrationAccess,
    RegistrationMode,
    Role,
    SalesChannel,
    ShopPolicy,
    User,
    UserTier,
)
from accountkit.errors import AccountKitError, InvalidPolicy, InvalidValue, NotPermitted
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET, KitFactory
from tests.helpers import MANY, OPERATOR, made, register


def guest(kit: AccountKit) -> User:
    """Make a guest through checkout."""
    user = kit.registration.register_guest(email="g@example.com", given_name="Gus")
    assert user is not None
    return user


# --- one rule for enums: the member or its exact value, anything else refused ---------------

# (name, enum, call(kit, value)): every public call that takes an enum.
EnumCall = Callable[[AccountKit, Any], object]


def _set_tier(kit: AccountKit, value: Any) -> object:
    return kit.users.set_tier(
        OPERATOR, guest(kit).id, value, password="correct horse", birth_date=date(1990, 5, 17)
    )


def _create(kit: AccountKit, value: Any) -> object:
    return kit.customers.create(OPERATOR, name="Engines", kind=value)


def _assign(kit: AccountKit, value: Any) -> object:
    customer = kit.customers.create(OPERATOR, name="Engines")
    return kit.customers.assign_user(OPERATOR, register(kit).id, customer.id, value)


def _set_role(kit: AccountKit, value: Any) -> object:
    customer = kit.customers.create(OPERATOR, name="Engines")
    user = register(kit)
    kit.customers.assign_user(OPERATOR, user.id, customer.id, Role.MEMBER)
    return kit.customers.set_role(OPERATOR, user.id, customer.id, value)


def _document(kit: AccountKit, value: Any) -> object:
    customer = kit.customers.create(OPERATOR, name="Engines")
    return kit.customers.set_document_contact(
        OPERATOR, customer.id, value, email="billing@example.com"
    )


def _guest_source(kit: AccountKit, value: Any) -> object:
    return kit.registration.register_guest(email="g@example.com", given_name="Gus", source=value)


ENUM_CALLS: list[tuple[str, type[enum.StrEnum], EnumCall]] = [
    ("set_tier", UserTier, _set_tier),
    ("create.kind", CustomerKind, _create),
    ("assign_user.role", Role, _assign),
    ("set_role", Role, _set_role),
    ("set_document_contact", DocumentKind, _document),
    ("register_guest.source", GuestSource, _guest_source),
]
ENUM_IDS = [name for name, _, _ in ENUM_CALLS]

# The member each call is tried with (some calls only make sense for one of them).
CHOSEN: dict[str, enum.StrEnum] = {
    "set_tier": UserTier.FULL,
    "create.kind": CustomerKind.BUSINESS,
    "assign_user.role": Role.BUYER,
    "set_role": Role.VIEWER,
    "set_document_contact": DocumentKind.QUOTE,
    "register_guest.source": GuestSource.NEWSLETTER,
}


@pytest.mark.parametrize(("name", "enum_type", "call"), ENUM_CALLS, ids=ENUM_IDS)
def test_an_enums_exact_value_means_the_member(
    make_kit: KitFactory, name: str, enum_type: type[enum.StrEnum], call: EnumCall
) -> None:
    """Passing "business" does exactly what CustomerKind.BUSINESS does, and history says so."""
    member = CHOSEN[name]
    by_member, by_value = make_kit(MANY), make_kit(MANY)
    result_member = call(by_member, member)
    result_value = call(by_value, member.value)
    assert _shape(result_value) == _shape(result_member)
    assert _history(by_value) == _history(by_member)


def _shape(result: object) -> object:
    """What a result says, without its ids and times."""
    if result is None:
        return None
    fields = attrs.asdict(result, recurse=False)  # type: ignore[arg-type]
    return {
        key: value
        for key, value in fields.items()
        if not key.endswith("id")
        and not key.endswith("_at")
        and key not in ("assigned_by", "password_hash")
    }


def _history(kit: AccountKit) -> list[tuple[EventKind, dict[str, str]]]:
    """Every event's kind and data (without ids), in order."""
    events: list[tuple[EventKind, dict[str, str]]] = []
    for user_id in _all_user_ids(kit):
        events.extend(
            (e.kind, {k: v for k, v in e.data.items() if not k.endswith("id")})
            for e in kit.reports.user_history(user_id).items
        )
    return events


def _all_user_ids(kit: AccountKit) -> list[str]:
    found = [kit.users.find_by_email(e) for e in ("ada@example.com", "g@example.com")]
    return [u.id for u in found if u is not None]


@pytest.mark.parametrize(("name", "enum_type", "call"), ENUM_CALLS, ids=ENUM_IDS)
@given(value=st.text(max_size=20) | st.none() | st.integers() | st.sampled_from(ActorKind))
def test_anything_else_for_an_enum_is_invalid_value_naming_the_values(
    make_kit: KitFactory, name: str, enum_type: type[enum.StrEnum], call: EnumCall, value: Any
) -> None:
    """Any other text (a wrong case, a typo), None, a number or another enum's member raises
    InvalidValue naming every allowed value, before anything is written."""
    plain_text = isinstance(value, str) and not isinstance(value, enum.Enum)
    if plain_text and value in {m.value for m in enum_type}:
        return
    kit = make_kit(MANY)
    with pytest.raises(InvalidValue) as info:
        call(kit, value)
    for member in enum_type:
        assert repr(member.value) in info.value.message
    assert enum_type.__name__ in info.value.message


def test_a_wrong_case_tier_never_means_another_tier(kit: AccountKit) -> None:
    """set_tier with "FULL" used to drop a guest to BLANK; now it is refused and nothing
    changes."""
    user = guest(kit)
    with pytest.raises(InvalidValue):
        kit.users.set_tier(OPERATOR, user.id, "FULL")  # type: ignore[arg-type]
    assert kit.users.get(user.id) == user


POLICY_ENUMS: list[tuple[str, type[enum.StrEnum]]] = [
    ("membership", MembershipRule),
    ("registration_mode", RegistrationMode),
    ("registration_access", RegistrationAccess),
    ("guest_checkout", GuestCheckout),
    ("login_requirement", LoginRequirement),
]


@pytest.mark.parametrize(("field", "enum_type"), POLICY_ENUMS)
def test_policy_enums_take_the_member_or_its_value(
    field: str, enum_type: type[enum.StrEnum]
) -> None:
    """A policy field given as its value string is stored as the member."""
    for member in enum_type:
        arguments: dict[str, Any] = {field: member.value}
        if field == "registration_mode":
            company = {Field.COMPANY_NAME, Field.VAT_ID, Field.COMPANY_ADDRESS}
            arguments["required_fields"] = (
                set(Field) if member.value == "b2b" else (set(Field) - company)
            )
        policy = ShopPolicy(**arguments)
        assert getattr(policy, field) is member


@pytest.mark.parametrize(("field", "enum_type"), POLICY_ENUMS)
@pytest.mark.parametrize("value", ["MANY_COMPANIES", "b2c ", "", None, 1, NumberingMode.NONE])
def test_policy_enums_refuse_anything_else(
    field: str, enum_type: type[enum.StrEnum], value: object
) -> None:
    """Anything else for a policy enum raises InvalidPolicy naming the field and the values."""
    with pytest.raises(InvalidPolicy) as info:
        arguments: dict[str, Any] = {field: value}
        ShopPolicy(**arguments)
    assert info.value.field == field
    assert all(repr(m.value) in info.value.message for m in enum_type)


@pytest.mark.parametrize("value", ["K-{n}", None, 5, NumberingMode.MANUAL])
def test_numbering_must_be_a_customer_numbering(value: object) -> None:
    """numbering given as a pattern string or anything but a CustomerNumbering is refused."""
    with pytest.raises(InvalidPolicy) as info:
        ShopPolicy(numbering=value)  # type: ignore[arg-type]
    assert "CustomerNumbering" in info.value.message


def test_numbering_mode_follows_the_rule() -> None:
    """CustomerNumbering takes its mode as member or value; anything else is InvalidPolicy."""
    assert CustomerNumbering("manual").mode is NumberingMode.MANUAL
    with pytest.raises(InvalidPolicy):
        CustomerNumbering("Manual")


def test_required_fields_as_one_string_is_refused() -> None:
    """A single string is not a set of fields (it would be read letter by letter)."""
    with pytest.raises(InvalidPolicy):
        ShopPolicy(required_fields="birth_date")


# --- Actor -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", ActorKind.USER])
def test_a_user_actor_is_never_staff(kit: AccountKit, kind: object) -> None:
    """Actor("user", id) is a user: it cannot promote itself or create customers."""
    me = guest(kit)
    actor = Actor(kind, me.id)  # type: ignore[arg-type]
    assert actor.kind is ActorKind.USER
    assert not actor.is_staff
    with pytest.raises(NotPermitted):
        kit.users.set_tier(
            actor, me.id, UserTier.FULL, password="x" * 10, birth_date=date(2000, 1, 1)
        )
    with pytest.raises(NotPermitted):
        kit.customers.create(actor, name="Mine")


@given(kind=st.sampled_from(ActorKind) | st.text(max_size=12), actor_id=st.none() | st.text())
def test_an_actor_is_valid_or_refused_and_staff_only_when_operator_or_system(
    kind: object, actor_id: str | None
) -> None:
    """Every Actor either raises InvalidValue or has a real kind, and is staff exactly when
    it is the operator or the system."""
    try:
        actor = Actor(kind, actor_id)  # type: ignore[arg-type]
    except InvalidValue:
        return
    assert isinstance(actor.kind, ActorKind)
    assert actor.is_staff is (actor.kind in (ActorKind.OPERATOR, ActorKind.SYSTEM))
    if actor.kind is ActorKind.SYSTEM:
        assert actor.id is None
    else:
        assert actor.id is not None and 1 <= len(actor.id) <= 200


@pytest.mark.parametrize("kind", ["staff", "Operator", "", None, 1])
def test_an_unknown_actor_kind_is_refused(kind: object) -> None:
    """An unknown kind raises InvalidValue that lists operator, user and system."""
    with pytest.raises(InvalidValue) as info:
        Actor(kind, "x")  # type: ignore[arg-type]
    assert all(k in info.value.message for k in ("'operator'", "'user'", "'system'"))


@pytest.mark.parametrize("build", [Actor.operator, Actor.user])
@pytest.mark.parametrize(
    "actor_id", ["", "x" * 201, "a\x00b", "tab\there", "\ud800", "line\nbreak", None, 7]
)
def test_operator_and_user_need_a_clean_id(build: Callable[[Any], Actor], actor_id: Any) -> None:
    """OPERATOR and USER need 1..200 characters without control characters, NUL or lone
    surrogates."""
    with pytest.raises(InvalidValue) as info:
        build(actor_id)
    assert info.value.field == "actor.id"


def test_the_longest_actor_id_is_accepted() -> None:
    """200 characters (of any script) is still an id."""
    assert Actor.operator("ß" * 200).id == "ß" * 200


def test_the_system_has_no_id() -> None:
    """Actor.system() has no id; a SYSTEM actor given one is refused."""
    assert Actor.system().id is None
    assert Actor("system").is_staff
    with pytest.raises(InvalidValue):
        Actor(ActorKind.SYSTEM, "cron")


# Every public call that names an actor, with the actor given as a bad value.
ActorCall = Callable[[AccountKit, Any, User], object]
ACTOR_CALLS: list[tuple[str, ActorCall]] = [
    ("update_profile", lambda k, a, u: k.users.update_profile(a, u.id, given_name="B")),
    ("set_tier", lambda k, a, u: k.users.set_tier(a, u.id, UserTier.BLANK)),
    ("disable", lambda k, a, u: k.users.disable(a, u.id)),
    ("enable", lambda k, a, u: k.users.enable(a, u.id)),
    ("create_blank", lambda k, a, u: k.registration.create_blank(a)),
    (
        "complete_profile",
        lambda k, a, u: k.registration.complete_profile(
            u.id, email="b@example.com", given_name="B", actor=a
        ),
    ),
    (
        "upgrade_guest_by_id",
        lambda k, a, u: k.registration.upgrade_guest_by_id(
            a, u.id, password="correct horse", birth_date=date(1990, 1, 1)
        ),
    ),
    ("customers.create", lambda k, a, u: k.customers.create(a, name="C")),
    ("create_group", lambda k, a, u: k.customers.create_group(a, name="G")),
    ("set_note", lambda k, a, u: k.customers.set_note(a, "cus_x", "n")),
    ("assign_user", lambda k, a, u: k.customers.assign_user(a, u.id, "cus_x")),
    ("remove_user", lambda k, a, u: k.customers.remove_user(a, u.id, "cus_x")),
    ("set_role", lambda k, a, u: k.customers.set_role(a, u.id, "cus_x", Role.BUYER)),
    ("switch_company", lambda k, a, u: k.customers.switch_company(a, u.id, "cus_x")),
    ("context_for", lambda k, a, u: k.customers.context_for(u.id, actor=a)),
]


@pytest.mark.parametrize(("name", "call"), ACTOR_CALLS, ids=[n for n, _ in ACTOR_CALLS])
@pytest.mark.parametrize("bad", ["operator", "", 0, ActorKind.OPERATOR, ("operator", "x")])
def test_a_call_refuses_an_actor_that_is_not_an_actor(
    kit: AccountKit, name: str, call: ActorCall, bad: object
) -> None:
    """A string, a number, a kind or a tuple for ``actor`` raises InvalidValue saying how to
    build an Actor; nothing changes."""
    user = guest(kit)
    with pytest.raises(InvalidValue) as info:
        call(kit, bad, user)
    assert info.value.field == "actor"
    assert "Actor.operator" in info.value.message
    assert kit.users.get(user.id) == user


@pytest.mark.parametrize(
    ("name", "call"),
    [c for c in ACTOR_CALLS if c[0] not in ("complete_profile", "context_for")],
)
def test_a_call_refuses_none_for_an_actor(kit: AccountKit, name: str, call: ActorCall) -> None:
    """None where an actor is required raises InvalidValue, never AttributeError."""
    user = guest(kit)
    with pytest.raises(InvalidValue):
        call(kit, None, user)


# --- the kit's own arguments -------------------------------------------------------------------


def build(**overrides: Any) -> AccountKit:
    """An AccountKit with good defaults and the given arguments replaced."""
    arguments: dict[str, Any] = {
        "store": MemoryStore(),
        "secret_keys": [SECRET],
        "channels": [SalesChannel("web", ShopPolicy.b2c_open())],
        "password_hasher": CheapPasswordHasher(),
        **overrides,
    }
    return AccountKit(**arguments)


def test_a_url_for_the_store_says_to_use_sqlstore() -> None:
    """AccountKit(store="sqlite:///x.db") raises InvalidValue pointing to SqlStore(url)."""
    with pytest.raises(InvalidValue) as info:
        build(store="sqlite:///x.db")
    assert info.value.field == "store"
    assert "SqlStore(url)" in info.value.message


@pytest.mark.parametrize("store", [None, object(), 42, MemoryStore])
def test_anything_but_a_store_is_refused(store: object) -> None:
    """A store without transaction() and close() is refused at once."""
    with pytest.raises(InvalidValue) as info:
        build(store=store)
    assert info.value.field == "store"


@pytest.mark.parametrize("policy", [None, "b2c_open", ShopPolicy.b2c_open])
def test_a_sales_channel_needs_a_shop_policy(policy: object) -> None:
    """SalesChannel("x", None) raises InvalidPolicy instead of failing later in the kit."""
    with pytest.raises(InvalidPolicy) as info:
        SalesChannel("x", policy)  # type: ignore[arg-type]
    assert info.value.field == "policy"


@pytest.mark.parametrize("name", [None, 5, b"web"])
def test_a_sales_channel_name_is_text(name: object) -> None:
    """A channel name that is not a string raises InvalidPolicy."""
    with pytest.raises(InvalidPolicy):
        SalesChannel(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "channels", [["web"], [ShopPolicy.b2c_open()], SalesChannel("web"), "web", [None]]
)
def test_channels_must_be_sales_channels(channels: object) -> None:
    """A name, a policy or a single channel where a list of channels belongs is refused."""
    with pytest.raises(InvalidPolicy) as info:
        build(channels=channels)
    assert info.value.field == "channels"


@pytest.mark.parametrize("keys", [[None], [12345678], [["k" * 10]]])
def test_secret_keys_must_be_text_or_bytes(keys: object) -> None:
    """A secret key that is not str or bytes is refused with InvalidPolicy."""
    with pytest.raises(InvalidPolicy):
        build(secret_keys=keys)


@pytest.mark.parametrize("clock", [object(), "utc", datetime.now, 5, FrozenClock])
def test_a_clock_without_now_is_refused(clock: object) -> None:
    """A clock needs a callable now(); anything else raises InvalidValue at construction."""
    with pytest.raises(InvalidValue) as info:
        build(clock=clock)
    assert info.value.field == "clock"


@pytest.mark.parametrize("notifier", [object(), "outbox", Outbox])
def test_a_notifier_without_send_is_refused(notifier: object) -> None:
    """A notifier needs a send(message) method."""
    with pytest.raises(InvalidValue):
        build(notifier=notifier)


@pytest.mark.parametrize("hasher", [object(), CheapPasswordHasher])
def test_a_hasher_without_hash_and_verify_is_refused(hasher: object) -> None:
    """A password hasher is an object with hash() and verify() (not its class)."""
    with pytest.raises(InvalidValue):
        build(password_hasher=hasher)


class _Clock:
    """A clock that returns whatever it is given."""

    def __init__(self, value: object) -> None:
        self.value = value

    def now(self) -> Any:
        return self.value


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, 12), "2026-01-01", None, 0])
def test_a_clock_giving_no_aware_time_fails_at_once_and_stores_nothing(value: object) -> None:
    """A naive time (or no datetime at all) raises InvalidValue at the first read; the
    registration that read it leaves no user behind."""
    kit = build(clock=_Clock(value))
    with pytest.raises(InvalidValue) as info:
        register(kit)
    assert info.value.field == "clock"
    assert "time zone" in info.value.message or "datetime" in info.value.message
    assert kit.users.find_by_email("ada@example.com") is None


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_an_aware_clock_in_another_zone_gives_utc(moment: datetime, minutes: int) -> None:
    """Times from a clock in another zone are stored as the same instant, in UTC."""
    zone = timezone(timedelta(minutes=minutes))
    kit = build(clock=_Clock(moment.replace(tzinfo=zone)))
    user = kit.registration.create_blank(OPERATOR)
    assert user.created_at.tzinfo is UTC
    assert user.created_at == moment.replace(tzinfo=zone)
    (event,) = kit.reports.user_history(user.id).items
    assert event.at.tzinfo is UTC


def test_the_kit_keeps_the_clock_it_was_given() -> None:
    """kit.clock is the shop's own clock object (tests advance it)."""
    clock = _Clock(datetime(2026, 1, 1, tzinfo=UTC))
    assert build(clock=clock).clock is clock


# --- one membership rule per kit, and how to run a mixed shop ----------------------------------


def test_the_one_rule_error_says_how_to_mix_b2c_and_b2b() -> None:
    """Channels that disagree on the rule raise InvalidPolicy naming MANY_COMPANIES."""
    with pytest.raises(InvalidPolicy) as info:
        build(
            channels=[
                SalesChannel("web", ShopPolicy.b2c_open()),
                SalesChannel("b2b", ShopPolicy.b2b_approval()),
            ]
        )
    assert "MANY_COMPANIES" in info.value.message
    assert "every channel" in info.value.message


def test_a_mixed_shop_with_many_companies_everywhere_works() -> None:
    """The documented mixed shop: a B2C and a B2B channel, both MANY_COMPANIES, one kit."""
    web = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
    kit = build(channels=[SalesChannel("web", web), SalesChannel("b2b", ShopPolicy.b2b_approval())])
    person = register(kit)
    buyer = made(
        kit.registration.register(
            email="buyer@example.com",
            password="correct horse",
            birth_date=date(1980, 1, 1),
            given_name="Bo",
            family_name="Buyer",
            company_name="Engines",
            channel="b2b",
        )
    )
    assert kit.customers.context_for(person.id).customer is None
    context = kit.customers.context_for(buyer.id)
    assert context.customer is not None and context.role is Role.COMPANY_MANAGER


def test_wrong_types_raise_accountkit_errors_only(kit: AccountKit) -> None:
    """A sample of wrong types across the API: each is an AccountKitError, none an
    AttributeError or TypeError."""
    user = guest(kit)
    attempts: list[Callable[[], object]] = [
        lambda: kit.users.set_tier(OPERATOR, user.id, None),  # type: ignore[arg-type]
        lambda: kit.customers.create(OPERATOR, name="C", kind="company"),  # type: ignore[arg-type]
        lambda: kit.customers.set_conditions(OPERATOR, "cus_x", {"discount": 5}),  # type: ignore[arg-type]
        lambda: kit.customers.create(OPERATOR, name="C", conditions="gold"),  # type: ignore[arg-type]
        lambda: kit.users.update_profile(None, user.id),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        with pytest.raises(AccountKitError):
            attempt()
