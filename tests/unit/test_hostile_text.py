"""Hostile text in every text argument of the public calls: lone surrogates, NUL, format
characters and overlong strings give a ValidationError subclass and never another exception;
what is accepted fits every SQL column, so no store can refuse it later."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Customer,
    CustomerGroup,
    CustomerNumbering,
    DocumentKind,
    PurchaseConditions,
    ShopPolicy,
    User,
    UserTier,
)
from accountkit.domain.validation import (
    MAX_CUSTOMER_NUMBER_LENGTH,
    MAX_DISCOUNT_TEXT_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROFILE_VALUE_LENGTH,
    email_key,
)
from accountkit.errors import ValidationError
from tests.conftest import KitFactory
from tests.helpers import made

OPERATOR = Actor.operator("staff-1")
BORN = date(1990, 5, 17)

CHARACTERS = st.one_of(
    st.characters(exclude_categories=()),
    st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),  # lone surrogates
    st.sampled_from(["\x00", "\u200b", "\u034f", "\ufeff", "@", ".", "ß", "ﬁ", "a", "Z"]),
)
HOSTILE = st.one_of(
    st.text(CHARACTERS, max_size=40),
    st.builds(lambda c, n: c * n, CHARACTERS, st.integers(min_value=190, max_value=12_000)),
    st.builds(
        lambda local, domain: f"{local}@{domain}.de",
        st.text(CHARACTERS, min_size=1, max_size=70),
        st.text(CHARACTERS, min_size=1, max_size=20),
    ),
)
"""Short text of any characters (surrogates and NUL included), long runs, and address-like
text with hostile local parts and domains."""


def _storable(text: str | None, limit: int | None = None) -> None:
    """A text a SQL column takes: encodable as UTF-8, no NUL, within the column's size."""
    if text is None:
        return
    text.encode("utf-8")
    assert "\x00" not in text
    if limit is not None:
        assert len(text) <= limit


def _check_user(user: User) -> None:
    _storable(user.email, MAX_EMAIL_LENGTH)
    if user.email is not None:
        _storable(email_key(user.email), MAX_EMAIL_LENGTH)
    _storable(user.given_name, MAX_NAME_LENGTH)
    _storable(user.family_name, MAX_NAME_LENGTH)
    for key, value in user.profile.items():
        _storable(key, 64)
        _storable(value, MAX_PROFILE_VALUE_LENGTH)


def _check_customer(customer: Customer) -> None:
    _storable(customer.name, MAX_NAME_LENGTH)
    _storable(customer.number, MAX_CUSTOMER_NUMBER_LENGTH)
    _storable(customer.conditions.price_list_id, MAX_ID_LENGTH)
    _storable(str(customer.conditions.discount), MAX_DISCOUNT_TEXT_LENGTH)
    _storable(customer.note)
    for contact in customer.document_contacts:
        _storable(contact.email, MAX_EMAIL_LENGTH)
        _storable(contact.contact_person, MAX_NAME_LENGTH)


def _check(result: object) -> None:
    if isinstance(result, User):
        _check_user(result)
    elif isinstance(result, Customer):
        _check_customer(result)
    elif isinstance(result, CustomerGroup):
        _storable(result.name, MAX_NAME_LENGTH)
        _storable(result.price_list_id, MAX_ID_LENGTH)
    elif isinstance(result, CustomerNumbering):
        _storable(result.format(result.start), MAX_CUSTOMER_NUMBER_LENGTH)
    else:
        assert result is None


Call = Callable[[AccountKit, str], object]


