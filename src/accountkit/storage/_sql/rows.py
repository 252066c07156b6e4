"""Row mapping: the columns each statement reads, and records to bound values and back.

Reads select explicit column lists, and the mappers unpack rows in that order, so a raw
DBAPI tuple and a SQLAlchemy Row map the same way (see ``execute._RawReader``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from accountkit.domain import (
    Actor,
    Address,
    AttemptWindow,
    Consent,
    ContactPurpose,
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Event,
    EventKind,
    IssuedToken,
    LoginCode,
    Membership,
    PurchaseConditions,
    Session,
    SignInMethod,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.customers import role_value
from accountkit.domain.orders import GuestContact, Order, OrderStatus, sort_key
from accountkit.domain.validation import email_key
from accountkit.storage._checks import address_rows, minor_units
from accountkit.storage._protocols import OverviewEntry

USER_COLUMNS = (
    "id",
    "tier",
    "status",
    "email",
    "email_key",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "password_hash",
    "email_verified_at",
    "must_complete_profile",
    "profile",
    "security_version",
    "version",
    "created_at",
    "updated_at",
)


CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "name",
    "number",
    "group_id",
    "price_list_id",
    "discount",
    "document_contacts",
    "note",
    "channel",
    "vat_id",
    "bill_to",
    "ship_to",
    "surname",
    "version",
    "created_at",
    "updated_at",
)


MEMBERSHIP_COLUMNS = (
    "user_id",
    "customer_id",
    "role",
    "is_active",
    "is_exclusive",
    "assigned_by_kind",
    "assigned_by_id",
    "assigned_at",
    "version",
)


GROUP_COLUMNS = ("id", "name", "price_list_id", "assortment", "created_at")


CONSENT_COLUMNS = ("id", "user_id", "purpose", "granted", "at", "source", "wording_version")


EVENT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "kind", "user_id", "customer_id", "data")


ISSUED_TOKEN_COLUMNS = ("token_id", "user_id", "purpose", "issued_at", "note")


SESSION_COLUMNS = ("id", "user_id", "method", "security_version", "created_at", "last_seen_at")


LOGIN_CODE_COLUMNS = ("id", "user_id", "code_hash", "created_at", "expires_at", "failures")


ATTEMPT_COLUMNS = ("key", "started_at", "failures")


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "tier": user.tier.value,
        "status": user.status.value,
        "email": user.email,
        "email_key": email_key(user.email) if user.email else None,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "birth_date": user.birth_date,
        "phone": user.phone,
        "password_hash": user.password_hash,
        "email_verified_at": user.email_verified_at,
        "must_complete_profile": user.must_complete_profile,
        "profile": (
            json.dumps(dict(user.profile), sort_keys=True, ensure_ascii=False)
            if user.profile
            else "{}"
        ),
        "security_version": user.security_version,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _user(row: Sequence[Any]) -> User:
    (
        id_,
        tier,
        status,
        email,
        _key,
        given_name,
        family_name,
        birth_date,
        phone,
        password_hash,
        email_verified_at,
        must_complete,
        profile,
        security_version,
        version,
        created_at,
        updated_at,
    ) = row
    return User(
        id=id_,
        tier=UserTier(tier),
        status=UserStatus(status),
        email=email,
        given_name=given_name,
        family_name=family_name,
        birth_date=birth_date,
        phone=phone,
        password_hash=password_hash,
        email_verified_at=email_verified_at,
        must_complete_profile=bool(must_complete),
        profile=json.loads(profile),
        security_version=security_version,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
    )


def _customer_values(customer: Customer) -> dict[str, Any]:
    contacts = [
        {"kind": c.kind.value, "email": c.email, "contact_person": c.contact_person}
        for c in customer.document_contacts
    ]
    return {
        "id": customer.id,
        "kind": customer.kind.value,
        "name": customer.name,
        "number": customer.number,
        "group_id": customer.group_id,
        "price_list_id": customer.conditions.price_list_id,
        "discount": str(customer.conditions.discount),
        "document_contacts": json.dumps(contacts, ensure_ascii=False),
        "note": customer.note,
        "channel": customer.channel,
        "vat_id": customer.vat_id,
        "bill_to": _address_json(customer.bill_to),
        "ship_to": _address_json(customer.ship_to),
        "surname": customer.surname,
        # Not read back (the record computes it); kept for the overview's index.
        "sort_key": customer.sort_key,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


_ADDRESS_FIELDS = tuple(field.name for field in attrs.fields(Address))


def _json_text(value: object) -> str:
    # ASCII escapes: any Python text comes back exactly, as from MemoryStore, also a NUL or
    # a lone surrogate that neither database could hold as it is. Sorted keys: one text for
    # one value.
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def _address_json(address: Address | None) -> str | None:
    if address is None:
        return None
    return _json_text({name: getattr(address, name) for name in _ADDRESS_FIELDS})


def _address(text: str | None) -> Address | None:
    return None if text is None else Address(**json.loads(text))


def _customer(row: Sequence[Any]) -> Customer:
    (
        id_,
        kind,
        name,
        number,
        group_id,
        price_list_id,
        discount,
        contacts,
        note,
        channel,
        vat_id,
        bill_to,
        ship_to,
        surname,
        version,
        created_at,
        updated_at,
    ) = row
    return Customer(
        id=id_,
        kind=CustomerKind(kind),
        name=name,
        number=number,
        group_id=group_id,
        conditions=PurchaseConditions(price_list_id=price_list_id, discount=Decimal(discount)),
        document_contacts=tuple(
            DocumentContact(
                kind=DocumentKind(c["kind"]), email=c["email"], contact_person=c["contact_person"]
            )
            for c in json.loads(contacts)
        ),
        note=note,
        channel=channel,
        vat_id=vat_id,
        bill_to=_address(bill_to),
        ship_to=_address(ship_to),
        surname=surname,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
    )


def _membership_values(membership: Membership, exclusive: bool) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "customer_id": membership.customer_id,
        "role": str(membership.role),
        "is_active": membership.active,
        "is_exclusive": exclusive,
        "assigned_by_kind": membership.assigned_by.kind.value,
        "assigned_by_id": membership.assigned_by.id,
        "assigned_at": membership.assigned_at,
        "version": membership.version,
    }


def _membership(row: Sequence[Any]) -> Membership:
    user_id, customer_id, role, active, _exclusive, by_kind, by_id, assigned_at, version = row
    return Membership(
        user_id=user_id,
        customer_id=customer_id,
        role=role_value(role),
        active=bool(active),
        assigned_by=Actor._restore(by_kind, by_id),
        assigned_at=assigned_at,
        version=version,
    )


def _group_values(group: CustomerGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "price_list_id": group.price_list_id,
        "assortment": None if group.assortment is None else _json_text(sorted(group.assortment)),
        "created_at": group.created_at,
    }


def _group(row: Sequence[Any]) -> CustomerGroup:
    id_, name, price_list_id, assortment, created_at = row
    return CustomerGroup(
        id=id_,
        name=name,
        price_list_id=price_list_id,
        assortment=None if assortment is None else json.loads(assortment),
        created_at=created_at,
    )


def _event_values(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "actor_kind": event.actor.kind.value,
        "actor_id": event.actor.id,
        "kind": event.kind.value,
        "user_id": event.user_id,
        "customer_id": event.customer_id,
        "data": json.dumps(dict(event.data), sort_keys=True, ensure_ascii=False),
    }


def _event(row: Sequence[Any]) -> Event:
    id_, at, actor_kind, actor_id, kind, user_id, customer_id, data = row
    return Event(
        id=id_,
        at=at,
        actor=Actor._restore(actor_kind, actor_id),
        kind=EventKind(kind),
        user_id=user_id,
        customer_id=customer_id,
        data=json.loads(data),
    )


def _consent_values(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.id,
        "user_id": consent.user_id,
        "purpose": consent.purpose.value,
        "granted": consent.granted,
        "at": consent.at,
        "source": consent.source,
        "wording_version": consent.wording_version,
    }


def _consent(row: Sequence[Any]) -> Consent:
    id_, user_id, purpose, granted, at, source, wording_version = row
    return Consent(
        id=id_,
        user_id=user_id,
        purpose=ContactPurpose(purpose),
        granted=bool(granted),
        at=at,
        source=source,
        wording_version=wording_version,
    )


def _issued_token(row: Sequence[Any]) -> IssuedToken:
    token_id, user_id, purpose, issued_at, note = row
    return IssuedToken(
        token_id=token_id, user_id=user_id, purpose=purpose, issued_at=issued_at, note=note
    )


def _session_values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "method": session.method.value,
        "security_version": session.security_version,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
    }


def _session(row: Sequence[Any]) -> Session:
    id_, user_id, method, security_version, created_at, last_seen_at = row
    return Session(
        id=id_,
        user_id=user_id,
        method=SignInMethod(method),
        security_version=security_version,
        created_at=created_at,
        last_seen_at=last_seen_at,
    )


def _login_code(row: Sequence[Any]) -> LoginCode:
    id_, user_id, code_hash, created_at, expires_at, failures = row
    return LoginCode(
        id=id_,
        user_id=user_id,
        code_hash=code_hash,
        created_at=created_at,
        expires_at=expires_at,
        failures=failures,
    )


def _attempt(row: Sequence[Any]) -> AttemptWindow:
    key, started_at, failures = row
    return AttemptWindow(key=key, started_at=started_at, failures=failures)


_SESSION_WIDTH = len(SESSION_COLUMNS)


ORDER_COLUMNS = (
    "id",
    "number",
    "channel",
    "placed_at",
    "total",
    "currency",
    "status",
    "test_order",
    "signed_in",
    "user_id",
    "customer_id",
    "guest_email",
    "guest_name",
    "guest_family_name",
    "erased",
    "version",
    "updated_at",
)


ADDRESS_LINE_COLUMNS = ("name", "company", "street", "extra", "postal_code", "city", "country")
"""An address's columns in ``addresses``; reads of orders join its billing and shipping row."""


