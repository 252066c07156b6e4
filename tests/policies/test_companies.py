"""Business accounts on MemoryStore: company master data, managers acting for their own
company, and the rule that a company never loses its last manager."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    Address,
    Customer,
    CustomerKind,
    EventKind,
    Role,
    SalesChannel,
    ShopPolicy,
)
from accountkit.errors import (
    AccountKitError,
    AlreadyMember,
    AwaitingApproval,
    ConcurrentUpdate,
    CustomerNotFound,
    InvalidFields,
    InvalidValue,
    LastCompanyManager,
    MembershipConflict,
    MembershipNotFound,
    MissingField,
    NotABusinessCustomer,
    NotPermitted,
    NotYourCompany,
    PermissionDenied,
    UnknownRole,
    UserDisabled,
)
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.helpers import BASE_URL, MANY, OPERATOR, made

ROLES = {"purchaser": {"place_orders", "see_prices"}, "office": {"manage_addresses"}}

BILL_TO = Address(
    name="Accounts payable",
    street="Hauptstraße 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
    company="Muster GmbH",
)
SHIP_TO = Address(
    name="Goods in", street="Hafen 7", postal_code="20457", city="Hamburg", country="DE"
)


def _kit(policy: ShopPolicy = MANY) -> AccountKit:
    return AccountKit(
        store=MemoryStore(),
        secret_keys=[SECRET],
        channels=[SalesChannel("web", policy, base_url=BASE_URL)],
        password_hasher=CheapPasswordHasher(),
        roles=ROLES,
    )


@pytest.fixture
def kit() -> AccountKit:
    """A kit under MANY_COMPANIES with the custom roles "purchaser" and "office"."""
    return _kit()


def _user(kit: AccountKit, name: str) -> str:
    return made(
        kit.registration.register(
            email=f"{name}@example.com",
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name=name.title(),
            family_name="Muster",
        )
    ).id


def _company(kit: AccountKit, *roles: Role | str) -> tuple[Customer, list[str]]:
    """A BUSINESS customer with one new member per role, in that order."""
    company = kit.customers.create(OPERATOR, name="Muster GmbH", kind=CustomerKind.BUSINESS)
    members = []
    for i, role in enumerate(roles):
        user = _user(kit, f"member{i}.{company.id[-6:]}")
        kit.customers.assign_user(OPERATOR, user, company.id, role)
        members.append(user)
    return company, members


def _state(kit: AccountKit, customer_id: str) -> object:
    """Everything a refused call must leave as it was: the record, members, history."""
    return (
        kit.customers.get(customer_id),
        kit.customers.members(customer_id),
        kit.reports.history(customer_id).items,
    )


def _refused(
    kit: AccountKit, customer_id: str, error: type[AccountKitError], call: Callable[[], object]
) -> AccountKitError:
    before = _state(kit, customer_id)
    with pytest.raises(error) as info:
        call()
    assert _state(kit, customer_id) == before
    return info.value


# --- company master data -------------------------------------------------------------------


def test_a_manager_sets_the_company_details_and_history_names_only_the_fields(
    kit: AccountKit,
) -> None:
    """A company manager sets VAT id and both addresses; they are normalised, and the event
    names the changed fields with the manager as actor, without any value."""
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    typed = attrs.evolve(BILL_TO, name="  Accounts payable ", country="de", extra=" ")
    updated = kit.customers.set_company_details(
        Actor.user(manager), company.id, vat_id="de 123.456-789", bill_to=typed, ship_to=SHIP_TO
    )
    assert (updated.vat_id, updated.bill_to, updated.ship_to) == ("DE123456789", BILL_TO, SHIP_TO)
    assert kit.customers.get(company.id) == updated
    event = kit.reports.history(company.id).items[-1]
    assert event.kind is EventKind.COMPANY_DETAILS_CHANGED
    assert event.actor == Actor.user(manager)
    assert dict(event.data) == {
        "fields": "bill_to,ship_to,vat_id",
        "bill_to": "set",
        "ship_to": "set",
        "vat_id": "set",
    }


def test_left_out_fields_stay_none_clears_and_no_change_records_nothing(kit: AccountKit) -> None:
    """A field left out keeps its value, None clears it, and a call that changes nothing
    leaves the record and history alone."""
    company, _ = _company(kit)
    kit.customers.set_company_details(
        OPERATOR, company.id, vat_id="SE556677889901", bill_to=BILL_TO
    )
    cleared = kit.customers.set_company_details(OPERATOR, company.id, bill_to=None)
    assert (cleared.vat_id, cleared.bill_to) == ("SE556677889901", None)
    assert dict(kit.reports.history(company.id).items[-1].data) == {
        "fields": "bill_to",
        "bill_to": "cleared",
    }
    before = _state(kit, company.id)
    same = kit.customers.set_company_details(OPERATOR, company.id, vat_id="se 556677889901")
    assert same == cleared
    assert kit.customers.set_company_details(OPERATOR, company.id) == cleared
    assert _state(kit, company.id) == before


@pytest.mark.parametrize("as_member", [False, True])
def test_a_personal_customer_has_no_company_details(kit: AccountKit, as_member: bool) -> None:
    """A PERSONAL customer's address would be a person's: NotABusinessCustomer for the
    operator and for its members alike; nothing changes."""
    family = kit.customers.create(OPERATOR, name="The Smiths")
    actor = OPERATOR
    if as_member:
        member = _user(kit, "smith")
        kit.customers.assign_user(OPERATOR, member, family.id, Role.COMPANY_MANAGER)
        actor = Actor.user(member)
    error = _refused(
        kit,
        family.id,
        NotABusinessCustomer,
        lambda: kit.customers.set_company_details(actor, family.id, bill_to=BILL_TO),
    )
    assert error.code == "not_a_business_customer"


@pytest.mark.parametrize("role", [Role.BUYER, Role.VIEWER, Role.MEMBER, "purchaser"])
def test_a_member_without_manage_addresses_is_denied(kit: AccountKit, role: Role | str) -> None:
    """Buyers, viewers, members and a custom role without manage_addresses get
    PermissionDenied naming the permission."""
    company, (member,) = _company(kit, role)
    error = _refused(
        kit,
        company.id,
        PermissionDenied,
        lambda: kit.customers.set_company_details(Actor.user(member), company.id, vat_id=None),
    )
    assert isinstance(error, PermissionDenied)
    assert error.permission == "manage_addresses"


def test_a_custom_role_with_manage_addresses_may_set_the_addresses(kit: AccountKit) -> None:
    """A custom role holding manage_addresses (and nothing else) may set the ship-to."""
    company, (office,) = _company(kit, "office")
    updated = kit.customers.set_company_details(Actor.user(office), company.id, ship_to=SHIP_TO)
    assert updated.ship_to == SHIP_TO


def test_another_companys_manager_gets_not_your_company(kit: AccountKit) -> None:
    """A manager of one company cannot touch another's details, nor learn whether an id is
    a customer; the operator gets CustomerNotFound for an unknown id."""
    mine, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    theirs, _ = _company(kit, Role.COMPANY_MANAGER)
    actor = Actor.user(manager)
    _refused(
        kit,
        theirs.id,
        NotYourCompany,
        lambda: kit.customers.set_company_details(actor, theirs.id, vat_id="DE999999999"),
    )
    with pytest.raises(NotYourCompany):
        kit.customers.set_company_details(actor, "cus_missing", vat_id=None)
    with pytest.raises(CustomerNotFound):
        kit.customers.set_company_details(OPERATOR, "cus_missing", vat_id=None)
    assert kit.customers.get(mine.id) == mine


def test_every_invalid_field_is_reported_at_once(kit: AccountKit) -> None:
    """A bad VAT id and bad address lines come back together in one InvalidFields, each by
    its name, in the order of the form; nothing is stored."""
    company, _ = _company(kit)
    bad_bill = attrs.evolve(BILL_TO, street=" ", postal_code="1" * 17, country="Germany")
    bad_ship = attrs.evolve(SHIP_TO, city="Ham\u200bburg")
    error = _refused(
        kit,
        company.id,
        InvalidFields,
        lambda: kit.customers.set_company_details(
            OPERATOR, company.id, vat_id="123", bill_to=bad_bill, ship_to=bad_ship
        ),
    )
    assert isinstance(error, InvalidFields)
    assert error.fields == (
        "vat_id",
        "bill_to.street",
        "bill_to.postal_code",
        "bill_to.country",
        "ship_to.city",
    )
    assert [type(e) for e in error.errors] == [
        InvalidValue,
        MissingField,
        InvalidValue,
        InvalidValue,
        InvalidValue,
    ]
    assert "Hauptstraße" not in error.message and "Ham" not in error.message


def test_an_address_that_is_not_an_address_is_refused(kit: AccountKit) -> None:
    """A dict or a string in place of an Address is an InvalidValue inside InvalidFields."""
    company, _ = _company(kit)
    with pytest.raises(InvalidFields) as info:
        kit.customers.set_company_details(
            OPERATOR,
            company.id,
            ship_to={"street": "x"},  # type: ignore[arg-type]
        )
    assert info.value.fields == ("ship_to",)


LINES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["C", "Zl", "Zp"]),
    min_size=1,
    max_size=30,
).filter(str.strip)


@given(name=LINES, street=LINES, city=LINES, country=st.sampled_from(["de", "SE", " fr "]))
def test_any_clean_address_is_stored_trimmed(
    name: str, street: str, city: str, country: str
) -> None:
    """Any address of clean lines is kept, each line trimmed and in NFC, the country in
    upper case; reading it back gives the same."""
    import unicodedata

    kit = _kit()
    company, _ = _company(kit)
    typed = Address(name=name, street=street, postal_code="123 45", city=city, country=country)
    stored = kit.customers.set_company_details(OPERATOR, company.id, bill_to=typed).bill_to
    assert stored is not None
    assert stored.name == unicodedata.normalize("NFC", name).strip()
    assert stored.city == unicodedata.normalize("NFC", city).strip()
    assert stored.country == country.strip().upper()
    assert kit.customers.get(company.id).bill_to == stored


@given(
    line=st.text(min_size=1, max_size=5), bad=st.sampled_from(["\x00", "\n", "\u200b", "\ud800"])
)
def test_a_line_with_control_or_invisible_characters_is_refused(line: str, bad: str) -> None:
    """A control, line-break, format or surrogate character inside a line is refused
    with the line's name."""
    kit = _kit()
    company, _ = _company(kit)
    with pytest.raises(InvalidFields) as info:
        kit.customers.set_company_details(
            OPERATOR, company.id, ship_to=attrs.evolve(SHIP_TO, street="A" + line + bad + "Z")
        )
    assert info.value.fields == ("ship_to.street",)
    assert kit.customers.get(company.id).ship_to is None


