"""A Hypothesis state machine that drives registration, tiers, customers and memberships at
random and checks the invariants of DESIGN.md section 3 after every step.

The machine keeps its own model of what the shop should hold (tiers, e-mail keys, memberships,
histories) and compares the kit against it; rules that are expected to fail check that the
right error comes and that nothing observable changed.

It runs twice, under ONE_CUSTOMER_PER_USER (``ShopPolicy.b2c_open()``) and under
MANY_COMPANIES (``ShopPolicy.b2b_approval()``). The store comes from :data:`STORE_FACTORY`
only; to run the same machine against another store, call :func:`build_machine` with that
store's factory, for example ``build_machine(policy, lambda: SqlStore(url)).TestCase``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from accountkit import (
    AccountKit,
    Actor,
    CustomerKind,
    Event,
    EventKind,
    FrozenClock,
    GuestSource,
    MembershipRule,
    MessageKind,
    Outbox,
    RegistrationAccess,
    RegistrationMode,
    Role,
    SalesChannel,
    ShopPolicy,
    User,
    UserStatus,
    UserTier,
)
from accountkit.errors import (
    AccountKitError,
    AlreadyErased,
    AlreadyMember,
    AwaitingApproval,
    CustomerNumberTaken,
    EmailTaken,
    InvalidBirthDate,
    InvalidEmail,
    InvalidName,
    LastCompanyManager,
    MembershipConflict,
    MembershipNotFound,
    MissingField,
    NotAMember,
    NotPermitted,
    NotYourCompany,
    PasswordTooShort,
    PermissionDenied,
    UserDisabled,
    UserErased,
    WrongTier,
)
from accountkit.services.registration import Registration
from accountkit.storage import MemoryStore, Store
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.helpers import BASE_URL, made, upgrade_token

StoreFactory = Callable[[], Store]


def memory_store() -> Store:
    """A fresh MemoryStore."""
    return MemoryStore()


STORE_FACTORY: StoreFactory = memory_store
"""The one place that names the store these machines run on."""

MACHINE_SETTINGS = settings(max_examples=50, stateful_step_count=30, deadline=None)

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
TODAY = START.date()
PASSWORD = "correct horse battery"
OPERATORS = [Actor.operator("staff-1"), Actor.operator("staff-2"), Actor.system()]

# A small pool of addresses, written in random case, so that clashes happen often.
LOCAL_PARTS = ["ada", "bob", "cy.d", "eve+shop"]
DOMAINS = ["example.com", "shop.de"]
CASINGS: list[Callable[[str], str]] = [str.lower, str.upper, str.title, str.swapcase]
EMAILS = st.builds(
    lambda local, domain, case: case(f"{local}@{domain}"),
    st.sampled_from(LOCAL_PARTS),
    st.sampled_from(DOMAINS),
    st.sampled_from(CASINGS),
)
NAMES = st.sampled_from(["Ada", "Bob", "Zoë", "O'Neil", "Jean-Luc", "  Padded  "])
BIRTH_DATES = st.dates(min_value=date(1896, 1, 2), max_value=TODAY)
# Hand-given numbers; the first three lie ahead of b2b_approval's automatic sequence (10000, ...),
# which must skip them rather than fail.
MANUAL_NUMBERS = st.none() | st.sampled_from(["10003", "10005", "10008", "M-1", "M-2"])
ROLES = st.sampled_from(Role)

ModelEvent = tuple[EventKind, Actor, datetime, str | None, str | None]
"""What the machine expects of one history entry: kind, actor, time, user id, customer id."""


def email_key(address: str) -> str:
    """The model's own e-mail key: the pool is ASCII, so lower-casing is case-folding."""
    return address.strip().lower()


def as_model(event: Event) -> ModelEvent:
    """The parts of a stored event that the model predicts."""
    return (event.kind, event.actor, event.at, event.user_id, event.customer_id)


@attrs.define
class UserModel:
    """What the machine knows about one user."""

    tier: UserTier
    status: UserStatus = UserStatus.ACTIVE
    email_key: str | None = None
    named: bool = False
    has_password: bool = False
    has_birth: bool = False
    trail: list[UserTier] = attrs.Factory(list)
    events: list[ModelEvent] = attrs.Factory(list)


@attrs.define
class MembershipModel:
    """One membership in the model."""

    role: Role
    active: bool


Observation = tuple[object, ...]


