"""kit.customers: customers, numbers, groups, memberships under both membership rules, company
switching, the storefront context, and customer history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Customer,
    CustomerKind,
    CustomerNumbering,
    DocumentKind,
    EventKind,
    FrozenClock,
    MembershipRule,
    PurchaseConditions,
    Role,
    ShopPolicy,
    User,
    UserTier,
)
from accountkit.errors import (
    AlreadyMember,
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    CustomerNumberTaken,
    GroupNotFound,
    InvalidCustomerNumber,
    InvalidName,
    InvalidValue,
    MembershipConflict,
    MembershipNotFound,
    NotAMember,
    NotPermitted,
    UserNotFound,
)
from tests.conftest import KitFactory
from tests.helpers import made

OPERATOR = Actor.operator("staff-1")
MANY = attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)
NUMBERED = attrs.evolve(ShopPolicy.b2c_open(), numbering=CustomerNumbering.AUTOMATIC("K-{n:04d}"))


def register(kit: AccountKit, email: str = "ada@example.com") -> User:
    """Register a FULL user."""
    return made(
        kit.registration.register(
            email=email,
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )


def company(kit: AccountKit, name: str = "Analytical Engines") -> Customer:
    """Create a BUSINESS customer as the operator."""
    return kit.customers.create(OPERATOR, name=name, kind=CustomerKind.BUSINESS)


@pytest.fixture
def many(make_kit: KitFactory) -> AccountKit:
    """A kit whose users may belong to many companies."""
    return make_kit(MANY)


# --- creating customers ----------------------------------------------------------------------


def test_create_customer_records_who_and_when(kit: AccountKit, clock: FrozenClock) -> None:
    """The operator creates a customer; its history starts with the creation, time and actor."""
    customer = kit.customers.create(OPERATOR, name="  The Lovelaces ")
    assert customer.kind is CustomerKind.PERSONAL
    assert customer.name == "The Lovelaces"
    assert customer.channel == "web"
    assert customer.number is None
    assert customer.conditions == PurchaseConditions()
    assert kit.customers.get(customer.id) == customer
    [event] = kit.reports.history(customer.id).items
    assert event.kind is EventKind.CUSTOMER_CREATED
    assert event.actor == OPERATOR
    assert event.at == clock.now()


def test_system_may_create_customers(kit: AccountKit) -> None:
    """The system (checkout, automation) may create customers too."""
    customer = kit.customers.create(Actor.system(), name="Checkout Customer")
    assert kit.reports.history(customer.id).items[0].actor == Actor.system()


def test_user_cannot_create_customers(kit: AccountKit) -> None:
    """A user never creates customer records."""
    ada = register(kit)
    with pytest.raises(NotPermitted):
        kit.customers.create(Actor.user(ada.id), name="Mine")


@pytest.mark.parametrize("name", ["", "   ", "C" * 2000])
def test_customer_name_is_validated(make_kit: KitFactory, name: str) -> None:
    """A bad customer name is InvalidName; no number is used up."""
    kit = make_kit(NUMBERED)
    with pytest.raises(InvalidName):
        kit.customers.create(OPERATOR, name=name)
    assert kit.customers.create(OPERATOR, name="Good").number == "K-0001"


def test_unknown_customer_is_not_found(kit: AccountKit) -> None:
    """Reading or reporting on an unknown customer id raises CustomerNotFound."""
    with pytest.raises(CustomerNotFound):
        kit.customers.get("cus_missing")
    with pytest.raises(CustomerNotFound):
        kit.reports.history("cus_missing")
    with pytest.raises(CustomerNotFound):
        kit.customers.members("cus_missing")


# --- customer numbers ------------------------------------------------------------------------


def test_automatic_numbers_follow_the_pattern(make_kit: KitFactory) -> None:
    """AUTOMATIC numbering gives sequential numbers formatted by the pattern."""
    kit = make_kit(NUMBERED)
    numbers = [kit.customers.create(OPERATOR, name=f"C{i}").number for i in range(3)]
    assert numbers == ["K-0001", "K-0002", "K-0003"]
    assert kit.customers.find_by_number("K-0002") is not None


@given(count=st.integers(min_value=1, max_value=15), manual=st.sets(st.integers(1, 20)))
def test_automatic_numbers_are_unique_and_skip_manual_ones(
    make_kit: KitFactory, count: int, manual: set[int]
) -> None:
    """Numbers the operator gave by hand are skipped by the sequence, so every automatic
    creation succeeds and every customer has its own number."""
    kit = make_kit(NUMBERED)
    for n in sorted(manual):
        kit.customers.create(OPERATOR, name="Manual", number=f"K-{n:04d}")
    created = [kit.customers.create(OPERATOR, name="Auto") for _ in range(count)]
    numbers = [c.number for c in created] + [f"K-{n:04d}" for n in manual]
    assert len(numbers) == len(set(numbers))
    for customer in created:
        assert customer.number is not None
        assert kit.customers.find_by_number(customer.number) == customer


@pytest.mark.parametrize(
    "numbering", [CustomerNumbering.NONE, CustomerNumbering.MANUAL], ids=["none", "manual"]
)
def test_without_automatic_numbering_customers_have_no_number(
    make_kit: KitFactory, numbering: CustomerNumbering
) -> None:
    """Under NONE and MANUAL a customer has a number only when one is given."""
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), numbering=numbering))
    assert kit.customers.create(OPERATOR, name="A").number is None
    assert kit.customers.create(OPERATOR, name="B", number=" 4711 ").number == "4711"


def test_a_taken_number_is_refused(kit: AccountKit) -> None:
    """Two customers never share a number: CustomerNumberTaken, a ConflictError."""
    first = kit.customers.create(OPERATOR, name="A", number="4711")
    with pytest.raises(CustomerNumberTaken) as info:
        kit.customers.create(OPERATOR, name="B", number="4711")
    assert isinstance(info.value, ConflictError)
    other = kit.customers.create(OPERATOR, name="C", number="4712")
    with pytest.raises(CustomerNumberTaken):
        kit.customers.set_customer_number(OPERATOR, other.id, "4711")
    assert kit.customers.get(other.id) == other
    assert kit.customers.find_by_number("4711") == first


def test_bad_manual_number_is_invalid(kit: AccountKit) -> None:
    """A manual number with spaces inside is InvalidCustomerNumber."""
    with pytest.raises(InvalidCustomerNumber):
        kit.customers.create(OPERATOR, name="A", number="47 11")


def test_number_changes_are_recorded_and_never_give_the_old_number_away(
    kit: AccountKit,
) -> None:
    """A changed number stays reserved for its customer (never given out twice); history
    records the change."""
    a = kit.customers.create(OPERATOR, name="A", number="1")
    kit.customers.set_customer_number(OPERATOR, a.id, "2")
    assert kit.customers.find_by_number("1") is None
    with pytest.raises(CustomerNumberTaken):
        kit.customers.create(OPERATOR, name="B", number="1")
    event = kit.reports.history(a.id).items[-1]
    assert event.kind is EventKind.CUSTOMER_NUMBER_CHANGED
    assert dict(event.data) == {"from": "1", "to": "2"}


# --- groups and conditions -------------------------------------------------------------------


def test_groups_are_listed_by_name(kit: AccountKit) -> None:
    """Groups are created by the operator and listed sorted by name."""
    retail = kit.customers.create_group(OPERATOR, name="Retail")
    trade = kit.customers.create_group(OPERATOR, name="Trade", price_list_id="trade")
    wholesale = kit.customers.create_group(OPERATOR, name="Wholesale")
    assert list(kit.customers.list_groups()) == [retail, trade, wholesale]
    assert kit.customers.get_group(trade.id).price_list_id == "trade"


def test_unknown_group_is_not_found(kit: AccountKit) -> None:
    """An unknown group id is GroupNotFound when read, set or used at creation."""
    customer = kit.customers.create(OPERATOR, name="A")
    with pytest.raises(GroupNotFound):
        kit.customers.get_group("grp_missing")
    with pytest.raises(GroupNotFound):
        kit.customers.set_group(OPERATOR, customer.id, "grp_missing")
    with pytest.raises(GroupNotFound):
        kit.customers.create(OPERATOR, name="B", group_id="grp_missing")
    assert kit.customers.get(customer.id) == customer


def test_user_cannot_create_groups(kit: AccountKit) -> None:
    """Groups are the operator's."""
    ada = register(kit)
    with pytest.raises(NotPermitted):
        kit.customers.create_group(Actor.user(ada.id), name="Mine")


