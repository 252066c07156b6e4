"""Customers, customer groups and memberships: who buys, and who acts for them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from accountkit.domain.addresses import Address
from accountkit.domain.events import Actor
from accountkit.domain.orders import sort_key as _sort_key

__all__ = [
    "Customer",
    "CustomerGroup",
    "CustomerKind",
    "DocumentContact",
    "DocumentKind",
    "Membership",
    "PurchaseConditions",
    "Role",
]


class CustomerKind(enum.StrEnum):
    """``PERSONAL`` (a person, a family, a club) or ``BUSINESS`` (a company)."""

    PERSONAL = "personal"
    BUSINESS = "business"


class Role(enum.StrEnum):
    """A user's role at a customer.

    ``COMPANY_MANAGER`` is the first user of a company registered in B2B mode; ``BUYER``
    places orders; ``VIEWER`` only looks; ``MEMBER`` is a member of a personal customer
    (a family or a club).
    """

    COMPANY_MANAGER = "company_manager"
    BUYER = "buyer"
    VIEWER = "viewer"
    MEMBER = "member"


class DocumentKind(enum.StrEnum):
    """The business documents a customer may want sent to a particular contact."""

    INVOICE = "invoice"
    QUOTE = "quote"
    ORDER_CONFIRMATION = "order_confirmation"
    DELIVERY_NOTE = "delivery_note"
    PAYMENT_REMINDER = "payment_reminder"


@attrs.frozen(kw_only=True)
class PurchaseConditions:
    """What a customer pays: a price list and a discount percentage (0-100, a Decimal).

    Example:
        >>> PurchaseConditions(price_list_id="wholesale", discount=Decimal("7.5")).discount
        Decimal('7.5')
    """

    price_list_id: str | None = None
    discount: Decimal = Decimal(0)


@attrs.frozen(kw_only=True)
class DocumentContact:
    """Where documents of one kind go: an e-mail address and a contact person.

    Its ``repr`` shows the kind only.
    """

    kind: DocumentKind
    email: str = attrs.field(repr=False)
    contact_person: str | None = attrs.field(default=None, repr=False)


def _category_set(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(kw_only=True)
class CustomerGroup:
    """A group of customers with its own price list, assortment and features.

    Attributes:
        id: Opaque id.
        name: Display name.
        price_list_id: The shop's price list for the group's customers, if any.
        assortment: The category ids (the shop's own) the group's customers may see and
            order from; ``None`` for the whole assortment.
        created_at: When it was made (UTC).
    """

    id: str
    name: str
    price_list_id: str | None = None
    assortment: frozenset[str] | None = attrs.field(default=None, converter=_category_set)
    created_at: datetime


@attrs.frozen(kw_only=True)
class Customer:
    """The party that buys: holds the number, conditions and document contacts.

    Its ``repr`` shows id, kind and number only (the name, contacts and note may be
    personal data).

    Attributes:
        id: Opaque id.
        kind: PERSONAL or BUSINESS.
        name: Display name (a family, a club, a company).
        number: The customer number, or ``None`` under ``CustomerNumbering.NONE``.
        group_id: The customer group, if any.
        conditions: Price list and discount.
        document_contacts: At most one contact per :class:`DocumentKind`, sorted by kind.
        note: The operator's internal note; never shown to the customer.
        channel: The sales channel the customer was made in.
        vat_id: A business customer's VAT identification number (normalised: upper case,
            no spaces), or ``None``.
        bill_to: A business customer's billing address (company master data), or ``None``.
            A natural person's address is never kept here: only with an order.
        ship_to: A business customer's default delivery address, or ``None``.
        surname: What the customer overview sorts equal dates by: the registrant's family
            name for a personal customer made by registration, or one the operator gave
            (``kit.customers.create(..., surname=...)``); ``None`` sorts by ``name``
            (business customers always do).
        version: Optimistic-concurrency counter; the store raises it on every update.
    """

    id: str
    kind: CustomerKind
    name: str = attrs.field(repr=False)
    number: str | None = None
    group_id: str | None = attrs.field(default=None, repr=False)
    conditions: PurchaseConditions = attrs.field(default=PurchaseConditions(), repr=False)
    document_contacts: tuple[DocumentContact, ...] = attrs.field(default=(), repr=False)
    note: str = attrs.field(default="", repr=False)
    channel: str = attrs.field(repr=False)
    vat_id: str | None = attrs.field(default=None, repr=False)
    bill_to: Address | None = attrs.field(default=None, repr=False)
    ship_to: Address | None = attrs.field(default=None, repr=False)
    surname: str | None = attrs.field(default=None, repr=False)
    version: int = attrs.field(default=0, repr=False)
    created_at: datetime = attrs.field(repr=False)
    updated_at: datetime = attrs.field(repr=False)

    @property
    def sort_key(self) -> str:
        """What the customer overview orders equal dates by: the surname, or else the name,
        as :func:`accountkit.domain.orders.sort_key` folds it. Every store keeps it."""
        return _sort_key(self.surname or self.name)

    def document_contact(self, kind: DocumentKind) -> DocumentContact | None:
        """Return the contact for documents of ``kind``, or ``None``."""
        for contact in self.document_contacts:
            if contact.kind is kind:
                return contact
        return None


def role_value(value: Role | str) -> Role | str:
    """A membership's role as stored: the built-in :class:`Role` when ``value`` is one (or
    its value), else the custom role's name, unchanged. The kit checks a custom name
    against the roles it was given (``AccountKit(roles=...)``); a store only keeps the
    text."""
    if isinstance(value, Role):
        return value
    try:
        return Role(value)
    except ValueError:
        return value


@attrs.frozen(kw_only=True)
class Membership:
    """A user's assignment to a customer, made by an operator.

    Attributes:
        user_id: The user.
        customer_id: The customer.
        role: The user's role there: a :class:`Role`, or the name of a custom role.
        active: True for the customer the user currently acts for (one per user).
        assigned_by: Who made the assignment.
        assigned_at: When (UTC).
        version: Optimistic-concurrency counter; the store raises it on every update.
    """

    user_id: str
    customer_id: str
    role: Role | str = attrs.field(converter=role_value)
    active: bool
    assigned_by: Actor
    assigned_at: datetime
    version: int = 0
