"""Personal data and secrets never leak: reprs show ids and tiers, JSON never holds a hash."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Address,
    Customer,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Event,
    EventKind,
    Message,
    MessageKind,
    StorefrontContext,
    User,
    UserTier,
    make_converter,
)
from tests.helpers import made

MOMENT = datetime(2026, 1, 1, 12, tzinfo=UTC)
CONVERTER = make_converter()

# Distinctive values: if one shows up in a repr, a personal field leaked into it.
SECRETS = st.from_regex(r"pii-[a-z0-9]{6,12}", fullmatch=True)
BIRTH_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


def leaks(text: str, values: list[Any]) -> list[str]:
    """Return every value whose printed forms appear in ``text``."""
    found: list[str] = []
    for value in values:
        forms = {str(value), repr(value)}
        if isinstance(value, date):
            forms.add(value.isoformat())
        found.extend(form for form in forms if form in text)
    return found


@st.composite
def users(draw: st.DrawFn) -> tuple[User, list[Any]]:
    """A FULL user with every personal field filled, and the list of those values."""
    email, given_name, family_name, key, value, hash_ = (draw(SECRETS) for _ in range(6))
    born = draw(BIRTH_DATES)
    user = User(
        id="usr_1",
        tier=UserTier.FULL,
        email=email,
        given_name=given_name,
        family_name=family_name,
        birth_date=born,
        password_hash=f"$argon2id${hash_}",
        profile={key: value},
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    return user, [email, given_name, family_name, born, hash_, key, value]


@st.composite
def contacts(draw: st.DrawFn) -> tuple[DocumentContact, list[Any]]:
    """A document contact with its e-mail and person, and those values."""
    email, person = draw(SECRETS), draw(SECRETS)
    kind = draw(st.sampled_from(DocumentKind))
    return DocumentContact(kind=kind, email=email, contact_person=person), [email, person]


@st.composite
def customers(draw: st.DrawFn) -> tuple[Customer, list[Any]]:
    """A customer with a name, a note and a document contact, and those values."""
    name, note = draw(SECRETS), draw(SECRETS)
    contact, contact_values = draw(contacts())
    customer = Customer(
        id="cus_1",
        kind=draw(st.sampled_from(CustomerKind)),
        name=name,
        number="K-1",
        note=note,
        document_contacts=(contact,),
        channel="web",
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    return customer, [name, note, *contact_values]


@st.composite
def addresses(draw: st.DrawFn) -> tuple[Address, list[Any]]:
    """An address with every line filled, and those lines."""
    lines = [draw(SECRETS) for _ in range(6)]
    name, street, postal_code, city, company, extra = lines
    address = Address(
        name=name,
        street=street,
        postal_code=postal_code,
        city=city,
        country="DE",
        company=company,
        extra=extra,
    )
    return address, lines


@st.composite
def events(draw: st.DrawFn) -> tuple[Event, list[Any]]:
    """A note change, whose data quotes the old and the new note."""
    old, new = draw(SECRETS), draw(SECRETS)
    event = Event(
        id="evt_1",
        at=MOMENT,
        actor=Actor.operator("staff-1"),
        kind=EventKind.NOTE_CHANGED,
        customer_id="cus_1",
        data={"from": old, "to": new},
    )
    return event, [old, new]


@st.composite
def contexts(draw: st.DrawFn) -> tuple[StorefrontContext, list[Any]]:
    """A storefront context of a user and their customer, and both's personal values."""
    user, user_values = draw(users())
    customer, customer_values = draw(customers())
    context = StorefrontContext(
        user=user, channel="web", customer=customer, conditions=customer.conditions
    )
    return context, [*user_values, *customer_values]


@st.composite
def messages(draw: st.DrawFn) -> tuple[Message, list[Any]]:
    """A message for a person, and its recipient address."""
    recipient = draw(SECRETS)
    message = Message(
        kind=MessageKind.LOGIN_LINK, recipient=recipient, user_id="usr_1", created_at=MOMENT
    )
    return message, [recipient]


RECORDS: dict[str, st.SearchStrategy[tuple[Any, list[Any]]]] = {
    "User": users(),
    "Customer": customers(),
    "DocumentContact": contacts(),
    "Address": addresses(),
    "Event": events(),
    "StorefrontContext": contexts(),
    "Message": messages(),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
@given(data=st.data())
def test_repr_holds_no_personal_value(name: str, data: st.DataObject) -> None:
    """Every record's repr (and str) shows none of its personal values."""
    record, values = data.draw(RECORDS[name])
    assert leaks(repr(record), values) == []
    assert leaks(str(record), values) == []


def test_reprs_still_show_ids_and_tiers() -> None:
    """What stays in a repr is what a log needs to find the record: ids, tier, kind, number."""
    user = User(id="usr_7", tier=UserTier.GUEST, created_at=MOMENT, updated_at=MOMENT)
    assert "usr_7" in repr(user)
    assert "GUEST" in repr(user)
    customer = Customer(
        id="cus_7",
        kind=CustomerKind.BUSINESS,
        name="x",
        number="K-7",
        channel="web",
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    assert repr(customer) == (
        "Customer(id='cus_7', kind=<CustomerKind.BUSINESS: 'business'>, number='K-7')"
    )


@pytest.mark.parametrize("name", ["User", "StorefrontContext"])
@given(data=st.data())
def test_json_never_holds_the_password_hash(name: str, data: st.DataObject) -> None:
    """The converter's JSON of a user, alone or inside a storefront context, has no hash."""
    record, _ = data.draw(RECORDS[name])
    user = record if isinstance(record, User) else record.user
    assert isinstance(user, User)
    assert user.password_hash is not None
    text = json.dumps(CONVERTER.unstructure(record))
    assert user.password_hash not in text
    assert "password_hash" not in text


@given(users())
def test_user_json_structures_back_without_the_hash(drawn: tuple[User, list[Any]]) -> None:
    """A user read back from JSON equals the original except for password_hash, now None."""
    user, _ = drawn
    back = CONVERTER.structure(json.loads(json.dumps(CONVERTER.unstructure(user))), User)
    assert back.password_hash is None
    assert back == attrs.evolve(user, password_hash=None)


def test_a_registered_users_context_leaks_nothing(kit: AccountKit) -> None:
    """Through the kit: a signed-up user's context has no hash in JSON, no e-mail in repr."""
    user = made(
        kit.registration.register(
            email="ada@example.com",
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )
    assert user.password_hash
    context = kit.customers.context_for(user.id)
    text = json.dumps(CONVERTER.unstructure(context))
    assert user.password_hash not in text
    for shown in (repr(context), repr(user), repr(kit.users.get(user.id))):
        assert leaks(shown, ["ada@example.com", "Ada", "Lovelace", date(1990, 5, 17)]) == []
        assert user.password_hash not in shown
