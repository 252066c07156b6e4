"""Registration and the user tiers: self-registration, guests, blank users, profile completion,
guest upgrades, and the history each of them writes."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    EventKind,
    FrozenClock,
    GuestSource,
    MembershipRule,
    RegistrationAccess,
    Role,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.errors import (
    EmailTaken,
    MissingField,
    NotPermitted,
    TokenRevoked,
    UserDisabled,
    WrongTier,
)
from accountkit.testing import CheapPasswordHasher
from tests.conftest import KitFactory
from tests.helpers import made, upgrade_token

OPERATOR = Actor.operator("staff-1")
BORN = date(1990, 5, 17)
PASSWORD = "correct horse"
OPEN_B2B = attrs.evolve(ShopPolicy.b2b_approval(), registration_access=RegistrationAccess.OPEN)


def register(
    kit: AccountKit, email: str = "ada@example.com", company_name: str | None = None
) -> User:
    """Register a FULL user on the kit's default channel."""
    return made(
        kit.registration.register(
            email=email,
            password=PASSWORD,
            birth_date=BORN,
            given_name="Ada",
            family_name="Lovelace",
            company_name=company_name,
        )
    )


def guest(kit: AccountKit, email: str = "gus@example.com", name: str = "Gus") -> User:
    """Make a GUEST user (checkout)."""
    user = kit.registration.register_guest(email=email, given_name=name)
    assert user is not None
    return user


def user_count(kit: AccountKit) -> int:
    """How many users the store holds."""
    with kit.store.transaction() as tx:
        return tx.users.count()


def tier_trail(kit: AccountKit, user_id: str) -> list[str]:
    """The tiers a user went through, read from its history."""
    trail: list[str] = []
    for event in kit.reports.user_history(user_id).items:
        if event.kind is EventKind.USER_CREATED:
            trail.append(event.data["tier"])
        elif event.kind in (EventKind.TIER_CHANGED, EventKind.PROFILE_COMPLETED):
            assert event.data["from"] == trail[-1]
            trail.append(event.data["to"])
    return trail


# --- self-registration -----------------------------------------------------------------------


def test_register_makes_an_active_full_user(
    kit: AccountKit, hasher: CheapPasswordHasher, clock: FrozenClock
) -> None:
    """Self-registration makes a FULL user with e-mail, password hash and birth date."""
    user = register(kit, email="Ada@Example.COM")
    assert user.tier is UserTier.FULL
    assert user.status is UserStatus.ACTIVE
    assert user.email == "Ada@example.com"
    assert user.birth_date == BORN
    assert user.display_name == "Ada Lovelace"
    assert user.must_complete_profile is False
    assert user.created_at == user.updated_at == clock.now()
    assert user.password_hash is not None
    assert hasher.verify(user.password_hash, PASSWORD)
    assert kit.users.get(user.id) == user


def test_register_never_stores_the_password(kit: AccountKit) -> None:
    """The stored record holds a hash, never the password, and repr hides the hash."""
    user = register(kit)
    stored = kit.users.get(user.id)
    assert stored.password_hash is not None
    assert PASSWORD not in stored.password_hash
    assert stored.password_hash not in repr(stored)


def test_register_records_creation_with_time_and_actor(kit: AccountKit, clock: FrozenClock) -> None:
    """The creation of a registered user is in its history, made by the user themself."""
    user = register(kit)
    [event] = kit.reports.user_history(user.id).items
    assert event.kind is EventKind.USER_CREATED
    assert event.actor == Actor.user(user.id)
    assert event.at == clock.now()
    assert event.data["tier"] == "full"
    assert PASSWORD not in str(dict(event.data))


def test_register_keeps_free_form_profile(kit: AccountKit) -> None:
    """A registration may carry the user's own free-form profile entries."""
    user = made(
        kit.registration.register(
            email="ada@example.com",
            password=PASSWORD,
            birth_date=BORN,
            given_name="Ada",
            family_name="Lovelace",
            profile={"ski_size": "175"},
        )
    )
    assert dict(kit.users.get(user.id).profile) == {"ski_size": "175"}


