"""Registration by access mode: CLOSED refuses, OPEN makes the account at once, APPROVAL
makes a request that the operator approves or rejects."""

from __future__ import annotations

import attrs
import pytest

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    EventKind,
    MessageKind,
    RegistrationAccess,
    ShopPolicy,
    UserStatus,
)
from accountkit.errors import (
    AuthenticationError,
    AwaitingApproval,
    InvalidValue,
    NotPendingApproval,
    NotPermitted,
    RegistrationClosed,
    RequestRejected,
    UserNotFound,
)
from tests.conftest import KitFactory
from tests.helpers import OPERATOR, last_message, link_token
from tests.policies._registration import (
    APPROVAL_B2C,
    BORN,
    PASSWORD,
    company,
    register,
    sent,
)


def _users(kit: AccountKit) -> int:
    with kit.store.transaction(readonly=True) as tx:
        return tx.users.count()


# --- CLOSED -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [ShopPolicy(), ShopPolicy.b2c_closed(), ShopPolicy.abicart()],
    ids=["default", "b2c_closed", "abicart"],
)
def test_closed_registration_is_refused_and_stores_nothing(
    make_kit: KitFactory, policy: ShopPolicy
) -> None:
    """Under CLOSED access self-registration raises RegistrationClosed; nothing is made."""
    kit = make_kit(policy)
    with pytest.raises(RegistrationClosed) as info:
        register(kit)
    assert info.value.code == "registration_closed"
    assert _users(kit) == 0
    assert kit.users.find_by_email("ada@example.com") is None


def test_closed_b2b_registration_is_refused_too(make_kit: KitFactory) -> None:
    """A closed B2B channel refuses before it looks at the company fields."""
    closed = attrs.evolve(ShopPolicy.b2b_approval(), registration_access=RegistrationAccess.CLOSED)
    kit = make_kit(closed)
    with pytest.raises(RegistrationClosed):
        register(kit)
    assert _users(kit) == 0


# --- OPEN -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [ShopPolicy.b2c_open(), ShopPolicy.tyrios(), ShopPolicy.site_builder()],
    ids=["b2c_open", "tyrios", "site_builder"],
)
def test_open_registration_makes_an_active_account_at_once(
    make_kit: KitFactory, policy: ShopPolicy
) -> None:
    """Under OPEN access the user is active and signed in at once."""
    kit = make_kit(policy)
    result = kit.registration.register(
        email="ada@example.com",
        password=PASSWORD,
        birth_date=BORN,
        given_name="Ada",
        family_name="Lovelace",
    )
    assert result.user is not None
    assert result.user.status is UserStatus.ACTIVE
    assert result.sign_in is not None
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == result.user.id


# --- APPROVAL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "fields"),
    [
        (ShopPolicy.b2b_approval(), {"company_name": "Engines"}),
        (
            ShopPolicy.tradeline_pro(),
            {"company_name": "Engines", "vat_id": "DE123456789", "phone": "+49 30 1234567"},
        ),
        (APPROVAL_B2C, {}),
    ],
    ids=["b2b_approval", "tradeline_pro", "b2c_approval"],
)
def test_a_request_waits_and_sign_in_says_so(
    make_kit: KitFactory, policy: ShopPolicy, fields: dict[str, str]
) -> None:
    """Under APPROVAL the user is PENDING_APPROVAL and signing in raises AwaitingApproval."""
    kit = make_kit(policy)
    user = register(kit, **fields)
    assert user.status is UserStatus.PENDING_APPROVAL
    with pytest.raises(AwaitingApproval) as info:
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    assert info.value.code == "awaiting_approval"


