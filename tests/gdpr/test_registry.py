"""The registry of personal data (tests/gdpr/registry.py) against the schema and the
records, and the export against the registry: a new column or field cannot be forgotten."""

from __future__ import annotations

import json

import attrs
import pytest
import sqlalchemy as sa

import accountkit.domain
from accountkit import AccountKit
from accountkit.storage._schema import build_tables
from tests.gdpr import registry
from tests.gdpr._people import (
    CITY,
    COMPANY,
    CONTACT_EMAIL,
    CONTACT_PERSON,
    EMAIL,
    EXTRA,
    FAMILY,
    GIVEN,
    GUEST_EMAIL,
    GUEST_FAMILY,
    GUEST_GIVEN,
    NOTE,
    PHONE,
    POSTAL,
    PROFILE_VALUE,
    STAFF,
    STREET,
    make_person,
)

TABLES = build_tables(sa.MetaData(), "accountkit_")
NOT_STORED = {accountkit.domain.Actor}
"""Records with no personal data of their own (an actor is an id and a kind)."""


@pytest.mark.parametrize("table", [f.name for f in attrs.fields(type(TABLES))])
def test_every_column_is_classified_once(table: str) -> None:
    """Each column of each table is personal, secret or not personal: exactly one."""
    columns = {c.name for c in getattr(TABLES, table).columns}
    parts = [
        registry.PERSONAL_COLUMNS.get(table, frozenset()),
        registry.SECRET_COLUMNS.get(table, frozenset()),
        registry.NOT_PERSONAL_COLUMNS.get(table, frozenset()),
    ]
    assert set().union(*parts) == columns, f"classify the columns of {table} in registry.py"
    assert sum(len(p) for p in parts) == len(columns), f"a column of {table} is in two lists"


RECORDS = [
    getattr(accountkit.domain, name)
    for name in accountkit.domain.__all__
    if attrs.has(getattr(accountkit.domain, name))
    and getattr(accountkit.domain, name) not in NOT_STORED
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_record_field_is_classified_once(record: type) -> None:
    """Each field of each stored record is personal, secret or not personal: exactly one."""
    fields = {f.name for f in attrs.fields(record)}
    parts = [
        registry.PERSONAL_FIELDS.get(record, frozenset()),
        registry.SECRET_FIELDS.get(record, frozenset()),
        registry.NOT_PERSONAL_FIELDS.get(record, frozenset()),
    ]
    assert set().union(*parts) == fields, f"classify {record.__name__}'s fields in registry.py"
    assert sum(len(p) for p in parts) == len(fields)


EXPORTED = {
    "User.email": EMAIL,
    "User.given_name": GIVEN,
    "User.family_name": FAMILY,
    "User.birth_date": "1977-07-07",
    "User.phone": PHONE,
    "User.profile": PROFILE_VALUE,
    "Customer.name": f"{GIVEN} {FAMILY}",
    "Customer.surname": FAMILY,
    "Customer.note": NOTE,
    "Customer.document_contacts": CONTACT_EMAIL,
    "DocumentContact.email": CONTACT_EMAIL,
    "DocumentContact.contact_person": CONTACT_PERSON,
    "Address.name": f"{GIVEN} {FAMILY} c/o Post",
    "Address.company": COMPANY,
    "Address.street": STREET,
    "Address.extra": EXTRA,
    "Address.postal_code": POSTAL,
    "Address.city": CITY,
    "Order.billing": STREET,
    "Order.shipping": f"{GIVEN} {FAMILY} c/o Post",
}
"""For each personal field the person has filled: a value the export must show."""

GUEST_EXPORTED = {
    "GuestContact.email": GUEST_EMAIL,
    "GuestContact.given_name": GUEST_GIVEN,
    "GuestContact.family_name": GUEST_FAMILY,
    "Order.guest": GUEST_EMAIL,
}
UNFILLED = {"Customer.vat_id", "Customer.bill_to", "Customer.ship_to", "Event.data",
            "AttemptWindow.key"}  # fmt: skip
"""Personal fields the person cannot have (a personal customer has no VAT id or company
addresses), or that hold no value of the person (history data, the limiter's digest)."""


def test_the_checked_values_cover_every_personal_field() -> None:
    """Every personal field of the registry is checked below, or said to be unfillable."""
    named = {
        f"{record.__name__}.{field}"
        for record, fields in registry.PERSONAL_FIELDS.items()
        for field in fields
    }
    assert named == set(EXPORTED) | set(GUEST_EXPORTED) | UNFILLED


def test_export_shows_every_personal_field(kit: AccountKit) -> None:
    """The export of the person holds each filled personal field; of the guest, theirs."""
    person = make_person(kit)
    text = kit.privacy.export(STAFF, person.user_id)
    missing = [name for name, value in EXPORTED.items() if json.dumps(value)[1:-1] not in text]
    assert missing == []
    guest = kit.privacy.export(STAFF, person.guest_user_id)
    missing = [name for name, value in GUEST_EXPORTED.items() if value not in guest]
    assert missing == []