def test_register_under_approval_waits_for_the_operator(make_kit: KitFactory) -> None:
    """Under APPROVAL the new FULL user waits in PENDING_APPROVAL."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = register(kit, company_name="Analytical Engines")
    assert user.tier is UserTier.FULL
    assert user.status is UserStatus.PENDING_APPROVAL
    assert not user.is_active


def test_b2b_registration_makes_a_company_with_the_user_as_manager(make_kit: KitFactory) -> None:
    """Open B2B self-registration makes a BUSINESS customer with an automatic number and the
    user as its active COMPANY_MANAGER, all recorded in the customer's history."""
    kit = make_kit(OPEN_B2B)
    user = register(kit, company_name="Analytical Engines")
    context = kit.customers.context_for(user.id)
    assert context.customer is not None
    assert context.customer.kind is CustomerKind.BUSINESS
    assert context.customer.name == "Analytical Engines"
    assert context.customer.number == "10000"
    assert context.role is Role.COMPANY_MANAGER
    [membership] = context.memberships
    assert membership.active
    kinds = [e.kind for e in kit.reports.history(context.customer.id).items]
    assert kinds == [EventKind.CUSTOMER_CREATED, EventKind.MEMBERSHIP_ADDED, EventKind.USER_CREATED]


def test_b2b_registration_that_fails_makes_no_company(make_kit: KitFactory) -> None:
    """A B2B registration refused for a taken e-mail leaves no customer and no used number."""
    kit = make_kit(OPEN_B2B)
    register(kit, company_name="First")
    with pytest.raises(EmailTaken):
        register(kit, email="ADA@example.com", company_name="Second")
    assert kit.customers.find_by_number("10001") is None
    second = register(kit, email="bob@example.com", company_name="Third")
    context = kit.customers.context_for(second.id)
    assert context.customer is not None
    assert context.customer.number == "10001"


def test_b2b_registration_needs_company_name(make_kit: KitFactory) -> None:
    """Under B2B the company name is required; without it nothing is stored."""
    kit = make_kit(ShopPolicy.b2b_approval())
    with pytest.raises(MissingField) as info:
        register(kit)
    assert info.value.field == "company_name"
    assert user_count(kit) == 0


# --- guests ----------------------------------------------------------------------------------


def test_register_guest_makes_a_guest_without_password(kit: AccountKit, clock: FrozenClock) -> None:
    """A checkout makes a GUEST with e-mail and name and no password, made by the system."""
    user = guest(kit)
    assert user.tier is UserTier.GUEST
    assert user.email == "gus@example.com"
    assert user.given_name == "Gus"
    assert user.password_hash is None
    assert user.birth_date is None
    [event] = kit.reports.user_history(user.id).items
    assert event.kind is EventKind.USER_CREATED
    assert event.actor == Actor.system()
    assert event.at == clock.now()
    assert dict(event.data) == {"tier": "guest", "source": "checkout"}


def test_newsletter_guest_records_its_source(kit: AccountKit) -> None:
    """A newsletter sign-up is recorded as such."""
    user = kit.registration.register_guest(
        email="news@example.com", family_name="Reader", source=GuestSource.NEWSLETTER
    )
    assert user is not None
    assert kit.reports.user_history(user.id).items[0].data["source"] == "newsletter"


@given(data=st.data())
def test_register_guest_reuses_the_guest_with_that_email(
    kit: AccountKit, data: st.DataObject
) -> None:
    """A second checkout with the same address (in any case) returns the same guest and writes
    nothing."""
    first = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert first is not None
    count, history = user_count(kit), kit.reports.user_history(first.id).items
    variant = "".join(ch.swapcase() if data.draw(st.booleans()) else ch for ch in "gus@example.com")
    again = kit.registration.register_guest(email=variant, given_name="Somebody Else")
    assert again == kit.users.get(first.id)
    assert user_count(kit) == count
    assert kit.reports.user_history(first.id).items == history


@pytest.mark.parametrize("tier", [UserTier.FULL, UserTier.BLANK])
def test_register_guest_reveals_nothing_about_full_or_blank_accounts(
    kit: AccountKit, tier: UserTier
) -> None:
    """The e-mail of a FULL (or BLANK) account gives None at checkout and changes nothing."""
    user = register(kit)
    if tier is UserTier.BLANK:
        user = kit.users.set_tier(OPERATOR, user.id, UserTier.BLANK)
    count, history = user_count(kit), kit.reports.user_history(user.id).items
    assert kit.registration.register_guest(email="ADA@example.com", given_name="Eve") is None
    assert kit.users.get(user.id) == user
    assert user_count(kit) == count
    assert kit.reports.user_history(user.id).items == history


def test_register_guest_needs_a_name(kit: AccountKit) -> None:
    """A guest is known by name and e-mail; without a name nothing is stored."""
    with pytest.raises(MissingField):
        kit.registration.register_guest(email="gus@example.com")
    assert user_count(kit) == 0