@pytest.mark.parametrize("discount", [Decimal("-1"), Decimal("100.5"), Decimal("NaN")])
def test_discount_outside_range_is_refused(kit: AccountKit, discount: Decimal) -> None:
    """Purchase conditions need a discount from 0 to 100."""
    customer = kit.customers.create(OPERATOR, name="A")
    with pytest.raises(InvalidValue):
        kit.customers.set_conditions(OPERATOR, customer.id, PurchaseConditions(discount=discount))
    with pytest.raises(InvalidValue):
        kit.customers.create(OPERATOR, name="B", conditions=PurchaseConditions(discount=discount))
    assert kit.customers.get(customer.id) == customer


# --- every change to a customer is in history; users may not change customers ----------------

Change = Callable[[AccountKit, Actor, str], object]


def _changes(group_id: str) -> dict[str, Change]:
    return {
        "note": lambda k, a, c: k.customers.set_note(a, c, "pays late"),
        "group": lambda k, a, c: k.customers.set_group(a, c, group_id),
        "contact": lambda k, a, c: k.customers.set_document_contact(
            a, c, DocumentKind.INVOICE, email="billing@example.com", contact_person="Bea"
        ),
        "number": lambda k, a, c: k.customers.set_customer_number(a, c, "K-77"),
        "conditions": lambda k, a, c: k.customers.set_conditions(
            a, c, PurchaseConditions(price_list_id="trade", discount=Decimal("7.5"))
        ),
    }


