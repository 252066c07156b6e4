"""kit.users: reading users, profile changes, operator tier changes, disabling and enabling."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import (
    AccountKit,
    Actor,
    EventKind,
    FrozenClock,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.errors import (
    AwaitingApproval,
    ConcurrentUpdate,
    EmailTaken,
    InvalidEmail,
    InvalidValue,
    MissingField,
    NotPermitted,
    UserNotFound,
)
from accountkit.testing import CheapPasswordHasher
from tests.conftest import KitFactory
from tests.helpers import made

OPERATOR = Actor.operator("staff-1")
BORN = date(1990, 5, 17)
PASSWORD = "correct horse"


def register(kit: AccountKit, email: str = "ada@example.com") -> User:
    """Register a FULL user."""
    return made(
        kit.registration.register(
            email=email,
            password=PASSWORD,
            birth_date=BORN,
            given_name="Ada",
            family_name="Lovelace",
        )
    )


def make_user(kit: AccountKit, tier: UserTier, email: str) -> User:
    """Make a user of ``tier`` the way a shop would."""
    if tier is UserTier.FULL:
        return register(kit, email)
    if tier is UserTier.GUEST:
        user = kit.registration.register_guest(email=email, given_name="Gus")
        assert user is not None
        return user
    return kit.registration.create_blank(OPERATOR)


def assert_tier_invariant(user: User) -> None:
    """DESIGN.md section 3: what each tier must (and must not) hold."""
    if user.tier is UserTier.FULL:
        assert user.email
        assert user.password_hash
        assert user.birth_date is not None
    elif user.tier is UserTier.GUEST:
        assert user.email
        assert user.given_name or user.family_name
        assert user.password_hash is None
    else:
        assert user.must_complete_profile
        assert user.password_hash is None


# --- reading ---------------------------------------------------------------------------------


def test_get_unknown_user_is_not_found(kit: AccountKit) -> None:
    """An id that names nobody raises UserNotFound."""
    with pytest.raises(UserNotFound) as info:
        kit.users.get("usr_missing")
    assert info.value.code == "user_not_found"


@given(data=st.data())
def test_find_by_email_ignores_case(kit: AccountKit, data: st.DataObject) -> None:
    """A user is found under any casing of their address."""
    user = kit.users.find_by_email("ada.lovelace@example.com") or register(
        kit, "Ada.Lovelace@example.com"
    )
    variant = "".join(
        ch.swapcase() if data.draw(st.booleans()) else ch for ch in "ada.lovelace@example.com"
    )
    assert kit.users.find_by_email(variant) == user


def test_find_by_email_of_nobody_is_none(kit: AccountKit) -> None:
    """An address nobody has gives None; a malformed one raises InvalidEmail."""
    assert kit.users.find_by_email("nobody@example.com") is None
    with pytest.raises(InvalidEmail):
        kit.users.find_by_email("nobody")


# --- update_profile --------------------------------------------------------------------------


def test_update_profile_changes_names_and_records_it(kit: AccountKit, clock: FrozenClock) -> None:
    """The user may change their names; the change is in history with time and actor."""
    ada = register(kit)
    clock.advance(timedelta(minutes=5))
    user = kit.users.update_profile(Actor.user(ada.id), ada.id, given_name="  Augusta ")
    assert user.given_name == "Augusta"
    assert user.family_name == "Lovelace"
    assert user.updated_at == clock.now()
    assert user.version == ada.version + 1
    assert user.security_version == ada.security_version
    event = kit.reports.user_history(ada.id).items[-1]
    assert event.kind is EventKind.PROFILE_UPDATED
    assert event.actor == Actor.user(ada.id)
    assert event.at == clock.now()
    assert event.data["fields"] == "given_name"


def test_update_profile_replaces_the_free_form_profile(kit: AccountKit) -> None:
    """profile replaces the whole free-form profile."""
    ada = register(kit)
    kit.users.update_profile(OPERATOR, ada.id, profile={"ski_size": "175", "boot": "42"})
    user = kit.users.update_profile(OPERATOR, ada.id, profile={"boot": "43"})
    assert dict(user.profile) == {"boot": "43"}


def test_update_profile_refuses_a_bad_profile(kit: AccountKit) -> None:
    """A bad profile entry is InvalidValue; nothing changes."""
    ada = register(kit)
    with pytest.raises(InvalidValue):
        kit.users.update_profile(OPERATOR, ada.id, profile={"Bad Key": "x"})
    assert kit.users.get(ada.id) == ada


def test_new_email_raises_the_security_version(kit: AccountKit) -> None:
    """A new e-mail address kills earlier tokens by raising security_version."""
    ada = register(kit)
    user = kit.users.update_profile(Actor.user(ada.id), ada.id, email="augusta@example.com")
    assert user.email == "augusta@example.com"
    assert user.security_version == ada.security_version + 1
    assert kit.users.find_by_email("ada@example.com") is None
    assert kit.users.find_by_email("AUGUSTA@example.com") == user


def test_update_profile_without_change_writes_nothing(kit: AccountKit) -> None:
    """Giving the values a user has already changes nothing and records nothing."""
    ada = register(kit)
    same = kit.users.update_profile(OPERATOR, ada.id, given_name="Ada", family_name="Lovelace")
    assert same == ada
    assert len(kit.reports.user_history(ada.id).items) == 1


def test_update_profile_with_stale_version_is_concurrent_update(kit: AccountKit) -> None:
    """A caller who read an older version gets ConcurrentUpdate instead of overwriting."""
    ada = register(kit)
    newer = kit.users.update_profile(OPERATOR, ada.id, given_name="Augusta")
    with pytest.raises(ConcurrentUpdate):
        kit.users.update_profile(
            Actor.user(ada.id), ada.id, family_name="King", expected_version=ada.version
        )
    assert kit.users.get(ada.id) == newer


def test_a_user_cannot_change_another_user(kit: AccountKit) -> None:
    """One user may not change another user's profile."""
    ada, bob = register(kit), register(kit, "bob@example.com")
    with pytest.raises(NotPermitted):
        kit.users.update_profile(Actor.user(bob.id), ada.id, given_name="Mallory")
    assert kit.users.get(ada.id) == ada


