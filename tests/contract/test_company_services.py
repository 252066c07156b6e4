"""Business accounts through the services on every store: company master data, managers
acting for their own company, the last manager, and customer numbers never given twice."""

from __future__ import annotations

import uuid
from datetime import date

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    Address,
    CustomerKind,
    CustomerNumbering,
    EventKind,
    FrozenClock,
    Role,
    SalesChannel,
)
from accountkit.errors import (
    CustomerNumberTaken,
    InvalidFields,
    LastCompanyManager,
    NotABusinessCustomer,
    NotPermitted,
    NotYourCompany,
    PermissionDenied,
    UnknownRole,
)
from accountkit.storage import Store
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.contract.factories import in_tx
from tests.helpers import BASE_URL, MANY, made

STAFF = Actor.operator("staff-7")

BILL_TO = Address(
    company="Müller & Söhne GmbH",
    name="Frau Schmidt",
    extra="3. OG, Büro 7",
    street="Grüner Weg 12",
    postal_code="80331",
    city="München",
    country="DE",
)
SHIP_TO = Address(
    name="Lager", street="Hafenstraße 1", postal_code="20457", city="Hamburg", country="DE"
)


@pytest.fixture
def companies(store: Store, clock: FrozenClock, hasher: CheapPasswordHasher) -> AccountKit:
    """A kit on the store under test, MANY_COMPANIES, automatic numbers, one custom role."""
    policy = attrs.evolve(MANY, numbering=CustomerNumbering.AUTOMATIC("C-{n:04d}", 1))
    return AccountKit(
        store=store,
        secret_keys=[SECRET],
        channels=[SalesChannel("web", policy, base_url=BASE_URL)],
        clock=clock,
        password_hasher=hasher,
        roles={"purchaser": {"place_orders", "see_prices"}},
    )


def _user(kit: AccountKit) -> str:
    return made(
        kit.registration.register(
            email=f"member.{uuid.uuid4().hex[:10]}@example.com",
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name="Erika",
            family_name="Muster",
        )
    ).id


def _company(kit: AccountKit, *roles: Role | str) -> tuple[str, list[str]]:
    company = kit.customers.create(STAFF, name="Muster AG", kind=CustomerKind.BUSINESS)
    users = [_user(kit) for _ in roles]
    for user, role in zip(users, roles, strict=True):
        kit.customers.assign_user(STAFF, user, company.id, role)
    return company.id, users


def _state(kit: AccountKit, customer_id: str) -> object:
    return (
        kit.customers.get(customer_id),
        kit.customers.members(customer_id),
        kit.reports.history(customer_id).items,
    )


# --- company master data -------------------------------------------------------------------


def test_company_details_round_trip_and_clear(companies: AccountKit) -> None:
    """VAT id and both addresses (Unicode lines, optional lines) read back exactly; None
    clears one; the events name fields only."""
    kit = companies
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    set_ = kit.customers.set_company_details(
        Actor.user(manager), company, vat_id="DE 123456789", bill_to=BILL_TO, ship_to=SHIP_TO
    )
    read = kit.customers.get(company)
    assert read == set_
    assert (read.vat_id, read.bill_to, read.ship_to) == ("DE123456789", BILL_TO, SHIP_TO)
    cleared = kit.customers.set_company_details(STAFF, company, ship_to=None, vat_id=None)
    assert kit.customers.get(company) == cleared
    assert (cleared.vat_id, cleared.bill_to, cleared.ship_to) == (None, BILL_TO, None)
    events = [
        e for e in kit.reports.history(company).items if e.kind is EventKind.COMPANY_DETAILS_CHANGED
    ]
    assert [(e.actor, dict(e.data)) for e in events] == [
        (
            Actor.user(manager),
            {
                "fields": "bill_to,ship_to,vat_id",
                "bill_to": "set",
                "ship_to": "set",
                "vat_id": "set",
            },
        ),
        (STAFF, {"fields": "ship_to,vat_id", "ship_to": "cleared", "vat_id": "cleared"}),
    ]


