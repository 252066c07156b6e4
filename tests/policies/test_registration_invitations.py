"""Invitations: the operator (or a company manager, for their own company) invites; the
invitee sets a password through the one-time INVITATION link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    EventKind,
    FrozenClock,
    MessageKind,
    Role,
    SalesChannel,
    ShopPolicy,
    SignInMethod,
    UserStatus,
    UserTier,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import (
    CustomerNotFound,
    EmailTaken,
    InvalidFields,
    InvalidPassword,
    InvalidPolicy,
    InvalidValue,
    MissingField,
    NotPermitted,
    NotYourCompany,
    PermissionDenied,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TokenUsed,
    TokenWrongPurpose,
    UnknownRole,
)
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET, KitFactory
from tests.helpers import BASE_URL, OPERATOR, last_message, upgrade_token
from tests.policies._registration import (
    BORN,
    OPEN_B2B,
    PASSWORD,
    company,
    invitation_token,
    register,
    sent,
)


def _closed(make_kit: KitFactory) -> AccountKit:
    return make_kit(ShopPolicy.abicart())


def _b2b_with_manager(make_kit: KitFactory) -> tuple[AccountKit, str, str]:
    """An open B2B kit, its company manager's id and the company's id."""
    kit = make_kit(OPEN_B2B)
    manager = company(kit, "boss@example.com")
    customer = kit.customers.context_for(manager.id).customer
    assert customer is not None
    return kit, manager.id, customer.id


def _users(kit: AccountKit) -> int:
    with kit.store.transaction(readonly=True) as tx:
        return tx.users.count()


# --- the operator ---------------------------------------------------------------------


def test_the_operator_invites_and_the_invitee_sets_a_password(make_kit: KitFactory) -> None:
    """A closed shop's invitation makes a GUEST, sends the INVITATION link, and accepting
    it makes the user FULL, verified, active and signed in."""
    kit = _closed(make_kit)
    invited = kit.registration.invite(
        OPERATOR, email="Ada@Example.com", given_name="Ada", family_name="Lovelace"
    )
    assert invited is not None
    assert invited.tier is UserTier.GUEST
    assert invited.password_hash is None
    note = last_message(kit, MessageKind.INVITATION)
    assert note.recipient == "Ada@example.com"
    assert note.user_id == invited.id
    assert note.link is not None
    assert note.link.startswith(BASE_URL)
    sign_in = kit.registration.accept_invitation(
        invitation_token(kit), password=PASSWORD, birth_date=BORN
    )
    assert sign_in.method is SignInMethod.INVITATION
    user = sign_in.user
    assert (user.id, user.tier, user.status) == (invited.id, UserTier.FULL, UserStatus.ACTIVE)
    assert user.email_verified_at is not None
    assert user.birth_date == BORN
    assert kit.auth.authenticate(sign_in.session_token).id == user.id
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == user.id


def test_invitation_and_acceptance_are_in_history(make_kit: KitFactory) -> None:
    """USER_CREATED and USER_INVITED carry the inviter; INVITATION_ACCEPTED the user."""
    kit = _closed(make_kit)
    invited = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert invited is not None
    kit.registration.accept_invitation(invitation_token(kit), password=PASSWORD, birth_date=BORN)
    trail = [(e.kind, e.actor) for e in kit.reports.user_history(invited.id).items]
    assert trail == [
        (EventKind.USER_CREATED, OPERATOR),
        (EventKind.USER_INVITED, OPERATOR),
        (EventKind.INVITATION_ACCEPTED, Actor.user(invited.id)),
    ]
    [created] = [
        e for e in kit.reports.user_history(invited.id).items if e.kind is EventKind.USER_CREATED
    ]
    assert dict(created.data) == {"tier": "guest", "channel": "web", "source": "invitation"}


def test_an_invitation_is_accepted_once(make_kit: KitFactory) -> None:
    """The link works once: a second use raises TokenUsed and changes nothing."""
    kit = _closed(make_kit)
    kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    token = invitation_token(kit)
    first = kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)
    with pytest.raises(TokenUsed):
        kit.registration.accept_invitation(token, password="another long password", birth_date=BORN)
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == first.user.id


def test_a_bad_password_keeps_the_link_usable(make_kit: KitFactory) -> None:
    """A refused password (or birth date) changes nothing; the same link works after."""
    kit = _closed(make_kit)
    kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    token = invitation_token(kit)
    with pytest.raises(InvalidPassword):
        kit.registration.accept_invitation(token, password="short", birth_date=BORN)
    with pytest.raises(InvalidFields) as info:
        kit.registration.accept_invitation(
            token, password="short", birth_date=BORN.replace(year=2999)
        )
    assert info.value.fields == ("password", "birth_date")
    user = kit.users.find_by_email("ada@example.com")
    assert user is not None
    assert user.tier is UserTier.GUEST
    kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)


def test_a_new_invitation_kills_the_one_before(make_kit: KitFactory) -> None:
    """Inviting an invitee again sends a new link; the old one is revoked."""
    kit = _closed(make_kit)
    first = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    old = invitation_token(kit)
    again = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert again == first
    new = invitation_token(kit)
    with pytest.raises(TokenRevoked):
        kit.registration.accept_invitation(old, password=PASSWORD, birth_date=BORN)
    kit.registration.accept_invitation(new, password=PASSWORD, birth_date=BORN)
    assert _users(kit) == 1


def test_the_operator_sees_that_an_address_has_an_account(make_kit: KitFactory) -> None:
    """Inviting a FULL user's address is EmailTaken for the operator; nothing is sent."""
    kit = make_kit(ShopPolicy.b2c_open())
    register(kit)
    with pytest.raises(EmailTaken):
        kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert sent(kit, MessageKind.INVITATION) == 0