_ORDER_COLUMNS_CHANGED = (
    "status",
    "guest_email",
    "guest_name",
    "guest_family_name",
    "sort_key",
    "erased",
    "updated_at",
)
"""The columns ``OrderRepository.update`` writes (with ``version``)."""


_ORDER_WIDTH = len(ORDER_COLUMNS)


_LINES_WIDTH = len(ADDRESS_LINE_COLUMNS)


def _order_values(order: Order) -> dict[str, Any]:
    guest = order.guest
    return {
        "id": order.id,
        "number": order.number,
        "channel": order.channel,
        "placed_at": order.placed_at,
        "total": str(order.total),
        "currency": order.currency,
        "status": order.status.value,
        "test_order": order.test_order,
        "signed_in": order.signed_in,
        "user_id": order.user_id,
        "customer_id": order.customer_id,
        "guest_email": None if guest is None else guest.email,
        "guest_name": None if guest is None else guest.given_name,
        "guest_family_name": None if guest is None else guest.family_name,
        "sort_key": None if guest is None else sort_key(guest.family_name),
        "total_minor": minor_units(order.total, order.currency),
        "erased": order.erased,
        "version": order.version,
        "updated_at": order.updated_at,
    }


def _address_values(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": row_id,
            "order_id": order.id,
            "customer_id": order.customer_id,
            "user_id": order.user_id,
            "role": role.value,
            **{name: getattr(address, name) for name in ADDRESS_LINE_COLUMNS},
            "address_key": address.key(),
            "created_at": order.placed_at,
        }
        for row_id, role, address in address_rows(order)
    ]


