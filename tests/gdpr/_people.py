"""A person with every kind of personal data accountkit keeps, for the GDPR tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs

from accountkit import AccountKit, Actor, Address, ContactPurpose, DocumentKind, Role
from accountkit.domain.orders import GuestContact

STAFF = Actor.operator("dpo")
PLACED = datetime(2026, 1, 1, 9, tzinfo=UTC)


@attrs.frozen
class Person:
    """The ids of the person's records and the values that must never survive erasure."""

    user_id: str
    customer_id: str
    guest_user_id: str
    values: tuple[str, ...]


# Distinct words that occur nowhere else in a store, so a byte search finds only them.
EMAIL = "quentin.zanzibar@example.com"
GIVEN, FAMILY = "Quentinus", "Zanzibarowski"
PHONE = "+4930987654321"
STREET, EXTRA, CITY, POSTAL = "Xylophonallee 42", "Hinterhaus Quax", "Wolkenkuckucksheim", "98765"
COMPANY = "Zanzibarowski Werkstatt"
NOTE = "Ruft lieber abends an, Quentinus"
CONTACT_EMAIL = "rechnung.zanzibar@example.com"
CONTACT_PERSON = "Quirin Zanzibarowski"
PROFILE_VALUE = "Schuhgroesse Quarantaeins"
GUEST_EMAIL = "gwendolyn.quasimodo@example.com"
GUEST_GIVEN, GUEST_FAMILY = "Gwendolyn", "Quasimodo"

VALUES = (
    EMAIL, GIVEN, FAMILY, PHONE, STREET, EXTRA, CITY, COMPANY, NOTE, CONTACT_EMAIL,
    CONTACT_PERSON, PROFILE_VALUE, GUEST_EMAIL, GUEST_GIVEN, GUEST_FAMILY,
)  # fmt: skip
"""What erasure must remove; the postal code and birth date are left out of byte searches
(short digits occur in unrelated data)."""


def address(**changes: str) -> Address:
    """The person's postal address with every line set."""
    lines = {"name": f"{GIVEN} {FAMILY}", "street": STREET, "postal_code": POSTAL, "city": CITY}
    return Address(country="DE", company=COMPANY, extra=EXTRA, **(lines | changes))


def make_person(kit: AccountKit, *, orders: int = 2) -> Person:
    """Register the person with a phone and a profile value, a personal customer with a
    note and a document contact, signed-in orders with addresses, consent and a session;
    and a guest who ordered without an account of their own (a guest account)."""
    registered = kit.registration.register(
        email=EMAIL,
        password="correct horse battery staple",
        birth_date=date(1977, 7, 7),
        given_name=GIVEN,
        family_name=FAMILY,
        phone=PHONE,
        profile={"shoe": PROFILE_VALUE},
    )
    assert registered.user is not None
    user_id = registered.user.id
    customer = kit.customers.create(STAFF, name=f"{GIVEN} {FAMILY}", surname=FAMILY)
    kit.customers.assign_user(STAFF, user_id, customer.id, Role.MEMBER)
    kit.customers.set_note(STAFF, customer.id, NOTE)
    kit.customers.set_document_contact(
        STAFF, customer.id, DocumentKind.INVOICE, email=CONTACT_EMAIL,
        contact_person=CONTACT_PERSON,
    )  # fmt: skip
    for n in range(orders):
        kit.orders.record_order(
            order_id=f"pers-{n}", number=f"P-{n}", channel="web", placed_at=PLACED,
            total=Decimal("10.00"), currency="EUR", user_id=user_id, billing=address(),
            shipping=address(name=f"{GIVEN} {FAMILY} c/o Post"),
        )  # fmt: skip
    kit.privacy.grant_consent(
        Actor.user(user_id), user_id, ContactPurpose.NEWSLETTER, source="checkout",
        wording_version="nl-1",
    )  # fmt: skip
    kit.privacy.withdraw_consent(Actor.user(user_id), user_id, ContactPurpose.NEWSLETTER,
                                 source="unsubscribe")  # fmt: skip
    guest_order = kit.orders.record_order(
        order_id="guest-1", number="G-1", channel="web", placed_at=PLACED,
        total=Decimal("5.00"), currency="EUR",
        guest=GuestContact(email=GUEST_EMAIL, given_name=GUEST_GIVEN, family_name=GUEST_FAMILY),
        billing=address(name=f"{GUEST_GIVEN} {GUEST_FAMILY}"),
    )  # fmt: skip
    assert guest_order.user_id is not None
    return Person(user_id, customer.id, guest_order.user_id, VALUES)


def make_bystander(kit: AccountKit) -> str:
    """Another customer whose data must survive the person's erasure."""
    registered = kit.registration.register(
        email="bystander.unaffected@example.com",
        password="correct horse battery staple",
        birth_date=date(1980, 1, 1),
        given_name="Bystanderine",
        family_name="Unaffectedson",
    )
    assert registered.user is not None
    kit.orders.record_order(
        order_id="by-1", number="B-1", channel="web", placed_at=PLACED, total=Decimal("1.00"),
        currency="EUR", user_id=registered.user.id,
        billing=Address(name="Bystanderine Unaffectedson", street="Bleibstrasse 1",
                        postal_code="11111", city="Bleibstadt", country="DE"),
    )  # fmt: skip
    return registered.user.id