def _register(kit: AccountKit, **changes: object) -> User:
    fields: dict[str, object] = {
        "email": "ada@example.com",
        "password": "correct horse",
        "birth_date": BORN,
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    fields.update(changes)
    return made(kit.registration.register(**fields))  # type: ignore[arg-type]


def _guest(kit: AccountKit) -> User:
    guest = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert guest is not None
    return guest


def _blank(kit: AccountKit) -> User:
    return kit.registration.create_blank(OPERATOR)


def _customer(kit: AccountKit) -> Customer:
    return kit.customers.create(OPERATOR, name="Firma")


CALLS: dict[str, Call] = {
    "register.email": lambda k, t: _register(k, email=t),
    "register.password": lambda k, t: _register(k, password=t),
    "register.given_name": lambda k, t: _register(k, given_name=t),
    "register.family_name": lambda k, t: _register(k, family_name=t),
    "register.profile_key": lambda k, t: _register(k, profile={t: "x"}),
    "register.profile_value": lambda k, t: _register(k, profile={"ski_size": t}),
    "register_guest.email": lambda k, t: k.registration.register_guest(email=t, given_name="G"),
    "register_guest.name": lambda k, t: k.registration.register_guest(
        email="gus@example.com", family_name=t
    ),
    "complete_profile.email": lambda k, t: k.registration.complete_profile(
        _blank(k).id, email=t, given_name="Bo"
    ),
    "complete_profile.name": lambda k, t: k.registration.complete_profile(
        _blank(k).id, email="bo@example.com", given_name=t
    ),
    "complete_profile.password": lambda k, t: k.registration.complete_profile(
        _blank(k).id, email="bo@example.com", given_name="Bo", password=t, birth_date=BORN
    ),
    "upgrade_guest.password": lambda k, t: k.registration.upgrade_guest_by_id(
        OPERATOR, _guest(k).id, password=t, birth_date=BORN
    ),
    "update_profile.email": lambda k, t: k.users.update_profile(OPERATOR, _guest(k).id, email=t),
    "update_profile.name": lambda k, t: k.users.update_profile(
        OPERATOR, _guest(k).id, given_name=t
    ),
    "update_profile.profile": lambda k, t: k.users.update_profile(
        OPERATOR, _guest(k).id, profile={"note": t, t[:60] or "k": "v"}
    ),
    "set_tier.email": lambda k, t: k.users.set_tier(
        OPERATOR, _blank(k).id, UserTier.GUEST, email=t, given_name="Bo"
    ),
    "set_tier.password": lambda k, t: k.users.set_tier(
        OPERATOR, _guest(k).id, UserTier.FULL, password=t, birth_date=BORN
    ),
    "find_by_email": lambda k, t: k.users.find_by_email(t),
    "customers.create.name": lambda k, t: k.customers.create(OPERATOR, name=t),
    "customers.create.number": lambda k, t: k.customers.create(OPERATOR, name="F", number=t),
    "customers.create.price_list_id": lambda k, t: k.customers.create(
        OPERATOR, name="F", conditions=PurchaseConditions(price_list_id=t)
    ),
    "customers.create.discount": lambda k, t: k.customers.create(
        OPERATOR,
        name="F",
        conditions=PurchaseConditions(discount=t),  # type: ignore[arg-type]
    ),
    "set_note": lambda k, t: k.customers.set_note(OPERATOR, _customer(k).id, t),
    "set_document_contact.email": lambda k, t: k.customers.set_document_contact(
        OPERATOR, _customer(k).id, DocumentKind.INVOICE, email=t
    ),
    "set_document_contact.person": lambda k, t: k.customers.set_document_contact(
        OPERATOR, _customer(k).id, DocumentKind.INVOICE, email="b@example.com", contact_person=t
    ),
    "set_customer_number": lambda k, t: k.customers.set_customer_number(
        OPERATOR, _customer(k).id, t
    ),
    "set_conditions.price_list_id": lambda k, t: k.customers.set_conditions(
        OPERATOR, _customer(k).id, PurchaseConditions(price_list_id=t, discount=Decimal("5"))
    ),
    "set_conditions.discount": lambda k, t: k.customers.set_conditions(
        OPERATOR,
        _customer(k).id,
        PurchaseConditions(discount=t),  # type: ignore[arg-type]
    ),
    "create_group.name": lambda k, t: k.customers.create_group(OPERATOR, name=t),
    "create_group.price_list_id": lambda k, t: k.customers.create_group(
        OPERATOR, name="G", price_list_id=t
    ),
    "find_by_number": lambda k, t: k.customers.find_by_number(t),
    "numbering.pattern": lambda _, t: CustomerNumbering.AUTOMATIC(t),
    "numbering.pattern_with_n": lambda _, t: CustomerNumbering.AUTOMATIC(t + "{n}" + t[:5]),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@settings(max_examples=60)
@given(text=HOSTILE)
def test_hostile_text_is_a_validation_error_or_storable(
    make_kit: KitFactory, call: Call, text: str
) -> None:
    """Any text in a text argument raises a ValidationError subclass or is accepted in a
    form that every store can hold (UTF-8, no NUL, within the column's size)."""
    kit = make_kit(ShopPolicy.b2c_open())
    try:
        result = call(kit, text)
    except ValidationError:
        return
    _check(result)


@settings(max_examples=60)
@given(text=HOSTILE)
def test_hostile_company_name_in_b2b_registration(make_kit: KitFactory, text: str) -> None:
    """B2B registration's company name is a name like any other."""
    kit = make_kit(ShopPolicy.b2b_approval())
    try:
        user = _register(kit, company_name=text)
    except ValidationError:
        return
    _check_user(user)
    (membership,) = kit.customers.memberships(user.id)
    _check_customer(kit.customers.get(membership.customer_id))


@settings(max_examples=60)
@given(text=HOSTILE)
def test_automatic_numbers_of_any_accepted_pattern_are_storable(
    make_kit: KitFactory, text: str
) -> None:
    """A pattern that builds makes numbers a store can hold, or refuses with InvalidPolicy."""
    try:
        numbering = CustomerNumbering.AUTOMATIC(text + "{n}")
    except ValidationError:
        return
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), numbering=numbering))
    try:
        customer = kit.customers.create(OPERATOR, name="Firma")
    except ValidationError:
        return
    _check_customer(customer)
    assert customer.number is not None
    assert not any(unicodedata.category(ch)[0] == "C" for ch in customer.number)