CHANGE_EVENTS = {
    "note": EventKind.NOTE_CHANGED,
    "group": EventKind.GROUP_CHANGED,
    "contact": EventKind.DOCUMENT_CONTACT_CHANGED,
    "number": EventKind.CUSTOMER_NUMBER_CHANGED,
    "conditions": EventKind.CONDITIONS_CHANGED,
}


@pytest.mark.parametrize("change", list(CHANGE_EVENTS))
def test_operator_changes_are_in_history(kit: AccountKit, clock: FrozenClock, change: str) -> None:
    """Each change the operator makes to a customer is one history entry with time and actor,
    and raises the record's version."""
    group = kit.customers.create_group(OPERATOR, name="Trade")
    customer = kit.customers.create(OPERATOR, name="A")
    clock.advance(timedelta(minutes=3))
    _changes(group.id)[change](kit, OPERATOR, customer.id)
    stored = kit.customers.get(customer.id)
    assert stored.version == customer.version + 1
    assert stored.updated_at == clock.now()
    event = kit.reports.history(customer.id).items[-1]
    assert event.kind is CHANGE_EVENTS[change]
    assert event.actor == OPERATOR
    assert event.at == clock.now()
    assert event.customer_id == customer.id


@pytest.mark.parametrize("change", list(CHANGE_EVENTS))
def test_repeating_a_change_records_nothing(kit: AccountKit, change: str) -> None:
    """Setting what is already set writes no second history entry."""
    group = kit.customers.create_group(OPERATOR, name="Trade")
    customer = kit.customers.create(OPERATOR, name="A")
    _changes(group.id)[change](kit, OPERATOR, customer.id)
    before = kit.customers.get(customer.id), kit.reports.history(customer.id).items
    _changes(group.id)[change](kit, OPERATOR, customer.id)
    assert (kit.customers.get(customer.id), kit.reports.history(customer.id).items) == before


@pytest.mark.parametrize("change", list(CHANGE_EVENTS))
def test_a_user_can_never_change_the_customer_record(kit: AccountKit, change: str) -> None:
    """Even a member of the customer gets NotPermitted; record and history stay as they were."""
    group = kit.customers.create_group(OPERATOR, name="Trade")
    customer = kit.customers.create(OPERATOR, name="A")
    ada = register(kit)
    kit.customers.assign_user(OPERATOR, ada.id, customer.id, Role.COMPANY_MANAGER)
    before = kit.customers.get(customer.id), kit.reports.history(customer.id).items
    with pytest.raises(NotPermitted) as info:
        _changes(group.id)[change](kit, Actor.user(ada.id), customer.id)
    assert info.value.code == "not_permitted"
    assert (kit.customers.get(customer.id), kit.reports.history(customer.id).items) == before


