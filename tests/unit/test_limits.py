"""Limits validated before storage: every limit that a SQL column sets holds in every store,
with the same ValidationError, so PostgreSQL never has to refuse a value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    CustomerNumbering,
    PurchaseConditions,
    SalesChannel,
    ShopPolicy,
)
from accountkit.domain.validation import (
    MAX_CUSTOMER_NUMBER_LENGTH,
    MAX_DISCOUNT_PLACES,
    MAX_DISCOUNT_TEXT_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    validate_discount,
    validate_id,
    validate_note,
    validate_profile,
)
from accountkit.errors import (
    CustomerNumberTaken,
    InvalidPassword,
    InvalidPolicy,
    InvalidValue,
    StorageError,
)
from accountkit.security.passwords import check_password
from accountkit.storage._schema import build_tables
from tests.conftest import KitFactory
from tests.helpers import made

OPERATOR = Actor.operator("staff-1")


def test_limits_fit_the_sql_columns() -> None:
    """Each documented limit is at most the size of the column that stores the value."""
    tables = build_tables(sa.MetaData())

    def size(table: sa.Table, column: str) -> int:
        length = table.c[column].type.length  # type: ignore[attr-defined]
        assert isinstance(length, int)
        return length

    assert size(tables.users, "email") >= MAX_EMAIL_LENGTH
    assert size(tables.users, "email_key") >= MAX_EMAIL_LENGTH
    assert size(tables.users, "given_name") >= MAX_NAME_LENGTH
    assert size(tables.customers, "name") >= MAX_NAME_LENGTH
    assert size(tables.groups, "name") >= MAX_NAME_LENGTH
    assert size(tables.customers, "number") >= MAX_CUSTOMER_NUMBER_LENGTH
    assert size(tables.customers, "price_list_id") >= MAX_ID_LENGTH
    assert size(tables.groups, "price_list_id") >= MAX_ID_LENGTH
    assert size(tables.customers, "discount") >= MAX_DISCOUNT_TEXT_LENGTH


# --- ids ---------------------------------------------------------------------------------------


def test_price_list_id_of_1_to_200_characters_is_accepted() -> None:
    """An id is kept exactly, from one character up to the limit."""
    assert validate_id("p", field="price_list_id") == "p"
    assert validate_id(" wholesale ", field="price_list_id") == " wholesale "
    assert validate_id("x" * MAX_ID_LENGTH, field="price_list_id") == "x" * MAX_ID_LENGTH


@pytest.mark.parametrize(
    "value",
    ["", "x" * (MAX_ID_LENGTH + 1), "x" * 10_000, "pl\x00", "pl\ud800", "pl\u200b", "pl\n", 7],
    ids=["empty", "201", "10000", "nul", "surrogate", "zwsp", "newline", "int"],
)
def test_bad_price_list_ids_are_invalid(value: str) -> None:
    """Empty, too long, control characters or not text: InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        validate_id(value, field="price_list_id")
    assert info.value.field == "price_list_id"


def test_services_refuse_a_bad_price_list_id_and_store_nothing(kit: AccountKit) -> None:
    """create, set_conditions and create_group refuse a 10,000-character price list id."""
    long_id = "p" * 10_000
    with pytest.raises(InvalidValue):
        kit.customers.create(
            OPERATOR, name="Firma", conditions=PurchaseConditions(price_list_id=long_id)
        )
    customer = kit.customers.create(OPERATOR, name="Firma")
    with pytest.raises(InvalidValue):
        kit.customers.set_conditions(
            OPERATOR, customer.id, PurchaseConditions(price_list_id="pl\x00")
        )
    with pytest.raises(InvalidValue):
        kit.customers.create_group(OPERATOR, name="Wholesale", price_list_id=long_id)
    assert kit.customers.list_groups() == []
    assert kit.customers.get(customer.id) == customer


# --- discounts -----------------------------------------------------------------------------


def test_discount_with_10_places_is_accepted_and_11_refused() -> None:
    """At most 10 decimal places."""
    ten = Decimal("7." + "1" * MAX_DISCOUNT_PLACES)
    assert validate_discount(ten) == ten
    with pytest.raises(InvalidValue):
        validate_discount(Decimal("7." + "1" * (MAX_DISCOUNT_PLACES + 1)))
    with pytest.raises(InvalidValue):
        validate_discount(Decimal("0E-1000"))