def test_a_b2b_request_has_no_customer_number_until_approved(make_kit: KitFactory) -> None:
    """The business customer of a request has no number; approval assigns the next one."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    [membership] = kit.customers.memberships(user.id)
    assert kit.customers.get(membership.customer_id).number is None
    approved = kit.registration.approve(OPERATOR, user.id)
    assert approved.status is UserStatus.ACTIVE
    customer = kit.customers.get(membership.customer_id)
    assert customer.kind is CustomerKind.BUSINESS
    assert customer.number == "10000"
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == user.id


def test_numbers_follow_the_order_of_approval_not_of_registration(make_kit: KitFactory) -> None:
    """A rejected request uses up no number; the numbers go to approvals in their order."""
    kit = make_kit(ShopPolicy.b2b_approval())
    first = company(kit, "first@example.com")
    second = company(kit, "second@example.com")
    third = company(kit, "third@example.com")
    kit.registration.reject(OPERATOR, first.id)
    kit.registration.approve(OPERATOR, third.id)
    kit.registration.approve(OPERATOR, second.id)
    third_customer = kit.customers.context_for(third.id).customer
    second_customer = kit.customers.context_for(second.id).customer
    assert third_customer is not None
    assert second_customer is not None
    assert (third_customer.number, second_customer.number) == ("10000", "10001")


def test_approval_skips_a_number_given_by_hand(make_kit: KitFactory) -> None:
    """A number the operator gave another customer is skipped at approval."""
    kit = make_kit(ShopPolicy.b2b_approval())
    other = kit.customers.create(OPERATOR, name="Hand made", kind=CustomerKind.BUSINESS)
    kit.customers.set_customer_number(OPERATOR, other.id, "10000")
    user = company(kit)
    kit.registration.approve(OPERATOR, user.id)
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.number != "10000"


def test_a_personal_request_gets_its_number_at_approval(make_kit: KitFactory) -> None:
    """B2C with personal_customer under APPROVAL: the PERSONAL customer is numbered when
    approved."""
    kit = make_kit(APPROVAL_B2C)
    user = register(kit)
    [membership] = kit.customers.memberships(user.id)
    assert kit.customers.get(membership.customer_id).number is None
    kit.registration.approve(OPERATOR, user.id)
    customer = kit.customers.get(membership.customer_id)
    assert customer.kind is CustomerKind.PERSONAL
    assert customer.number == "100000"


def test_approval_is_in_history_with_the_actor_and_notifies(make_kit: KitFactory) -> None:
    """Approval records REGISTRATION_APPROVED (and the number) with the operator, and sends
    REGISTRATION_APPROVED to the person."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    kit.registration.approve(OPERATOR, user.id)
    [approved] = [
        e
        for e in kit.reports.user_history(user.id).items
        if e.kind is EventKind.REGISTRATION_APPROVED
    ]
    assert approved.actor == OPERATOR
    assert dict(approved.data) == {"from": "pending_approval", "to": "active"}
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    numbered = [
        e
        for e in kit.reports.history(customer.id).items
        if e.kind is EventKind.CUSTOMER_NUMBER_CHANGED
    ]
    assert [(e.actor, dict(e.data)) for e in numbered] == [(OPERATOR, {"from": "", "to": "10000"})]
    note = last_message(kit, MessageKind.REGISTRATION_APPROVED)
    assert note.recipient == "ada@example.com"
    assert note.user_id == user.id
    assert note.channel == "web"
    assert note.link is None


def test_rejection_deletes_the_request_and_its_company(make_kit: KitFactory) -> None:
    """Rejection deletes the user and the business customer made for it; the address is
    free again; history keeps ids only, with the actor."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit, vat_id="DE123456789")
    [membership] = kit.customers.memberships(user.id)
    kit.registration.reject(OPERATOR, user.id, reason="We sell to resellers only.")
    with pytest.raises(UserNotFound):
        kit.users.get(user.id)
    assert kit.users.find_by_email("ada@example.com") is None
    with kit.store.transaction(readonly=True) as tx:
        assert tx.customers.get(membership.customer_id) is None
        assert tx.memberships.for_user(user.id) == []
        events = tx.events.for_user(user.id)
    [rejected] = [e for e in events if e.kind is EventKind.REGISTRATION_REJECTED]
    assert rejected.actor == OPERATOR
    assert dict(rejected.data) == {"customer_id": membership.customer_id}
    for event in events:
        assert set(event.data.values()) <= {
            "full",
            "web",
            "registration",
            "company_manager",
            "business",
            membership.customer_id,
        }
    again = company(kit)
    assert again.id != user.id


def test_rejection_notifies_with_the_reason(make_kit: KitFactory) -> None:
    """The REGISTRATION_REJECTED notice goes to the address, with the reason."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    kit.registration.reject(OPERATOR, user.id, reason="We sell to resellers only.")
    note = last_message(kit, MessageKind.REGISTRATION_REJECTED)
    assert note.recipient == "ada@example.com"
    assert note.user_id == user.id
    assert note.reason == "We sell to resellers only."
    assert "resellers" not in repr(note)


def test_rejecting_a_personal_request_deletes_its_personal_customer(make_kit: KitFactory) -> None:
    """The PERSONAL customer a B2C request made goes with it."""
    kit = make_kit(APPROVAL_B2C)
    user = register(kit)
    [membership] = kit.customers.memberships(user.id)
    kit.registration.reject(OPERATOR, user.id)
    with kit.store.transaction(readonly=True) as tx:
        assert tx.customers.get(membership.customer_id) is None


