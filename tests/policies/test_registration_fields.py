"""Required master data per channel: every missing or invalid field is reported at once,
each by its name and with its own error, and nothing is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Address,
    Field,
    RegistrationAccess,
    ShopPolicy,
)
from accountkit.errors import (
    InvalidBirthDate,
    InvalidEmail,
    InvalidFields,
    InvalidName,
    InvalidPassword,
    InvalidValue,
    MissingField,
    ValidationError,
)
from accountkit.storage import MemoryStore
from tests.conftest import KitFactory
from tests.policies._registration import COMPANY_ADDRESS, OPEN_B2B, PASSWORD, register

TRADELINE_OPEN = attrs.evolve(
    ShopPolicy.tradeline_pro(),
    registration_access=RegistrationAccess.OPEN,
    required_fields=ShopPolicy.tradeline_pro().required_fields | {Field.COMPANY_ADDRESS},
)
"""Every company field required, and no approval, so that a good form makes a customer."""

GOOD: dict[str, Any] = {
    "email": "ada@example.com",
    "password": PASSWORD,
    "birth_date": date(1990, 5, 17),
    "given_name": "Ada",
    "family_name": "Lovelace",
    "company_name": "Analytical Engines",
    "vat_id": "DE 123 456 789",
    "phone": "+49 (30) 123-4567",
    "company_address": COMPANY_ADDRESS,
}

BAD: dict[str, Any] = {
    "email": "not an address",
    "password": "short",
    "birth_date": date(2999, 1, 1),
    "given_name": "\x00",
    "family_name": " ",
    "company_name": "\u200b",
    "vat_id": "123",
    "phone": "call me",
    "company_address": "1 Engine Row, Berlin",
}
ERROR_OF = {
    "email": InvalidEmail,
    "password": InvalidPassword,
    "birth_date": InvalidBirthDate,
    "given_name": InvalidName,
    "family_name": InvalidName,
    "company_name": InvalidName,
    "vat_id": InvalidValue,
    "phone": InvalidValue,
    "company_address": InvalidValue,
}
FORM = [
    "email",
    "password",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "company_name",
    "vat_id",
    "company_address",
]
OPTIONAL = ["given_name", "family_name", "company_name", "vat_id", "phone", "company_address"]


def _nothing_stored(kit: AccountKit) -> bool:
    with kit.store.transaction(readonly=True) as tx:
        return tx.users.count() == 0 and tx.sequences is not None


def _errors(exc: ValidationError) -> list[tuple[type[ValidationError], str | None]]:
    found = exc.errors if isinstance(exc, InvalidFields) else (exc,)
    return [(type(e), e.field) for e in found]


def test_a_good_form_keeps_each_field_where_it_belongs(make_kit: KitFactory) -> None:
    """Phone goes to the user; VAT id and company address to the BUSINESS customer."""
    kit = make_kit(TRADELINE_OPEN)
    user = register(kit, **{k: v for k, v in GOOD.items() if k != "email"})
    assert user.phone == "+49301234567"
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.vat_id == "DE123456789"
    assert customer.bill_to == attrs.evolve(COMPANY_ADDRESS, country="DE")
    assert customer.ship_to is None
    assert customer.name == "Analytical Engines"


def test_every_missing_field_is_named_at_once_in_form_order(make_kit: KitFactory) -> None:
    """A TradelinePro form without company, VAT id, phone and names reports all of them."""
    kit = make_kit(TRADELINE_OPEN)
    with pytest.raises(InvalidFields) as info:
        kit.registration.register(
            email="ada@example.com", password=PASSWORD, birth_date=GOOD["birth_date"]
        )
    assert info.value.code == "invalid_fields"
    assert info.value.fields == (
        "given_name",
        "family_name",
        "phone",
        "company_name",
        "vat_id",
        "company_address",
    )
    assert all(isinstance(e, MissingField) for e in info.value.errors)
    assert kit.users.find_by_email("ada@example.com") is None


def test_every_invalid_field_keeps_its_own_error(make_kit: KitFactory) -> None:
    """A form with every field wrong names each, with its own class, in form order."""
    kit = make_kit(TRADELINE_OPEN)
    hashes = kit.registration._s._ctx.hasher.hash_calls  # type: ignore[attr-defined]
    with pytest.raises(InvalidFields) as info:
        kit.registration.register(**BAD)
    found = _errors(info.value)
    assert [field for _, field in found] == FORM
    assert all(issubclass(kind, ERROR_OF[field]) for kind, field in found if field)
    assert kit.registration._s._ctx.hasher.hash_calls == hashes  # type: ignore[attr-defined]
    assert _nothing_stored(kit)


def test_one_bad_field_raises_its_own_error(make_kit: KitFactory) -> None:
    """A single bad field raises its own error (code and field), not InvalidFields."""
    kit = make_kit(TRADELINE_OPEN)
    with pytest.raises(InvalidValue) as info:
        kit.registration.register(**{**GOOD, "vat_id": "123"})
    assert info.value.field == "vat_id"
    assert info.value.code == "invalid_value"
    assert _nothing_stored(kit)


@given(
    bad=st.sets(st.sampled_from(FORM)),
    missing=st.sets(st.sampled_from(OPTIONAL)),
)
def test_the_error_names_exactly_the_fields_that_are_wrong(
    make_kit: KitFactory, bad: set[str], missing: set[str]
) -> None:
    """For every mix of missing and invalid fields, the error lists exactly those fields,
    in form order, and stores nothing; a form with none of them registers."""
    kit = make_kit(TRADELINE_OPEN, store=MemoryStore())
    missing -= bad
    form = {k: (BAD[k] if k in bad else v) for k, v in GOOD.items() if k not in missing}
    expected = [f for f in FORM if f in bad or f in missing]
    if not expected:
        assert kit.registration.register(**form).user is not None
        return
    with pytest.raises(ValidationError) as info:
        kit.registration.register(**form)
    assert [field for _, field in _errors(info.value)] == expected
    assert isinstance(info.value, InvalidFields) == (len(expected) > 1)
    assert _nothing_stored(kit)


@pytest.mark.parametrize("field", ["vat_id", "company_address"])
def test_a_personal_account_keeps_no_company_data(kit: AccountKit, field: str) -> None:
    """Under B2C a VAT id or company address is refused (InvalidValue), not dropped."""
    with pytest.raises(InvalidValue) as info:
        register(kit, **{field: GOOD[field]})
    assert info.value.field == field
    assert _nothing_stored(kit)


def test_b2c_keeps_the_phone(kit: AccountKit) -> None:
    """A phone given at a B2C registration is the user's."""
    user = register(kit, phone="0049 30 1234567")
    assert user.phone == "+49301234567"