def test_stale_customer_version_is_concurrent_update(kit: AccountKit) -> None:
    """A change based on an old read raises ConcurrentUpdate and keeps the newer data."""
    customer = kit.customers.create(OPERATOR, name="A")
    newer = kit.customers.set_note(OPERATOR, customer.id, "first")
    with pytest.raises(ConcurrentUpdate):
        kit.customers.set_note(OPERATOR, customer.id, "second", expected_version=customer.version)
    assert kit.customers.get(customer.id) == newer


def test_document_contacts_one_per_kind(kit: AccountKit) -> None:
    """A customer has at most one contact per document kind; email=None removes it."""
    customer = kit.customers.create(OPERATOR, name="A")
    kit.customers.set_document_contact(
        OPERATOR, customer.id, DocumentKind.QUOTE, email="quotes@example.com"
    )
    kit.customers.set_document_contact(
        OPERATOR, customer.id, DocumentKind.INVOICE, email="a@example.com"
    )
    stored = kit.customers.set_document_contact(
        OPERATOR, customer.id, DocumentKind.INVOICE, email="Billing@Example.COM"
    )
    assert [c.kind for c in stored.document_contacts] == [DocumentKind.INVOICE, DocumentKind.QUOTE]
    invoice = stored.document_contact(DocumentKind.INVOICE)
    assert invoice is not None
    assert invoice.email == "Billing@example.com"
    removed = kit.customers.set_document_contact(
        OPERATOR, customer.id, DocumentKind.INVOICE, email=None
    )
    assert removed.document_contact(DocumentKind.INVOICE) is None


# --- memberships under ONE_CUSTOMER_PER_USER -------------------------------------------------


def test_first_membership_is_active_and_recorded(kit: AccountKit, clock: FrozenClock) -> None:
    """The operator assigns a user; the membership is active and in the customer's history."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="The Lovelaces")
    membership = kit.customers.assign_user(OPERATOR, ada.id, customer.id)
    assert membership.role is Role.MEMBER
    assert membership.active
    assert membership.assigned_by == OPERATOR
    assert membership.assigned_at == clock.now()
    assert list(kit.customers.memberships(ada.id)) == [membership]
    assert list(kit.customers.members(customer.id)) == [membership]
    event = kit.reports.history(customer.id).items[-1]
    assert event.kind is EventKind.MEMBERSHIP_ADDED
    assert event.user_id == ada.id
    assert event.actor == OPERATOR


def test_second_customer_under_one_customer_rule_is_a_conflict(kit: AccountKit) -> None:
    """ONE_CUSTOMER_PER_USER refuses a second membership with MembershipConflict naming the
    current customer; nothing changes."""
    ada = register(kit)
    first = kit.customers.create(OPERATOR, name="First")
    second = kit.customers.create(OPERATOR, name="Second")
    kit.customers.assign_user(OPERATOR, ada.id, first.id)
    before = kit.customers.memberships(ada.id), kit.reports.history(second.id).items
    with pytest.raises(MembershipConflict) as info:
        kit.customers.assign_user(OPERATOR, ada.id, second.id, Role.BUYER)
    assert isinstance(info.value, ConflictError)
    assert info.value.code == "one_customer_per_user"
    assert info.value.customer_id == first.id
    assert (kit.customers.memberships(ada.id), kit.reports.history(second.id).items) == before


def test_after_removal_a_user_may_join_another_customer(kit: AccountKit) -> None:
    """Removing the membership frees the user for another customer; removal is recorded."""
    ada = register(kit)
    first = kit.customers.create(OPERATOR, name="First")
    second = kit.customers.create(OPERATOR, name="Second")
    kit.customers.assign_user(OPERATOR, ada.id, first.id)
    kit.customers.remove_user(OPERATOR, ada.id, first.id)
    assert kit.reports.history(first.id).items[-1].kind is EventKind.MEMBERSHIP_REMOVED
    membership = kit.customers.assign_user(OPERATOR, ada.id, second.id)
    assert membership.active


@pytest.mark.parametrize("as_member", [True, False])
def test_users_cannot_assign_or_remove_memberships(kit: AccountKit, as_member: bool) -> None:
    """Memberships are made only by the operator: a user gets NotPermitted, even for
    themself."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    if as_member:
        kit.customers.assign_user(OPERATOR, ada.id, customer.id)
        with pytest.raises(NotPermitted):
            kit.customers.remove_user(Actor.user(ada.id), ada.id, customer.id)
        with pytest.raises(NotPermitted):
            kit.customers.set_role(Actor.user(ada.id), ada.id, customer.id, Role.COMPANY_MANAGER)
    else:
        with pytest.raises(NotPermitted):
            kit.customers.assign_user(Actor.user(ada.id), ada.id, customer.id)
    assert len(kit.customers.memberships(ada.id)) == (1 if as_member else 0)
    if as_member:
        assert kit.customers.memberships(ada.id)[0].role is Role.MEMBER