def test_refused_company_details_change_nothing(companies: AccountKit) -> None:
    """A personal customer, a buyer, another company's manager and invalid fields are each
    refused with their own code; nothing changes."""
    kit = companies
    company, (manager, buyer) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    other, (other_manager,) = _company(kit, Role.COMPANY_MANAGER)
    family = kit.customers.create(STAFF, name="Familie Muster").id
    before = [_state(kit, c) for c in (company, other, family)]
    cases = [
        (NotABusinessCustomer, STAFF, family, {"bill_to": BILL_TO}),
        (PermissionDenied, Actor.user(buyer), company, {"vat_id": None}),
        (NotYourCompany, Actor.user(other_manager), company, {"ship_to": SHIP_TO}),
        (InvalidFields, Actor.user(manager), company, {"vat_id": "D"}),
    ]
    for error, actor, customer, fields in cases:
        with pytest.raises(error):
            kit.customers.set_company_details(actor, customer, **fields)  # type: ignore[arg-type]
    assert [_state(kit, c) for c in (company, other, family)] == before


# --- managers acting for their company -----------------------------------------------------


def test_a_manager_manages_the_members_of_their_company(companies: AccountKit) -> None:
    """A manager assigns a user with a custom role, changes it and removes them; the custom
    role reads back by name and history names the manager."""
    kit = companies
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    actor = Actor.user(manager)
    newcomer = _user(kit)
    kit.customers.assign_user(actor, newcomer, company, "purchaser")
    # Both were assigned at the clock's one moment: members then come in id order, which for
    # ids made in one millisecond is not the order they were made in.
    roles = {m.user_id: m.role for m in kit.customers.members(company)}
    assert roles == {manager: Role.COMPANY_MANAGER, newcomer: "purchaser"}
    kit.customers.set_role(actor, newcomer, company, Role.BUYER)
    kit.customers.remove_user(actor, newcomer, company)
    assert [m.user_id for m in kit.customers.members(company)] == [manager]
    recent = kit.reports.history(company).items[-3:]
    assert [(e.kind, e.actor, e.user_id) for e in recent] == [
        (EventKind.MEMBERSHIP_ADDED, actor, newcomer),
        (EventKind.ROLE_CHANGED, actor, newcomer),
        (EventKind.MEMBERSHIP_REMOVED, actor, newcomer),
    ]
    assert dict(recent[0].data) == {"role": "purchaser"}


def test_refused_member_changes_change_nothing(companies: AccountKit) -> None:
    """Another company's manager, a buyer, a member of a personal customer and an unknown
    role are each refused with their own code; nothing changes anywhere."""
    kit = companies
    company, (manager, buyer) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    other, (other_manager,) = _company(kit, Role.COMPANY_MANAGER)
    family = kit.customers.create(STAFF, name="Familie Muster").id
    head, child = _user(kit), _user(kit)
    kit.customers.assign_user(STAFF, head, family, Role.COMPANY_MANAGER)
    kit.customers.assign_user(STAFF, child, family)
    newcomer = _user(kit)
    before = [_state(kit, c) for c in (company, other, family)]
    with pytest.raises(NotYourCompany):
        kit.customers.remove_user(Actor.user(other_manager), buyer, company)
    with pytest.raises(NotYourCompany):
        kit.customers.assign_user(Actor.user(other_manager), newcomer, company)
    with pytest.raises(PermissionDenied) as denied:
        kit.customers.set_role(Actor.user(buyer), buyer, company, Role.COMPANY_MANAGER)
    assert denied.value.permission == "manage_users"
    with pytest.raises(NotPermitted) as personal:
        kit.customers.remove_user(Actor.user(head), child, family)
    assert personal.value.code == "not_permitted"
    with pytest.raises(UnknownRole):
        kit.customers.set_role(Actor.user(manager), buyer, company, "boss")
    assert [_state(kit, c) for c in (company, other, family)] == before
    assert kit.customers.memberships(newcomer) == []