# --- blank users -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [OPERATOR, Actor.system()], ids=["operator", "system"])
def test_create_blank_makes_a_user_who_must_complete_the_profile(
    kit: AccountKit, actor: Actor
) -> None:
    """A BLANK user has nothing but is flagged to complete the profile; the maker is recorded."""
    user = kit.registration.create_blank(actor)
    assert user.tier is UserTier.BLANK
    assert user.must_complete_profile is True
    assert user.email is None
    assert user.password_hash is None
    [event] = kit.reports.user_history(user.id).items
    assert event.actor == actor
    assert event.data["tier"] == "blank"


def test_a_user_cannot_create_blank_users(kit: AccountKit) -> None:
    """Only the operator or the system makes BLANK users."""
    user = register(kit)
    with pytest.raises(NotPermitted):
        kit.registration.create_blank(Actor.user(user.id))
    assert user_count(kit) == 1


def test_complete_profile_to_guest(kit: AccountKit, clock: FrozenClock) -> None:
    """Name and e-mail make a BLANK user a GUEST; the change is recorded with time and actor."""
    blank = kit.registration.create_blank(OPERATOR)
    user = kit.registration.complete_profile(blank.id, email="Nina@Example.com", given_name="Nina")
    assert user.tier is UserTier.GUEST
    assert user.email == "Nina@example.com"
    assert user.must_complete_profile is False
    assert user.password_hash is None
    assert user.security_version == blank.security_version + 1
    event = kit.reports.user_history(blank.id).items[-1]
    assert event.kind is EventKind.PROFILE_COMPLETED
    assert event.actor == Actor.user(blank.id)
    assert event.at == clock.now()
    assert tier_trail(kit, blank.id) == ["blank", "guest"]


def test_complete_profile_to_full(kit: AccountKit, hasher: CheapPasswordHasher) -> None:
    """A password and a birth date as well make a BLANK user FULL."""
    blank = kit.registration.create_blank(OPERATOR)
    user = kit.registration.complete_profile(
        blank.id, email="nina@example.com", family_name="New", password=PASSWORD, birth_date=BORN
    )
    assert user.tier is UserTier.FULL
    assert user.birth_date == BORN
    assert user.password_hash is not None
    assert hasher.verify(user.password_hash, PASSWORD)
    assert tier_trail(kit, blank.id) == ["blank", "full"]


@pytest.mark.parametrize(
    ("password", "birth_date", "field"),
    [(PASSWORD, None, "birth_date"), (None, BORN, "password")],
)
def test_complete_profile_needs_both_password_and_birth_date_or_neither(
    kit: AccountKit, password: str | None, birth_date: date | None, field: str
) -> None:
    """Half of what a FULL user needs is MissingField; the user stays BLANK."""
    blank = kit.registration.create_blank(OPERATOR)
    with pytest.raises(MissingField) as info:
        kit.registration.complete_profile(
            blank.id,
            email="nina@example.com",
            given_name="Nina",
            password=password,
            birth_date=birth_date,
        )
    assert info.value.field == field
    assert kit.users.get(blank.id) == blank


def test_complete_profile_needs_a_name(kit: AccountKit) -> None:
    """Completing a profile without any name is MissingField."""
    blank = kit.registration.create_blank(OPERATOR)
    with pytest.raises(MissingField):
        kit.registration.complete_profile(blank.id, email="nina@example.com")
    assert kit.users.get(blank.id) == blank


def test_complete_profile_only_for_blank_users(kit: AccountKit) -> None:
    """A GUEST or FULL user has no profile to complete: WrongTier, and nothing changes."""
    for user in (guest(kit), register(kit)):
        with pytest.raises(WrongTier) as info:
            kit.registration.complete_profile(
                user.id, email="other@example.com", given_name="Other"
            )
        assert info.value.code == "wrong_tier"
        assert kit.users.get(user.id) == user


def test_complete_profile_by_another_user_is_not_permitted(kit: AccountKit) -> None:
    """Only the user themself or the operator completes a profile."""
    blank = kit.registration.create_blank(OPERATOR)
    other = register(kit)
    with pytest.raises(NotPermitted):
        kit.registration.complete_profile(
            blank.id, email="nina@example.com", given_name="Nina", actor=Actor.user(other.id)
        )
    done = kit.registration.complete_profile(
        blank.id, email="nina@example.com", given_name="Nina", actor=OPERATOR
    )
    assert done.tier is UserTier.GUEST
    assert kit.reports.user_history(blank.id).items[-1].actor == OPERATOR


def test_disabled_blank_user_cannot_complete_the_profile(kit: AccountKit) -> None:
    """A disabled user cannot act: UserDisabled, and nothing changes."""
    blank = kit.registration.create_blank(OPERATOR)
    disabled = kit.users.disable(OPERATOR, blank.id)
    with pytest.raises(UserDisabled):
        kit.registration.complete_profile(blank.id, email="nina@example.com", given_name="Nina")
    assert kit.users.get(blank.id) == disabled


