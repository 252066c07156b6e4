"""Shared rules of the services: customer creation, membership placement, tier invariants."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from accountkit.domain import (
    Actor,
    Customer,
    CustomerKind,
    EventKind,
    Membership,
    PurchaseConditions,
    Role,
    User,
    UserTier,
)
from accountkit.domain._ids import new_id
from accountkit.domain.validation import validate_customer_number
from accountkit.errors import AlreadyMember, GroupNotFound, MembershipConflict, MissingField
from accountkit.policies import MembershipRule, NumberingMode, SalesChannel
from accountkit.services._base import Service
from accountkit.storage._protocols import Transaction

CUSTOMER_NUMBER_SEQUENCE = "customer_number"
"""One shop-wide sequence feeds every channel's automatic numbers, so they never collide."""


def missing_for_tier(user: User) -> list[str]:
    """Return the fields ``user`` lacks for its tier (empty when the invariant holds)."""
    missing: list[str] = []
    if user.tier in (UserTier.GUEST, UserTier.FULL):
        if not user.email:
            missing.append("email")
        if not (user.given_name or user.family_name):
            missing.append("given_name or family_name")
    if user.tier is UserTier.FULL:
        if not user.password_hash:
            missing.append("password")
        if user.birth_date is None:
            missing.append("birth_date")
    return missing


def require_tier_fields(user: User) -> None:
    """Raise MissingField naming every field that ``user``'s tier needs and lacks."""
    missing = missing_for_tier(user)
    if missing:
        raise MissingField(
            f"A {user.tier.value} user needs {', '.join(missing)}; give them and try again.",
            field=missing[0],
        )


def new_customer(
    service: Service,
    tx: Transaction,
    actor: Actor,
    channel: SalesChannel,
    *,
    name: str,
    kind: CustomerKind,
    number: str | None = None,
    group_id: str | None = None,
    conditions: PurchaseConditions | None = None,
    surname: str | None = None,
) -> Customer:
    """Create a customer under the channel's numbering, and record it in history.

    ``surname`` (checked by the caller) is what the overview sorts equal dates by."""
    numbering = channel.policy.numbering
    if number is not None:
        number = validate_customer_number(number)
    if group_id is not None and tx.groups.get(group_id) is None:
        raise GroupNotFound()
    now = service._ctx.clock.now()
    customer = Customer(
        id=new_id("cus"),
        kind=kind,
        name=name,
        number=number,
        group_id=group_id,
        conditions=conditions or PurchaseConditions(),
        channel=channel.name,
        surname=surname,
        created_at=now,
        updated_at=now,
    )
    if number is None and numbering.mode is NumberingMode.AUTOMATIC:
        # Skip numbers an operator has given by hand, also one given a moment ago in a
        # concurrent transaction: the insert takes a number only while it is free.
        while True:
            value = tx.sequences.next_value(CUSTOMER_NUMBER_SEQUENCE, start=numbering.start)
            numbered = attrs.evolve(customer, number=numbering.format(value))
            if tx.customers.add_if_number_free(numbered) is not None:
                customer = numbered
                break
    else:
        customer = tx.customers.add(customer)
    data = {"kind": kind.value, "channel": channel.name}
    if customer.number is not None:
        data["number"] = customer.number
    service._record(tx, EventKind.CUSTOMER_CREATED, actor, customer_id=customer.id, data=data)
    return customer


def add_membership(
    service: Service,
    tx: Transaction,
    actor: Actor,
    *,
    user_id: str,
    customer_id: str,
    role: Role | str,
) -> Membership:
    """Place a user at a customer under the shop's membership rule; record it."""
    rule = service._ctx.membership_rule
    current = tx.memberships.for_user(user_id)
    if any(m.customer_id == customer_id for m in current):
        raise AlreadyMember(customer_id=customer_id)
    if rule is MembershipRule.ONE_CUSTOMER_PER_USER and current:
        raise MembershipConflict(customer_id=current[0].customer_id)
    membership = tx.memberships.add(
        Membership(
            user_id=user_id,
            customer_id=customer_id,
            role=role,
            active=not any(m.active for m in current),
            assigned_by=actor,
            assigned_at=service._ctx.clock.now(),
        ),
        exclusive=rule is MembershipRule.ONE_CUSTOMER_PER_USER,
    )
    service._record(
        tx,
        EventKind.MEMBERSHIP_ADDED,
        actor,
        user_id=user_id,
        customer_id=customer_id,
        data={"role": str(role)},
    )
    return membership


def activate_oldest(tx: Transaction, memberships: Iterable[Membership]) -> Membership | None:
    """After the active membership went away, make the oldest remaining one active."""
    remaining = list(memberships)
    if not remaining or any(m.active for m in remaining):
        return None
    return tx.memberships.update(attrs.evolve(remaining[0], active=True))