def test_rejection_keeps_a_customer_the_operator_made(make_kit: KitFactory) -> None:
    """A customer the operator assigned the pending user to stays (without them); the
    company the request made goes."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    [own] = kit.customers.memberships(user.id)
    club = kit.customers.create(OPERATOR, name="Ski club", kind=CustomerKind.PERSONAL)
    kit.customers.assign_user(OPERATOR, user.id, club.id)
    kit.registration.reject(OPERATOR, user.id)
    assert kit.customers.get(club.id).name == "Ski club"
    assert kit.customers.members(club.id) == []
    with kit.store.transaction(readonly=True) as tx:
        assert tx.customers.get(own.customer_id) is None


def test_approving_a_rejected_request_is_request_rejected(make_kit: KitFactory) -> None:
    """After a rejection, approve (and reject) say RequestRejected and change nothing."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    kit.registration.reject(OPERATOR, user.id)
    before = sent(kit, MessageKind.REGISTRATION_APPROVED)
    with pytest.raises(RequestRejected) as info:
        kit.registration.approve(OPERATOR, user.id)
    assert info.value.code == "request_rejected"
    with pytest.raises(RequestRejected):
        kit.registration.reject(OPERATOR, user.id)
    assert sent(kit, MessageKind.REGISTRATION_APPROVED) == before


def test_approving_twice_is_not_pending_approval(make_kit: KitFactory) -> None:
    """A second approval, or a rejection after approval, raises NotPendingApproval."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    kit.registration.approve(OPERATOR, user.id)
    with pytest.raises(NotPendingApproval) as info:
        kit.registration.approve(OPERATOR, user.id)
    assert info.value.code == "not_pending_approval"
    with pytest.raises(NotPendingApproval):
        kit.registration.reject(OPERATOR, user.id)
    assert kit.users.get(user.id).status is UserStatus.ACTIVE
    assert sent(kit, MessageKind.REGISTRATION_APPROVED) == 1


def test_an_open_registration_is_not_pending(kit: AccountKit) -> None:
    """A user who never asked for approval cannot be approved or rejected."""
    user = register(kit)
    with pytest.raises(NotPendingApproval):
        kit.registration.approve(OPERATOR, user.id)
    with pytest.raises(NotPendingApproval):
        kit.registration.reject(OPERATOR, user.id)
    assert kit.users.get(user.id) == user


def test_an_unknown_user_is_not_found(kit: AccountKit) -> None:
    """Approving or rejecting an id nobody has raises UserNotFound."""
    with pytest.raises(UserNotFound):
        kit.registration.approve(OPERATOR, "usr_nobody")
    with pytest.raises(UserNotFound):
        kit.registration.reject(OPERATOR, "usr_nobody")


def test_only_staff_approve_or_reject(make_kit: KitFactory) -> None:
    """A user (even the applicant) cannot approve or reject; nothing changes."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    for actor in (Actor.user(user.id), Actor.user("usr_other")):
        with pytest.raises(NotPermitted):
            kit.registration.approve(actor, user.id)
        with pytest.raises(NotPermitted):
            kit.registration.reject(actor, user.id)
    assert kit.users.get(user.id).status is UserStatus.PENDING_APPROVAL


def test_a_reason_that_cannot_be_stored_is_refused(make_kit: KitFactory) -> None:
    """A reason with control characters is InvalidValue; the request stays."""
    kit = make_kit(ShopPolicy.b2b_approval())
    user = company(kit)
    with pytest.raises(InvalidValue):
        kit.registration.reject(OPERATOR, user.id, reason="no\x00")
    assert kit.users.get(user.id).status is UserStatus.PENDING_APPROVAL


def test_approval_on_a_verifying_channel_sends_a_live_verification_link(
    make_kit: KitFactory,
) -> None:
    """The status change ends the link sent at registration, so approval sends a new one,
    which verifies the address; the old one is dead."""
    verifying = attrs.evolve(ShopPolicy.b2b_approval(), require_email_verification=True)
    kit = make_kit(verifying)
    result = kit.registration.register(
        email="ada@example.com",
        password=PASSWORD,
        birth_date=BORN,
        given_name="Ada",
        family_name="Lovelace",
        company_name="Engines",
    )
    assert result.check_inbox
    old = link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION))
    user = kit.users.find_by_email("ada@example.com")
    assert user is not None
    kit.registration.approve(OPERATOR, user.id)
    new = link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION))
    with pytest.raises(AuthenticationError):
        kit.auth.verify_email(old)
    assert kit.auth.verify_email(new).email_verified_at is not None
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == user.id