def test_update_profile_to_a_taken_email_is_refused(kit: AccountKit) -> None:
    """Another user's address, in any case, is EmailTaken; nothing changes."""
    ada, bob = register(kit), register(kit, "bob@example.com")
    with pytest.raises(EmailTaken):
        kit.users.update_profile(Actor.user(bob.id), bob.id, email="ADA@EXAMPLE.COM")
    assert kit.users.get(bob.id) == bob
    assert kit.users.find_by_email("ada@example.com") == ada


def test_changing_only_the_case_of_ones_own_email_is_allowed(kit: AccountKit) -> None:
    """A user's own address in another case is not 'taken'."""
    ada = register(kit)
    user = kit.users.update_profile(Actor.user(ada.id), ada.id, email="ADA@example.com")
    assert user.email == "ADA@example.com"


# --- set_tier --------------------------------------------------------------------------------

SERIAL = itertools.count()
"""Fresh e-mail addresses for examples that share one kit."""

ALL_PAIRS = list(itertools.product(UserTier, UserTier))


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS, ids=[f"{a}-{b}" for a, b in ALL_PAIRS])
def test_operator_can_set_any_tier(
    kit: AccountKit, clock: FrozenClock, start: UserTier, target: UserTier
) -> None:
    """Given what the target tier needs, the operator moves any user to any tier; the result
    keeps the tier's invariant and the change is in history with time and actor."""
    user = make_user(kit, start, "someone@example.com")
    clock.advance(timedelta(hours=1))
    result = kit.users.set_tier(
        OPERATOR,
        user.id,
        target,
        email="someone@example.com",
        given_name="Some",
        password=PASSWORD,
        birth_date=BORN,
    )
    assert result.tier is target
    assert kit.users.get(user.id) == result
    assert_tier_invariant(result)
    history = kit.reports.user_history(user.id).items
    if start is target:
        assert result == user
        assert len(history) == 1
        return
    assert result.security_version == user.security_version + 1
    event = history[-1]
    assert event.kind is EventKind.TIER_CHANGED
    assert dict(event.data) == {"from": start.value, "to": target.value}
    assert event.actor == OPERATOR
    assert event.at == clock.now()


def test_full_to_guest_drops_the_password(kit: AccountKit) -> None:
    """A FULL user demoted to GUEST loses the password but keeps e-mail and name."""
    ada = register(kit)
    user = kit.users.set_tier(OPERATOR, ada.id, UserTier.GUEST)
    assert user.tier is UserTier.GUEST
    assert user.password_hash is None
    assert (user.email, user.given_name) == (ada.email, ada.given_name)


def test_to_blank_drops_password_and_birth_date(kit: AccountKit) -> None:
    """A user set to BLANK loses password and birth date and must complete the profile."""
    ada = register(kit)
    user = kit.users.set_tier(OPERATOR, ada.id, UserTier.BLANK)
    assert user.password_hash is None
    assert user.birth_date is None
    assert user.must_complete_profile


def test_guest_to_full_without_password_is_missing_field(
    kit: AccountKit, hasher: CheapPasswordHasher
) -> None:
    """A GUEST cannot become FULL without a password and birth date; the error names the
    field and nothing changes."""
    gus = make_user(kit, UserTier.GUEST, "gus@example.com")
    with pytest.raises(MissingField) as info:
        kit.users.set_tier(OPERATOR, gus.id, UserTier.FULL, birth_date=BORN)
    assert info.value.field == "password"
    with pytest.raises(MissingField) as info:
        kit.users.set_tier(OPERATOR, gus.id, UserTier.FULL, password=PASSWORD)
    assert info.value.field == "birth_date"
    assert kit.users.get(gus.id) == gus
    assert len(kit.reports.user_history(gus.id).items) == 1