def test_a_disabled_manager_cannot_act(kit: AccountKit) -> None:
    """A disabled manager gets UserDisabled for master data and members; nothing changes."""
    company, (manager, buyer) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    kit.users.disable(OPERATOR, manager)
    actor = Actor.user(manager)
    _refused(
        kit,
        company.id,
        UserDisabled,
        lambda: kit.customers.set_company_details(actor, company.id, vat_id=None),
    )
    _refused(
        kit,
        company.id,
        UserDisabled,
        lambda: kit.customers.set_role(actor, buyer, company.id, Role.VIEWER),
    )


def test_an_unapproved_manager_gets_awaiting_approval() -> None:
    """A manager whose registration waits for approval gets AwaitingApproval."""
    policy = attrs.evolve(ShopPolicy.b2b_approval(), membership=MANY.membership)
    kit = _kit(policy)
    result = kit.registration.register(
        email="boss@example.com",
        password="correct horse battery",
        birth_date=date(1990, 5, 17),
        given_name="Boss",
        family_name="Muster",
        company_name="Boss AG",
    )
    assert result.user is not None
    (membership,) = kit.customers.memberships(result.user.id)
    with pytest.raises(AwaitingApproval):
        kit.customers.set_company_details(
            Actor.user(result.user.id), membership.customer_id, vat_id=None
        )