@given(
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True),
        st.decimals(min_value=0, max_value=100, places=MAX_DISCOUNT_PLACES),
        st.builds(
            lambda mantissa, exponent: f"{mantissa}E{exponent:+d}",
            st.sampled_from(["0", "-0", "1", "0.5", "100", "00000000000000000001"]),
            st.integers(min_value=-(10**18), max_value=10**18),
        ),
        st.text(),
    )
)
def test_an_accepted_discount_always_fits_its_column(value: Decimal | str) -> None:
    """Whatever is given, a discount is refused with InvalidValue or is a Decimal 0..100
    with at most 10 places whose text form fits the 40-character column."""
    try:
        discount = validate_discount(value)
    except InvalidValue:
        return
    assert Decimal(0) <= discount <= Decimal(100)
    exponent = discount.as_tuple().exponent
    assert isinstance(exponent, int) and -exponent <= MAX_DISCOUNT_PLACES
    assert len(str(discount)) <= MAX_DISCOUNT_TEXT_LENGTH
    assert Decimal(str(discount)) == discount


def test_a_long_discount_through_the_service_stores_nothing(kit: AccountKit) -> None:
    """set_conditions with a long discount raises InvalidValue and leaves the customer."""
    customer = kit.customers.create(OPERATOR, name="Firma")
    with pytest.raises(InvalidValue):
        kit.customers.set_conditions(
            OPERATOR, customer.id, PurchaseConditions(discount=Decimal("1." + "0" * 39))
        )
    assert kit.customers.get(customer.id) == customer


# --- notes ---------------------------------------------------------------------------------


def test_note_keeps_tabs_and_line_breaks() -> None:
    """A note may span lines."""
    note = "pays late\r\n\tcall first\n"
    assert validate_note(note) == note


@pytest.mark.parametrize("note", ["a\x00b", "a\ud800b", "a\x07b", "a\x1bb"])
def test_note_with_nul_surrogate_or_control_character_is_refused(note: str) -> None:
    """NUL, lone surrogates and other control characters are refused."""
    with pytest.raises(InvalidValue) as info:
        validate_note(note)
    assert info.value.field == "note"


def test_set_note_with_nul_stores_nothing(kit: AccountKit) -> None:
    """A NUL in a note is a ValidationError, not a database error, and nothing changes."""
    customer = kit.customers.create(OPERATOR, name="Firma")
    with pytest.raises(InvalidValue):
        kit.customers.set_note(OPERATOR, customer.id, "pays\x00late")
    assert kit.customers.get(customer.id).note == ""


# --- profiles ------------------------------------------------------------------------------


def test_profile_comes_back_sorted_by_key(kit: AccountKit) -> None:
    """validate_profile and the stored profile list the entries by key."""
    assert list(validate_profile({"z": "1", "a": "2", "m": "3"})) == ["a", "m", "z"]
    user = made(
        kit.registration.register(
            email="ada@example.com",
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
            profile={"ski_size": "175", "boot_size": "42"},
        )
    )
    assert list(user.profile) == ["boot_size", "ski_size"]
    assert list(kit.users.get(user.id).profile) == ["boot_size", "ski_size"]


@pytest.mark.parametrize(
    "profile", [["ski_size", "175"], "ski_size=175", None, [("ski_size", "175")], 42]
)
def test_profile_that_is_not_a_mapping_is_refused(kit: AccountKit, profile: object) -> None:
    """A list, a string or None where a profile mapping is expected is an InvalidValue that
    says to pass a dict of str to str; no TypeError or ValueError escapes."""
    with pytest.raises(InvalidValue) as info:
        validate_profile(profile)  # type: ignore[arg-type]
    assert "dict of str to str" in info.value.message
    assert info.value.field == "profile"
    user = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert user is not None
    if profile is not None:  # None means "leave the profile as is" here
        with pytest.raises(InvalidValue):
            kit.users.update_profile(OPERATOR, user.id, profile=profile)  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            made(
                kit.registration.register(
                    email="ada@example.com",
                    password="correct horse",
                    birth_date=date(1990, 5, 17),
                    given_name="Ada",
                    family_name="Lovelace",
                    profile=profile,  # type: ignore[arg-type]
                )
            )
    assert kit.users.get(user.id) == user


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["correct\ud800horse", "\udfffcorrect horse"])
def test_password_with_lone_surrogate_is_refused_before_hashing(
    kit: AccountKit, password: str
) -> None:
    """A password that cannot be encoded as UTF-8 is InvalidPassword; nothing is hashed."""
    with pytest.raises(InvalidPassword) as info:
        check_password(password)
    assert info.value.field == "password"
    calls = kit.registration._s._ctx.hasher.hash_calls  # type: ignore[attr-defined]
    with pytest.raises(InvalidPassword):
        made(
            kit.registration.register(
                email="ada@example.com",
                password=password,
                birth_date=date(1990, 5, 17),
                given_name="Ada",
                family_name="Lovelace",
            )
        )
    assert kit.registration._s._ctx.hasher.hash_calls == calls  # type: ignore[attr-defined]


