"""Validation of what people type in: the pure checks, and that bad input through the services
raises its documented error with its stable code and stores nothing."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from hypothesis import assume, given
from hypothesis import strategies as st

from accountkit import AccountKit, Actor, Event, User, UserTier
from accountkit.domain.validation import (
    MAX_NAME_LENGTH,
    email_key,
    normalise_email,
    validate_birth_date,
    validate_customer_number,
    validate_discount,
    validate_name,
    validate_note,
    validate_profile,
)
from accountkit.errors import (
    AccountKitError,
    EmailTaken,
    InvalidBirthDate,
    InvalidCustomerNumber,
    InvalidEmail,
    InvalidName,
    InvalidPassword,
    InvalidValue,
    MissingField,
    PasswordNotText,
    PasswordTooShort,
    SpecialUseDomain,
    UserNotFound,
    ValidationError,
)
from accountkit.security.passwords import check_password
from tests.helpers import made

TODAY = date(2026, 1, 1)
"""The date of the ``clock`` fixture."""

OPERATOR = Actor.operator("staff-1")

LOCAL_PARTS = st.from_regex(r"[A-Za-z0-9]{1,12}([._+-][A-Za-z0-9]{1,12}){0,2}", fullmatch=True)
DOMAINS = st.sampled_from(["example.com", "Example.COM", "shop.example.de", "MAIL.Example.org"])
EMAILS = st.builds(lambda local, domain: f"{local}@{domain}", LOCAL_PARTS, DOMAINS)


@st.composite
def recased(draw: st.DrawFn, text: str) -> str:
    """Return ``text`` with the case of each letter chosen at random."""
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))


# --- e-mail addresses ------------------------------------------------------------------------


@given(EMAILS)
def test_normalised_email_keeps_the_local_part_and_lowers_the_domain(address: str) -> None:
    """The local part keeps its case (but for role names such as postmaster@, which
    email-validator lower-cases); the domain is lower-cased; normalising is idempotent."""
    local, _, domain = address.partition("@")
    if local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        local = local.lower()
    result = normalise_email(address)
    assert result == f"{local}@{domain.lower()}"
    assert normalise_email(result) == result


@given(st.data(), EMAILS)
def test_email_key_ignores_case(data: st.DataObject, address: str) -> None:
    """Two spellings of one address that differ only in case have the same key."""
    variant = data.draw(recased(address))
    assert email_key(normalise_email(variant)) == email_key(normalise_email(address))


def test_email_key_folds_only_ascii_letters() -> None:
    """The key lower-cases A-Z only: sharp s and its capital spelling are two addresses."""
    assert email_key(normalise_email("straße@example.com")) != email_key(
        normalise_email("STRASSE@example.com")
    )
    assert email_key(normalise_email("Straße@example.com")) == "straße@example.com"


def test_surrounding_whitespace_is_trimmed() -> None:
    """Spaces around a pasted address are dropped."""
    assert normalise_email("  ada@example.com \n") == "ada@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plainaddress",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@example",
        "ada..lovelace@example.com",
        "ada@exa mple.com",
        "ada@-example.com",
    ],
)
def test_malformed_email_is_invalid(address: str) -> None:
    """Malformed addresses raise InvalidEmail with code invalid_email."""
    with pytest.raises(InvalidEmail) as info:
        normalise_email(address)
    assert info.value.code == "invalid_email"


@given(st.text().filter(lambda s: "@" not in s))
def test_text_without_at_sign_is_never_an_email(text: str) -> None:
    """Any text without an @ is refused with InvalidEmail, never another exception."""
    with pytest.raises(InvalidEmail):
        normalise_email(text)


def test_non_text_email_is_invalid() -> None:
    """A value that is not a string is an InvalidEmail, not a TypeError."""
    with pytest.raises(InvalidEmail):
        normalise_email(42)  # type: ignore[arg-type]


# --- names -----------------------------------------------------------------------------------

NAME_TEXT = st.text(
    alphabet=st.characters(categories=["L", "M", "N", "P", "Zs"]), min_size=0, max_size=250
)


@given(NAME_TEXT)
def test_name_is_accepted_iff_it_has_1_to_200_characters(text: str) -> None:
    """A name of printable characters is accepted trimmed and NFC-normalised when it holds
    1 to 200 characters, and refused with InvalidName otherwise."""
    expected = unicodedata.normalize("NFC", text).strip()
    if 1 <= len(expected) <= MAX_NAME_LENGTH:
        assert validate_name(text) == expected
    else:
        with pytest.raises(InvalidName):
            validate_name(text)


@given(st.text(max_size=300))
def test_any_text_is_a_name_or_an_invalid_name(text: str) -> None:
    """validate_name never raises anything but InvalidName, and what it returns is clean."""
    try:
        name = validate_name(text)
    except InvalidName:
        return
    assert name == name.strip()
    assert 1 <= len(name) <= MAX_NAME_LENGTH
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)


@pytest.mark.parametrize(
    "name",
    ["", "   ", "\t\n", "x" * 201, "Ada" * 700, "Ada\x00", "Ada\u200bLovelace", "Ada\nLovelace"],
    ids=["empty", "spaces", "whitespace", "201", "2100", "nul", "zero-width", "newline"],
)
def test_bad_names_are_invalid(name: str) -> None:
    """Empty, too long, or control-character names raise InvalidName naming the field."""
    with pytest.raises(InvalidName) as info:
        validate_name(name, field="family_name")
    assert info.value.code == "invalid_name"
    assert info.value.field == "family_name"


def test_name_of_exactly_200_characters_is_accepted() -> None:
    """The limit is inclusive."""
    assert validate_name("x" * 200) == "x" * 200


def test_decomposed_name_is_composed() -> None:
    """A name typed with combining accents is stored in composed (NFC) form."""
    assert validate_name("Zoe\u0308") == "Zoë"


# --- birth dates -----------------------------------------------------------------------------


def _within_130_years(born: date, today: date) -> bool:
    """True when ``born`` + 130 years is not before ``today`` (compared as y/m/d tuples)."""
    return (born.year + 130, born.month, born.day) >= (today.year, today.month, today.day)


@given(
    born=st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_birth_date_is_accepted_iff_not_future_and_at_most_130_years_back(
    born: date, today: date
) -> None:
    """A birth date is valid exactly when it is not after today and not more than 130 years
    before it."""
    assume((today.month, today.day) != (2, 29))  # see test_birth_date_on_29_february
    if born <= today and _within_130_years(born, today):
        assert validate_birth_date(born, today=today) == born
    else:
        with pytest.raises(InvalidBirthDate) as info:
            validate_birth_date(born, today=today)
        assert info.value.field == "birth_date"


def test_birth_date_limits_are_inclusive() -> None:
    """Today and exactly 130 years back are valid; a day later or earlier is not."""
    assert validate_birth_date(TODAY, today=TODAY) == TODAY
    assert validate_birth_date(date(1896, 1, 1), today=TODAY) == date(1896, 1, 1)
    with pytest.raises(InvalidBirthDate):
        validate_birth_date(TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(InvalidBirthDate):
        validate_birth_date(date(1895, 12, 31), today=TODAY)


def test_birth_date_on_29_february() -> None:
    """On 29 February the limit still works (no crash for the missing day 130 years back)."""
    leap = date(2024, 2, 29)
    assert validate_birth_date(date(1894, 3, 1), today=leap) == date(1894, 3, 1)
    with pytest.raises(InvalidBirthDate):
        validate_birth_date(date(1894, 2, 27), today=leap)


def test_birth_date_must_be_a_date_not_a_datetime() -> None:
    """A datetime is refused: a birth date has no time of day or zone."""
    with pytest.raises(InvalidBirthDate):
        validate_birth_date(datetime(1990, 1, 1, tzinfo=UTC), today=TODAY)


# --- customer numbers, notes, discounts, profiles, passwords ---------------------------------


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}", fullmatch=True))
def test_valid_customer_numbers_are_accepted(number: str) -> None:
    """1-40 letters, digits, '.', '_', '/' or '-', starting with a letter or digit."""
    assert validate_customer_number(number) == number
    assert validate_customer_number(f"  {number} ") == number


@pytest.mark.parametrize("number", ["", " ", "-K1", "K 1", "K1!", "Ä1", "K" * 41, "K1\n2"])
def test_bad_customer_numbers_are_invalid(number: str) -> None:
    """Other customer numbers raise InvalidCustomerNumber."""
    with pytest.raises(InvalidCustomerNumber) as info:
        validate_customer_number(number)
    assert info.value.code == "invalid_customer_number"


def test_note_has_at_most_10000_characters() -> None:
    """An internal note may hold 10,000 characters, not more."""
    assert validate_note("n" * 10_000) == "n" * 10_000
    with pytest.raises(InvalidValue):
        validate_note("n" * 10_001)


@given(
    st.integers(min_value=0, max_value=10).flatmap(
        lambda places: st.decimals(
            min_value=0, max_value=100, places=places, allow_nan=False, allow_infinity=False
        )
    )
)
def test_discount_between_0_and_100_is_accepted(discount: Decimal) -> None:
    """Any Decimal from 0 to 100 with at most 10 decimal places is a discount, kept exactly."""
    result = validate_discount(discount)
    assert result == discount
    assert result.as_tuple() == discount.as_tuple()


@given(
    st.one_of(
        st.decimals(max_value=Decimal("-0.0000001"), allow_nan=False, allow_infinity=False),
        st.decimals(min_value=Decimal("100.0000001"), allow_nan=False, allow_infinity=False),
        st.floats(),
        st.sampled_from([Decimal("NaN"), Decimal("Infinity"), "five", "", "1e3"]),
    )
)
def test_discount_outside_0_to_100_or_float_is_invalid(value: Decimal | float | str) -> None:
    """Discounts outside 0-100, not-a-number, and floats (which lose precision) are refused."""
    with pytest.raises(InvalidValue) as info:
        validate_discount(value)  # type: ignore[arg-type]
    assert info.value.field == "discount"


def test_discount_accepts_int_and_numeric_text() -> None:
    """An int or numeric text becomes the exact Decimal."""
    assert validate_discount(5) == Decimal(5)
    assert validate_discount("7.25") == Decimal("7.25")


PROFILE_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True)
PROFILE_VALUES = st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=500)


@given(st.dictionaries(PROFILE_KEYS, PROFILE_VALUES, max_size=50))
def test_valid_profiles_are_kept_as_given(profile: dict[str, str]) -> None:
    """Up to 50 entries with identifier keys and short text values are kept unchanged."""
    assert validate_profile(profile) == profile


@pytest.mark.parametrize(
    "profile",
    [
        {"Ski_size": "175"},
        {"1st": "x"},
        {"": "x"},
        {"k" * 65: "x"},
        {"ski size": "x"},
        {"ski_size": "x" * 501},
        {"ski_size": "17\x005"},
        {f"k{i}": "x" for i in range(51)},
    ],
    ids=["upper", "digit-first", "empty-key", "long-key", "space", "long-value", "nul", "51"],
)
def test_bad_profiles_are_invalid(profile: dict[str, str]) -> None:
    """Bad keys, long or control-character values, or too many entries raise InvalidValue."""
    with pytest.raises(InvalidValue) as info:
        validate_profile(profile)
    assert info.value.field == "profile"


@given(st.text(min_size=8, max_size=1024).filter(lambda p: "\x00" not in p))
def test_passwords_of_8_to_1024_characters_are_accepted(password: str) -> None:
    """Any text of 8 to 1,024 characters without NUL is an acceptable password."""
    assert check_password(password) == password


@pytest.mark.parametrize("password", ["", "1234567", "x" * 1025, "password\x00"])
def test_bad_passwords_are_invalid(password: str) -> None:
    """Short, long or NUL-holding passwords raise InvalidPassword."""
    with pytest.raises(InvalidPassword):
        check_password(password)


# --- bad input through the services stores nothing -------------------------------------------


@dataclass(frozen=True)
class Shop:
    """A kit with one user of each tier."""

    kit: AccountKit
    full: User
    guest: User
    blank: User

    @property
    def ids(self) -> list[str]:
        return [self.full.id, self.guest.id, self.blank.id]


Snapshot = tuple[int, list[User], list[Sequence[Event]], User | None]


def snapshot(shop: Shop, probe_email: str = "new.person@example.com") -> Snapshot:
    """Everything a failed call could have changed: user count, users, histories, the probe."""
    kit = shop.kit
    with kit.store.transaction() as tx:
        count = tx.users.count()
    return (
        count,
        [kit.users.get(u) for u in shop.ids],
        [tuple(kit.reports.user_history(u).items) for u in shop.ids],
        kit.users.find_by_email(probe_email),
    )


@pytest.fixture
def shop(kit: AccountKit) -> Shop:
    """A kit holding a FULL user ada@example.com, a GUEST gus@example.com and a BLANK user."""
    full = made(
        kit.registration.register(
            email="Ada.Lovelace@example.com",
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )
    guest = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert guest is not None
    blank = kit.registration.create_blank(OPERATOR)
    return Shop(kit, full, guest, blank)


def _register(
    shop: Shop,
    *,
    email: str = "new.person@example.com",
    given_name: str | None = "Nina",
    family_name: str | None = "New",
    birth_date: date = date(1990, 1, 1),
    password: str = "correct horse",
) -> object:
    return made(
        shop.kit.registration.register(
            email=email,
            password=password,
            birth_date=birth_date,
            given_name=given_name,
            family_name=family_name,
        )
    )


BadCall = Callable[[Shop], object]

BAD_INPUT: list[tuple[str, BadCall, type[AccountKitError]]] = [
    ("register-malformed-email", lambda s: _register(s, email="new.person@"), InvalidEmail),
    (
        "register-65-character-local-part",
        lambda s: _register(s, email="n" * 65 + "@example.com"),
        InvalidEmail,
    ),
    ("register-special-use", lambda s: _register(s, email="nina@shop.test"), SpecialUseDomain),
    ("register-invisible", lambda s: _register(s, email="ni\u034fna@example.com"), InvalidEmail),
    (
        "register-surrogate-password",
        lambda s: _register(s, password="x\ud800" * 8),
        PasswordNotText,
    ),
    (
        "register-profile-list",
        lambda s: made(
            s.kit.registration.register(
                email="new.person@example.com",
                password="correct horse",
                birth_date=date(1990, 1, 1),
                given_name="Nina",
                family_name="New",
                profile=["ski_size"],  # type: ignore[arg-type]
            )
        ),
        InvalidValue,
    ),
    ("register-empty-name", lambda s: _register(s, given_name=""), InvalidName),
    ("register-blank-name", lambda s: _register(s, family_name="   "), InvalidName),
    ("register-2000-name", lambda s: _register(s, family_name="N" * 2000), InvalidName),
    (
        "register-future-birth",
        lambda s: _register(s, birth_date=TODAY + timedelta(days=1)),
        InvalidBirthDate,
    ),
    ("register-131-years", lambda s: _register(s, birth_date=date(1895, 1, 1)), InvalidBirthDate),
    ("register-short-password", lambda s: _register(s, password="short"), PasswordTooShort),
    ("register-no-name", lambda s: _register(s, given_name=None), MissingField),
    ("register-email-case", lambda s: _register(s, email="ADA.LOVELACE@EXAMPLE.COM"), EmailTaken),
    (
        "guest-malformed-email",
        lambda s: s.kit.registration.register_guest(email="gus at example.com", given_name="G"),
        InvalidEmail,
    ),
    (
        "guest-2000-name",
        lambda s: s.kit.registration.register_guest(
            email="new.person@example.com", given_name="G" * 2000
        ),
        InvalidName,
    ),
    (
        "guest-no-name",
        lambda s: s.kit.registration.register_guest(email="new.person@example.com"),
        MissingField,
    ),
    (
        "complete-future-birth",
        lambda s: s.kit.registration.complete_profile(
            s.blank.id,
            email="new.person@example.com",
            given_name="Nina",
            password="correct horse",
            birth_date=date(2030, 1, 1),
        ),
        InvalidBirthDate,
    ),
    (
        "complete-email-case",
        lambda s: s.kit.registration.complete_profile(
            s.blank.id, email="GUS@example.com", given_name="Nina"
        ),
        EmailTaken,
    ),
    (
        "complete-unknown-id",
        lambda s: s.kit.registration.complete_profile(
            "usr_missing", email="new.person@example.com", given_name="Nina"
        ),
        UserNotFound,
    ),
    (
        "upgrade-too-old",
        lambda s: s.kit.registration.upgrade_guest_by_id(
            OPERATOR, s.guest.id, password="correct horse", birth_date=date(1800, 1, 1)
        ),
        InvalidBirthDate,
    ),
    (
        "upgrade-unknown-id",
        lambda s: s.kit.registration.upgrade_guest_by_id(
            OPERATOR, "usr_missing", password="correct horse", birth_date=date(1990, 1, 1)
        ),
        UserNotFound,
    ),
    (
        "set-tier-unknown-id",
        lambda s: s.kit.users.set_tier(OPERATOR, "usr_missing", UserTier.BLANK),
        UserNotFound,
    ),
    (
        "set-tier-email-case",
        lambda s: s.kit.users.set_tier(
            OPERATOR, s.blank.id, UserTier.GUEST, email="Gus@Example.com", given_name="B"
        ),
        EmailTaken,
    ),
    (
        "update-email-case",
        lambda s: s.kit.users.update_profile(
            OPERATOR, s.guest.id, email="ada.lovelace@EXAMPLE.com"
        ),
        EmailTaken,
    ),
    (
        "update-2000-name",
        lambda s: s.kit.users.update_profile(OPERATOR, s.full.id, given_name="A" * 2000),
        InvalidName,
    ),
    ("get-unknown-id", lambda s: s.kit.users.get("usr_missing"), UserNotFound),
    ("history-unknown-id", lambda s: s.kit.reports.user_history("usr_missing"), UserNotFound),
]


@pytest.mark.parametrize(
    ("call", "error"),
    [(call, error) for _, call, error in BAD_INPUT],
    ids=[name for name, *_ in BAD_INPUT],
)
def test_bad_input_raises_its_error_and_stores_nothing(
    shop: Shop, call: BadCall, error: type[AccountKitError]
) -> None:
    """Each kind of bad input raises its documented error with its own code; nothing changes."""
    before = snapshot(shop)
    with pytest.raises(error) as info:
        call(shop)
    assert type(info.value) is error
    assert info.value.code == error.code
    assert snapshot(shop) == before


@given(address=st.text(max_size=40).filter(lambda s: "@" not in s))
def test_registration_with_any_malformed_email_stores_nothing(shop: Shop, address: str) -> None:
    """For every text that is not an address, register raises InvalidEmail and stores nothing."""
    before = snapshot(shop)
    with pytest.raises(InvalidEmail):
        _register(shop, email=address)
    assert snapshot(shop) == before


@given(data=st.data())
def test_second_user_with_email_differing_in_case_is_refused(
    shop: Shop, data: st.DataObject
) -> None:
    """Any re-casing of a live user's address is EmailTaken on registration; nothing stored."""
    variant = data.draw(recased("Ada.Lovelace@example.com"))
    before = snapshot(shop)
    with pytest.raises(EmailTaken) as info:
        _register(shop, email=variant)
    assert info.value.code == "email_taken"
    assert snapshot(shop) == before


@given(
    born=st.one_of(
        st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2300, 1, 1)),
        st.dates(min_value=date(1000, 1, 1), max_value=date(1895, 12, 31)),
    )
)
def test_registration_with_impossible_birth_date_stores_nothing(shop: Shop, born: date) -> None:
    """A birth date in the future or more than 130 years back is refused; nothing stored."""
    before = snapshot(shop)
    with pytest.raises(InvalidBirthDate):
        _register(shop, birth_date=born)
    assert snapshot(shop) == before


@given(name=st.text(alphabet="Nn", min_size=MAX_NAME_LENGTH + 1, max_size=2500))
def test_registration_with_overlong_name_stores_nothing(shop: Shop, name: str) -> None:
    """A name of more than 200 characters is refused; nothing stored."""
    before = snapshot(shop)
    with pytest.raises(InvalidName):
        _register(shop, given_name=name)
    assert snapshot(shop) == before


def test_every_validation_error_is_a_validation_error() -> None:
    """The input errors above all belong to the ValidationError family a form handler catches."""
    for _, _, error in BAD_INPUT:
        if error not in (EmailTaken, UserNotFound):
            assert issubclass(error, ValidationError)
