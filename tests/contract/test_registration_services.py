"""Registration by policy through the services, on every store: access modes, approval and
rejection, required master data, personal and business customers, invitations and guest
checkout. (Rejection and the company fields need the store's ``users.remove``,
``customers.remove`` and the master-data columns.)"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest

from accountkit import (
    Actor,
    CustomerKind,
    EventKind,
    MessageKind,
    Role,
    ShopPolicy,
    UserStatus,
    UserTier,
)
from accountkit.errors import (
    AccountKitError,
    AwaitingApproval,
    InvalidFields,
    NotPendingApproval,
    NotYourCompany,
    PermissionDenied,
    RegistrationClosed,
    RequestRejected,
    TokenUsed,
)
from accountkit.storage import Store
from tests.conftest import KitFactory
from tests.helpers import OPERATOR, last_message
from tests.policies._registration import (
    APPROVAL_B2C,
    BORN,
    COMPANY_ADDRESS,
    OPEN_B2B,
    PASSWORD,
    company,
    invitation_token,
    register,
)


def test_closed_registration_is_refused(make_kit: KitFactory, store: Store) -> None:
    """CLOSED access refuses self-registration and stores nothing."""
    kit = make_kit(ShopPolicy.abicart(), store=store)
    with pytest.raises(RegistrationClosed):
        register(kit)
    assert kit.users.find_by_email("ada@example.com") is None


def test_approval_numbers_the_company_and_activates(make_kit: KitFactory, store: Store) -> None:
    """A B2B request waits without a number; approval activates and numbers it."""
    kit = make_kit(ShopPolicy.b2b_approval(), store=store)
    user = company(kit)
    [membership] = kit.customers.memberships(user.id)
    assert kit.customers.get(membership.customer_id).number is None
    with pytest.raises(AwaitingApproval):
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    kit.registration.approve(OPERATOR, user.id)
    assert kit.customers.get(membership.customer_id).number == "10000"
    assert kit.users.get(user.id).status is UserStatus.ACTIVE
    with pytest.raises(NotPendingApproval):
        kit.registration.approve(OPERATOR, user.id)
    kinds = [e.kind for e in kit.reports.user_history(user.id).items]
    assert EventKind.REGISTRATION_APPROVED in kinds
    assert last_message(kit, MessageKind.REGISTRATION_APPROVED).user_id == user.id


def test_approval_skips_a_number_taken_by_hand(make_kit: KitFactory, store: Store) -> None:
    """A number given by hand is skipped at approval, and the unit still commits."""
    kit = make_kit(ShopPolicy.b2b_approval(), store=store)
    other = kit.customers.create(OPERATOR, name="Hand made", kind=CustomerKind.BUSINESS)
    kit.customers.set_customer_number(OPERATOR, other.id, "10000")
    user = company(kit)
    kit.registration.approve(OPERATOR, user.id)
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.number == "10001"
    assert kit.users.get(user.id).status is UserStatus.ACTIVE


def test_a_personal_request_is_numbered_at_approval(make_kit: KitFactory, store: Store) -> None:
    """B2C with personal_customer under APPROVAL: the PERSONAL customer is numbered when
    approved."""
    kit = make_kit(APPROVAL_B2C, store=store)
    user = register(kit)
    kit.registration.approve(OPERATOR, user.id)
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert (customer.kind, customer.number) == (CustomerKind.PERSONAL, "100000")


def test_rejection_deletes_the_request_and_its_company(make_kit: KitFactory, store: Store) -> None:
    """Rejection deletes user and company; approve afterwards is RequestRejected; the
    address may register again."""
    kit = make_kit(ShopPolicy.b2b_approval(), store=store)
    user = company(kit)
    [membership] = kit.customers.memberships(user.id)
    kit.registration.reject(OPERATOR, user.id, reason="Resellers only.")
    assert kit.users.find_by_email("ada@example.com") is None
    with store.transaction(readonly=True) as tx:
        assert tx.customers.get(membership.customer_id) is None
    with pytest.raises(RequestRejected):
        kit.registration.approve(OPERATOR, user.id)
    assert last_message(kit, MessageKind.REGISTRATION_REJECTED).reason == "Resellers only."
    assert company(kit).id != user.id


def test_master_data_goes_where_it_belongs(make_kit: KitFactory, store: Store) -> None:
    """Phone to the user; VAT id and company address to the company; bad fields together."""
    kit = make_kit(OPEN_B2B, store=store)
    with pytest.raises(InvalidFields) as info:
        company(kit, phone="call me", vat_id="1")
    assert info.value.fields == ("phone", "vat_id")
    user = company(
        kit, phone="+49 30 1234567", vat_id="de123456789", company_address=COMPANY_ADDRESS
    )
    assert kit.users.get(user.id).phone == "+49301234567"
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.vat_id == "DE123456789"
    assert customer.bill_to == attrs.evolve(COMPANY_ADDRESS, country="DE")


def test_personal_customer_with_the_user_as_member(make_kit: KitFactory, store: Store) -> None:
    """TYRIOS: open registration makes a numbered PERSONAL customer with the user as MEMBER."""
    kit = make_kit(ShopPolicy.tyrios(), store=store)
    user = register(kit)
    context = kit.customers.context_for(user.id)
    assert context.customer is not None
    assert (context.customer.kind, context.customer.number) == (CustomerKind.PERSONAL, "100000")
    assert context.role is Role.MEMBER


def test_invitation_by_a_manager_and_acceptance(make_kit: KitFactory, store: Store) -> None:
    """A manager invites to their company; the link works once; a BUYER may not invite and
    a manager not for another company."""
    kit = make_kit(OPEN_B2B, store=store)
    boss = company(kit, "boss@example.com")
    firm = kit.customers.context_for(boss.id).customer
    assert firm is not None
    assert (
        kit.registration.invite(
            Actor.user(boss.id), email="bob@example.com", given_name="Bob", customer_id=firm.id
        )
        is None
    )
    token = invitation_token(kit)
    bob = kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN).user
    assert (bob.tier, bob.status) == (UserTier.FULL, UserStatus.ACTIVE)
    assert bob.email_verified_at is not None
    with pytest.raises(TokenUsed):
        kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)
    with pytest.raises(PermissionDenied):
        kit.registration.invite(
            Actor.user(bob.id), email="eve@example.com", given_name="Eve", customer_id=firm.id
        )
    other = company(kit, "carol@example.com", company_name="Other")
    other_firm = kit.customers.context_for(other.id).customer
    assert other_firm is not None
    with pytest.raises(NotYourCompany):
        kit.registration.invite(
            Actor.user(boss.id),
            email="eve@example.com",
            given_name="Eve",
            customer_id=other_firm.id,
        )
    assert kit.users.find_by_email("eve@example.com") is None


def test_guest_checkout_follows_the_channel(make_kit: KitFactory, store: Store) -> None:
    """NO_ACCOUNT makes no user; GUEST_ACCOUNT makes one; a FULL user's address attaches
    to nothing."""
    kit = make_kit(ShopPolicy.b2c_open(), ShopPolicy.site_builder(), store=store)
    assert (
        kit.registration.register_guest(email="a@example.com", given_name="A", channel="ch1")
        is None
    )
    assert kit.users.find_by_email("a@example.com") is None
    guest = kit.registration.register_guest(email="a@example.com", given_name="A")
    assert guest is not None
    full = register(kit)
    for channel in ("web", "ch1"):
        assert (
            kit.registration.register_guest(
                email="ada@example.com", given_name="M", channel=channel
            )
            is None
        )
    assert kit.users.get(full.id) == full


def _race(count: int, work: Callable[[], object]) -> list[str]:
    """Run ``work`` on ``count`` threads at once; the outcome codes, sorted."""
    codes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            work()
            code = "ok"
        except AccountKitError as exc:
            code = exc.code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(codes)


def test_concurrent_approvals_approve_and_number_once(make_kit: KitFactory, store: Store) -> None:
    """Four operators approve one request at once: one succeeds, the others are
    NotPendingApproval, and the company gets exactly one number."""
    kit = make_kit(ShopPolicy.b2b_approval(), store=store)
    user = company(kit)
    codes = _race(4, lambda: kit.registration.approve(OPERATOR, user.id))
    assert codes == ["not_pending_approval"] * 3 + ["ok"]
    customer = kit.customers.context_for(user.id).customer
    assert customer is not None
    assert customer.number == "10000"
    later = company(kit, "bob@example.com")
    kit.registration.approve(OPERATOR, later.id)
    later_customer = kit.customers.context_for(later.id).customer
    assert later_customer is not None
    assert later_customer.number == "10001"


def test_concurrent_acceptances_accept_once(make_kit: KitFactory, store: Store) -> None:
    """Four browsers accept one invitation at once: one signs in, the others get TokenUsed."""
    kit = make_kit(ShopPolicy.abicart(), store=store)
    kit.registration.invite(OPERATOR, email="ada@example.com", given_name="Ada")
    token = invitation_token(kit)
    codes = _race(
        4, lambda: kit.registration.accept_invitation(token, password=PASSWORD, birth_date=BORN)
    )
    assert codes == ["ok"] + ["token_used"] * 3
