"""ShopPolicy, its presets, CustomerNumbering, SalesChannel and the kit's set-up checks."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    CustomerNumbering,
    Field,
    GuestCheckout,
    LoginRequirement,
    MembershipRule,
    NumberingMode,
    RegistrationAccess,
    RegistrationMode,
    SalesChannel,
    ShopPolicy,
    UserStatus,
)
from accountkit.errors import ChannelNotFound, InvalidPolicy, MissingField, RegistrationClosed
from accountkit.storage import MemoryStore
from tests.conftest import SECRET, KitFactory
from tests.helpers import made

PERSONAL_FIELDS = frozenset({Field.GIVEN_NAME, Field.FAMILY_NAME, Field.BIRTH_DATE})


def _register(kit: AccountKit, email: str, channel: str | None = None) -> None:
    made(
        kit.registration.register(
            email=email,
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
            company_name="Analytical Engines",
            channel=channel,
        )
    )


# --- ShopPolicy and presets ------------------------------------------------------------------


def test_default_policy_is_closed_b2c_one_customer() -> None:
    """ShopPolicy() is the documented default: closed, B2C, one customer per user."""
    policy = ShopPolicy()
    assert policy.membership is MembershipRule.ONE_CUSTOMER_PER_USER
    assert policy.registration_mode is RegistrationMode.B2C
    assert policy.registration_access is RegistrationAccess.CLOSED
    assert policy.required_fields == PERSONAL_FIELDS
    assert policy.numbering == CustomerNumbering.NONE
    assert policy.guest_checkout is GuestCheckout.GUEST_ACCOUNT
    assert policy.login_requirement is LoginRequirement.NONE


def test_b2c_open_lets_anyone_register() -> None:
    """b2c_open differs from the default only in open registration."""
    assert ShopPolicy.b2c_open() == attrs.evolve(
        ShopPolicy(), registration_access=RegistrationAccess.OPEN
    )


def test_b2c_closed_is_the_default() -> None:
    """b2c_closed is the default policy."""
    assert ShopPolicy.b2c_closed() == ShopPolicy()


def test_b2b_approval_preset() -> None:
    """b2b_approval: companies register for approval, many companies, prices after sign-in."""
    policy = ShopPolicy.b2b_approval()
    assert policy.membership is MembershipRule.MANY_COMPANIES
    assert policy.registration_mode is RegistrationMode.B2B
    assert policy.registration_access is RegistrationAccess.APPROVAL
    assert Field.COMPANY_NAME in policy.required_fields
    assert policy.numbering.mode is NumberingMode.AUTOMATIC
    assert policy.login_requirement is LoginRequirement.TO_SEE_PRICES_AND_ORDER


def test_policy_is_frozen() -> None:
    """A policy cannot be changed in place; attrs.evolve makes a new one."""
    policy = ShopPolicy.b2c_open()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.registration_access = RegistrationAccess.CLOSED  # type: ignore[misc]
    assert policy.registration_access is RegistrationAccess.OPEN


def test_b2b_without_company_name_is_refused() -> None:
    """B2B registration makes a company, so it must ask for its name."""
    with pytest.raises(InvalidPolicy) as info:
        ShopPolicy(registration_mode=RegistrationMode.B2B)
    assert info.value.fields == ("registration_mode", "required_fields")


def test_required_fields_accept_their_string_values() -> None:
    """required_fields may be given as strings and are stored as Field values."""
    policy = ShopPolicy(required_fields=["birth_date", "given_name"])
    assert policy.required_fields == frozenset({Field.BIRTH_DATE, Field.GIVEN_NAME})


def test_unknown_required_field_is_an_invalid_policy() -> None:
    """A misspelt field name raises InvalidPolicy, not a bare ValueError."""
    with pytest.raises(InvalidPolicy):
        ShopPolicy(required_fields=["birth_date", "shoe_size"])


@given(
    extra=st.sets(st.sampled_from([Field.GIVEN_NAME, Field.FAMILY_NAME, Field.COMPANY_NAME])),
    mode=st.sampled_from(RegistrationMode),
)
def test_policy_is_valid_exactly_when_required_fields_fit_the_mode(
    extra: set[Field], mode: RegistrationMode
) -> None:
    """Any field set (with the birth date) works, except B2B without COMPANY_NAME."""
    fields = frozenset({Field.BIRTH_DATE, *extra})
    if mode is RegistrationMode.B2B and Field.COMPANY_NAME not in fields:
        with pytest.raises(InvalidPolicy):
            ShopPolicy(registration_mode=mode, required_fields=fields)
    else:
        assert ShopPolicy(registration_mode=mode, required_fields=fields).required_fields == fields


# --- CustomerNumbering -------------------------------------------------------------------------


def test_automatic_numbering_formats_with_the_pattern() -> None:
    """AUTOMATIC(pattern, start) formats sequence values with the pattern."""
    numbering = CustomerNumbering.AUTOMATIC("K-{n:06d}", start=1000)
    assert numbering.mode is NumberingMode.AUTOMATIC
    assert numbering.start == 1000
    assert numbering.format(1000) == "K-001000"


def test_manual_and_none_are_constants() -> None:
    """MANUAL and NONE are ready-made values of their modes."""
    assert CustomerNumbering.MANUAL.mode is NumberingMode.MANUAL
    assert CustomerNumbering.NONE.mode is NumberingMode.NONE


@pytest.mark.parametrize(
    "pattern",
    ["", "K-", "{}", "{0}", "{m}", "{n}{n}", "{n:s}", "{n.real}", "{n[0]}", "K{{n}}", "{n"],
)
def test_bad_number_pattern_is_an_invalid_policy(pattern: str) -> None:
    """A pattern without exactly one usable {n} field raises InvalidPolicy."""
    with pytest.raises(InvalidPolicy) as info:
        CustomerNumbering.AUTOMATIC(pattern)
    assert info.value.field == "numbering"


def test_negative_start_is_refused() -> None:
    """An automatic sequence starts at 0 or more."""
    with pytest.raises(InvalidPolicy):
        CustomerNumbering.AUTOMATIC("{n}", start=-1)


@given(
    prefix=st.text(alphabet="ABCKXZ-/.0123456789", max_size=6),
    suffix=st.text(alphabet="ABCKXZ-/.", max_size=4),
    width=st.integers(min_value=1, max_value=8),
    values=st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=20),
)
def test_distinct_sequence_values_give_distinct_numbers(
    prefix: str, suffix: str, width: int, values: list[int]
) -> None:
    """A zero-padded pattern maps different sequence values to different numbers."""
    numbering = CustomerNumbering.AUTOMATIC(f"{prefix}{{n:0{width}d}}{suffix}")
    numbers = {numbering.format(v) for v in values}
    assert len(numbers) == len(set(values))
    for value in values:
        assert numbering.format(value).startswith(prefix)


# --- SalesChannel and AccountKit set-up --------------------------------------------------------


@pytest.mark.parametrize("name", ["web", "b2b-de", "shop_2", "Web3"])
def test_channel_names_accept_identifiers(name: str) -> None:
    """Letters, digits, '-' and '_' make a channel name; the policy defaults to ShopPolicy()."""
    channel = SalesChannel(name)
    assert channel.name == name
    assert channel.policy == ShopPolicy()


@pytest.mark.parametrize("name", ["", "web shop", "web/de", "-", "a.b"])
def test_channel_names_refuse_other_characters(name: str) -> None:
    """A channel name with spaces, slashes or dots (or none at all) is refused."""
    with pytest.raises(InvalidPolicy):
        SalesChannel(name)


@pytest.mark.parametrize("keys", [[], "a-single-string-key", ["short"]])
def test_kit_refuses_missing_or_short_secret_keys(keys: list[str] | str) -> None:
    """AccountKit needs a list of keys of at least 8 characters."""
    with pytest.raises(InvalidPolicy) as info:
        AccountKit(store=MemoryStore(), secret_keys=keys)
    assert info.value.field == "secret_keys"


def test_kit_refuses_two_channels_of_one_name() -> None:
    """Channel names are unique within a kit."""
    with pytest.raises(InvalidPolicy):
        AccountKit(
            store=MemoryStore(),
            secret_keys=[SECRET],
            channels=[SalesChannel("web"), SalesChannel("web", ShopPolicy.b2c_open())],
        )


def test_kit_refuses_channels_with_different_membership_rules() -> None:
    """Memberships are shop-wide, so every channel must share one membership rule."""
    trade = ShopPolicy.b2b_approval()
    with pytest.raises(InvalidPolicy) as info:
        AccountKit(
            store=MemoryStore(),
            secret_keys=[SECRET],
            channels=[SalesChannel("web", ShopPolicy.b2c_open()), SalesChannel("trade", trade)],
        )
    assert info.value.field == "channels"


def test_kit_without_channels_has_a_closed_web_channel() -> None:
    """Without channels the kit has one channel "web" whose registration is closed."""
    kit = AccountKit(store=MemoryStore(), secret_keys=[SECRET])
    assert list(kit.channels) == ["web"]
    with pytest.raises(RegistrationClosed):
        _register(kit, "ada@example.com")


def test_closed_registration_stores_nothing(make_kit: KitFactory) -> None:
    """Registering on a closed channel raises RegistrationClosed and stores nobody."""
    kit = make_kit(ShopPolicy.b2c_closed())
    with pytest.raises(RegistrationClosed) as info:
        _register(kit, "ada@example.com")
    assert info.value.code == "registration_closed"
    assert kit.users.find_by_email("ada@example.com") is None


def test_each_channel_applies_its_own_policy(make_kit: KitFactory) -> None:
    """The first channel is the default; a named channel registers under its own policy."""
    open_policy = ShopPolicy.b2c_open()
    approval = attrs.evolve(open_policy, registration_access=RegistrationAccess.APPROVAL)
    kit = make_kit(ShopPolicy.b2c_closed(), open_policy, approval)
    with pytest.raises(RegistrationClosed):
        _register(kit, "ada@example.com")
    _register(kit, "ada@example.com", channel="ch1")
    _register(kit, "bob@example.com", channel="ch2")
    ada = kit.users.find_by_email("ada@example.com")
    bob = kit.users.find_by_email("bob@example.com")
    assert ada is not None
    assert bob is not None
    assert ada.status is UserStatus.ACTIVE
    assert bob.status is UserStatus.PENDING_APPROVAL


def test_unknown_channel_is_not_found(kit: AccountKit) -> None:
    """A channel name the kit was not given raises ChannelNotFound and stores nothing."""
    with pytest.raises(ChannelNotFound):
        _register(kit, "ada@example.com", channel="nowhere")
    assert kit.users.find_by_email("ada@example.com") is None


def test_registration_without_a_required_name_is_missing_field(kit: AccountKit) -> None:
    """A channel that requires the family name refuses a registration without it."""
    with pytest.raises(MissingField) as info:
        made(
            kit.registration.register(
                email="ada@example.com",
                password="correct horse",
                birth_date=date(1990, 5, 17),
                given_name="Ada",
            )
        )
    assert info.value.field == "family_name"
    assert kit.users.find_by_email("ada@example.com") is None


def test_a_channel_may_ask_for_fewer_names(make_kit: KitFactory) -> None:
    """A channel that requires only the birth date accepts one name of either kind."""
    only_birth = attrs.evolve(ShopPolicy.b2c_open(), required_fields=frozenset({Field.BIRTH_DATE}))
    kit = make_kit(only_birth)
    user = made(
        kit.registration.register(
            email="ada@example.com",
            password="correct horse",
            birth_date=date(1990, 5, 17),
            family_name="Lovelace",
        )
    )
    assert user.given_name is None
    assert user.family_name == "Lovelace"
    with pytest.raises(MissingField):
        made(
            kit.registration.register(
                email="bob@example.com", password="correct horse", birth_date=date(1990, 5, 17)
            )
        )


@pytest.mark.parametrize("name", ["w" * 65, "", "wéb", "web shop", "web\x00"])
def test_a_channel_name_that_cannot_be_stored_is_refused(name: str) -> None:
    """Channel names are 1 to 64 ASCII letters, digits, '-' or '_' (the column's size)."""
    with pytest.raises(InvalidPolicy):
        SalesChannel(name, ShopPolicy.b2c_open())
    assert SalesChannel("w" * 64, ShopPolicy.b2c_open()).name == "w" * 64
