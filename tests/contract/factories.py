"""Records and small helpers for the contract suite.

Every record gets a fresh random id (and a fresh e-mail address or customer number), so
tests can share one store, also across Hypothesis examples. Times are aware UTC datetimes
with microseconds, so a store that drops either is caught by plain record equality.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from accountkit.domain import (
    Actor,
    Address,
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Event,
    EventKind,
    Membership,
    PurchaseConditions,
    Role,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.orders import GuestContact, Order
from accountkit.storage import Store, Transaction

T = TypeVar("T")

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
"""A base time with microseconds; records are stamped at T0 plus whole seconds."""


class Boom(Exception):
    """Raised inside a transaction to force a rollback."""


def uid(prefix: str) -> str:
    """Return a fresh id such as ``usr_3f2c...``."""
    return f"{prefix}_{uuid.uuid4().hex}"


def at(seconds: float) -> datetime:
    """Return T0 plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def fresh_email(local: str = "user") -> str:
    """Return a normalised e-mail address no other test uses."""
    return f"{local}.{uuid.uuid4().hex[:12]}@example.com"


def make_user(**changes: Any) -> User:
    """A FULL user with every field set; ``changes`` override fields."""
    user = User(
        id=uid("usr"),
        tier=UserTier.FULL,
        status=UserStatus.ACTIVE,
        email=fresh_email("Ada.Lovelace"),
        given_name="Ada",
        family_name="Lovelace",
        birth_date=date(1990, 5, 17),
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        must_complete_profile=False,
        profile={"ski_size": "175", "favourite_colour": "grün"},
        security_version=2,
        version=0,
        created_at=at(0),
        updated_at=at(1.5),
    )
    return attrs.evolve(user, **changes)


def make_blank_user(**changes: Any) -> User:
    """A BLANK user: nothing known, must complete the profile."""
    user = User(
        id=uid("usr"),
        tier=UserTier.BLANK,
        must_complete_profile=True,
        created_at=at(0),
        updated_at=at(0),
    )
    return attrs.evolve(user, **changes)


def make_customer(**changes: Any) -> Customer:
    """A BUSINESS customer with a number, conditions, contacts and a note."""
    customer = Customer(
        id=uid("cus"),
        kind=CustomerKind.BUSINESS,
        name="Müller & Söhne GmbH",
        number=f"K-{uuid.uuid4().hex[:10]}",
        group_id=None,
        conditions=PurchaseConditions(price_list_id="wholesale", discount=Decimal("7.25")),
        document_contacts=(
            DocumentContact(
                kind=DocumentKind.INVOICE,
                email="billing@mueller.example",
                contact_person="Frau Schmidt",
            ),
            DocumentContact(kind=DocumentKind.DELIVERY_NOTE, email="lager@mueller.example"),
        ),
        note="Zahlt pünktlich.\nRabatt gilt bis Jahresende.",
        channel="web",
        version=0,
        created_at=at(0),
        updated_at=at(2.25),
    )
    return attrs.evolve(customer, **changes)


def make_group(**changes: Any) -> CustomerGroup:
    """A customer group with a price list."""
    group = CustomerGroup(
        id=uid("grp"), name="Wholesale", price_list_id="pl-wholesale", created_at=at(0)
    )
    return attrs.evolve(group, **changes)


def make_membership(user_id: str, customer_id: str, **changes: Any) -> Membership:
    """An active MEMBER membership assigned by an operator."""
    membership = Membership(
        user_id=user_id,
        customer_id=customer_id,
        role=Role.MEMBER,
        active=True,
        assigned_by=Actor.operator("staff-7"),
        assigned_at=at(10),
    )
    return attrs.evolve(membership, **changes)


def make_event(**changes: Any) -> Event:
    """A NOTE_CHANGED event by an operator, with data."""
    event = Event(
        id=uid("evt"),
        at=at(20),
        actor=Actor.operator("staff-7"),
        kind=EventKind.NOTE_CHANGED,
        user_id=None,
        customer_id=None,
        data={"from": "", "to": "Zahlt pünktlich."},
    )
    return attrs.evolve(event, **changes)


def make_address(**changes: Any) -> Address:
    """A German postal address with every line set."""
    address = Address(
        name="Grace Hopper",
        street="Hauptstraße 5",
        postal_code="10115",
        city="Berlin",
        country="DE",
        company="Hopper Werke",
        extra="3. OG",
    )
    return attrs.evolve(address, **changes)


def make_order(**changes: Any) -> Order:
    """A not-signed-in order of a guest at T0 + 30 s, with a billing and a shipping address
    and a fresh id and number; ``changes`` override fields."""
    order = Order(
        id=uid("ord"),
        number=f"O-{uuid.uuid4().hex[:12]}",
        channel="web",
        placed_at=at(30),
        total=Decimal("129.90"),
        currency="EUR",
        signed_in=False,
        guest=GuestContact(
            email=fresh_email("grace.hopper"), given_name="Grace", family_name="Hopper"
        ),
        billing=make_address(),
        shipping=make_address(street="Lagerweg 9", company=None, extra=None),
        updated_at=at(30),
    )
    return attrs.evolve(order, **changes)


def make_signed_in_order(user_id: str, customer_id: str | None, **changes: Any) -> Order:
    """An order placed while signed in (no guest contact), see :func:`make_order`."""
    return make_order(
        **{"signed_in": True, "user_id": user_id, "customer_id": customer_id, "guest": None}
        | changes
    )


def in_tx(store: Store, work: Callable[[Transaction], T]) -> T:
    """Run ``work`` in its own transaction and return its result."""
    with store.transaction() as tx:
        return work(tx)


def add_user(store: Store, **changes: Any) -> User:
    """Commit a new user (see :func:`make_user`) and return it."""
    user = make_user(**changes)
    return in_tx(store, lambda tx: tx.users.add(user))


def add_customer(store: Store, **changes: Any) -> Customer:
    """Commit a new customer (see :func:`make_customer`) and return it."""
    customer = make_customer(**changes)
    return in_tx(store, lambda tx: tx.customers.add(customer))


def add_membership(
    store: Store, user_id: str, customer_id: str, *, exclusive: bool = False, **changes: Any
) -> Membership:
    """Commit a new membership (see :func:`make_membership`) and return it."""
    membership = make_membership(user_id, customer_id, **changes)
    return in_tx(store, lambda tx: tx.memberships.add(membership, exclusive=exclusive))


def run_then_fail(store: Store, work: Callable[[Transaction], object]) -> None:
    """Run ``work`` in a transaction, then raise :class:`Boom` inside it so it rolls back."""
    with store.transaction() as tx:
        work(tx)
        raise Boom


PERSONAL_VALUES = (
    "Ada.Lovelace",
    "Lovelace",
    "Müller & Söhne",
    "Frau Schmidt",
    "billing@mueller.example",
    "lager@mueller.example",
    "Zahlt pünktlich",
    "grün",
    "1990-05-17",
    "$argon2id$",
    "c2FsdHNhbHQ",
    "Grace Hopper",
    "Hauptstraße",
    "Lagerweg",
    "Hopper Werke",
)
"""Personal data and secrets the factories (and the service tests) put into stores: none of
them may appear in any log record or error message of the contract suite."""