class AccountsMachine(RuleBasedStateMachine):
    """Random use of the foundation services, checked against a model after every step."""

    policy: ClassVar[ShopPolicy] = ShopPolicy.b2c_open()

    users: Bundle[str] = Bundle("users")
    customers: Bundle[str] = Bundle("customers")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(START)
        self.outbox = Outbox()
        self.kit = AccountKit(
            store=self.make_store(),
            secret_keys=[SECRET],
            channels=[SalesChannel("web", self.policy, base_url=BASE_URL)],
            clock=self.clock,
            password_hasher=CheapPasswordHasher(),
            notifier=self.outbox,
        )
        self.membership_rule = self.policy.membership
        self.model: dict[str, UserModel] = {}
        self.emails: dict[str, str] = {}
        self.customer_ids: list[str] = []
        self.customer_events: dict[str, list[ModelEvent]] = {}
        self.numbers: dict[str, str] = {}
        # user id -> customer id -> membership, in the order they were assigned (oldest first)
        self.memberships: dict[str, dict[str, MembershipModel]] = {}
        # customer id -> its signed-in orders (placed_at, total, currency), in recording order
        self.orders: dict[str, list[tuple[datetime, Decimal, str]]] = {}
        self.order_serial = 0
        self.erased: set[str] = set()

    def make_store(self) -> Store:
        """Make the store for one run; build_machine overrides this."""
        return STORE_FACTORY()

    def teardown(self) -> None:
        """Close the store after each run."""
        self.kit.close()

    # --- model helpers ----------------------------------------------------------------------

    def _tick(self) -> datetime:
        """Move time on, so each step has its own timestamps and "oldest" is well defined."""
        return self.clock.advance(timedelta(minutes=1))

    def _ids(self, tier: UserTier) -> list[str]:
        """The users of ``tier`` (erased ones left out), by the model."""
        return [
            user_id
            for user_id, user in self.model.items()
            if user.tier is tier and user_id not in self.erased
        ]

    def _member_ids(self) -> list[str]:
        """The users who belong to at least one customer, by the model."""
        return [user_id for user_id, current in self.memberships.items() if current]

    def _existing_memberships(self, *, active: bool | None = None) -> list[tuple[str, str]]:
        """The (user, customer) pairs of the model's memberships, optionally by activity."""
        return [
            (user_id, customer_id)
            for user_id, current in self.memberships.items()
            for customer_id, membership in current.items()
            if active is None or membership.active is active
        ]

    def _existing_membership(self) -> st.SearchStrategy[tuple[str, str]]:
        return st.sampled_from(self._existing_memberships())

    def _active_customer(self, user_id: str) -> str | None:
        for customer_id, membership in self.memberships.get(user_id, {}).items():
            if membership.active:
                return customer_id
        return None

    def _user_event(self, user_id: str, kind: EventKind, actor: Actor) -> None:
        """A user event also lands in the history of the customer the user acts for."""
        customer_id = self._active_customer(user_id)
        event = (kind, actor, self.clock.now(), user_id, customer_id)
        self.model[user_id].events.append(event)
        if customer_id is not None:
            self.customer_events[customer_id].append(event)

    def _customer_event(
        self, customer_id: str, kind: EventKind, actor: Actor, user_id: str | None = None
    ) -> None:
        event = (kind, actor, self.clock.now(), user_id, customer_id)
        self.customer_events[customer_id].append(event)
        if user_id is not None:
            self.model[user_id].events.append(event)

    def _claim_email(self, user_id: str, key: str | None) -> None:
        old = self.model[user_id].email_key
        if old is not None and old != key:
            del self.emails[old]
        if key is not None:
            self.emails[key] = user_id
        self.model[user_id].email_key = key

    def _email_taken(self, key: str | None, user_id: str | None = None) -> bool:
        return key is not None and self.emails.get(key, user_id) != user_id

    def _new_customer(self, customer_id: str, number: str | None, actor: Actor) -> None:
        self.customer_ids.append(customer_id)
        self.customer_events[customer_id] = []
        if number is not None:
            assert number not in self.numbers, "a customer number was handed out twice"
            self.numbers[number] = customer_id
        self._customer_event(customer_id, EventKind.CUSTOMER_CREATED, actor)

    def _set_tier(self, user_id: str, tier: UserTier, kind: EventKind, actor: Actor) -> None:
        user = self.model[user_id]
        user.tier = tier
        user.trail.append(tier)
        self._user_event(user_id, kind, actor)

    def _observe(self) -> Observation:
        """Everything a failed call could have changed, read through the public API."""
        kit = self.kit
        with kit.store.transaction() as tx:
            count = tx.users.count()
        return (
            count,
            tuple(kit.users.get(u) for u in self.model),
            tuple(tuple(kit.customers.memberships(u)) for u in self.model),
            tuple(tuple(kit.reports.user_history(u, page_size=500).items) for u in self.model),
            tuple(kit.customers.get(c) for c in self.customer_ids),
            tuple(tuple(kit.reports.history(c, page_size=500).items) for c in self.customer_ids),
            tuple(kit.customers.find_by_number(n) for n in self.numbers),
            tuple(kit.reports.order_summary(c) for c in self.customer_ids),
        )

    def _refused(self, error: type[AccountKitError], call: Callable[[], object]) -> AccountKitError:
        """Run a call that must fail with exactly ``error`` and change nothing."""
        before = self._observe()
        with pytest.raises(error) as info:
            call()
        assert type(info.value) is error, f"expected {error.__name__}, got {info.value!r}"
        assert info.value.code == error.code
        assert self._observe() == before, f"{error.__name__} left changes behind"
        return info.value

    # --- seeds: every run starts with some customers and users -----------------------------

    @initialize(
        target=customers, kinds=st.lists(st.sampled_from(CustomerKind), min_size=2, max_size=3)
    )
    def seed_customers(self, kinds: list[CustomerKind]) -> MultipleResults[str]:
        """Start with a few customers, so membership rules have work from the first step."""
        ids: list[str] = []
        for i, kind in enumerate(kinds):
            ids.extend(self._create_customer(f"Seed {i}", kind, None, OPERATORS[0]))
        return multiple(*ids)

    @initialize(target=users, full_email=EMAILS, guest_email=EMAILS, born=BIRTH_DATES)
    def seed_users(self, full_email: str, guest_email: str, born: date) -> MultipleResults[str]:
        """Start with a registered user, perhaps a guest, and a blank user."""
        ids = [
            *self._register(full_email, "Ada", "Lovelace", "Seed Engines", born),
            *self._register_guest(guest_email, "Gus", GuestSource.CHECKOUT),
            self._create_blank(OPERATORS[2]),
        ]
        return multiple(*ids)

    # --- users ------------------------------------------------------------------------------

    @rule(
        target=users,
        email=EMAILS,
        given=NAMES,
        family=NAMES,
        company=NAMES,
        born=BIRTH_DATES,
    )
    def register(
        self, email: str, given: str, family: str, company: str, born: date
    ) -> MultipleResults[str]:
        """Self-registration: a FULL user (and under B2B a company with the user as manager)."""
        return multiple(*self._register(email, given, family, company, born))

    def _register(self, email: str, given: str, family: str, company: str, born: date) -> list[str]:
        self._tick()

        def call() -> User:
            return made(
                self.kit.registration.register(
                    email=email,
                    password=PASSWORD,
                    birth_date=born,
                    given_name=given,
                    family_name=family,
                    company_name=company,
                )
            )

        key = email_key(email)
        if self._email_taken(key):
            holder = self.model[self.emails[key]]
            if holder.tier is UserTier.GUEST and holder.status is UserStatus.ACTIVE:
                # A guest's address: no second user, nothing stored; an UPGRADE link goes
                # to the guest, and the answer is the one of a verifying channel.
                before = self._observe()
                sent = len(self.outbox.messages)
                answer = self.kit.registration.register(
                    email=email,
                    password=PASSWORD,
                    birth_date=born,
                    given_name=given,
                    family_name=family,
                    company_name=company,
                )
                assert answer == Registration(check_inbox=True)
                assert self._observe() == before
                [upgrade] = self.outbox.messages[sent:]
                assert (upgrade.kind, upgrade.user_id) == (MessageKind.UPGRADE, self.emails[key])
                return []
            self._refused(EmailTaken, call)
            return []
        user = call()
        assert user.tier is UserTier.FULL
        approval = self.policy.registration_access is RegistrationAccess.APPROVAL
        status = UserStatus.PENDING_APPROVAL if approval else UserStatus.ACTIVE
        assert user.status is status
        actor = Actor.user(user.id)
        self.model[user.id] = UserModel(
            UserTier.FULL,
            status,
            named=True,
            has_password=True,
            has_birth=True,
            trail=[UserTier.FULL],
        )
        self._claim_email(user.id, key)
        if self.policy.registration_mode is RegistrationMode.B2B:
            [membership] = self.kit.customers.memberships(user.id)
            assert membership.role is Role.COMPANY_MANAGER
            customer = self.kit.customers.get(membership.customer_id)
            assert customer.kind is CustomerKind.BUSINESS
            self._new_customer(customer.id, customer.number, actor)
            self.memberships[user.id] = {
                customer.id: MembershipModel(Role.COMPANY_MANAGER, active=True)
            }
            self._customer_event(customer.id, EventKind.MEMBERSHIP_ADDED, actor, user.id)
        self._user_event(user.id, EventKind.USER_CREATED, actor)
        return [user.id]

    @rule(
        kind=st.sampled_from(["email", "empty_name", "long_name", "future", "ancient", "pw"]),
        email=EMAILS,
    )
    def register_with_bad_input(self, kind: str, email: str) -> None:
        """Bad registration input raises its own error and stores nothing."""
        self._tick()
        given_name = {"empty_name": "", "long_name": "N" * 2000}.get(kind, "Ada")
        born = {"future": TODAY + timedelta(days=1), "ancient": date(1895, 12, 31)}.get(
            kind, date(1990, 1, 1)
        )
        errors: dict[str, type[AccountKitError]] = {
            "email": InvalidEmail,
            "empty_name": InvalidName,
            "long_name": InvalidName,
            "future": InvalidBirthDate,
            "ancient": InvalidBirthDate,
            "pw": PasswordTooShort,
        }
        self._refused(
            errors[kind],
            lambda: made(
                self.kit.registration.register(
                    email="not-an-address@" if kind == "email" else email,
                    password="short" if kind == "pw" else PASSWORD,
                    birth_date=born,
                    given_name=given_name,
                    family_name="Lovelace",
                    company_name="Engines",
                )
            ),
        )

    @rule(target=users, email=EMAILS, name=NAMES, source=st.sampled_from(GuestSource))
    def register_guest(self, email: str, name: str, source: GuestSource) -> MultipleResults[str]:
        """Checkout or newsletter: a new GUEST, the existing guest, or None for others."""
        return multiple(*self._register_guest(email, name, source))

    def _register_guest(self, email: str, name: str, source: GuestSource) -> list[str]:
        self._tick()
        key = email_key(email)
        holder = self.emails.get(key)
        if holder is not None:
            before = self._observe()
            result = self.kit.registration.register_guest(
                email=email, given_name=name, source=source
            )
            assert self._observe() == before, "a repeated guest sign-up changed data"
            holder_model = self.model[holder]
            if holder_model.tier is UserTier.GUEST and holder_model.status is UserStatus.ACTIVE:
                assert result is not None
                assert result.id == holder
            else:
                assert result is None, "checkout revealed a FULL, BLANK or disabled account"
            return []
        user = self.kit.registration.register_guest(email=email, given_name=name, source=source)
        assert user is not None
        assert user.tier is UserTier.GUEST
        self.model[user.id] = UserModel(UserTier.GUEST, named=True, trail=[UserTier.GUEST])
        self._claim_email(user.id, key)
        self._user_event(user.id, EventKind.USER_CREATED, Actor.system())
        return [user.id]

    @rule(target=users, actor=st.sampled_from(OPERATORS))
    def create_blank(self, actor: Actor) -> str:
        """The operator (or system) makes a BLANK user."""
        return self._create_blank(actor)

    def _create_blank(self, actor: Actor) -> str:
        self._tick()
        user = self.kit.registration.create_blank(actor)
        self.model[user.id] = UserModel(UserTier.BLANK, trail=[UserTier.BLANK])
        self._user_event(user.id, EventKind.USER_CREATED, actor)
        return user.id

    @rule(
        user_id=users,
        email=EMAILS,
        name=NAMES,
        full=st.booleans(),
        born=BIRTH_DATES,
        by_operator=st.booleans(),
    )
    def complete_profile(
        self, user_id: str, email: str, name: str, full: bool, born: date, by_operator: bool
    ) -> None:
        """Any user tries to complete the profile (only BLANK users may)."""
        self._complete_profile(user_id, email, name, full, born, by_operator)

    @precondition(lambda self: self._ids(UserTier.BLANK))
    @rule(
        data=st.data(),
        email=EMAILS,
        name=NAMES,
        full=st.booleans(),
        born=BIRTH_DATES,
        by_operator=st.booleans(),
    )
    def complete_a_blank_profile(
        self, data: st.DataObject, email: str, name: str, full: bool, born: date, by_operator: bool
    ) -> None:
        """A BLANK user completes the profile, to GUEST or (with password and birth) FULL."""
        user_id = data.draw(st.sampled_from(self._ids(UserTier.BLANK)), label="blank user")
        self._complete_profile(user_id, email, name, full, born, by_operator)

    def _complete_profile(
        self, user_id: str, email: str, name: str, full: bool, born: date, by_operator: bool
    ) -> None:
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        actor = OPERATORS[0] if by_operator else Actor.user(user_id)

        def call() -> User:
            return self.kit.registration.complete_profile(
                user_id,
                email=email,
                family_name=name,
                password=PASSWORD if full else None,
                birth_date=born if full else None,
                actor=actor,
            )

        user = self.model[user_id]
        key = email_key(email)
        if user.tier is not UserTier.BLANK:
            self._refused(WrongTier, call)
        elif user.status is not UserStatus.ACTIVE:
            self._refused(UserDisabled, call)
        elif self._email_taken(key, user_id):
            self._refused(EmailTaken, call)
        else:
            result = call()
            tier = UserTier.FULL if full else UserTier.GUEST
            assert result.tier is tier
            assert not result.must_complete_profile
            self._claim_email(user_id, key)
            user.named, user.has_password, user.has_birth = True, full, full
            self._set_tier(user_id, tier, EventKind.PROFILE_COMPLETED, actor)

    @rule(user_id=users, born=BIRTH_DATES, by_operator=st.booleans())
    def upgrade_guest(self, user_id: str, born: date, by_operator: bool) -> None:
        """Any user is offered the guest upgrade (only GUEST users may take it)."""
        self._upgrade_guest(user_id, born, by_operator)

    @precondition(lambda self: self._ids(UserTier.GUEST))
    @rule(data=st.data(), born=BIRTH_DATES, by_operator=st.booleans())
    def upgrade_a_guest(self, data: st.DataObject, born: date, by_operator: bool) -> None:
        """A GUEST becomes FULL with a password and a birth date."""
        user_id = data.draw(st.sampled_from(self._ids(UserTier.GUEST)), label="guest")
        self._upgrade_guest(user_id, born, by_operator)

    def _upgrade_guest(self, user_id: str, born: date, by_operator: bool) -> None:
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        actor = OPERATORS[1] if by_operator else Actor.user(user_id)
        user = self.model[user_id]
        if not by_operator:
            # A user upgrades only through the e-mailed link: the id form refuses them.
            self._refused(
                NotPermitted,
                lambda: self.kit.registration.upgrade_guest_by_id(
                    actor, user_id, password=PASSWORD, birth_date=born
                ),
            )
            if user.tier is not UserTier.GUEST or user.status is not UserStatus.ACTIVE:
                return
            token = upgrade_token(self.kit, self.kit.users.get(user_id))

        def call() -> User:
            if by_operator:
                return self.kit.registration.upgrade_guest_by_id(
                    actor, user_id, password=PASSWORD, birth_date=born
                )
            return self.kit.registration.upgrade_guest(
                token, password=PASSWORD, birth_date=born
            ).user

        if user.tier is not UserTier.GUEST:
            self._refused(WrongTier, call)
        elif user.status is not UserStatus.ACTIVE:
            self._refused(UserDisabled, call)
        else:
            assert call().tier is UserTier.FULL
            user.has_password = user.has_birth = True
            self._set_tier(user_id, UserTier.FULL, EventKind.TIER_CHANGED, actor)

    @rule(
        user_id=users,
        tier=st.sampled_from(UserTier),
        email=st.none() | EMAILS,
        name=st.none() | NAMES,
        password=st.booleans(),
        born=st.none() | BIRTH_DATES,
        actor=st.sampled_from(OPERATORS),
    )
    def set_tier(
        self,
        user_id: str,
        tier: UserTier,
        email: str | None,
        name: str | None,
        password: bool,
        born: date | None,
        actor: Actor,
    ) -> None:
        """The operator sets any tier; the kit asks for what the new tier lacks."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()

        def call() -> User:
            return self.kit.users.set_tier(
                actor,
                user_id,
                tier,
                email=email,
                given_name=name,
                password=PASSWORD if password else None,
                birth_date=born,
            )

        user = self.model[user_id]
        if tier is user.tier:
            before = self._observe()
            assert call().tier is tier
            assert self._observe() == before, "setting the same tier changed data"
            return
        key = email_key(email) if email is not None else user.email_key
        named = user.named or name is not None
        has_password = tier is UserTier.FULL and (user.has_password or password)
        has_birth = tier is not UserTier.BLANK and (user.has_birth or born is not None)
        complete = {
            UserTier.FULL: key is not None and named and has_password and has_birth,
            UserTier.GUEST: key is not None and named,
            UserTier.BLANK: True,
        }[tier]
        if not complete:
            self._refused(MissingField, call)
        elif self._email_taken(key, user_id):
            self._refused(EmailTaken, call)
        else:
            result = call()
            assert result.tier is tier
            self._claim_email(user_id, key)
            user.named, user.has_password, user.has_birth = named, has_password, has_birth
            self._set_tier(user_id, tier, EventKind.TIER_CHANGED, actor)

    @rule(user_id=users, actor=st.sampled_from(OPERATORS))
    def disable_or_enable(self, user_id: str, actor: Actor) -> None:
        """The operator disables an active user, or enables a disabled one; a pending one is
        refused (it is approved with kit.registration.approve)."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        user = self.model[user_id]
        if user.status is UserStatus.PENDING_APPROVAL:
            self._refused(AwaitingApproval, lambda: self.kit.users.enable(actor, user_id))
            return
        if user.status is UserStatus.ACTIVE:
            assert self.kit.users.disable(actor, user_id).status is UserStatus.DISABLED
            user.status = UserStatus.DISABLED
            self._user_event(user_id, EventKind.USER_DISABLED, actor)
        else:
            assert self.kit.users.enable(actor, user_id).status is UserStatus.ACTIVE
            user.status = UserStatus.ACTIVE
            self._user_event(user_id, EventKind.USER_ENABLED, actor)

    # --- orders -----------------------------------------------------------------------------

    @rule(
        user_id=users,
        cents=st.integers(min_value=0, max_value=10**7),
        currency=st.sampled_from(["EUR", "JPY"]),
        # Orders placed earlier than the last one: the overview keeps the newest date.
        hours_back=st.integers(min_value=0, max_value=3),
        by_buyer=st.booleans(),
    )
    def record_order(
        self, user_id: str, cents: int, currency: str, hours_back: int, by_buyer: bool
    ) -> None:
        """A signed-in order counts for the buyer's active customer (or none) and lands in
        both histories; a user who is not active is refused."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        self.order_serial += 1
        n = self.order_serial
        total = Decimal(cents).scaleb(-2) if currency == "EUR" else Decimal(cents)
        placed_at = self.clock.now() - timedelta(hours=hours_back)
        actor = Actor.user(user_id) if by_buyer else Actor.system()

        def call() -> object:
            return self.kit.orders.record_order(
                order_id=f"ord-{n}",
                number=f"N-{n}",
                channel="web",
                placed_at=placed_at,
                total=total,
                currency=currency,
                user_id=user_id,
                actor=actor,
            )

        if self.model[user_id].status is not UserStatus.ACTIVE:
            self._refused(UserDisabled, call)
            return
        order = call()
        customer_id = self._active_customer(user_id)
        assert getattr(order, "customer_id", None) == customer_id
        if customer_id is not None:
            self.orders.setdefault(customer_id, []).append((placed_at, total, currency))
        self._user_event(user_id, EventKind.ORDER_PLACED, actor)

    # --- erasure ----------------------------------------------------------------------------

    @rule(user_id=users, by_self=st.booleans())
    def erase(self, user_id: str, by_self: bool) -> None:
        """The person (or the operator) erases the account: a BLANK tombstone without
        e-mail, names or password, no memberships, the address free; a second time is
        AlreadyErased and changes nothing."""
        self._tick()
        actor = Actor.user(user_id) if by_self else OPERATORS[0]

        def call() -> object:
            return self.kit.privacy.erase(actor, user_id)

        if user_id in self.erased:
            self._refused(AlreadyErased, call)
            return
        report = call()
        user = self.model[user_id]
        assert getattr(report, "memberships", None) == len(self.memberships.get(user_id, {}))
        self.memberships[user_id] = {}
        self._claim_email(user_id, None)
        user.tier, user.status = UserTier.BLANK, UserStatus.ERASED
        user.named = user.has_password = user.has_birth = False
        self.erased.add(user_id)
        # Filed under the user alone: the memberships are gone when it is written.
        user.events.append((EventKind.USER_ERASED, actor, self.clock.now(), user_id, None))

    @precondition(lambda self: self.erased)
    @rule(data=st.data())
    def act_on_an_erased_user(self, data: st.DataObject) -> None:
        """Changes of an erased user are refused with UserErased and change nothing."""
        user_id = data.draw(st.sampled_from(sorted(self.erased)), label="erased user")
        self._tick()
        kit = self.kit
        self._refused(UserErased, lambda: kit.users.update_profile(OPERATORS[0], user_id,
                                                                  given_name="Back"))  # fmt: skip
        self._refused(UserErased, lambda: kit.users.enable(OPERATORS[0], user_id))
        self._refused(UserErased, lambda: kit.privacy.export(OPERATORS[0], user_id))

    # --- customers and memberships ----------------------------------------------------------

    @rule(
        target=customers,
        name=NAMES,
        kind=st.sampled_from(CustomerKind),
        number=MANUAL_NUMBERS,
        actor=st.sampled_from(OPERATORS),
    )
    def create_customer(
        self, name: str, kind: CustomerKind, number: str | None, actor: Actor
    ) -> MultipleResults[str]:
        """The operator creates a customer, with a number by hand or by the channel's rule."""
        return multiple(*self._create_customer(name, kind, number, actor))

    def _create_customer(
        self, name: str, kind: CustomerKind, number: str | None, actor: Actor
    ) -> list[str]:
        self._tick()

        def call() -> str:
            return self.kit.customers.create(actor, name=name, kind=kind, number=number).id

        if number is not None and number in self.numbers:
            self._refused(CustomerNumberTaken, call)
            return []
        customer = self.kit.customers.get(call())
        if number is not None:
            assert customer.number == number
        self._new_customer(customer.id, customer.number, actor)
        return [customer.id]

    @rule(user_id=users, customer_id=customers, role=ROLES, actor=st.sampled_from(OPERATORS))
    def assign_user(self, user_id: str, customer_id: str, role: Role, actor: Actor) -> None:
        """The operator assigns a user to a customer under the shop's membership rule."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        current = self.memberships.setdefault(user_id, {})

        def call() -> object:
            return self.kit.customers.assign_user(actor, user_id, customer_id, role)

        if customer_id in current:
            error = self._refused(AlreadyMember, call)
            assert isinstance(error, MembershipConflict)
            assert error.customer_id == customer_id
            return
        if self.membership_rule is MembershipRule.ONE_CUSTOMER_PER_USER and current:
            error = self._refused(MembershipConflict, call)
            assert isinstance(error, MembershipConflict)
            assert error.customer_id == next(iter(current)), "conflict names the wrong customer"
            return
        membership = self.kit.customers.assign_user(actor, user_id, customer_id, role)
        assert membership.active == (not current)
        assert membership.assigned_by == actor
        current[customer_id] = MembershipModel(role, active=not current)
        self._customer_event(customer_id, EventKind.MEMBERSHIP_ADDED, actor, user_id)

    @rule(user_id=users, customer_id=customers, actor=st.sampled_from(OPERATORS))
    def remove_user(self, user_id: str, customer_id: str, actor: Actor) -> None:
        """The operator removes a membership; the oldest other one becomes active."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        current = self.memberships.setdefault(user_id, {})
        if customer_id not in current:
            self._refused(
                MembershipNotFound,
                lambda: self.kit.customers.remove_user(actor, user_id, customer_id),
            )
            return
        if self._takes_the_last_manager(user_id, customer_id, None, actor):
            self._refused(
                LastCompanyManager,
                lambda: self.kit.customers.remove_user(actor, user_id, customer_id),
            )
            return
        self.kit.customers.remove_user(actor, user_id, customer_id)
        removed = current.pop(customer_id)
        activated = None
        if removed.active and current:
            activated_id, activated = next(iter(current.items()))
            activated.active = True
        self._customer_event(customer_id, EventKind.MEMBERSHIP_REMOVED, actor, user_id)
        if activated is not None:
            # The newly active company's history says that it became the active one.
            self._customer_event(activated_id, EventKind.COMPANY_SWITCHED, actor, user_id)

    @rule(user_id=users, customer_id=customers, role=ROLES, actor=st.sampled_from(OPERATORS))
    def set_role(self, user_id: str, customer_id: str, role: Role, actor: Actor) -> None:
        """The operator changes a member's role."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        current = self.memberships.setdefault(user_id, {})
        if customer_id not in current:
            self._refused(
                MembershipNotFound,
                lambda: self.kit.customers.set_role(actor, user_id, customer_id, role),
            )
            return
        if self._takes_the_last_manager(user_id, customer_id, role, actor):
            self._refused(
                LastCompanyManager,
                lambda: self.kit.customers.set_role(actor, user_id, customer_id, role),
            )
            return
        assert self.kit.customers.set_role(actor, user_id, customer_id, role).role is role
        if current[customer_id].role is not role:
            current[customer_id].role = role
            self._customer_event(customer_id, EventKind.ROLE_CHANGED, actor, user_id)

    def _takes_the_last_manager(
        self, user_id: str, customer_id: str, role: Role | None, actor: Actor
    ) -> bool:
        """Whether removing (``role=None``) or re-roling the membership would leave a
        business customer that has a manager without one (staff may empty a company)."""
        if self.kit.customers.get(customer_id).kind is not CustomerKind.BUSINESS:
            return False
        if self.memberships[user_id][customer_id].role is not Role.COMPANY_MANAGER:
            return False
        if role is Role.COMPANY_MANAGER:
            return False
        others = [
            held[customer_id]
            for other, held in self.memberships.items()
            if other != user_id and customer_id in held
        ]
        if any(m.role is Role.COMPANY_MANAGER for m in others):
            return False
        return not (role is None and not others and actor.is_staff)

    def _member_change_error(self, user_id: str, customer_id: str) -> type[AccountKitError] | None:
        """What a user changing ``customer_id``'s members gets; None for a company manager of
        a business customer, who may (tests/policies/test_companies.py holds what follows)."""
        membership = self.memberships.get(user_id, {}).get(customer_id)
        if membership is None:
            return NotYourCompany
        if self.kit.customers.get(customer_id).kind is not CustomerKind.BUSINESS:
            return NotPermitted
        status = self.model[user_id].status
        if status is UserStatus.PENDING_APPROVAL:
            return AwaitingApproval
        if status is not UserStatus.ACTIVE:
            return UserDisabled
        if membership.role is not Role.COMPANY_MANAGER:
            return PermissionDenied
        return None

    @rule(
        user_id=users,
        customer_id=customers,
        other=users,
        who=st.sampled_from(["self", "operator", "other"]),
    )
    def switch_company(self, user_id: str, customer_id: str, other: str, who: str) -> None:
        """The user (or operator) switches the active company, only to one of the user's;
        a disabled or pending user cannot act as themself (staff still switch for them)."""
        if user_id in self.erased or other in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        actor = {
            "self": Actor.user(user_id),
            "operator": OPERATORS[0],
            "other": Actor.user(other),
        }[who]

        def call() -> object:
            return self.kit.customers.switch_company(actor, user_id, customer_id)

        current = self.memberships.setdefault(user_id, {})
        if not actor.is_staff and actor.id != user_id:
            self._refused(NotPermitted, call)
        elif not actor.is_staff and self.model[user_id].status is not UserStatus.ACTIVE:
            self._refused(UserDisabled, call)
        elif customer_id not in current:
            self._refused(NotAMember, call)
        elif current[customer_id].active:
            before = self._observe()
            call()
            assert self._observe() == before, "switching to the active company changed data"
        else:
            assert self.kit.customers.switch_company(actor, user_id, customer_id).active
            for cid, membership in current.items():
                membership.active = cid == customer_id
            self._customer_event(customer_id, EventKind.COMPANY_SWITCHED, actor, user_id)

    @precondition(lambda self: self._member_ids())
    @rule(data=st.data(), role=ROLES, actor=st.sampled_from(OPERATORS))
    def assign_a_member_elsewhere(self, data: st.DataObject, role: Role, actor: Actor) -> None:
        """A user who belongs to a customer is assigned to another one (a further company
        under MANY_COMPANIES, a MembershipConflict under ONE_CUSTOMER_PER_USER)."""
        user_id = data.draw(st.sampled_from(self._member_ids()), label="member")
        others = [c for c in self.customer_ids if c not in self.memberships[user_id]]
        if others:
            customer_id = data.draw(st.sampled_from(others), label="other customer")
            self.assign_user(user_id, customer_id, role, actor)

    @precondition(lambda self: self._member_ids())
    @rule(data=st.data(), actor=st.sampled_from(OPERATORS), active=st.booleans())
    def remove_a_membership(self, data: st.DataObject, actor: Actor, active: bool) -> None:
        """The operator removes one of the existing memberships, often an active one (then
        the user's oldest other membership must become active)."""
        pairs = self._existing_memberships(active=active) or self._existing_memberships()
        user_id, customer_id = data.draw(st.sampled_from(pairs), label="membership")
        self.remove_user(user_id, customer_id, actor)

    @precondition(lambda self: self._member_ids())
    @rule(data=st.data(), role=ROLES, actor=st.sampled_from(OPERATORS))
    def change_a_role(self, data: st.DataObject, role: Role, actor: Actor) -> None:
        """The operator changes the role of one of the existing memberships."""
        user_id, customer_id = data.draw(self._existing_membership(), label="membership")
        self.set_role(user_id, customer_id, role, actor)

    @precondition(lambda self: self._member_ids())
    @rule(data=st.data(), by_operator=st.booleans(), inactive=st.booleans())
    def switch_to_an_own_company(
        self, data: st.DataObject, by_operator: bool, inactive: bool
    ) -> None:
        """A member switches to one of their own companies: mostly one that is not active
        (under MANY_COMPANIES), sometimes the active one, which changes nothing."""
        pairs = self._existing_memberships(active=False if inactive else None)
        pairs = pairs or self._existing_memberships()
        user_id, customer_id = data.draw(st.sampled_from(pairs), label="membership")
        self.switch_company(user_id, customer_id, user_id, "operator" if by_operator else "self")

    @rule(
        user_id=users,
        customer_id=customers,
        action=st.sampled_from(
            [
                "create_blank",
                "create_customer",
                "assign",
                "remove",
                "set_role",
                "set_tier",
                "note",
                "group",
                "number",
                "disable",
            ]
        ),
    )
    def user_tries_operator_action(self, user_id: str, customer_id: str, action: str) -> None:
        """A user never makes tiers or customer changes, even for themself, and changes
        memberships only as the manager of a business customer they belong to."""
        if user_id in self.erased:
            return  # an erased user is a tombstone: see act_on_an_erased_user
        self._tick()
        me = Actor.user(user_id)
        kit = self.kit
        calls: dict[str, Callable[[], object]] = {
            "create_blank": lambda: kit.registration.create_blank(me),
            "create_customer": lambda: kit.customers.create(me, name="Mine"),
            "assign": lambda: kit.customers.assign_user(me, user_id, customer_id),
            "remove": lambda: kit.customers.remove_user(me, user_id, customer_id),
            "set_role": lambda: kit.customers.set_role(
                me, user_id, customer_id, Role.COMPANY_MANAGER
            ),
            "set_tier": lambda: kit.users.set_tier(me, user_id, UserTier.FULL),
            "note": lambda: kit.customers.set_note(me, customer_id, "I pay later"),
            "group": lambda: kit.customers.set_group(me, customer_id, None),
            "number": lambda: kit.customers.set_customer_number(me, customer_id, "VIP-1"),
            "disable": lambda: kit.users.disable(me, user_id),
        }
        if action in ("assign", "remove", "set_role"):
            error = self._member_change_error(user_id, customer_id)
            if error is not None:
                self._refused(error, calls[action])
            return
        self._refused(NotPermitted, calls[action])

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def users_match_the_model_and_their_tier(self) -> None:
        """Section 3: FULL has e-mail, password hash and birth date; GUEST has e-mail and name
        and no password; BLANK is flagged to complete the profile."""
        with self.kit.store.transaction() as tx:
            assert tx.users.count() == len(self.model)
        for user_id, expected in self.model.items():
            user = self.kit.users.get(user_id)
            if user.tier is UserTier.FULL:
                assert user.email
                assert user.password_hash
                assert user.birth_date is not None
                assert not user.must_complete_profile
            elif user.tier is UserTier.GUEST:
                assert user.email
                assert user.given_name or user.family_name
                assert user.password_hash is None
                assert not user.must_complete_profile
            elif user.status is UserStatus.ERASED:
                assert (user.email, user.given_name, user.family_name) == (None, None, None)
                assert (user.password_hash, user.birth_date, user.phone) == (None, None, None)
                assert not user.must_complete_profile
            else:
                assert user.must_complete_profile
                assert user.password_hash is None
            assert user.tier is expected.tier
            assert user.status is expected.status
            assert (email_key(user.email) if user.email else None) == expected.email_key
            assert bool(user.given_name or user.family_name) == expected.named
            assert (user.password_hash is not None) == expected.has_password
            assert (user.birth_date is not None) == expected.has_birth

    @invariant()
    def live_emails_are_unique_case_folded(self) -> None:
        """Section 3: no two users share an e-mail address, compared case-folded."""
        keys = [
            user.email.casefold()
            for user in (self.kit.users.get(u) for u in self.model)
            if user.email is not None
        ]
        assert len(keys) == len(set(keys))
        assert set(keys) == set(self.emails)
        for key, user_id in self.emails.items():
            found = self.kit.users.find_by_email(key.upper())
            assert found is not None
            assert found.id == user_id

    @invariant()
    def customer_numbers_are_unique(self) -> None:
        """Section 3: customer numbers are unique, and each finds its customer."""
        numbers = [self.kit.customers.get(c).number for c in self.customer_ids]
        given = [n for n in numbers if n is not None]
        assert len(given) == len(set(given))
        assert set(given) == set(self.numbers)
        for number, customer_id in self.numbers.items():
            found = self.kit.customers.find_by_number(number)
            assert found is not None
            assert found.id == customer_id

    @invariant()
    def memberships_follow_the_rule(self) -> None:
        """Section 3: under ONE_CUSTOMER_PER_USER no user has two memberships; a user with
        memberships has exactly one active, one of their own, and acts for it."""
        for user_id in self.model:
            stored = self.kit.customers.memberships(user_id)
            expected = self.memberships.get(user_id, {})
            if self.membership_rule is MembershipRule.ONE_CUSTOMER_PER_USER:
                assert len(stored) <= 1
            assert [(m.customer_id, m.role, m.active) for m in stored] == [
                (cid, m.role, m.active) for cid, m in expected.items()
            ]
            assert all(m.user_id == user_id for m in stored)
            active = [m for m in stored if m.active]
            assert len(active) == (1 if stored else 0)
            context = self.kit.customers.context_for(user_id)
            if active:
                assert context.customer is not None
                assert context.customer.id == active[0].customer_id
                assert context.role is active[0].role
                assert context.conditions == context.customer.conditions
            else:
                assert context.customer is None
                assert context.role is None

    @invariant()
    def order_summaries_and_overview_match_the_orders(self) -> None:
        """A customer's summary sums its signed-in orders per currency, and its overview row
        shows the newest order's date (an order recorded later but placed earlier does not
        move it back)."""
        for customer_id in self.customer_ids:
            summary = self.kit.reports.order_summary(customer_id)
            placed = self.orders.get(customer_id, [])
            expected: dict[str, tuple[int, Decimal]] = {}
            for _, total, currency in placed:
                count, amount = expected.get(currency, (0, Decimal(0)))
                expected[currency] = (count + 1, amount + total)
            assert {c.currency: (c.count, c.total) for c in summary.currencies} == expected
            assert len(summary.last_orders) == min(3, len(placed))
        rows = self.kit.reports.overview(OPERATORS[0], page_size=500).items
        dates = {row.customer_id: row.date for row in rows if row.customer_id is not None}
        for customer_id in self.customer_ids:
            placed = self.orders.get(customer_id, [])
            assert dates[customer_id] == (max(p[0] for p in placed) if placed else None)

    @invariant()
    def every_change_is_in_history(self) -> None:
        """Section 3: every tier change and every change to a customer is in history, with
        time and actor, in order."""
        for user_id, expected in self.model.items():
            history = self.kit.reports.user_history(user_id, page_size=500).items
            assert [as_model(e) for e in history] == expected.events
            trail: list[str] = []
            for event in history:
                if event.kind is EventKind.USER_CREATED:
                    trail.append(event.data["tier"])
                elif event.kind in (EventKind.TIER_CHANGED, EventKind.PROFILE_COMPLETED):
                    assert event.data["from"] == trail[-1]
                    trail.append(event.data["to"])
            assert trail == [t.value for t in expected.trail]
        for customer_id in self.customer_ids:
            history = self.kit.reports.history(customer_id, page_size=500).items
            assert [as_model(e) for e in history] == self.customer_events[customer_id]


def build_machine(
    policy: ShopPolicy, store_factory: StoreFactory = STORE_FACTORY
) -> type[AccountsMachine]:
    """Return the machine class for ``policy`` on stores made by ``store_factory``."""
    chosen = policy

    class Machine(AccountsMachine):
        policy = chosen

        def make_store(self) -> Store:
            return store_factory()

    Machine.__name__ = Machine.__qualname__ = f"AccountsMachine_{policy.membership.value}"
    Machine.TestCase.settings = MACHINE_SETTINGS
    return Machine


TestOneCustomerPerUser = build_machine(ShopPolicy.b2c_open()).TestCase
TestManyCompanies = build_machine(ShopPolicy.b2b_approval()).TestCase