# --- guest upgrade ---------------------------------------------------------------------------


def test_upgrade_guest_makes_a_full_user(
    kit: AccountKit, hasher: CheapPasswordHasher, clock: FrozenClock
) -> None:
    """A GUEST with the UPGRADE link becomes FULL, keeps e-mail and name, and is signed in."""
    gus = guest(kit)
    signed = kit.registration.upgrade_guest(
        upgrade_token(kit, gus), password=PASSWORD, birth_date=BORN
    )
    user = signed.user
    assert user.tier is UserTier.FULL
    assert (user.email, user.given_name) == (gus.email, gus.given_name)
    assert user.birth_date == BORN
    assert user.password_hash is not None
    assert hasher.verify(user.password_hash, PASSWORD)
    assert user.security_version == gus.security_version + 1
    assert user.email_verified_at == clock.now()
    assert kit.auth.authenticate(signed.session_token) == user
    event = kit.reports.user_history(gus.id).items[-1]
    assert event.kind is EventKind.TIER_CHANGED
    assert dict(event.data) == {"from": "guest", "to": "full"}
    assert event.actor == Actor.user(gus.id)
    assert event.at == clock.now()


def test_operator_may_upgrade_a_guest_by_id(kit: AccountKit) -> None:
    """The operator may upgrade a guest by id; history names the operator."""
    gus = guest(kit)
    user = kit.registration.upgrade_guest_by_id(
        OPERATOR, gus.id, password=PASSWORD, birth_date=BORN
    )
    assert user.tier is UserTier.FULL
    assert user.email_verified_at is None
    assert kit.reports.user_history(gus.id).items[-1].actor == OPERATOR


def test_only_guests_are_upgraded(kit: AccountKit) -> None:
    """Upgrading a FULL or BLANK user by id is WrongTier and changes nothing."""
    for user in (register(kit), kit.registration.create_blank(OPERATOR)):
        with pytest.raises(WrongTier):
            kit.registration.upgrade_guest_by_id(
                OPERATOR, user.id, password=PASSWORD, birth_date=BORN
            )
        assert kit.users.get(user.id) == user


def test_a_user_cannot_upgrade_by_id_not_even_themself(kit: AccountKit) -> None:
    """The id form is for staff: a user acting (the guest or another) is NotPermitted."""
    gus, ada = guest(kit), register(kit)
    for actor in (Actor.user(ada.id), Actor.user(gus.id)):
        with pytest.raises(NotPermitted):
            kit.registration.upgrade_guest_by_id(actor, gus.id, password=PASSWORD, birth_date=BORN)
    assert kit.users.get(gus.id) == gus


def test_disabled_guest_cannot_be_upgraded(kit: AccountKit) -> None:
    """A disabled guest stays a guest, by link and by id."""
    gus = guest(kit)
    token = upgrade_token(kit, gus)
    disabled = kit.users.disable(OPERATOR, gus.id)
    with pytest.raises(TokenRevoked):
        kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)
    with pytest.raises(UserDisabled):
        kit.registration.upgrade_guest_by_id(OPERATOR, gus.id, password=PASSWORD, birth_date=BORN)
    assert kit.users.get(gus.id) == disabled


def test_upgraded_guest_is_no_longer_reused_at_checkout(kit: AccountKit) -> None:
    """After the upgrade, a checkout with that e-mail no longer returns the account."""
    gus = guest(kit)
    kit.registration.upgrade_guest(upgrade_token(kit, gus), password=PASSWORD, birth_date=BORN)
    assert kit.registration.register_guest(email="gus@example.com", given_name="Gus") is None


def test_whole_tier_journey_is_in_history(kit: AccountKit, clock: FrozenClock) -> None:
    """BLANK → GUEST → FULL → GUEST (operator) is recorded step by step."""
    blank = kit.registration.create_blank(OPERATOR)
    kit.registration.complete_profile(blank.id, email="nina@example.com", given_name="Nina")
    kit.registration.upgrade_guest_by_id(OPERATOR, blank.id, password=PASSWORD, birth_date=BORN)
    kit.users.set_tier(OPERATOR, blank.id, UserTier.GUEST)
    assert tier_trail(kit, blank.id) == ["blank", "guest", "full", "guest"]
    assert kit.users.get(blank.id).password_hash is None


def test_registration_under_many_companies_is_b2c_alone(make_kit: KitFactory) -> None:
    """A B2C channel under MANY_COMPANIES still registers a user with no customer."""
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES))
    user = register(kit)
    context = kit.customers.context_for(user.id)
    assert context.customer is None
    assert context.memberships == ()