# --- the last manager ----------------------------------------------------------------------


def test_the_last_manager_stays(companies: AccountKit) -> None:
    """Neither the operator nor the manager removes or demotes a company's last manager
    while others remain; with two, one may go; the operator may empty the company."""
    kit = companies
    company, (first, second, buyer) = _company(
        kit, Role.COMPANY_MANAGER, Role.COMPANY_MANAGER, Role.BUYER
    )
    kit.customers.remove_user(Actor.user(first), second, company)
    before = _state(kit, company)
    with pytest.raises(LastCompanyManager):
        kit.customers.remove_user(STAFF, first, company)
    with pytest.raises(LastCompanyManager):
        kit.customers.set_role(Actor.user(first), first, company, "purchaser")
    assert _state(kit, company) == before
    kit.customers.remove_user(STAFF, buyer, company)
    with pytest.raises(LastCompanyManager):
        kit.customers.remove_user(Actor.user(first), first, company)
    kit.customers.remove_user(STAFF, first, company)
    assert kit.customers.members(company) == []


def test_a_refused_removal_inside_a_shops_unit_undoes_only_itself(companies: AccountKit) -> None:
    """LastCompanyManager inside the shop's own unit undoes only that call (its company
    lock too): the shop's other writes in the unit commit."""
    kit = companies
    company, (manager, buyer) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    version = kit.customers.get(company).version
    with kit.store.transaction():
        with pytest.raises(LastCompanyManager):
            kit.customers.remove_user(STAFF, manager, company)
        kit.customers.remove_user(STAFF, buyer, company)
        kit.customers.set_note(STAFF, company, "closing down")
    assert kit.customers.get(company).version == version + 1
    assert [m.user_id for m in kit.customers.members(company)] == [manager]


# --- customer numbers ----------------------------------------------------------------------


def test_a_changed_number_stays_with_its_old_customer(companies: AccountKit) -> None:
    """After the operator changes or removes a number, no other customer gets it (by hand
    or at creation); the old customer may take it back."""
    kit = companies
    tag = uuid.uuid4().hex[:8]
    first = kit.customers.create(STAFF, name="First", number=f"M-{tag}-1")
    other = kit.customers.create(STAFF, name="Other")
    kit.customers.set_customer_number(STAFF, first.id, f"M-{tag}-2")
    kit.customers.set_customer_number(STAFF, first.id, None)
    before = _state(kit, other.id)
    for number in (f"M-{tag}-1", f"M-{tag}-2"):
        with pytest.raises(CustomerNumberTaken):
            kit.customers.set_customer_number(STAFF, other.id, number)
        with pytest.raises(CustomerNumberTaken):
            kit.customers.create(STAFF, name="Late", number=number)
        assert kit.customers.find_by_number(number) is None
    assert _state(kit, other.id) == before
    back = kit.customers.set_customer_number(STAFF, first.id, f"M-{tag}-1")
    assert kit.customers.find_by_number(f"M-{tag}-1") == back


def test_a_removed_customers_numbers_are_never_given_again(companies: AccountKit) -> None:
    """Every number a removed customer held is retired: not by hand, not automatically
    (the automatic sequence skips it), and find_by_number finds nothing."""
    kit = companies
    gone = kit.customers.create(STAFF, name="Gone", kind=CustomerKind.BUSINESS)
    assert gone.number == "C-0001"
    kit.customers.set_customer_number(STAFF, gone.id, "C-0002")  # the next automatic one
    in_tx(kit.store, lambda tx: tx.customers.remove(gone.id))
    later = kit.customers.create(STAFF, name="Later")
    assert later.number == "C-0003"
    for number in ("C-0001", "C-0002"):
        assert kit.customers.find_by_number(number) is None
        with pytest.raises(CustomerNumberTaken):
            kit.customers.set_customer_number(STAFF, later.id, number)
        with pytest.raises(CustomerNumberTaken):
            kit.customers.create(STAFF, name="Again", number=number)
    assert kit.customers.get(later.id) == later