def test_the_operator_invites_to_a_customer_with_a_role(make_kit: KitFactory) -> None:
    """With customer_id the invitee is a member at once: BUYER by default at a company,
    MEMBER at a personal customer, or the role given."""
    kit = _closed(make_kit)
    firm = kit.customers.create(OPERATOR, name="Engines", kind=CustomerKind.BUSINESS)
    family = kit.customers.create(OPERATOR, name="Family", kind=CustomerKind.PERSONAL)
    buyer = kit.registration.invite(
        OPERATOR, email="b@example.com", given_name="B", customer_id=firm.id
    )
    member = kit.registration.invite(
        OPERATOR, email="m@example.com", given_name="M", customer_id=family.id
    )
    viewer = kit.registration.invite(
        OPERATOR, email="v@example.com", given_name="V", customer_id=firm.id, role="viewer"
    )
    assert buyer is not None
    assert member is not None
    assert viewer is not None
    roles = {m.user_id: m.role for m in kit.customers.members(firm.id)}
    assert roles == {buyer.id: Role.BUYER, viewer.id: Role.VIEWER}
    assert [m.role for m in kit.customers.members(family.id)] == [Role.MEMBER]


def test_a_custom_role_of_the_kit_may_be_given() -> None:
    """A custom role the kit was given is accepted; one it was not is UnknownRole."""
    kit = AccountKit(
        store=MemoryStore(),
        secret_keys=[SECRET],
        channels=[SalesChannel("web", ShopPolicy(), base_url=BASE_URL)],
        password_hasher=CheapPasswordHasher(),
        roles={"purchaser": {Permission.PLACE_ORDERS}},
    )
    firm = kit.customers.create(OPERATOR, name="Engines", kind=CustomerKind.BUSINESS)
    user = kit.registration.invite(
        OPERATOR, email="p@example.com", given_name="P", customer_id=firm.id, role="purchaser"
    )
    assert user is not None
    assert [m.role for m in kit.customers.members(firm.id)] == ["purchaser"]
    with pytest.raises(UnknownRole) as info:
        kit.registration.invite(
            OPERATOR, email="q@example.com", given_name="Q", customer_id=firm.id, role="boss"
        )
    assert info.value.code == "unknown_role"
    assert kit.users.find_by_email("q@example.com") is None


