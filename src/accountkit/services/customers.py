"""Customers, groups and memberships: ``kit.customers``. The operator changes them; a
company manager changes their own company's members and master data."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

import attrs

from accountkit.domain import (
    Actor,
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    EventKind,
    Membership,
    PurchaseConditions,
    Role,
    User,
)
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.addresses import Address, validate_address
from accountkit.domain.permissions import Permission
from accountkit.domain.validation import (
    MAX_CUSTOMER_NUMBER_LENGTH,
    normalise_email,
    validate_customer_number,
    validate_discount,
    validate_id,
    validate_name,
    validate_note,
    validate_vat_id,
)
from accountkit.errors import (
    AlreadyMember,
    ConcurrentUpdate,
    CustomerNotFound,
    GroupNotFound,
    InvalidFields,
    InvalidValue,
    MembershipConflict,
    MembershipNotFound,
    NotABusinessCustomer,
    NotAMember,
    UserNotFound,
    ValidationError,
)
from accountkit.policies import MyPage
from accountkit.services import access as access_rules
from accountkit.services._base import (
    Service,
    check_actor,
    require_active_self,
    require_self_or_staff,
    require_staff,
)
from accountkit.services._companies import (
    UNCHANGED,
    Unchanged,
    load_company_for,
    lock_company,
    require_a_manager_left,
    require_company_permission,
    resolve_role,
    run_locked,
    takes_a_manager,
)
from accountkit.services._rules import activate_oldest, add_membership, new_customer
from accountkit.services._search import Page, search_customers
from accountkit.storage._protocols import Transaction

__all__ = ["UNCHANGED", "CustomerService", "StorefrontContext", "Unchanged"]


@attrs.frozen(kw_only=True)
class StorefrontContext:
    """What a storefront shows a visitor: who they are, whom they act for, and what the
    channel's policy grants them.

    Attributes:
        user: The signed-in user, or ``None`` for an anonymous visitor.
        channel: The sales channel (storefront) the visitor is on.
        customer: The customer the user acts for (the active company), or ``None``.
        group: That customer's group, or ``None``.
        conditions: That customer's purchase conditions, or ``None``.
        role: The user's role at that customer (a Role or a custom role's name), or ``None``.
        memberships: All of the user's memberships, oldest first (for a company selector).
        permissions: What ``kit.access`` granted when ``context_for`` built this context
            (for templates; ``kit.access.can`` decides from the fields above).
        my_pages: The "my pages" granted likewise.
    """

    user: User | None
    channel: str
    customer: Customer | None = None
    group: CustomerGroup | None = None
    conditions: PurchaseConditions | None = None
    role: Role | str | None = None
    memberships: tuple[Membership, ...] = ()
    permissions: frozenset[Permission] = frozenset()
    my_pages: frozenset[MyPage] = frozenset()


def _lock_user(tx: Transaction, user_id: str) -> User:
    """Read the user and lock them: a user's membership changes run one after the other,
    so that "exactly one active membership" holds also when they race."""
    user = tx.users.lock(user_id)
    if user is None:
        raise UserNotFound()
    return user


def _load_customer(
    tx: Transaction, customer_id: str, *, expected_version: int | None = None
) -> Customer:
    customer = tx.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound()
    if expected_version is not None and customer.version != expected_version:
        raise ConcurrentUpdate()
    return customer


class CustomerService:
    """Customers, customer groups and memberships: ``kit.customers``.

    Every change names an :class:`~accountkit.Actor` and lands in the customer's history.
    Only the operator or the system changes customer records and memberships; a user may
    only switch between the companies they belong to.
    """

    def __init__(self, service: Service) -> None:
        self._s = service

    # --- customers ----------------------------------------------------------------------

    def search(
        self,
        actor: Actor,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | str | None = None,
        page_size: int = 50,
        cursor: str | None = None,
    ) -> Page[Customer]:
        """Return one page of the customers matching every filter given, ordered by id.

        ``text`` matches when it is exactly (case-sensitively) part of the customer's
        name or number; ``%`` and ``_`` are plain characters, and an empty text is no
        filter. The same rule holds on every store.

        Args:
            actor: Staff (the operator or the system).
            text: Part of the name or the customer number.
            group_id: Only customers of this group.
            kind: Only customers of this kind.
            page_size: Customers per page, 1 to 500.
            cursor: ``next_cursor`` of the previous page, given with the same filters.

        Raises:
            NotPermitted: The actor is a user.
            InvalidValue: A page size outside 1..500, a text or group id that is not a
                string, or an unknown kind.
            InvalidCursor: The cursor was not made by this kit, or for other filters or
                for a user search.
        """
        return search_customers(
            self._s,
            actor,
            text=text,
            group_id=group_id,
            kind=kind,
            page_size=page_size,
            cursor=cursor,
        )

    def create(
        self,
        actor: Actor,
        *,
        name: str,
        kind: CustomerKind = CustomerKind.PERSONAL,
        number: str | None = None,
        group_id: str | None = None,
        conditions: PurchaseConditions | None = None,
        channel: str | None = None,
        surname: str | None = None,
    ) -> Customer:
        """Create a customer (a family, a club, a company).

        Args:
            actor: The operator or the system.
            name: Display name.
            kind: PERSONAL or BUSINESS.
            number: A manual customer number; without one, the channel's numbering decides
                (AUTOMATIC allocates one, MANUAL and NONE leave it empty).
            group_id: A customer group made with :meth:`create_group`.
            conditions: Price list and discount.
            channel: The sales channel; defaults to the kit's first channel.
            surname: A personal customer's family name, which the customer overview
                sorts equal dates by (checked like a name); without one it sorts by
                ``name``. Business customers always sort by their name.

        Raises:
            InvalidValue: ``kind`` is neither a CustomerKind nor one of its values,
                ``actor`` is not an Actor, or a surname was given for a business customer.
            NotPermitted, InvalidName, InvalidCustomerNumber, CustomerNumberTaken,
            GroupNotFound, ChannelNotFound.
        """
        require_staff(actor)
        kind = as_enum(CustomerKind, kind, field="kind")
        ch = self._s._channel(channel)
        display = validate_name(name, field="name")
        family = None if surname is None else validate_name(surname, field="surname")
        if family is not None and kind is CustomerKind.BUSINESS:
            raise InvalidValue(
                "A business customer sorts by its name; leave surname out.", field="surname"
            )
        checked = _checked_conditions(conditions)
        return self._s._write(
            lambda tx: new_customer(
                self._s,
                tx,
                actor,
                ch,
                name=display,
                kind=kind,
                number=number,
                group_id=group_id,
                conditions=checked,
                surname=family,
            )
        )

    def get(self, customer_id: str) -> Customer:
        """Return the customer.

        Raises:
            CustomerNotFound: No customer has this id.
        """
        return self._s._read(lambda tx: _load_customer(tx, customer_id))

    def find_by_number(self, number: str) -> Customer | None:
        """Return the customer with this customer number, or ``None``."""
        if not _storable_number(number):
            return None  # no customer can hold it; some stores would refuse the query
        return self._s._read(lambda tx: tx.customers.get_by_number(number))

    def _change(
        self,
        actor: Actor,
        customer_id: str,
        kind: EventKind,
        change: Callable[[Transaction, Customer], tuple[Customer, dict[str, str]]],
        expected_version: int | None,
    ) -> Customer:
        require_staff(actor)

        def work(tx: Transaction) -> Customer:
            customer = _load_customer(tx, customer_id, expected_version=expected_version)
            changed, data = change(tx, customer)
            if changed == customer:
                return customer
            stored = tx.customers.update(attrs.evolve(changed, updated_at=self._s._ctx.clock.now()))
            self._s._record(tx, kind, actor, customer_id=customer_id, data=data)
            return stored

        return self._s._write(work)

    def set_group(
        self,
        actor: Actor,
        customer_id: str,
        group_id: str | None,
        *,
        expected_version: int | None = None,
    ) -> Customer:
        """Put the customer into a group (or none).

        Raises:
            NotPermitted, CustomerNotFound, GroupNotFound, ConcurrentUpdate.
        """

        def change(tx: Transaction, c: Customer) -> tuple[Customer, dict[str, str]]:
            if group_id is not None and tx.groups.get(group_id) is None:
                raise GroupNotFound()
            return attrs.evolve(c, group_id=group_id), {
                "from": c.group_id or "",
                "to": group_id or "",
            }

        return self._change(actor, customer_id, EventKind.GROUP_CHANGED, change, expected_version)

    def set_note(
        self,
        actor: Actor,
        customer_id: str,
        note: str,
        *,
        expected_version: int | None = None,
    ) -> Customer:
        """Replace the operator's internal note; the change is recorded in history.

        Raises:
            NotPermitted, CustomerNotFound, InvalidValue, ConcurrentUpdate.
        """
        text = validate_note(note)

        def change(_: Transaction, c: Customer) -> tuple[Customer, dict[str, str]]:
            return attrs.evolve(c, note=text), {"from": c.note, "to": text}

        return self._change(actor, customer_id, EventKind.NOTE_CHANGED, change, expected_version)

    def set_document_contact(
        self,
        actor: Actor,
        customer_id: str,
        kind: DocumentKind,
        *,
        email: str | None,
        contact_person: str | None = None,
        expected_version: int | None = None,
    ) -> Customer:
        """Set where documents of ``kind`` go; ``email=None`` removes that contact.

        Raises:
            InvalidValue: ``kind`` is neither a DocumentKind nor one of its values.
            NotPermitted, CustomerNotFound, InvalidEmail, InvalidName, ConcurrentUpdate.
        """
        kind = as_enum(DocumentKind, kind, field="kind")
        contact = (
            None
            if email is None
            else DocumentContact(
                kind=kind,
                email=normalise_email(
                    email, allow_special_use=self._s._ctx.allow_special_use_domains
                ),
                contact_person=(
                    None
                    if contact_person is None
                    else validate_name(contact_person, field="contact_person")
                ),
            )
        )

        def change(_: Transaction, c: Customer) -> tuple[Customer, dict[str, str]]:
            others = [d for d in c.document_contacts if d.kind is not kind]
            contacts = tuple(sorted([*others, *([contact] if contact else [])], key=_kind_order))
            return attrs.evolve(c, document_contacts=contacts), {
                "document": kind.value,
                "action": "set" if contact else "removed",
            }

        return self._change(
            actor, customer_id, EventKind.DOCUMENT_CONTACT_CHANGED, change, expected_version
        )

    def set_customer_number(
        self,
        actor: Actor,
        customer_id: str,
        number: str | None,
        *,
        expected_version: int | None = None,
    ) -> Customer:
        """Set or change the customer number by hand (``None`` removes it).

        Raises:
            NotPermitted, CustomerNotFound, InvalidCustomerNumber, CustomerNumberTaken,
            ConcurrentUpdate.
        """
        checked = None if number is None else validate_customer_number(number)

        def change(_: Transaction, c: Customer) -> tuple[Customer, dict[str, str]]:
            return attrs.evolve(c, number=checked), {"from": c.number or "", "to": checked or ""}

        return self._change(
            actor, customer_id, EventKind.CUSTOMER_NUMBER_CHANGED, change, expected_version
        )

    def set_conditions(
        self,
        actor: Actor,
        customer_id: str,
        conditions: PurchaseConditions,
        *,
        expected_version: int | None = None,
    ) -> Customer:
        """Set the customer's price list and discount.

        Raises:
            NotPermitted, CustomerNotFound, InvalidValue, ConcurrentUpdate.
        """
        checked = _checked_conditions(conditions)

        def change(_: Transaction, c: Customer) -> tuple[Customer, dict[str, str]]:
            return attrs.evolve(c, conditions=checked), {
                "price_list_id": checked.price_list_id or "",
                "discount": str(checked.discount),
            }

        return self._change(
            actor, customer_id, EventKind.CONDITIONS_CHANGED, change, expected_version
        )

    def set_company_details(
        self,
        actor: Actor,
        customer_id: str,
        *,
        vat_id: str | Unchanged | None = UNCHANGED,
        bill_to: Address | Unchanged | None = UNCHANGED,
        ship_to: Address | Unchanged | None = UNCHANGED,
        expected_version: int | None = None,
    ) -> Customer:
        """Set a business customer's master data: its VAT id, bill-to and ship-to address.

        A field left out stays as it is; ``None`` clears it. The operator, or a member of
        that company whose role holds ``manage_addresses`` (a company manager by default),
        may change them. History gets one ``company_details_changed`` event whose data names
        the changed fields and how each changed, never a value
        (``{"fields": "bill_to,vat_id", "bill_to": "city,street", "vat_id": "set"}``: an
        address's changed lines, or ``set``, ``cleared``, ``changed``); a call that changes
        nothing records nothing.

        Args:
            actor: The operator, the system, or a member with ``manage_addresses``.
            customer_id: The BUSINESS customer.
            vat_id: The VAT id (checked and normalised by
                :func:`~accountkit.domain.validation.validate_vat_id`), ``None`` to clear.
            bill_to: The billing address (each line checked by
                :func:`~accountkit.domain.addresses.validate_address`), ``None`` to clear.
            ship_to: The default delivery address, likewise.
            expected_version: The version the caller read, to refuse a lost update.

        Raises:
            InvalidFields: One or more given fields are invalid; every one is reported at
                once (``exc.fields``: ``"vat_id"``, ``"bill_to.postal_code"``, ...).
            InvalidValue: An address that is not an Address (inside InvalidFields).
            NotABusinessCustomer: The customer is PERSONAL: a person's address is kept
                only with an order.
            NotYourCompany: A user acting for a customer they do not belong to.
            PermissionDenied: The acting user's role lacks ``manage_addresses``.
            UserDisabled: The acting user is disabled (AwaitingApproval: not approved yet).
            CustomerNotFound, ConcurrentUpdate.

        Example:
            >>> kit.customers.set_company_details(
            ...     manager, company.id, vat_id="DE 123 456 789", ship_to=None
            ... ).vat_id  # doctest: +SKIP
            'DE123456789'
        """
        check_actor(actor)
        changes = _checked_company_details(vat_id=vat_id, bill_to=bill_to, ship_to=ship_to)

        def work(tx: Transaction) -> Customer:
            customer = load_company_for(tx, actor, customer_id)
            if customer is not None:
                require_company_permission(
                    self._s,
                    tx,
                    actor,
                    customer,
                    Permission.MANAGE_ADDRESSES,
                    personal_error=NotABusinessCustomer,
                )
            customer = _load_customer(tx, customer_id, expected_version=expected_version)
            if customer.kind is not CustomerKind.BUSINESS:
                raise NotABusinessCustomer()
            updated = changes.apply(customer)
            changed = [f for f in _COMPANY_FIELDS if getattr(updated, f) != getattr(customer, f)]
            if not changed:
                return customer
            stored = tx.customers.update(attrs.evolve(updated, updated_at=self._s._ctx.clock.now()))
            self._s._record(
                tx,
                EventKind.COMPANY_DETAILS_CHANGED,
                actor,
                customer_id=customer_id,
                data=_company_changes(customer, updated, changed),
            )
            return stored

        return self._s._write(work)

    # --- groups -------------------------------------------------------------------------

    def create_group(
        self,
        actor: Actor,
        *,
        name: str,
        price_list_id: str | None = None,
        assortment: Iterable[str] | None = None,
    ) -> CustomerGroup:
        """Create a customer group with its own price list and assortment.

        Args:
            actor: The operator (or the system).
            name: The group's display name.
            price_list_id: The shop's price list for the group's customers.
            assortment: The category ids (the shop's own) its customers may browse; ``None``
                (the default) for the whole assortment. ``kit.access`` refuses a category
                outside it.

        Raises:
            NotPermitted, InvalidName, InvalidValue (a price list id or a category that is
            not an id of 1 to 200 characters, or an assortment given as one string).
        """
        require_staff(actor)
        group = CustomerGroup(
            id=new_id("grp"),
            name=validate_name(name, field="name"),
            price_list_id=(
                None if price_list_id is None else validate_id(price_list_id, field="price_list_id")
            ),
            assortment=_checked_assortment(assortment),
            created_at=self._s._ctx.clock.now(),
        )

        def work(tx: Transaction) -> CustomerGroup:
            tx.groups.add(group)
            self._s._record(
                tx, EventKind.GROUP_CREATED, actor, data={"group_id": group.id, "name": group.name}
            )
            return group

        return self._s._write(work)

    def get_group(self, group_id: str) -> CustomerGroup:
        """Return the group.

        Raises:
            GroupNotFound: No group has this id.
        """

        def work(tx: Transaction) -> CustomerGroup:
            group = tx.groups.get(group_id)
            if group is None:
                raise GroupNotFound()
            return group

        return self._s._read(work)

    def list_groups(self) -> Sequence[CustomerGroup]:
        """Return every customer group, sorted by name."""
        return self._s._read(lambda tx: tx.groups.list())

    # --- memberships --------------------------------------------------------------------

    def assign_user(
        self, actor: Actor, user_id: str, customer_id: str, role: Role | str = Role.MEMBER
    ) -> Membership:
        """Assign a user to a customer with a role, under the shop's membership rule.

        The first membership of a user is their active one. The operator assigns anyone;
        a company manager (a member whose role holds ``manage_users``) assigns users to
        their own BUSINESS customer only.

        Args:
            actor: The operator, the system, or a user with ``manage_users`` there.
            user_id: The user to assign.
            customer_id: The customer.
            role: A :class:`Role` (or its value) or the name of a custom role of the kit.

        Raises:
            UnknownRole: ``role`` names no built-in role and no custom role of the kit.
            NotYourCompany: A user acting for a customer they do not belong to.
            NotPermitted: A user acting for a PERSONAL customer (staff only).
            PermissionDenied: The acting user's role lacks ``manage_users``.
            UserDisabled: The acting user is disabled (AwaitingApproval: not approved yet).
            MembershipConflict: Under ONE_CUSTOMER_PER_USER the user belongs to a customer
                already; ``exc.customer_id`` names it for staff only (a manager must not
                learn another company's id). AlreadyMember when the pair exists.
            UserNotFound, CustomerNotFound.
        """
        check_actor(actor)
        chosen = resolve_role(role, self._s._ctx.custom_roles)

        def work(tx: Transaction) -> Membership:
            customer = load_company_for(tx, actor, customer_id)
            if customer is not None:
                require_company_permission(self._s, tx, actor, customer, Permission.MANAGE_USERS)
            _lock_user(tx, user_id)
            if customer is None:
                raise CustomerNotFound()
            try:
                return add_membership(
                    self._s, tx, actor, user_id=user_id, customer_id=customer_id, role=chosen
                )
            except AlreadyMember:
                raise
            except MembershipConflict as exc:
                if actor.is_staff:
                    raise
                raise MembershipConflict() from exc

        return self._s._write(work)

    def remove_user(self, actor: Actor, user_id: str, customer_id: str) -> None:
        """Remove a user from a customer. If it was their active company, their oldest
        other membership becomes active, and that customer's history gets a
        ``company_switched`` event with data ``{"from": customer_id, "reason":
        "membership_removed"}``.

        A company manager removes users of their own BUSINESS customer (themself too, while
        another manager stays). A business customer that has a COMPANY_MANAGER never loses
        its last one, also when two managers remove each other at the same moment; only the
        operator may remove the last manager, and only when they are its last member
        (the company is then empty).

        Raises:
            NotYourCompany: A user acting for a customer they do not belong to.
            NotPermitted: A user acting for a PERSONAL customer (staff only).
            PermissionDenied: The acting user's role lacks ``manage_users``.
            UserDisabled: The acting user is disabled (AwaitingApproval: not approved yet).
            LastCompanyManager: The user is the company's last manager and others remain
                (or a manager removes themself as its last member).
            MembershipNotFound, ConcurrentUpdate (the company changed eight times while this
                call ran).
        """
        check_actor(actor)

        def work(tx: Transaction) -> None:
            customer = load_company_for(tx, actor, customer_id)
            if customer is not None:
                require_company_permission(self._s, tx, actor, customer, Permission.MANAGE_USERS)
            tx.users.lock(user_id)
            membership = tx.memberships.get(user_id, customer_id)
            if membership is None or customer is None:
                raise MembershipNotFound()
            if takes_a_manager(customer, membership, None):
                require_a_manager_left(
                    tx, actor, lock_company(tx, customer), membership, removal=True
                )
            tx.memberships.remove(user_id, customer_id)
            activated = activate_oldest(tx, tx.memberships.for_user(user_id))
            self._s._record(
                tx,
                EventKind.MEMBERSHIP_REMOVED,
                actor,
                user_id=user_id,
                customer_id=customer_id,
            )
            if activated is not None:
                self._s._record(
                    tx,
                    EventKind.COMPANY_SWITCHED,
                    actor,
                    user_id=user_id,
                    customer_id=activated.customer_id,
                    data={"from": customer_id, "reason": "membership_removed"},
                )

        run_locked(self._s, work)

    def set_role(
        self, actor: Actor, user_id: str, customer_id: str, role: Role | str
    ) -> Membership:
        """Change a user's role at a customer.

        A company manager changes the roles at their own BUSINESS customer (their own too,
        while another manager stays). A business customer that has a COMPANY_MANAGER never
        loses its last one, also under concurrent changes, whoever acts.

        Args:
            actor: The operator, the system, or a user with ``manage_users`` there.
            user_id: The member.
            customer_id: The customer.
            role: A :class:`Role` (or its value) or the name of a custom role of the kit.

        Raises:
            UnknownRole: ``role`` names no built-in role and no custom role of the kit.
            NotYourCompany, NotPermitted, PermissionDenied, UserDisabled: As for
                :meth:`remove_user`.
            LastCompanyManager: The change takes the company's last manager away.
            MembershipNotFound, ConcurrentUpdate.
        """
        check_actor(actor)
        chosen = resolve_role(role, self._s._ctx.custom_roles)

        def work(tx: Transaction) -> Membership:
            customer = load_company_for(tx, actor, customer_id)
            if customer is not None:
                require_company_permission(self._s, tx, actor, customer, Permission.MANAGE_USERS)
            tx.users.lock(user_id)
            membership = tx.memberships.get(user_id, customer_id)
            if membership is None or customer is None:
                raise MembershipNotFound()
            if membership.role == chosen:
                return membership
            if takes_a_manager(customer, membership, chosen):
                require_a_manager_left(
                    tx, actor, lock_company(tx, customer), membership, removal=False
                )
            updated = tx.memberships.update(attrs.evolve(membership, role=chosen))
            self._s._record(
                tx,
                EventKind.ROLE_CHANGED,
                actor,
                user_id=user_id,
                customer_id=customer_id,
                data={"from": str(membership.role), "to": str(chosen)},
            )
            return updated

        return run_locked(self._s, work)

    def switch_company(self, actor: Actor, user_id: str, customer_id: str) -> Membership:
        """Make ``customer_id`` the company the user acts for (MANY_COMPANIES).

        The user themself or the operator may switch, only to a customer the user belongs
        to. Switching to the active company changes nothing. The event (filed under the new
        company) has data ``{"from": previous_customer_id}`` (``""`` when there was none).

        Raises:
            NotPermitted: Another user acts.
            UserDisabled: The user acts as themself while DISABLED or PENDING_APPROVAL
                (the operator may still switch for them).
            NotAMember: The user does not belong to that customer.
            UserNotFound.
        """
        require_self_or_staff(actor, user_id)

        def work(tx: Transaction) -> Membership:
            require_active_self(actor, _lock_user(tx, user_id))
            memberships = tx.memberships.for_user(user_id)
            target = next((m for m in memberships if m.customer_id == customer_id), None)
            if target is None:
                raise NotAMember()
            if target.active:
                return target
            previous = ""
            for m in memberships:
                if m.active:
                    previous = m.customer_id
                    tx.memberships.update(attrs.evolve(m, active=False))
            switched = tx.memberships.update(attrs.evolve(target, active=True))
            self._s._record(
                tx,
                EventKind.COMPANY_SWITCHED,
                actor,
                user_id=user_id,
                customer_id=customer_id,
                data={"from": previous},
            )
            return switched

        return self._s._write(work)

    def memberships(self, user_id: str) -> Sequence[Membership]:
        """Return the user's memberships, oldest first."""
        return self._s._read(lambda tx: tx.memberships.for_user(user_id))

    def members(self, customer_id: str) -> Sequence[Membership]:
        """Return the customer's memberships, oldest first.

        Raises:
            CustomerNotFound: No customer has this id.
        """

        def work(tx: Transaction) -> Sequence[Membership]:
            _load_customer(tx, customer_id)
            return tx.memberships.for_customer(customer_id)

        return self._s._read(work)

    def context_for(
        self,
        user_id: str | None,
        *,
        channel: str | None = None,
        actor: Actor | None = None,
    ) -> StorefrontContext:
        """Return what the storefront shows the user (or, for ``None``, an anonymous
        visitor): the acting customer, its group, its purchase conditions, the user's role
        there, and what ``kit.access`` grants on the channel.

        Args:
            user_id: The signed-in user, or ``None`` for a visitor who has not signed in.
            channel: The storefront's channel; defaults to the kit's first.
            actor: Who asks; a user may ask only for themself.

        Raises:
            UserNotFound: No user has this id.
            NotPermitted: ``actor`` is another user.
            ChannelNotFound: ``channel`` is not one of the kit's.
            UnknownRole: The user's role is a custom role the kit was not given.

        Example::

            ctx = kit.customers.context_for(None, channel="b2b")
            kit.access.can(ctx, Permission.SEE_PRICES)
        """
        name = self._s._channel(channel).name
        if user_id is None:
            return self._granted(StorefrontContext(user=None, channel=name))
        if actor is not None:
            require_self_or_staff(actor, user_id)

        def work(tx: Transaction) -> StorefrontContext:
            user = tx.users.get(user_id)
            if user is None:
                raise UserNotFound()
            memberships = tuple(tx.memberships.for_user(user_id))
            active = next((m for m in memberships if m.active), None)
            if active is None:
                return StorefrontContext(user=user, channel=name, memberships=memberships)
            customer = _load_customer(tx, active.customer_id)
            group = None if customer.group_id is None else tx.groups.get(customer.group_id)
            return StorefrontContext(
                user=user,
                channel=name,
                customer=customer,
                group=group,
                conditions=customer.conditions,
                role=active.role,
                memberships=memberships,
            )

        return self._granted(self._s._read(work))

    def _granted(self, context: StorefrontContext) -> StorefrontContext:
        policy = self._s._channel(context.channel).policy
        roles = self._s._ctx.custom_roles
        return attrs.evolve(
            context,
            permissions=access_rules.grants(context, policy, roles),
            my_pages=access_rules.pages(context, policy, roles),
        )


def _checked_assortment(assortment: Iterable[str] | None) -> frozenset[str] | None:
    if assortment is None:
        return None
    if isinstance(assortment, str) or not isinstance(assortment, Iterable):
        raise InvalidValue(
            "assortment is a set of category ids, such as {'garden'}; None for all.",
            field="assortment",
        )
    return frozenset(validate_id(c, field="assortment") for c in assortment)


def _storable_number(number: str) -> bool:
    return (
        isinstance(number, str)
        and 0 < len(number) <= MAX_CUSTOMER_NUMBER_LENGTH
        and not any(unicodedata.category(ch)[0] == "C" for ch in number)
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(DocumentKind)}


def _kind_order(contact: DocumentContact) -> int:
    return _KIND_ORDER[contact.kind]


_COMPANY_FIELDS = ("bill_to", "ship_to", "vat_id")
_ADDRESS_LINES = tuple(field.name for field in attrs.fields(Address))


def _company_changes(before: Customer, after: Customer, changed: list[str]) -> dict[str, str]:
    """What a company-details event records: the changed fields, and for each how it
    changed (``set``, ``cleared``, or for an address the names of its changed lines),
    never a value: an address line or a VAT id may name a person."""
    data = {"fields": ",".join(changed)}
    for name in changed:
        old, new = getattr(before, name), getattr(after, name)
        if old is None:
            data[name] = "set"
        elif new is None:
            data[name] = "cleared"
        elif name == "vat_id":
            data[name] = "changed"
        else:
            data[name] = ",".join(
                line for line in _ADDRESS_LINES if getattr(old, line) != getattr(new, line)
            )
    return data


@attrs.frozen(kw_only=True)
class _CompanyDetails:
    """Checked company fields; UNCHANGED for those the caller left out."""

    vat_id: str | Unchanged | None
    bill_to: Address | Unchanged | None
    ship_to: Address | Unchanged | None

    def apply(self, customer: Customer) -> Customer:
        return attrs.evolve(
            customer,
            vat_id=customer.vat_id if isinstance(self.vat_id, Unchanged) else self.vat_id,
            bill_to=customer.bill_to if isinstance(self.bill_to, Unchanged) else self.bill_to,
            ship_to=customer.ship_to if isinstance(self.ship_to, Unchanged) else self.ship_to,
        )


def _checked_company_details(
    *,
    vat_id: str | Unchanged | None,
    bill_to: Address | Unchanged | None,
    ship_to: Address | Unchanged | None,
) -> _CompanyDetails:
    """The given company fields, checked; every invalid one is reported in one error."""
    errors: list[ValidationError] = []
    checked_vat: str | Unchanged | None = vat_id
    if not isinstance(vat_id, Unchanged) and vat_id is not None:
        try:
            checked_vat = validate_vat_id(vat_id)
        except ValidationError as exc:
            errors.append(exc)
    addresses: dict[str, Address | Unchanged | None] = {}
    for field, value in (("bill_to", bill_to), ("ship_to", ship_to)):
        addresses[field] = value
        if isinstance(value, Unchanged) or value is None:
            continue
        try:
            addresses[field] = validate_address(value, field=field)
        except InvalidFields as exc:
            errors.extend(exc.errors)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise InvalidFields(tuple(errors))
    return _CompanyDetails(
        vat_id=checked_vat, bill_to=addresses["bill_to"], ship_to=addresses["ship_to"]
    )


def _checked_conditions(conditions: PurchaseConditions | None) -> PurchaseConditions:
    if conditions is None:
        return PurchaseConditions()
    if not isinstance(conditions, PurchaseConditions):
        raise InvalidValue(
            "conditions must be PurchaseConditions(price_list_id=..., discount=...).",
            field="conditions",
        )
    price_list_id = conditions.price_list_id
    return attrs.evolve(
        conditions,
        price_list_id=(
            None if price_list_id is None else validate_id(price_list_id, field="price_list_id")
        ),
        discount=validate_discount(conditions.discount),
    )