def test_assigning_unknown_user_or_customer_is_not_found(kit: AccountKit) -> None:
    """Unknown ids raise UserNotFound or CustomerNotFound; nothing is stored."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    with pytest.raises(UserNotFound):
        kit.customers.assign_user(OPERATOR, "usr_missing", customer.id)
    with pytest.raises(CustomerNotFound):
        kit.customers.assign_user(OPERATOR, ada.id, "cus_missing")
    assert kit.customers.members(customer.id) == []
    assert kit.customers.memberships(ada.id) == []


def test_set_role_changes_the_role_and_records_it(kit: AccountKit) -> None:
    """The operator changes a member's role; the change is recorded."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    kit.customers.assign_user(OPERATOR, ada.id, customer.id, Role.BUYER)
    membership = kit.customers.set_role(OPERATOR, ada.id, customer.id, Role.VIEWER)
    assert membership.role is Role.VIEWER
    assert membership.active
    event = kit.reports.history(customer.id).items[-1]
    assert event.kind is EventKind.ROLE_CHANGED
    assert dict(event.data) == {"from": "buyer", "to": "viewer"}


def test_role_or_removal_without_membership_is_not_found(kit: AccountKit) -> None:
    """set_role and remove_user on a non-member raise MembershipNotFound."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    with pytest.raises(MembershipNotFound):
        kit.customers.set_role(OPERATOR, ada.id, customer.id, Role.BUYER)
    with pytest.raises(MembershipNotFound):
        kit.customers.remove_user(OPERATOR, ada.id, customer.id)
    assert kit.reports.history(customer.id).items[-1].kind is EventKind.CUSTOMER_CREATED


# --- memberships under MANY_COMPANIES --------------------------------------------------------


def test_many_companies_keeps_exactly_one_active(many: AccountKit, clock: FrozenClock) -> None:
    """A user may belong to several companies; the first stays the active one."""
    ada = register(many)
    companies = [company(many, f"Company {i}") for i in range(3)]
    for c in companies:
        clock.advance(timedelta(minutes=1))
        many.customers.assign_user(OPERATOR, ada.id, c.id, Role.BUYER)
    memberships = many.customers.memberships(ada.id)
    assert [m.customer_id for m in memberships] == [c.id for c in companies]
    assert [m.active for m in memberships] == [True, False, False]


def test_switch_company_changes_the_active_one(many: AccountKit, clock: FrozenClock) -> None:
    """The user switches to another of their companies; history records the switch."""
    ada = register(many)
    first, second = company(many, "First"), company(many, "Second")
    many.customers.assign_user(OPERATOR, ada.id, first.id)
    many.customers.assign_user(OPERATOR, ada.id, second.id)
    switched = many.customers.switch_company(Actor.user(ada.id), ada.id, second.id)
    assert switched.active
    assert switched.customer_id == second.id
    active = [m.customer_id for m in many.customers.memberships(ada.id) if m.active]
    assert active == [second.id]
    event = many.reports.history(second.id).items[-1]
    assert event.kind is EventKind.COMPANY_SWITCHED
    assert event.actor == Actor.user(ada.id)
    assert event.at == clock.now()


def test_switch_to_the_active_company_changes_nothing(many: AccountKit) -> None:
    """Switching to the company that is already active records nothing."""
    ada = register(many)
    first = company(many, "First")
    membership = many.customers.assign_user(OPERATOR, ada.id, first.id)
    history = many.reports.history(first.id).items
    assert many.customers.switch_company(Actor.user(ada.id), ada.id, first.id) == membership
    assert many.reports.history(first.id).items == history


def test_switch_to_a_foreign_company_is_not_a_member(many: AccountKit) -> None:
    """A user can switch only to a company they belong to: NotAMember; nothing changes."""
    ada = register(many)
    mine, foreign = company(many, "Mine"), company(many, "Foreign")
    many.customers.assign_user(OPERATOR, ada.id, mine.id)
    before = many.customers.memberships(ada.id)
    with pytest.raises(NotAMember) as info:
        many.customers.switch_company(Actor.user(ada.id), ada.id, foreign.id)
    assert info.value.code == "not_a_member"
    with pytest.raises(NotAMember):
        many.customers.switch_company(OPERATOR, ada.id, "cus_missing")
    assert many.customers.memberships(ada.id) == before


def test_another_user_cannot_switch_my_company(many: AccountKit) -> None:
    """Only the user or the operator switches a user's company."""
    ada, bob = register(many), register(many, "bob@example.com")
    first, second = company(many, "First"), company(many, "Second")
    many.customers.assign_user(OPERATOR, ada.id, first.id)
    many.customers.assign_user(OPERATOR, ada.id, second.id)
    with pytest.raises(NotPermitted):
        many.customers.switch_company(Actor.user(bob.id), ada.id, second.id)
    assert many.customers.switch_company(OPERATOR, ada.id, second.id).active