def test_bad_invitations_change_nothing(make_kit: KitFactory) -> None:
    """Each bad invitation raises its own error and stores and sends nothing."""
    kit = _closed(make_kit)
    firm = kit.customers.create(OPERATOR, name="Engines", kind=CustomerKind.BUSINESS)
    cases: list[tuple[type[Exception], dict[str, object]]] = [
        (MissingField, {"email": "a@example.com"}),
        (InvalidFields, {"email": "nobody", "given_name": "\x00"}),
        (InvalidValue, {"email": "a@example.com", "given_name": "A", "role": "buyer"}),
        (CustomerNotFound, {"email": "a@example.com", "given_name": "A", "customer_id": "cus_x"}),
        (
            UnknownRole,
            {"email": "a@example.com", "given_name": "A", "customer_id": firm.id, "role": 7},
        ),
    ]
    for error, arguments in cases:
        with pytest.raises(error):
            kit.registration.invite(OPERATOR, **arguments)  # type: ignore[arg-type]
    assert _users(kit) == 0
    assert sent(kit, MessageKind.INVITATION) == 0


def test_a_channel_without_base_url_cannot_invite(make_kit: KitFactory) -> None:
    """Without a base_url no link can be sent: InvalidPolicy, and no user is made."""
    kit = make_kit(channels=[SalesChannel("web", ShopPolicy())])
    with pytest.raises(InvalidPolicy):
        kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert _users(kit) == 0


def test_an_invitee_upgraded_otherwise_cannot_accept(make_kit: KitFactory) -> None:
    """An invitee who became FULL another way (a guest upgrade) gets WrongTier."""
    kit = _closed(make_kit)
    invited = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert invited is not None
    token = invitation_token(kit)
    kit.registration.upgrade_guest_by_id(OPERATOR, invited.id, password=PASSWORD, birth_date=BORN)
    # The upgrade raised the security version, so the token died with it.
    with pytest.raises(TokenRevoked):
        kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)
    assert kit.users.get(invited.id).email_verified_at is None


# --- a company manager ------------------------------------------------------------------


def test_a_manager_invites_to_their_own_company(make_kit: KitFactory) -> None:
    """A COMPANY_MANAGER invites a BUYER to their company; the answer is None (it never
    says whether the address had an account), the member list shows the invitee."""
    kit, manager, firm = _b2b_with_manager(make_kit)
    answer = kit.registration.invite(
        Actor.user(manager), email="bob@example.com", given_name="Bob", customer_id=firm
    )
    assert answer is None
    bob = kit.users.find_by_email("bob@example.com")
    assert bob is not None
    assert {m.user_id: m.role for m in kit.customers.members(firm)}[bob.id] is Role.BUYER
    [invited] = [
        e for e in kit.reports.user_history(bob.id).items if e.kind is EventKind.USER_INVITED
    ]
    assert invited.actor == Actor.user(manager)
    assert invited.customer_id == firm
    sign_in = kit.registration.accept_invitation(
        invitation_token(kit), password=PASSWORD, birth_date=BORN
    )
    assert sign_in.user.id == bob.id


def test_a_manager_learns_nothing_about_a_known_address(make_kit: KitFactory) -> None:
    """A known address gives a manager the same answer; nothing is made, no member is
    added, and the owner gets a COMPANY_INVITATION notice without a link."""
    kit, manager, firm = _b2b_with_manager(make_kit)
    other = register(kit, "carol@example.com", company_name="Other firm")
    answer = kit.registration.invite(
        Actor.user(manager), email="carol@example.com", given_name="Carol", customer_id=firm
    )
    assert answer is None
    assert [m.user_id for m in kit.customers.members(firm)] == [manager]
    note = last_message(kit, MessageKind.COMPANY_INVITATION)
    assert note.user_id == other.id
    assert note.link is None
    assert sent(kit, MessageKind.INVITATION) == 0


def test_a_manager_may_resend_to_their_own_invitee(make_kit: KitFactory) -> None:
    """An invitee who is already the company's member gets a fresh link from the manager."""
    kit, manager, firm = _b2b_with_manager(make_kit)
    for _ in range(2):
        kit.registration.invite(
            Actor.user(manager), email="bob@example.com", given_name="Bob", customer_id=firm
        )
    assert sent(kit, MessageKind.INVITATION) == 2
    kit.registration.accept_invitation(invitation_token(kit), password=PASSWORD, birth_date=BORN)


