"""Orders: what accountkit keeps of a shop's orders, and the addresses they were sent to
(``kit.orders``).

An order is the only legal basis on which accountkit keeps a natural person's postal
address (GDPR Art. 6(1)(b)); :meth:`OrderService.record_order` is the one public call that
stores one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs

from accountkit.domain import Actor, EventKind, User, UserStatus
from accountkit.domain._enums import as_enum
from accountkit.domain.addresses import Address, validate_address
from accountkit.domain.money import check_amount, check_currency
from accountkit.domain.orders import ERASED, GuestContact, Order, OrderStatus
from accountkit.domain.validation import _has_control, normalise_email, validate_name
from accountkit.errors import (
    CustomerNotFound,
    InvalidName,
    InvalidValue,
    MissingField,
    NotAMember,
    NotPermitted,
    OrderNotFound,
    UserDisabled,
    UserErased,
    UserNotFound,
)
from accountkit.policies import GuestCheckout, SalesChannel
from accountkit.services._base import Service, check_actor, load_user, require_staff
from accountkit.services.registration import GuestSource, RegistrationService
from accountkit.storage._checks import MAX_ORDER_ID_LENGTH
from accountkit.storage._protocols import Transaction

__all__ = ["OrderService"]


def _order_key(value: object, field: str) -> str:
    """An order id or number: 1 to 64 characters without control characters, kept as given."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_ORDER_ID_LENGTH
        or _has_control(value)
    ):
        raise InvalidValue(
            f"The {field} is 1 to {MAX_ORDER_ID_LENGTH} characters without control characters.",
            field=field,
        )
    return value