def test_a_stale_expected_version_is_a_concurrent_update(kit: AccountKit) -> None:
    """expected_version guards against a lost update, as for the other setters."""
    company, _ = _company(kit)
    kit.customers.set_note(OPERATOR, company.id, "changed meanwhile")
    _refused(
        kit,
        company.id,
        ConcurrentUpdate,
        lambda: kit.customers.set_company_details(
            OPERATOR, company.id, vat_id=None, expected_version=company.version
        ),
    )


# --- managers acting for their company -----------------------------------------------------


def test_a_manager_assigns_changes_and_removes_users_of_their_company(kit: AccountKit) -> None:
    """A company manager assigns a user (with a built-in or a custom role), changes the role
    and removes them; history names the manager."""
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    actor = Actor.user(manager)
    colleague = _user(kit, "colleague")
    added = kit.customers.assign_user(actor, colleague, company.id, "purchaser")
    assert added.role == "purchaser"
    assert kit.customers.set_role(actor, colleague, company.id, Role.VIEWER).role is Role.VIEWER
    kit.customers.remove_user(actor, colleague, company.id)
    assert [m.user_id for m in kit.customers.members(company.id)] == [manager]
    kinds = [(e.kind, e.actor) for e in kit.reports.history(company.id).items[-3:]]
    assert kinds == [
        (EventKind.MEMBERSHIP_ADDED, actor),
        (EventKind.ROLE_CHANGED, actor),
        (EventKind.MEMBERSHIP_REMOVED, actor),
    ]