def test_blank_to_guest_needs_email_and_name(kit: AccountKit) -> None:
    """A BLANK user cannot become GUEST without an e-mail and a name."""
    blank = kit.registration.create_blank(OPERATOR)
    with pytest.raises(MissingField):
        kit.users.set_tier(OPERATOR, blank.id, UserTier.GUEST, email="b@example.com")
    with pytest.raises(MissingField):
        kit.users.set_tier(OPERATOR, blank.id, UserTier.GUEST, given_name="B")
    assert kit.users.get(blank.id) == blank


def test_set_tier_to_a_taken_email_is_refused(kit: AccountKit) -> None:
    """Giving a BLANK user another user's address is EmailTaken; nothing changes."""
    register(kit)
    blank = kit.registration.create_blank(OPERATOR)
    with pytest.raises(EmailTaken):
        kit.users.set_tier(
            OPERATOR, blank.id, UserTier.GUEST, email="Ada@Example.com", given_name="B"
        )
    assert kit.users.get(blank.id) == blank


def test_a_user_cannot_set_tiers(kit: AccountKit) -> None:
    """Tier changes are the operator's; a user, even on themself, gets NotPermitted."""
    ada = register(kit)
    with pytest.raises(NotPermitted):
        kit.users.set_tier(Actor.user(ada.id), ada.id, UserTier.GUEST)
    assert kit.users.get(ada.id) == ada


@given(path=st.lists(st.sampled_from(UserTier), max_size=8))
def test_any_sequence_of_tier_changes_is_fully_recorded(
    kit: AccountKit, path: list[UserTier]
) -> None:
    """Whatever tiers the operator sets in a row, each real change is one history entry and
    the user always keeps the invariant of its tier."""
    user = make_user(kit, UserTier.FULL, f"user{next(SERIAL)}@example.com")
    tiers = [user.tier]
    for tier in path:
        user = kit.users.set_tier(
            OPERATOR, user.id, tier, given_name="Some", password=PASSWORD, birth_date=BORN
        )
        assert_tier_invariant(user)
        if tier is not tiers[-1]:
            tiers.append(tier)
    changes = [
        (e.data["from"], e.data["to"])
        for e in kit.reports.user_history(user.id).items
        if e.kind is EventKind.TIER_CHANGED
    ]
    assert changes == [(a.value, b.value) for a, b in itertools.pairwise(tiers)]


# --- disable / enable ------------------------------------------------------------------------


def test_disable_and_enable(kit: AccountKit) -> None:
    """The operator switches users off and on; each change is recorded and kills tokens."""
    ada = register(kit)
    off = kit.users.disable(OPERATOR, ada.id)
    assert off.status is UserStatus.DISABLED
    assert not off.is_active
    assert off.security_version == ada.security_version + 1
    on = kit.users.enable(OPERATOR, ada.id)
    assert on.status is UserStatus.ACTIVE
    kinds = [e.kind for e in kit.reports.user_history(ada.id).items]
    assert kinds[-2:] == [EventKind.USER_DISABLED, EventKind.USER_ENABLED]


def test_disable_twice_changes_nothing(kit: AccountKit) -> None:
    """Disabling a disabled user records nothing more."""
    ada = register(kit)
    off = kit.users.disable(OPERATOR, ada.id)
    assert kit.users.disable(OPERATOR, ada.id) == off
    assert len(kit.reports.user_history(ada.id).items) == 2


def test_a_user_cannot_disable_or_enable(kit: AccountKit) -> None:
    """Status changes are the operator's."""
    ada = register(kit)
    with pytest.raises(NotPermitted):
        kit.users.disable(Actor.user(ada.id), ada.id)
    with pytest.raises(NotPermitted):
        kit.users.enable(Actor.user(ada.id), ada.id)
    assert kit.users.get(ada.id) == ada


def test_enable_approves_a_pending_user(make_kit: KitFactory) -> None:
    """enable makes a PENDING_APPROVAL user (from an APPROVAL channel) ACTIVE."""
    kit = make_kit(ShopPolicy.b2b_approval())
    pending = made(
        kit.registration.register(
            email="ada@example.com",
            password=PASSWORD,
            birth_date=BORN,
            given_name="Ada",
            family_name="Lovelace",
            company_name="Engines",
        )
    )
    assert pending.status is UserStatus.PENDING_APPROVAL
    with pytest.raises(AwaitingApproval):
        kit.users.enable(OPERATOR, pending.id)
    assert kit.users.get(pending.id) == pending
    active = kit.registration.approve(OPERATOR, pending.id)
    assert active.status is UserStatus.ACTIVE


def test_unknown_user_status_change_is_not_found(kit: AccountKit) -> None:
    """Disabling an unknown id raises UserNotFound."""
    with pytest.raises(UserNotFound):
        kit.users.disable(OPERATOR, "usr_missing")