def _placed_at(value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(
            "placed_at is a timezone-aware datetime, such as datetime.now(UTC).",
            field="placed_at",
        )
    return value.astimezone(UTC)


def _guest_name(value: object, field: str) -> str:
    """A guest's name, trimmed and in NFC; an empty one is kept as ``""``."""
    if not isinstance(value, str):
        raise InvalidName("A name must be text.", field=field)
    return validate_name(value, field=field) if value.strip() else ""


def _guest(value: object, *, allow_special_use: bool) -> GuestContact:
    if not isinstance(value, GuestContact):
        raise InvalidValue(
            "guest is a GuestContact(email=..., given_name=..., family_name=...).",
            field="guest",
        )
    email = normalise_email(value.email, field="guest.email", allow_special_use=allow_special_use)
    given = _guest_name(value.given_name, "guest.given_name")
    family = _guest_name(value.family_name, "guest.family_name")
    if not given and not family:
        raise MissingField("A guest needs a given or a family name.", field="guest.given_name")
    return GuestContact(email=email, given_name=given, family_name=family)


def _address(value: Address | None, field: str) -> Address | None:
    return None if value is None else validate_address(value, field=field)


def _event_data(order: Order) -> dict[str, str]:
    """What history says of an order: never a name, an e-mail address or an address."""
    return {
        "number": order.number,
        "total": str(order.total),
        "currency": order.currency,
        "status": order.status.value,
        "test_order": "true" if order.test_order else "false",
        "signed_in": "true" if order.signed_in else "false",
    }


def _is_erased(address: Address) -> bool:
    return address.name == ERASED and address.street == ERASED


class OrderService:
    """Orders as accountkit keeps them: ``kit.orders``.

    The shop's own order system keeps lines, payments and documents; accountkit keeps who
    bought, when, for how much, in which state, and the billing and shipping addresses:
    what the customer overview, the histories, the order summary, address suggestions and
    the privacy calls need.
    """

    def __init__(self, service: Service, registration: RegistrationService) -> None:
        self._s = service
        self._registration = registration

    def record_order(
        self,
        *,
        order_id: str,
        number: str,
        channel: str,
        placed_at: datetime,
        total: Decimal,
        currency: str,
        user_id: str | None = None,
        customer_id: str | None = None,
        guest: GuestContact | None = None,
        billing: Address | None = None,
        shipping: Address | None = None,
        status: OrderStatus | str = OrderStatus.PLACED,
        test_order: bool = False,
        actor: Actor | None = None,
    ) -> Order:
        """Record an order the shop took, with its addresses, in one unit of work.

        Signed in (``user_id`` given): the user must exist and be active; the order is for
        ``customer_id`` (the user must be its member) or else for the customer of the
        user's active membership, or for none. It counts for that customer's overview row,
        history and order summary, and files ORDER_PLACED under the user and the customer.

        Not signed in (no ``user_id``): ``guest`` is required. The channel's
        ``guest_checkout`` decides: ``GUEST_ACCOUNT`` makes or reuses a guest user by the
        rules of ``kit.registration.register_guest``, and the order belongs to that guest
        (ORDER_PLACED in the guest's history). When the e-mail address belongs to a FULL
        or BLANK user, or to a disabled guest, the order stands alone (``user_id`` None),
        exactly as under ``NO_ACCOUNT``: the answer reveals nothing of that account, and the
        order never counts for a registered customer.

        History data is the number, total, currency, status and the two flags; never a
        name or an address.

        Args:
            order_id: The shop's order id: 1 to 64 characters without control characters.
            number: The order number printed on documents, likewise; unique in the shop.
            channel: The sales channel's name.
            placed_at: When it was placed: an aware datetime (stored in UTC).
            total: The total, a ``Decimal`` of zero or more in the currency's minor unit.
            currency: ISO 4217 code in upper case (``"EUR"``).
            user_id: The signed-in buyer, or ``None`` for a checkout without sign-in.
            customer_id: Signed in only: the customer bought for (default: the user's
                active company).
            guest: Not signed in only: the buyer's contact (e-mail and names).
            billing: The billing address, checked like every address.
            shipping: The shipping address, likewise.
            status: An :class:`OrderStatus` or its value.
            test_order: True for an order the shop placed to test its checkout.
            actor: Who records it: staff (default ``Actor.system()``) or the buyer
                themself (``Actor.user(user_id)``).

        Returns:
            The order as stored.

        Raises:
            InvalidValue: A bad id, number, time, flag, status, or address type; a guest
                contact on a signed-in order, a ``customer_id`` without ``user_id``.
            InvalidEmail, InvalidName: The guest's e-mail address or names.
            InvalidFields: Lines of an address (``billing.city``, ...).
            MissingField: No ``guest`` for an order without sign-in.
            UnknownCurrency, InvalidAmount: The currency or the total.
            ChannelNotFound: No such channel.
            UserNotFound, UserDisabled: The signed-in user is unknown or not active.
            UserErased: The signed-in user was erased.
            CustomerNotFound, NotAMember: ``customer_id`` is unknown, or not the user's.
            NotPermitted: A user records an order of someone else.
            OrderNumberTaken: The id or the number is recorded already.

        Example:
            >>> order = kit.orders.record_order(
            ...     order_id="o-1", number="10001", channel="web",
            ...     placed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC), total=Decimal("59.90"),
            ...     currency="EUR",
            ...     guest=GuestContact(email="tom@example.com", given_name="Tom",
            ...                        family_name="Lee"))
            >>> order.signed_in
            False
        """
        actor = Actor.system() if actor is None else check_actor(actor)
        if not actor.is_staff and (user_id is None or actor.id != user_id):
            raise NotPermitted("A user records only their own orders, signed in.")
        checked_id = _order_key(order_id, "order_id")
        checked_number = _order_key(number, "number")
        if not isinstance(channel, str):
            raise InvalidValue("channel is the name of a sales channel.", field="channel")
        ch = self._s._channel(channel)
        moment = _placed_at(placed_at)
        checked_currency = check_currency(currency)
        amount = check_amount(total, checked_currency)
        bill_to = _address(billing, "billing")
        ship_to = _address(shipping, "shipping")
        state = as_enum(OrderStatus, status, field="status")
        if not isinstance(test_order, bool):
            raise InvalidValue("test_order is True or False.", field="test_order")
        contact: GuestContact | None = None
        if user_id is not None:
            if guest is not None:
                raise InvalidValue(
                    "A signed-in order has no guest contact; leave guest out.", field="guest"
                )
        else:
            if customer_id is not None:
                raise InvalidValue(
                    "customer_id is for a signed-in order; give user_id too.",
                    field="customer_id",
                )
            if guest is None:
                raise MissingField(
                    "An order without sign-in needs the guest's contact.", field="guest"
                )
            contact = _guest(guest, allow_special_use=self._s._ctx.allow_special_use_domains)
        record = Order(
            id=checked_id,
            number=checked_number,
            channel=ch.name,
            placed_at=moment,
            total=amount,
            currency=checked_currency,
            status=state,
            test_order=test_order,
            signed_in=user_id is not None,
            guest=contact,
            billing=bill_to,
            shipping=ship_to,
            updated_at=moment,
        )

        def work(tx: Transaction) -> Order:
            order = attrs.evolve(record, updated_at=self._s._ctx.clock.now())
            if user_id is not None:
                buyer = self._buyer(tx, user_id)
                order = attrs.evolve(
                    order, user_id=buyer.id, customer_id=self._customer(tx, buyer, customer_id)
                )
            else:
                assert contact is not None
                guest_user = self._guest_account(tx, ch, contact)
                if guest_user is not None:
                    order = attrs.evolve(order, user_id=guest_user.id)
            stored = tx.orders.add(order)
            if stored.user_id is not None:
                # customer_id None with new_user=True: no lookup of the user's active
                # customer, so an order without sign-in never reaches a customer's history.
                self._s._record(
                    tx,
                    EventKind.ORDER_PLACED,
                    actor,
                    user_id=stored.user_id,
                    customer_id=stored.customer_id,
                    data=_event_data(stored),
                    new_user=True,
                )
            return stored

        return self._s._write(work)

    def _buyer(self, tx: Transaction, user_id: str) -> User:
        # Locked: an erasure of the buyer running at the same time either sees this order
        # (and replaces its addresses) or finishes first, and this unit then reads the
        # tombstone; never an order with personal data for an erased user.
        user = tx.users.lock(user_id)
        if user is None:
            raise UserNotFound()
        if user.status is UserStatus.ERASED:
            raise UserErased()
        if not user.is_active:
            raise UserDisabled()
        return user

    def _customer(self, tx: Transaction, user: User, customer_id: str | None) -> str | None:
        if customer_id is None:
            for membership in tx.memberships.for_user(user.id):
                if membership.active:
                    return membership.customer_id
            return None
        if tx.customers.get(customer_id) is None:
            raise CustomerNotFound()
        if tx.memberships.get(user.id, customer_id) is None:
            raise NotAMember("The user does not belong to that customer; pass one of theirs.")
        return customer_id

    def _guest_account(
        self, tx: Transaction, ch: SalesChannel, contact: GuestContact
    ) -> User | None:
        if ch.policy.guest_checkout is GuestCheckout.NO_ACCOUNT:
            return None
        return self._registration._guest_in(
            tx,
            contact.email,
            contact.given_name or None,
            contact.family_name or None,
            GuestSource.CHECKOUT,
        )

    def set_status(self, order_id: str, status: OrderStatus | str, *, actor: Actor) -> Order:
        """Change an order's status (a cancellation, a return); staff or the system only.

        History records ORDER_STATUS_CHANGED with ``from`` and ``to`` (and the number)
        under the order's user, and under its customer when it was placed signed in. Setting
        the status the order has already changes nothing and records nothing.

        Raises:
            NotPermitted: ``actor`` is a user.
            InvalidValue: ``actor`` or ``status`` is not valid.
            OrderNotFound: No order has this id.
            ConcurrentUpdate: The order changed meanwhile; read it again and retry.
        """
        require_staff(actor)
        state = as_enum(OrderStatus, status, field="status")

        def work(tx: Transaction) -> Order:
            order = tx.orders.get(order_id)
            if order is None:
                raise OrderNotFound()
            if order.status is state:
                return order
            changed = tx.orders.update(
                attrs.evolve(order, status=state, updated_at=self._s._ctx.clock.now())
            )
            if changed.user_id is not None:
                self._s._record(
                    tx,
                    EventKind.ORDER_STATUS_CHANGED,
                    actor,
                    user_id=changed.user_id,
                    customer_id=changed.customer_id if changed.signed_in else None,
                    data={"number": changed.number, "from": order.status.value, "to": state.value},
                    new_user=True,
                )
            return changed

        return self._s._write(work)

    def get(self, order_id: str) -> Order:
        """Return the order with this id.

        Raises:
            OrderNotFound: No order has this id.
        """

        def work(tx: Transaction) -> Order:
            order = tx.orders.get(order_id)
            if order is None:
                raise OrderNotFound()
            return order

        return self._s._read(work)

    def address_suggestions(self, user_id: str) -> tuple[Address, ...]:
        """The addresses of the user's orders to offer at the next checkout: newest first,
        one per address (compared by :meth:`Address.key`, so spellings that differ only in
        case, spacing or Unicode form are one; the newest spelling is offered). Addresses
        of erased orders are not offered.

        Raises:
            UserNotFound: No user has this id.
        """

        def work(tx: Transaction) -> tuple[Address, ...]:
            load_user(tx, user_id)
            seen: set[str] = set()
            found: list[Address] = []
            for address in tx.orders.addresses_for_user(user_id):
                key = address.key()
                if key in seen or _is_erased(address):
                    continue
                seen.add(key)
                found.append(address)
            return tuple(found)

        return self._s._read(work)