def test_the_custom_role_reads_back_and_is_recorded_by_name(kit: AccountKit) -> None:
    """A custom role is stored and recorded by its name."""
    company, (member,) = _company(kit, "purchaser")
    assert kit.customers.members(company.id)[0].role == "purchaser"
    kit.customers.set_role(OPERATOR, member, company.id, "office")
    assert dict(kit.reports.history(company.id).items[-1].data) == {
        "from": "purchaser",
        "to": "office",
    }


@pytest.mark.parametrize("role", ["boss", "COMPANY_MANAGER", "", None, 3])
def test_an_unknown_role_is_refused(kit: AccountKit, role: object) -> None:
    """A role that is neither built in nor a custom role of the kit raises UnknownRole (an
    InvalidValue) naming the choices, for assign_user and set_role; nothing changes."""
    company, (member,) = _company(kit, Role.BUYER)
    other = _user(kit, "other")
    error = _refused(
        kit,
        company.id,
        UnknownRole,
        lambda: kit.customers.assign_user(OPERATOR, other, company.id, role),  # type: ignore[arg-type]
    )
    assert error.code == "unknown_role" and isinstance(error, InvalidValue)
    assert "'purchaser'" in error.message and "'company_manager'" in error.message
    _refused(
        kit,
        company.id,
        UnknownRole,
        lambda: kit.customers.set_role(OPERATOR, member, company.id, role),  # type: ignore[arg-type]
    )


MEMBER_CALLS: dict[str, Callable[[AccountKit, Actor, str, str], object]] = {
    "assign_user": lambda kit, actor, user, cid: kit.customers.assign_user(
        actor, user, cid, Role.BUYER
    ),
    "remove_user": lambda kit, actor, user, cid: kit.customers.remove_user(actor, user, cid),
    "set_role": lambda kit, actor, user, cid: kit.customers.set_role(actor, user, cid, Role.VIEWER),
}


@pytest.mark.parametrize("call", MEMBER_CALLS.values(), ids=MEMBER_CALLS.keys())
def test_a_manager_cannot_act_on_another_company(
    kit: AccountKit, call: Callable[[AccountKit, Actor, str, str], object]
) -> None:
    """A manager acting on another company's members gets NotYourCompany; nothing changes
    there."""
    _, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    theirs, (_, buyer) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    newcomer = _user(kit, "newcomer")
    target = newcomer if call is MEMBER_CALLS["assign_user"] else buyer
    error = _refused(
        kit, theirs.id, NotYourCompany, lambda: call(kit, Actor.user(manager), target, theirs.id)
    )
    assert error.code == "not_your_company"
    assert kit.customers.memberships(newcomer) == []


@pytest.mark.parametrize("role", [Role.BUYER, Role.VIEWER, Role.MEMBER, "purchaser", "office"])
@pytest.mark.parametrize("call", MEMBER_CALLS.values(), ids=MEMBER_CALLS.keys())
def test_a_member_without_manage_users_is_denied(
    kit: AccountKit, role: Role | str, call: Callable[[AccountKit, Actor, str, str], object]
) -> None:
    """Every role without manage_users gets PermissionDenied(permission="manage_users")
    for assign_user, remove_user and set_role."""
    company, (member, buyer) = _company(kit, role, Role.BUYER)
    newcomer = _user(kit, "newcomer")
    target = newcomer if call is MEMBER_CALLS["assign_user"] else buyer
    error = _refused(
        kit, company.id, PermissionDenied, lambda: call(kit, Actor.user(member), target, company.id)
    )
    assert isinstance(error, PermissionDenied)
    assert (error.code, error.permission) == ("permission_denied", "manage_users")