def test_switch_company_of_unknown_user_is_not_found(many: AccountKit) -> None:
    """An unknown user id raises UserNotFound."""
    first = company(many, "First")
    with pytest.raises(UserNotFound):
        many.customers.switch_company(OPERATOR, "usr_missing", first.id)


def test_removing_the_active_company_activates_the_oldest_other(
    many: AccountKit, clock: FrozenClock
) -> None:
    """When the active membership goes, the oldest remaining one becomes active."""
    ada = register(many)
    companies = [company(many, f"Company {i}") for i in range(3)]
    for c in companies:
        clock.advance(timedelta(minutes=1))
        many.customers.assign_user(OPERATOR, ada.id, c.id)
    many.customers.switch_company(OPERATOR, ada.id, companies[2].id)
    many.customers.remove_user(OPERATOR, ada.id, companies[2].id)
    active = [m.customer_id for m in many.customers.memberships(ada.id) if m.active]
    assert active == [companies[0].id]
    many.customers.remove_user(OPERATOR, ada.id, companies[1].id)
    assert [m.active for m in many.customers.memberships(ada.id)] == [True]
    many.customers.remove_user(OPERATOR, ada.id, companies[0].id)
    assert many.customers.memberships(ada.id) == []


def test_same_company_twice_is_a_conflict(many: AccountKit) -> None:
    """Assigning a user to a company they already belong to is AlreadyMember, a kind of
    MembershipConflict; the existing membership keeps its role."""
    ada = register(many)
    first = company(many, "First")
    membership = many.customers.assign_user(OPERATOR, ada.id, first.id, Role.BUYER)
    with pytest.raises(AlreadyMember) as info:
        many.customers.assign_user(OPERATOR, ada.id, first.id, Role.VIEWER)
    assert isinstance(info.value, MembershipConflict)
    assert info.value.code == "already_member"
    assert info.value.customer_id == first.id
    assert list(many.customers.memberships(ada.id)) == [membership]


@given(ops=st.lists(st.tuples(st.sampled_from(["add", "remove", "switch"]), st.integers(0, 3))))
def test_many_companies_always_one_active_membership(
    make_kit: KitFactory, clock: FrozenClock, ops: list[tuple[str, int]]
) -> None:
    """Whatever assignments, removals and switches happen, a user with memberships has
    exactly one active one, and it is one of theirs."""
    kit = make_kit(MANY)
    ada = register(kit)
    companies = [company(kit, f"Company {i}") for i in range(4)]
    for op, index in ops:
        clock.advance(timedelta(seconds=1))
        target = companies[index].id
        member = kit.customers.memberships(ada.id)
        is_member = any(m.customer_id == target for m in member)
        if op == "add" and not is_member:
            kit.customers.assign_user(OPERATOR, ada.id, target)
        elif op == "remove" and is_member:
            kit.customers.remove_user(OPERATOR, ada.id, target)
        elif op == "switch" and is_member:
            kit.customers.switch_company(Actor.user(ada.id), ada.id, target)
        memberships = kit.customers.memberships(ada.id)
        if memberships:
            assert sum(m.active for m in memberships) == 1
        context = kit.customers.context_for(ada.id)
        active = [m.customer_id for m in memberships if m.active]
        assert (context.customer.id if context.customer else None) == (
            active[0] if active else None
        )