def test_a_manager_cannot_invite_to_another_company(make_kit: KitFactory) -> None:
    """Another company's id raises NotYourCompany; nothing is made or sent."""
    kit, manager, _ = _b2b_with_manager(make_kit)
    other = company(kit, "carol@example.com", company_name="Other firm")
    other_firm = kit.customers.context_for(other.id).customer
    assert other_firm is not None
    with pytest.raises(NotYourCompany) as info:
        kit.registration.invite(
            Actor.user(manager),
            email="bob@example.com",
            given_name="Bob",
            customer_id=other_firm.id,
        )
    assert info.value.code == "not_your_company"
    assert kit.users.find_by_email("bob@example.com") is None
    assert sent(kit, MessageKind.INVITATION) == 0


def test_a_user_must_name_their_company(make_kit: KitFactory) -> None:
    """A user inviting without customer_id raises NotPermitted (only staff invite to the
    shop itself)."""
    kit, manager, _ = _b2b_with_manager(make_kit)
    with pytest.raises(NotPermitted):
        kit.registration.invite(Actor.user(manager), email="bob@example.com", given_name="Bob")
    assert kit.users.find_by_email("bob@example.com") is None


def test_a_buyer_cannot_invite(make_kit: KitFactory) -> None:
    """A BUYER lacks manage_users: PermissionDenied naming it; nothing changes."""
    kit, manager, firm = _b2b_with_manager(make_kit)
    kit.registration.invite(
        Actor.user(manager), email="bob@example.com", given_name="Bob", customer_id=firm
    )
    bob = kit.registration.accept_invitation(
        invitation_token(kit), password=PASSWORD, birth_date=BORN
    ).user
    with pytest.raises(PermissionDenied) as info:
        kit.registration.invite(
            Actor.user(bob.id), email="eve@example.com", given_name="Eve", customer_id=firm
        )
    assert info.value.code == "permission_denied"
    assert info.value.permission == "manage_users"
    assert kit.users.find_by_email("eve@example.com") is None
    assert sent(kit, MessageKind.INVITATION) == 1


def test_a_manager_may_invite_another_manager(make_kit: KitFactory) -> None:
    """Any role the kit knows may be given, COMPANY_MANAGER too."""
    kit, manager, firm = _b2b_with_manager(make_kit)
    kit.registration.invite(
        Actor.user(manager),
        email="bob@example.com",
        given_name="Bob",
        customer_id=firm,
        role=Role.COMPANY_MANAGER,
    )
    roles = sorted(str(m.role) for m in kit.customers.members(firm))
    assert roles == ["company_manager", "company_manager"]


# --- the link as an attacker sees it ----------------------------------------------------


def test_a_tampered_or_foreign_token_is_refused(make_kit: KitFactory) -> None:
    """A changed invitation token, or another purpose's token, changes nothing."""
    kit = _closed(make_kit)
    invited = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert invited is not None
    token = invitation_token(kit)
    with pytest.raises(TokenInvalid):
        kit.registration.accept_invitation(token[:-2] + "AA", password=PASSWORD, birth_date=BORN)
    with pytest.raises(TokenWrongPurpose):
        kit.registration.upgrade_guest(token, password=PASSWORD, birth_date=BORN)
    upgrade = upgrade_token(kit, invited)
    with pytest.raises(TokenWrongPurpose):
        kit.registration.accept_invitation(upgrade, password=PASSWORD, birth_date=BORN)
    assert kit.users.get(invited.id).tier is UserTier.GUEST


def test_an_invitation_expires_after_14_days(make_kit: KitFactory, clock: FrozenClock) -> None:
    """The link lives 14 days; later it is TokenExpired and the invitee stays a guest."""
    kit = _closed(make_kit)
    kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    token = invitation_token(kit)
    clock.advance(timedelta(days=14, seconds=1))
    with pytest.raises(TokenExpired):
        kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)


def test_a_disabled_invitee_cannot_accept(make_kit: KitFactory) -> None:
    """Disabling the invitee ends the link; nothing changes."""
    kit = _closed(make_kit)
    invited = kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    assert invited is not None
    token = invitation_token(kit)
    kit.users.disable(OPERATOR, invited.id)
    with pytest.raises(TokenRevoked):
        kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)
    assert kit.users.get(invited.id).password_hash is None