@pytest.mark.parametrize("call", MEMBER_CALLS.values(), ids=MEMBER_CALLS.keys())
def test_personal_customers_stay_staff_only(
    kit: AccountKit, call: Callable[[AccountKit, Actor, str, str], object]
) -> None:
    """Even a COMPANY_MANAGER role at a PERSONAL customer (a family) lets no user manage its
    members: NotPermitted, and not the company error."""
    family = kit.customers.create(OPERATOR, name="The Smiths")
    head, child = _user(kit, "head"), _user(kit, "child")
    kit.customers.assign_user(OPERATOR, head, family.id, Role.COMPANY_MANAGER)
    kit.customers.assign_user(OPERATOR, child, family.id, Role.MEMBER)
    newcomer = _user(kit, "newcomer")
    target = newcomer if call is MEMBER_CALLS["assign_user"] else child
    error = _refused(
        kit, family.id, NotPermitted, lambda: call(kit, Actor.user(head), target, family.id)
    )
    assert type(error) is NotPermitted


def test_an_unknown_customer_is_not_your_company_for_a_user(kit: AccountKit) -> None:
    """A user naming a customer that does not exist gets NotYourCompany (as for any other
    company); the operator gets CustomerNotFound or MembershipNotFound as before."""
    _, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    for call in MEMBER_CALLS.values():
        with pytest.raises(NotYourCompany):
            call(kit, Actor.user(manager), manager, "cus_missing")
    with pytest.raises(CustomerNotFound):
        kit.customers.assign_user(OPERATOR, manager, "cus_missing")
    with pytest.raises(MembershipNotFound):
        kit.customers.remove_user(OPERATOR, manager, "cus_missing")


def test_a_manager_never_learns_the_other_company_of_a_user() -> None:
    """Under ONE_CUSTOMER_PER_USER a manager assigning a user who belongs elsewhere gets
    MembershipConflict without the other customer's id; the operator gets the id."""
    kit = _kit(ShopPolicy.b2c_open())
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    elsewhere, (taken,) = _company(kit, Role.BUYER)
    error = _refused(
        kit,
        company.id,
        MembershipConflict,
        lambda: kit.customers.assign_user(Actor.user(manager), taken, company.id),
    )
    assert isinstance(error, MembershipConflict)
    assert error.customer_id is None and elsewhere.id not in error.message
    with pytest.raises(MembershipConflict) as info:
        kit.customers.assign_user(OPERATOR, taken, company.id)
    assert info.value.customer_id == elsewhere.id
    with pytest.raises(AlreadyMember) as again:
        kit.customers.assign_user(Actor.user(manager), manager, company.id)
    assert again.value.customer_id == company.id


# --- the last manager ----------------------------------------------------------------------


@pytest.mark.parametrize("by", ["operator", "self"])
def test_the_last_manager_cannot_be_removed_or_demoted(kit: AccountKit, by: str) -> None:
    """Removing or demoting a company's only manager while others remain raises
    LastCompanyManager, for the operator and the manager alike; nothing changes."""
    company, (manager, _) = _company(kit, Role.COMPANY_MANAGER, Role.BUYER)
    actor = OPERATOR if by == "operator" else Actor.user(manager)
    error = _refused(
        kit,
        company.id,
        LastCompanyManager,
        lambda: kit.customers.remove_user(actor, manager, company.id),
    )
    assert error.code == "last_company_manager"
    for role in (Role.BUYER, "purchaser"):
        _refused(
            kit,
            company.id,
            LastCompanyManager,
            lambda role=role: kit.customers.set_role(actor, manager, company.id, role),  # type: ignore[misc]
        )


def test_one_of_two_managers_may_go_but_not_the_second(kit: AccountKit) -> None:
    """With two managers one may remove the other (or step down); the one left cannot."""
    company, (first, second, _) = _company(
        kit, Role.COMPANY_MANAGER, Role.COMPANY_MANAGER, Role.BUYER
    )
    kit.customers.set_role(Actor.user(first), first, company.id, Role.BUYER)
    with pytest.raises(LastCompanyManager):
        kit.customers.set_role(Actor.user(second), second, company.id, Role.VIEWER)
    kit.customers.set_role(Actor.user(second), first, company.id, Role.COMPANY_MANAGER)
    kit.customers.remove_user(Actor.user(first), second, company.id)
    with pytest.raises(LastCompanyManager):
        kit.customers.remove_user(Actor.user(first), first, company.id)
    roles = {m.user_id: m.role for m in kit.customers.members(company.id)}
    assert roles[first] is Role.COMPANY_MANAGER and second not in roles