# --- automatic customer numbers ------------------------------------------------------------


def test_pattern_too_long_at_start_is_refused_at_policy_build() -> None:
    """A pattern whose first number is longer than 40 characters is an InvalidPolicy."""
    with pytest.raises(InvalidPolicy) as info:
        CustomerNumbering.AUTOMATIC("K-{n:041d}")
    assert info.value.field == "numbering"
    with pytest.raises(InvalidPolicy):
        CustomerNumbering.AUTOMATIC("X" * 38 + "{n}", start=100)
    assert CustomerNumbering.AUTOMATIC("X" * 38 + "{n}", start=10).format(99) == "X" * 38 + "99"


@pytest.mark.parametrize("pattern", ["K\x00{n}", "K{n}\ud800", "{n:c}", "K\u200b{n}"])
def test_pattern_with_control_characters_is_refused(pattern: str) -> None:
    """A pattern that would put control characters into numbers is an InvalidPolicy."""
    with pytest.raises(InvalidPolicy):
        CustomerNumbering.AUTOMATIC(pattern, start=0)


def test_number_that_outgrows_the_column_is_an_invalid_policy(make_kit: KitFactory) -> None:
    """When the sequence outgrows the pattern's room, create raises InvalidPolicy (not
    CustomerNumberTaken, not StorageError) and stores nothing; the earlier numbers stand."""
    numbering = CustomerNumbering.AUTOMATIC("X" * 38 + "{n}", start=98)
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), numbering=numbering))
    first = kit.customers.create(OPERATOR, name="Eins")
    second = kit.customers.create(OPERATOR, name="Zwei")
    assert (first.number, second.number) == ("X" * 38 + "98", "X" * 38 + "99")
    for _ in range(2):
        with pytest.raises(InvalidPolicy) as info:
            kit.customers.create(OPERATOR, name="Drei")
        assert not isinstance(info.value, CustomerNumberTaken | StorageError)
        assert "numbering pattern" in info.value.message
    with kit.store.transaction(readonly=False) as tx:  # the failed units left no trace
        assert tx.sequences.next_value("customer_number", start=98) == 100
    assert kit.customers.find_by_number("X" * 38 + "98") == first


def test_automatic_numbers_fit_within_40_characters(make_kit: KitFactory) -> None:
    """Every automatic number made is at most 40 characters."""
    kit = make_kit(
        attrs.evolve(
            ShopPolicy.b2c_open(),
            numbering=CustomerNumbering.AUTOMATIC("X" * 36 + "{n:04d}", start=9995),
        )
    )
    numbers = [kit.customers.create(OPERATOR, name=f"K{i}").number for i in range(5)]
    assert all(n is not None and len(n) <= MAX_CUSTOMER_NUMBER_LENGTH for n in numbers)
    with pytest.raises(InvalidPolicy):
        kit.customers.create(OPERATOR, name="K5")


def test_find_by_number_answers_none_for_what_no_customer_can_hold(kit: AccountKit) -> None:
    """A 10,000-character or NUL-holding number finds nothing instead of failing."""
    assert kit.customers.find_by_number("K" * 10_000) is None
    assert kit.customers.find_by_number("K\x001") is None
    assert kit.customers.find_by_number("K\ud8001") is None


def test_kit_channel_without_limits_still_builds() -> None:
    """The default policies build as before (no pattern of theirs is near a limit)."""
    for policy in (ShopPolicy(), ShopPolicy.b2c_open(), ShopPolicy.b2b_approval()):
        SalesChannel("web", policy)