# --- storefront context ----------------------------------------------------------------------


def test_context_without_membership_has_no_customer(kit: AccountKit) -> None:
    """A user who belongs to no customer acts for nobody."""
    ada = register(kit)
    context = kit.customers.context_for(ada.id)
    assert context.user == ada
    assert context.customer is None
    assert context.group is None
    assert context.conditions is None
    assert context.role is None


def test_context_names_customer_group_conditions_and_role(kit: AccountKit) -> None:
    """context_for returns the user, the acting customer, its group, conditions and role."""
    ada = register(kit)
    group = kit.customers.create_group(OPERATOR, name="Trade", price_list_id="trade")
    conditions = PurchaseConditions(price_list_id="special", discount=Decimal("12.5"))
    customer = kit.customers.create(
        OPERATOR, name="A", kind=CustomerKind.BUSINESS, group_id=group.id, conditions=conditions
    )
    kit.customers.assign_user(OPERATOR, ada.id, customer.id, Role.BUYER)
    context = kit.customers.context_for(ada.id, actor=Actor.user(ada.id))
    assert context.user == ada
    assert context.customer == customer
    assert context.group == group
    assert context.conditions == conditions
    assert context.role is Role.BUYER
    assert len(context.memberships) == 1


def test_context_follows_the_company_switch(many: AccountKit) -> None:
    """After a switch the context shows the new company's conditions and role."""
    ada = register(many)
    cheap = company(many, "Cheap")
    dear = many.customers.create(
        OPERATOR,
        name="Dear",
        kind=CustomerKind.BUSINESS,
        conditions=PurchaseConditions(price_list_id="list", discount=Decimal(3)),
    )
    many.customers.assign_user(OPERATOR, ada.id, cheap.id, Role.BUYER)
    many.customers.assign_user(OPERATOR, ada.id, dear.id, Role.VIEWER)
    many.customers.switch_company(Actor.user(ada.id), ada.id, dear.id)
    context = many.customers.context_for(ada.id)
    assert context.customer == dear
    assert context.conditions == dear.conditions
    assert context.role is Role.VIEWER
    assert len(context.memberships) == 2


def test_context_for_another_user_is_not_permitted(kit: AccountKit) -> None:
    """A user may not read another user's storefront context; unknown users are not found."""
    ada, bob = register(kit), register(kit, "bob@example.com")
    with pytest.raises(NotPermitted):
        kit.customers.context_for(ada.id, actor=Actor.user(bob.id))
    with pytest.raises(UserNotFound):
        kit.customers.context_for("usr_missing")


# --- history ---------------------------------------------------------------------------------


def test_customer_history_is_oldest_first_with_times(kit: AccountKit, clock: FrozenClock) -> None:
    """The history lists every change oldest first, each with its own time and actor."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    clock.advance(timedelta(hours=1))
    kit.customers.assign_user(Actor.operator("staff-2"), ada.id, customer.id)
    clock.advance(timedelta(hours=1))
    kit.customers.set_note(OPERATOR, customer.id, "VIP")
    history = kit.reports.history(customer.id).items
    assert [e.kind for e in history] == [
        EventKind.CUSTOMER_CREATED,
        EventKind.MEMBERSHIP_ADDED,
        EventKind.NOTE_CHANGED,
    ]
    assert [e.actor for e in history] == [OPERATOR, Actor.operator("staff-2"), OPERATOR]
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert len({e.at for e in history}) == 3
    assert len({e.id for e in history}) == 3


def test_user_events_land_in_the_active_customers_history(kit: AccountKit) -> None:
    """A tier change of a member is also in the history of the customer they act for."""
    ada = register(kit)
    customer = kit.customers.create(OPERATOR, name="A")
    kit.customers.assign_user(OPERATOR, ada.id, customer.id)
    kit.users.set_tier(OPERATOR, ada.id, UserTier.GUEST)
    event = kit.reports.history(customer.id).items[-1]
    assert event.kind is EventKind.TIER_CHANGED
    assert event.user_id == ada.id