def test_only_the_operator_empties_a_company(kit: AccountKit) -> None:
    """The last manager who is also the last member may be removed by the operator (the
    company is then empty), never by themself."""
    company, (manager,) = _company(kit, Role.COMPANY_MANAGER)
    _refused(
        kit,
        company.id,
        LastCompanyManager,
        lambda: kit.customers.remove_user(Actor.user(manager), manager, company.id),
    )
    kit.customers.remove_user(OPERATOR, manager, company.id)
    assert kit.customers.members(company.id) == []


def test_companies_without_a_manager_and_personal_customers_are_not_held(kit: AccountKit) -> None:
    """The rule concerns business customers that have a manager: a company of buyers only,
    and a family with a COMPANY_MANAGER role, lose members freely."""
    company, (a, b) = _company(kit, Role.BUYER, Role.BUYER)
    kit.customers.remove_user(OPERATOR, a, company.id)
    kit.customers.set_role(OPERATOR, b, company.id, Role.VIEWER)
    family = kit.customers.create(OPERATOR, name="The Smiths")
    head, child = _user(kit, "head"), _user(kit, "child")
    kit.customers.assign_user(OPERATOR, head, family.id, Role.COMPANY_MANAGER)
    kit.customers.assign_user(OPERATOR, child, family.id)
    kit.customers.remove_user(OPERATOR, head, family.id)
    assert [m.user_id for m in kit.customers.members(family.id)] == [child]


def test_a_manager_change_raises_the_company_version(kit: AccountKit) -> None:
    """Taking a manager away raises the customer's version (the lock that serialises such
    changes), so an edit based on the older read is refused as a lost update."""
    company, (first, second) = _company(kit, Role.COMPANY_MANAGER, Role.COMPANY_MANAGER)
    read = kit.customers.get(company.id)
    kit.customers.remove_user(OPERATOR, second, company.id)
    assert kit.customers.get(company.id).version == read.version + 1
    with pytest.raises(ConcurrentUpdate):
        kit.customers.set_note(OPERATOR, company.id, "x", expected_version=read.version)
    assert first in {m.user_id for m in kit.customers.members(company.id)}


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["remove", "demote", "promote"]),
        st.integers(0, 3),
        st.integers(-1, 3),
    ),
    max_size=12,
)


@given(steps=STEPS)
# The operator empties the company: its managers remove the others, then the operator the last.
@example(steps=[("remove", 1, 0), ("remove", 2, 0), ("remove", 3, 0), ("remove", 0, -1)])
def test_no_sequence_of_changes_leaves_a_company_without_a_manager(
    steps: list[tuple[str, int, int]],
) -> None:
    """Whatever removals and role changes the operator or its managers try, in any order,
    the company keeps a manager as long as it has a member; each refusal changes nothing."""
    kit = _kit()
    company, members = _company(
        kit, Role.COMPANY_MANAGER, Role.COMPANY_MANAGER, Role.BUYER, Role.VIEWER
    )
    for action, target, actor_index in steps:
        actor = OPERATOR if actor_index < 0 else Actor.user(members[actor_index])
        user = members[target]
        before = _state(kit, company.id)
        try:
            if action == "remove":
                kit.customers.remove_user(actor, user, company.id)
            else:
                role = Role.BUYER if action == "demote" else Role.COMPANY_MANAGER
                kit.customers.set_role(actor, user, company.id, role)
        except AccountKitError as exc:
            assert exc.code in {  # noqa: PT017 (a refusal is one of the rules, any of them)
                "last_company_manager",
                "not_your_company",
                "permission_denied",
                "membership_not_found",
            }
            assert _state(kit, company.id) == before
        now = kit.customers.members(company.id)
        # Staff may empty the company (remove its last member, a manager): then it has
        # no member left to need a manager.
        assert not now or any(m.role is Role.COMPANY_MANAGER for m in now)