def test_a_required_phone_is_missing_field(make_kit: KitFactory) -> None:
    """A channel requiring the phone refuses a form without it by name."""
    kit = make_kit(
        attrs.evolve(
            ShopPolicy.b2c_open(),
            required_fields=ShopPolicy.b2c_open().required_fields | {Field.PHONE},
        )
    )
    with pytest.raises(MissingField) as info:
        register(kit)
    assert info.value.field == "phone"


def test_company_fields_stay_optional_where_not_required(make_kit: KitFactory) -> None:
    """Open B2B without VAT id or address makes the company without them."""
    kit = make_kit(OPEN_B2B)
    user = register(kit, company_name="Engines")
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert (customer.vat_id, customer.bill_to) == (None, None)


@pytest.mark.parametrize(
    "address",
    [
        attrs.evolve(COMPANY_ADDRESS, country="Germany"),
        attrs.evolve(COMPANY_ADDRESS, country="D1"),
        attrs.evolve(COMPANY_ADDRESS, street=""),
        attrs.evolve(COMPANY_ADDRESS, city="x" * 201),
        attrs.evolve(COMPANY_ADDRESS, extra="c/o\x00"),
    ],
)
def test_a_company_address_that_cannot_be_stored_is_refused(
    make_kit: KitFactory, address: Address
) -> None:
    """Every line of the company address is checked; the country is two letters."""
    kit = make_kit(OPEN_B2B)
    with pytest.raises(InvalidValue) as info:
        register(kit, company_name="Engines", company_address=address)
    assert info.value.field == "company_address"
    assert _nothing_stored(kit)