def _address_lines(lines: Sequence[Any]) -> Address | None:
    """The address of a joined row, or ``None`` when none was joined (``name`` is NOT NULL
    in every row)."""
    return None if lines[0] is None else _stored_address(lines)


def _stored_address(lines: Sequence[Any]) -> Address:
    name, company, street, extra, postal_code, city, country = lines
    return Address(
        name=name,
        street=street,
        postal_code=postal_code,
        city=city,
        country=country,
        company=company,
        extra=extra,
    )


def _order(row: Sequence[Any]) -> Order:
    (
        id_,
        number,
        channel,
        placed_at,
        total,
        currency,
        status,
        test_order,
        signed_in,
        user_id,
        customer_id,
        guest_email,
        guest_name,
        guest_family_name,
        erased,
        version,
        updated_at,
    ) = row[:_ORDER_WIDTH]
    billing = row[_ORDER_WIDTH : _ORDER_WIDTH + _LINES_WIDTH]
    shipping = row[_ORDER_WIDTH + _LINES_WIDTH :]
    return Order(
        id=id_,
        number=number,
        channel=channel,
        placed_at=placed_at,
        total=Decimal(total),
        currency=currency,
        status=OrderStatus(status),
        test_order=bool(test_order),
        signed_in=bool(signed_in),
        user_id=user_id,
        customer_id=customer_id,
        guest=(
            None
            if guest_email is None
            else GuestContact(
                email=guest_email, given_name=guest_name, family_name=guest_family_name
            )
        ),
        billing=_address_lines(billing),
        shipping=_address_lines(shipping),
        erased=bool(erased),
        version=version,
        updated_at=updated_at,
    )


OVERVIEW_CUSTOMER_COLUMNS = ("last_order_at", "sort_key", "id", "number", "name", "has_test_order")


OVERVIEW_GUEST_COLUMNS = (
    "placed_at",
    "sort_key",
    "id",
    "number",
    "guest_name",
    "guest_family_name",
    "guest_email",
    "test_order",
)


def _overview_customer(row: Sequence[Any]) -> OverviewEntry:
    date, key, id_, number, name, test = row
    return OverviewEntry(date, key, id_, number, name, None, bool(test))


def _overview_guest(row: Sequence[Any]) -> OverviewEntry:
    date, key, id_, number, given, family, email, test = row
    name = " ".join(part for part in (given, family) if part)
    return OverviewEntry(date, key or "", id_, number, name, email, bool(test))
