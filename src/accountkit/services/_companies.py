"""Business accounts: who may act for a company, and the rule that a company keeps a manager.

Used by ``kit.customers`` (and open to the other services: an invitation by a company
manager checks the actor the same way).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from accountkit.domain import Actor, Customer, CustomerKind, Membership, Role, UserStatus
from accountkit.domain.customers import role_value
from accountkit.domain.permissions import Permission, permissions_of
from accountkit.errors import (
    AwaitingApproval,
    ConcurrentUpdate,
    LastCompanyManager,
    NotPermitted,
    NotYourCompany,
    PermissionDenied,
    UnknownRole,
    UserDisabled,
)
from accountkit.services._base import Service, check_actor
from accountkit.storage._protocols import Transaction

T = TypeVar("T")

LOCK_ATTEMPTS = 8
"""How often a unit that lost the race for a company's lock runs again before the caller
gets ConcurrentUpdate (each loser sees the winner's change on its next run)."""


class Unchanged(enum.Enum):
    """The type of :data:`UNCHANGED`."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED
"""Sentinel for "leave this field as it is" (``None`` clears a field)."""


class _CompanyLocked(ConcurrentUpdate):
    """Another unit changed the company between our read and our lock: run again."""


def resolve_role(value: object, custom_roles: Mapping[str, frozenset[Permission]]) -> Role | str:
    """Return the role ``value`` names: a :class:`Role` (the member or its value) or the name
    of one of the kit's custom roles.

    Raises:
        UnknownRole: Anything else (a name the kit was not given, not text).
    """
    if isinstance(value, Role):
        return value
    if isinstance(value, str):
        role = role_value(value)
        if isinstance(role, Role) or role in custom_roles:
            return role
    builtin = ", ".join(repr(r.value) for r in Role)
    custom = ", ".join(repr(name) for name in sorted(custom_roles))
    raise UnknownRole(
        f"The role must be a Role ({builtin}) or a custom role given to AccountKit(roles=...)"
        + (f" ({custom})." if custom else "; this kit has none."),
        field="role",
    )


def require_company_permission(
    service: Service,
    tx: Transaction,
    actor: Actor,
    customer: Customer,
    permission: Permission,
    *,
    personal_error: Callable[[], Exception] | None = None,
) -> Membership | None:
    """Let staff through; let a user through only when they act for ``customer``.

    A user must be a member of ``customer`` (NotYourCompany otherwise, also for a customer
    that does not exist, so nothing about other companies shows), ACTIVE, at a BUSINESS
    customer (personal customers stay staff-only), and hold ``permission`` by their role.

    Args:
        service: The calling service (for the kit's custom roles).
        tx: The unit of work.
        actor: Who acts.
        customer: The customer acted on.
        permission: What the user's role must allow.
        personal_error: The error for a member of a PERSONAL customer; NotPermitted by
            default.

    Returns:
        The acting user's membership at ``customer``, or ``None`` for staff.

    Raises:
        NotYourCompany, NotPermitted, UserDisabled, AwaitingApproval,
        PermissionDenied (with ``permission``).
    """
    if check_actor(actor).is_staff:
        return None
    assert actor.id is not None  # a user actor always has an id
    own = tx.memberships.get(actor.id, customer.id)
    if own is None:
        raise NotYourCompany()
    if customer.kind is not CustomerKind.BUSINESS:
        if personal_error is not None:
            raise personal_error()
        raise NotPermitted("Only the shop's operator changes the members of a personal customer.")
    user = tx.users.get(actor.id)
    if user is None:  # a stale membership of a removed user
        raise NotYourCompany()
    if user.status is UserStatus.PENDING_APPROVAL:
        raise AwaitingApproval()
    if not user.is_active:
        raise UserDisabled()
    if permission not in permissions_of(own.role, service._ctx.custom_roles):
        raise PermissionDenied(
            f"Your role may not {permission.value.replace('_', ' ')}; ask your company's manager.",
            permission=permission.value,
        )
    return own


def load_company_for(tx: Transaction, actor: Actor, customer_id: str) -> Customer | None:
    """Read the customer; a user acting on an unknown customer gets NotYourCompany (staff
    get ``None`` and raise CustomerNotFound themselves)."""
    customer = tx.customers.get(customer_id)
    if customer is None and not check_actor(actor).is_staff:
        raise NotYourCompany()
    return customer


def lock_company(tx: Transaction, customer: Customer) -> Customer:
    """Serialise the changes to a company's managers: raise its version in this unit.

    Every unit that could take a company's last COMPANY_MANAGER away calls this before it
    counts the managers. Two such units cannot both commit: on PostgreSQL the second one's
    version update waits for the first's row lock and then finds the version changed; on
    SQLite writers run one after the other anyway. The loser raises a private
    ConcurrentUpdate that :func:`run_locked` turns into another run, which counts again.
    """
    try:
        return tx.customers.update(customer)
    except ConcurrentUpdate as exc:
        raise _CompanyLocked() from exc


def require_a_manager_left(
    tx: Transaction, actor: Actor, customer: Customer, leaving: Membership, *, removal: bool
) -> None:
    """Refuse a change that takes the last COMPANY_MANAGER from a business customer.

    ``leaving`` loses the manager role (is removed when ``removal``). Staff may remove the
    last manager only when they are also the last member: the company is then empty
    (closing it), not a company run by members nobody manages.

    Call after :func:`lock_company` in the same unit.

    Raises:
        LastCompanyManager.
    """
    if customer.kind is not CustomerKind.BUSINESS or leaving.role is not Role.COMPANY_MANAGER:
        return
    others = [m for m in tx.memberships.for_customer(customer.id) if m.user_id != leaving.user_id]
    if any(m.role is Role.COMPANY_MANAGER for m in others):
        return
    if removal and not others and check_actor(actor).is_staff:
        return
    raise LastCompanyManager()


def takes_a_manager(
    customer: Customer, membership: Membership, new_role: Role | str | None
) -> bool:
    """True when the change (a removal for ``new_role=None``) may leave ``customer`` without
    a manager: it must lock the company and count."""
    return (
        customer.kind is CustomerKind.BUSINESS
        and membership.role is Role.COMPANY_MANAGER
        and new_role is not Role.COMPANY_MANAGER
    )


def run_locked(service: Service, work: Callable[[Transaction], T]) -> T:
    """Run a write unit that may call :func:`lock_company`; run it again while it loses
    the race for the lock.

    Raises:
        ConcurrentUpdate: It lost LOCK_ATTEMPTS times in a row.
    """
    for _ in range(LOCK_ATTEMPTS - 1):
        try:
            return service._write(work)
        except _CompanyLocked:
            continue
    try:
        return service._write(work)
    except _CompanyLocked:
        raise ConcurrentUpdate(
            "The company's members changed several times meanwhile; try again."
        ) from None
