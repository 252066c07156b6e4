"""The differential test: one random sequence of public calls, run on every store at once.

A Hypothesis state machine drives registration, profiles, tiers, customers and their
setters, groups, memberships and reports with ordinary and hostile input (NUL, lone
surrogates, 10,000-character text, combining and format characters, case and ligature
variants), on MemoryStore, SQLite (a file and memory) and, when ACCOUNTKIT_TEST_POSTGRES is
set, PostgreSQL. Every call must give the same result, or the same error code, on every
store (DESIGN.md section 3: every store means the same by the same calls), and only
accountkit's own errors may come out. A shared clock moves by 0 or a few seconds, so equal
times are common, and sometimes answers in another zone or without one.

It runs twice, under ONE_CUSTOMER_PER_USER and under MANY_COMPANIES, each with channels of
different policies: open B2C, open B2B with automatic numbers, B2C with automatic numbers
longer than their column, B2C with approval and manual numbers, closed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, timedelta, timezone
from decimal import Decimal
from typing import ClassVar, cast

import argon2
import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from accountkit import (
    AccountKit,
    Actor,
    Address,
    ContactPurpose,
    CustomerKind,
    CustomerNumbering,
    CustomerStatus,
    DocumentKind,
    Event,
    FrozenClock,
    GuestContact,
    GuestSource,
    ImportedUser,
    Membership,
    MembershipRule,
    MessageKind,
    Order,
    OrderStatus,
    Outbox,
    PurchaseConditions,
    RegistrationAccess,
    RegistrationMode,
    Role,
    SalesChannel,
    ShopPolicy,
    UserTier,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import AccountKitError
from accountkit.policies import Field, MyPage
from accountkit.services import Action, Browse, Page, StorefrontContext
from accountkit.services.customers import UNCHANGED, Unchanged
from tests.differential._harness import START, Kits, Outcome, ShiftingClock
from tests.helpers import BASE_URL, link_token

# PASSWORD as Django's pbkdf2_sha256 (1,000 rounds) and as argon2 with other parameters.
DJANGO_HASH = "pbkdf2_sha256$1000$saltsalt$" + base64.b64encode(
    hashlib.pbkdf2_hmac("sha256", b"correct horse battery", b"saltsalt", 1000)
).decode("ascii")
ARGON2_HASH = argon2.PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(
    "correct horse battery"
)

MACHINE_SETTINGS = settings(
    max_examples=20, stateful_step_count=30, deadline=None, report_multiple_bugs=False
)

TODAY = START.date()
PASSWORD = "correct horse battery"
LONG = 10_000


def channels(rule_: MembershipRule) -> list[SalesChannel]:
    """The shop's channels, all under ``rule_``: their policies differ in everything else."""
    b2b = ShopPolicy(
        registration_mode=RegistrationMode.B2B,
        registration_access=RegistrationAccess.OPEN,
        required_fields=frozenset(
            {Field.GIVEN_NAME, Field.FAMILY_NAME, Field.BIRTH_DATE, Field.COMPANY_NAME}
        ),
        numbering=CustomerNumbering.AUTOMATIC("{n}", 10000),
    )
    # The first automatic number here has 40 characters, every later one 41 (the column
    # holds 40: refused with InvalidPolicy). A pattern too long at its start is refused when
    # the policy is built (tests/differential/test_known_cases.py).
    long_numbers = attrs.evolve(
        ShopPolicy.b2c_open(),
        numbering=CustomerNumbering.AUTOMATIC("K" * 22 + "{n}", 10**18 - 1),
    )
    approval = attrs.evolve(
        ShopPolicy.b2c_open(),
        registration_access=RegistrationAccess.APPROVAL,
        numbering=CustomerNumbering.MANUAL,
    )
    policies = {
        "web": ShopPolicy.b2c_open(),
        "verify": attrs.evolve(ShopPolicy.b2c_open(), require_email_verification=True),
        "b2b": b2b,
        "approval": approval,
        "closed": ShopPolicy.b2c_closed(),
        "long": long_numbers,
        # Companies with VAT id and phone, numbered at approval (the registration rules).
        "trade": ShopPolicy.tradeline_pro(),
        "none": ShopPolicy.site_builder(),
    }
    return [
        SalesChannel(name, attrs.evolve(p, membership=rule_), base_url=BASE_URL)
        for name, p in policies.items()
    ]


CHANNELS = st.sampled_from(["web", "web", "b2b", "b2b", "approval", "closed", "long", "verify"])

# Ids that no store made: empty, far too long, a NUL, a lone surrogate.
HOSTILE_IDS = st.sampled_from(["", "x" * LONG, "\x00", "\ud800", "usr_\x00", "cus_\ud800"])
HOSTILE_TEXT = ["\x00", "a\x00b", "\ud800", "a\udfffb", "x" * LONG, "zero\u200bwidth"]

# A valid address whose case-folded key has 347 characters: each 'ΐ' folds to three.
LONG_KEY_EMAIL = "ΐ" * 64 + "@" + "ΐ" * 25 + "." + "ΐ" * 25 + ".de"
EMAILS = st.sampled_from(
    [
        "ada@example.com",
        "Ada@Example.COM",
        "ADA@EXAMPLE.COM",
        "bob@shop.de",
        "BOB@shop.DE",
        "straße@example.de",
        "strasse@example.de",
        "STRASSE@example.de",
        "\ufb01sh@example.com",  # 'ﬁ' ligature
        "fish@example.com",
        "e\u0301cole@example.fr",  # combining acute: canonically 'école'
        "\u00e9cole@example.fr",
        "\u0130stanbul@example.com",  # 'İ' folds to two characters
        "zero\u200bwidth@example.com",
        LONG_KEY_EMAIL,
        "x" * LONG + "@example.com",
        "a\x00@example.com",
        "a\ud800@example.com",
        "",
        "not-an-address@",
    ]
)
NAMES = st.sampled_from(
    ["Ada", "Bob", "Zoë", "Zoe\u0308", "ß", "ss", "\ufb01", "  Padded  ", "O'Neil", *HOSTILE_TEXT]
)
OPTIONAL_NAMES = st.none() | NAMES
PASSWORDS = st.sampled_from(
    [
        PASSWORD,
        PASSWORD,
        "pass\ud800word",
        "pass\x00word",
        "p" * LONG,
        "pa\u0301sswörd-ﬁ",
        "short",
    ]
)
BIRTH_DATES = st.sampled_from([date(1990, 5, 17), date(2000, 2, 29), TODAY + timedelta(days=1)])
PROFILE_KEYS = st.sampled_from(
    [
        *("ski_size", "shoe", "a", "z", "newsletter", "colour", "b2", "size_eu", "x_1", "zz"),
        # A key naming an address field: refused (AddressNotAllowed), issue 14.
        *("Bad-Key", "street", "Zip"),
    ]
)
PROFILE_VALUES = st.sampled_from(["175", "", "ß", "e\u0301", "v" * 500, "v" * 501, *HOSTILE_TEXT])
# Many keys in a random insertion order: every store must give them back in that order.
PROFILES = st.none() | st.lists(
    st.tuples(PROFILE_KEYS, PROFILE_VALUES), max_size=10, unique_by=lambda kv: kv[0]
).map(dict)
NOTES = st.sampled_from(["", "call before delivery", "n" * LONG, "n" * (LONG + 1), *HOSTILE_TEXT])
PRICE_LISTS = st.sampled_from(
    [None, "wholesale", "p" * 200, "p" * 201, "p" * LONG, "pl\x00", "\ud800"]
)
DISCOUNTS = st.sampled_from(
    [
        Decimal(0),
        Decimal("5.5"),
        Decimal("12.50"),
        Decimal("1E-30"),
        Decimal("1E+2"),
        Decimal("100"),
        Decimal("100.0000000001"),
        Decimal("7." + "3" * 60),
    ]
)
CONDITIONS = st.builds(PurchaseConditions, price_list_id=PRICE_LISTS, discount=DISCOUNTS)
NUMBERS = st.sampled_from(
    ["10003", "M-1", "m-1", "N" * 40, "N" * 41, "10002", "K-" + "0" * 39 + "2", "\x00", "\ud800"]
)
GROUP_NAMES = st.sampled_from(
    [
        *("Retail", "retail", "RETAIL", "Réseau", "Reseau", "Re\u0301seau", "äpfel", "Apfel"),
        *("ß", "ss", "Zebra", "zebra", "\ufb01", "fi", *HOSTILE_TEXT),
    ]
)
OPERATORS = st.sampled_from(
    [
        Actor.operator("staff-1"),
        Actor.operator("staff-1"),
        Actor.system(),
        Actor.operator("o" * 200),
        Actor.operator("Stäff-ß"),
        Actor.user("usr_someone"),
    ]
)
# Hostile operator ids (10,000 characters, NUL, lone surrogates) are refused when the Actor
# is built, before any store is reached: tests/differential/test_known_cases.py holds that.
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), None]
)


def _actor(user: str, by_self: bool) -> Actor:
    return Actor.user(user) if by_self else Actor.operator("staff-1")


class DifferentialMachine(RuleBasedStateMachine):
    """Every rule makes the same public call on every store and requires one outcome."""

    membership: ClassVar[MembershipRule] = MembershipRule.ONE_CUSTOMER_PER_USER

    users: Bundle[str] = Bundle("users")
    customers: Bundle[str] = Bundle("customers")
    groups: Bundle[str] = Bundle("groups")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ShiftingClock(FrozenClock(START))
        self.kits = Kits(channels(self.membership), self.clock)
        self.user_ids: dict[str, None] = {}
        self.customer_ids: dict[str, None] = {}
        self.group_ids: dict[str, None] = {}
        # Session tokens and e-mailed tokens differ per store: one entry maps each kit (by
        # id) to its own token for the same step.
        self.sessions: list[dict[int, str]] = []
        self.steps = 0
        self.order_count = 0

    def teardown(self) -> None:
        """Close every store and drop what the run made."""
        self.kits.close()

    def _each(self, label: str, call: Callable[[AccountKit], object]) -> tuple[Outcome, object]:
        return self.kits.each(label, call)

    def _made(
        self, label: str, call: Callable[[AccountKit], object], into: dict[str, None]
    ) -> MultipleResults[str]:
        """Run a call that makes a record; remember its id when every store made it."""
        outcome, result = self._each(label, call)
        record_id = getattr(result, "id", None)
        if outcome[0] != "ok" or not isinstance(record_id, str):
            return multiple()
        into[record_id] = None
        return multiple(record_id)

    def _watch_customers_of(self, user_id: str) -> None:
        """A registration may make a customer too (B2B, personal): watch it in snapshots."""
        _, memberships = self._each(
            "memberships after register", lambda kit: kit.customers.memberships(user_id)
        )
        for membership in cast(Sequence[Membership], memberships or ()):
            self.customer_ids[membership.customer_id] = None

    # --- seeds ------------------------------------------------------------------------------

    @initialize(target=customers)
    def seed_customer(self) -> MultipleResults[str]:
        """Start with a customer, so memberships have work from the first step."""
        return self._made(
            "seed customer",
            lambda kit: kit.customers.create(Actor.operator("staff-1"), name="Seed"),
            self.customer_ids,
        )

    @initialize(target=groups)
    def seed_group(self) -> MultipleResults[str]:
        """Start with a group."""
        return self._made(
            "seed group",
            lambda kit: kit.customers.create_group(Actor.system(), name="Seed group"),
            self.group_ids,
        )

    @initialize(target=users)
    def seed_users(self) -> MultipleResults[str]:
        """Start with a registered user and a blank one."""
        full = self._made(
            "seed user",
            lambda kit: (
                kit.registration.register(
                    email="seed@example.com",
                    password=PASSWORD,
                    birth_date=date(1990, 1, 1),
                    given_name="Seed",
                    family_name="User",
                ).user
            ),
            self.user_ids,
        )
        blank = self._made(
            "seed blank", lambda kit: kit.registration.create_blank(Actor.system()), self.user_ids
        )
        return multiple(*full.values, *blank.values)

    # --- time -------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0, 0, 1, 3]))
    def tick(self, seconds: int) -> None:
        """Move the shared clock by 0 or a few seconds: equal times must order alike."""
        self.clock.advance(seconds)

    @rule(zone=ZONES)
    def set_zone(self, zone: timezone | None) -> None:
        """Let the clock answer in another zone, or without one (which must be refused)."""
        self.clock.zone = zone

    # --- users ------------------------------------------------------------------------------

    @rule(
        target=users,
        channel=CHANNELS,
        email=EMAILS,
        password=PASSWORDS,
        born=BIRTH_DATES,
        given=OPTIONAL_NAMES,
        family=OPTIONAL_NAMES,
        company=OPTIONAL_NAMES,
        profile=PROFILES,
    )
    def register(
        self,
        channel: str,
        email: str,
        password: str,
        born: date,
        given: str | None,
        family: str | None,
        company: str | None,
        profile: dict[str, str] | None,
    ) -> MultipleResults[str]:
        """Self-registration through any channel, with any input."""
        made = self._made(
            "register",
            lambda kit: (
                kit.registration.register(
                    email=email,
                    password=password,
                    birth_date=born,
                    given_name=given,
                    family_name=family,
                    company_name=company,
                    profile=profile,
                    channel=channel,
                ).user
            ),
            self.user_ids,
        )
        if made.values:
            # A B2B registration makes a customer too; watch it in the snapshots.
            user_id = made.values[0]
            self._watch_customers_of(user_id)
        return made

    @rule(
        target=users,
        email=EMAILS,
        given=OPTIONAL_NAMES,
        family=OPTIONAL_NAMES,
        source=st.sampled_from(GuestSource),
    )
    def register_guest(
        self, email: str, given: str | None, family: str | None, source: GuestSource
    ) -> MultipleResults[str]:
        """A guest at checkout: new, reused, or None for a registered address."""
        return self._made(
            "register_guest",
            lambda kit: kit.registration.register_guest(
                email=email, given_name=given, family_name=family, source=source
            ),
            self.user_ids,
        )

    @rule(target=users, actor=OPERATORS)
    def create_blank(self, actor: Actor) -> MultipleResults[str]:
        """The operator makes a blank user."""
        return self._made(
            "create_blank", lambda kit: kit.registration.create_blank(actor), self.user_ids
        )

    @rule(
        user=users,
        email=EMAILS,
        given=OPTIONAL_NAMES,
        family=OPTIONAL_NAMES,
        full=st.booleans(),
        password=PASSWORDS,
        by_self=st.booleans(),
    )
    def complete_profile(
        self,
        user: str,
        email: str,
        given: str | None,
        family: str | None,
        full: bool,
        password: str,
        by_self: bool,
    ) -> None:
        """A blank user completes the profile, to GUEST or to FULL."""
        self._each(
            "complete_profile",
            lambda kit: kit.registration.complete_profile(
                user,
                email=email,
                given_name=given,
                family_name=family,
                password=password if full else None,
                birth_date=date(1990, 5, 17) if full else None,
                actor=None if by_self else Actor.operator("staff-1"),
            ),
        )

    @rule(
        user=users | HOSTILE_IDS,
        by_self=st.booleans(),
        given=OPTIONAL_NAMES,
        family=OPTIONAL_NAMES,
        email=st.none() | EMAILS,
        profile=PROFILES,
    )
    def update_profile(
        self,
        user: str,
        by_self: bool,
        given: str | None,
        family: str | None,
        email: str | None,
        profile: dict[str, str] | None,
    ) -> None:
        """Names, e-mail and the free-form profile change, by the user or the operator."""
        # Built inside the call: a hostile user id is refused by Actor itself, alike everywhere.
        self._each(
            "update_profile",
            lambda kit: kit.users.update_profile(
                _actor(user, by_self),
                user,
                given_name=given,
                family_name=family,
                email=email,
                profile=profile,
            ),
        )

    @rule(
        user=users,
        tier=st.sampled_from(UserTier),
        actor=OPERATORS,
        email=st.none() | EMAILS,
        given=OPTIONAL_NAMES,
        password=st.none() | PASSWORDS,
        born=st.none() | BIRTH_DATES,
    )
    def set_tier(
        self,
        user: str,
        tier: UserTier,
        actor: Actor,
        email: str | None,
        given: str | None,
        password: str | None,
        born: date | None,
    ) -> None:
        """The operator moves a user to any tier, giving what the tier needs (or not)."""
        self._each(
            "set_tier",
            lambda kit: kit.users.set_tier(
                actor,
                user,
                tier,
                email=email,
                given_name=given,
                password=password,
                birth_date=born,
            ),
        )

    @rule(user=users | HOSTILE_IDS, enable=st.booleans(), actor=OPERATORS)
    def set_status(self, user: str, enable: bool, actor: Actor) -> None:
        """The operator disables or enables a user."""
        if enable:
            self._each("enable", lambda kit: kit.users.enable(actor, user))
        else:
            self._each("disable", lambda kit: kit.users.disable(actor, user))

    @rule(user=users | HOSTILE_IDS)
    def get_user(self, user: str) -> None:
        """Read a user by id, also by ids no store made."""
        self._each("users.get", lambda kit: kit.users.get(user))

    @rule(email=EMAILS, case=st.sampled_from([str, str.upper, str.lower, str.swapcase]))
    def find_by_email(self, email: str, case: type[str]) -> None:
        """Look a user up by an address in any case."""
        self._each("find_by_email", lambda kit: kit.users.find_by_email(case(email)))

    # --- customers --------------------------------------------------------------------------

    @rule(
        target=customers,
        actor=OPERATORS,
        name=NAMES,
        kind=st.sampled_from(CustomerKind),
        number=st.none() | NUMBERS,
        group=st.none() | groups | HOSTILE_IDS,
        conditions=st.none() | CONDITIONS,
        channel=CHANNELS,
    )
    def create_customer(
        self,
        actor: Actor,
        name: str,
        kind: CustomerKind,
        number: str | None,
        group: str | None,
        conditions: PurchaseConditions | None,
        channel: str,
    ) -> MultipleResults[str]:
        """The operator makes a customer, with an automatic, manual or no number."""
        return self._made(
            "customers.create",
            lambda kit: kit.customers.create(
                actor,
                name=name,
                kind=kind,
                number=number,
                group_id=group,
                conditions=conditions,
                channel=channel,
            ),
            self.customer_ids,
        )

    @rule(actor=OPERATORS, customer=customers | HOSTILE_IDS, group=st.none() | groups | HOSTILE_IDS)
    def set_group(self, actor: Actor, customer: str, group: str | None) -> None:
        """Put a customer into a group, or none."""
        self._each("set_group", lambda kit: kit.customers.set_group(actor, customer, group))

    @rule(actor=OPERATORS, customer=customers, note=NOTES)
    def set_note(self, actor: Actor, customer: str, note: str) -> None:
        """Replace the internal note."""
        self._each("set_note", lambda kit: kit.customers.set_note(actor, customer, note))

    @rule(
        actor=OPERATORS,
        customer=customers,
        kind=st.sampled_from(DocumentKind),
        email=st.none() | EMAILS,
        person=OPTIONAL_NAMES,
    )
    def set_document_contact(
        self, actor: Actor, customer: str, kind: DocumentKind, email: str | None, person: str | None
    ) -> None:
        """Set or remove where one kind of document goes."""
        self._each(
            "set_document_contact",
            lambda kit: kit.customers.set_document_contact(
                actor, customer, kind, email=email, contact_person=person
            ),
        )

    @rule(actor=OPERATORS, customer=customers, number=st.none() | NUMBERS)
    def set_customer_number(self, actor: Actor, customer: str, number: str | None) -> None:
        """Give a number by hand, or remove it."""
        self._each(
            "set_customer_number",
            lambda kit: kit.customers.set_customer_number(actor, customer, number),
        )

    @rule(actor=OPERATORS, customer=customers, conditions=CONDITIONS)
    def set_conditions(self, actor: Actor, customer: str, conditions: PurchaseConditions) -> None:
        """Set price list and discount."""
        self._each(
            "set_conditions",
            lambda kit: kit.customers.set_conditions(actor, customer, conditions),
        )

    @rule(customer=customers | HOSTILE_IDS)
    def read_customer(self, customer: str) -> None:
        """Read a customer, its members and its history, also by ids no store made."""
        self._each("customers.get", lambda kit: kit.customers.get(customer))
        self._each("members", lambda kit: kit.customers.members(customer))
        self._each("history", lambda kit: kit.reports.history(customer))

    @rule(number=NUMBERS | st.sampled_from(["10000", "10001", "K-" + "0" * 39 + "1"]))
    def find_by_number(self, number: str) -> None:
        """Look a customer up by number."""
        self._each("find_by_number", lambda kit: kit.customers.find_by_number(number))

    # --- groups -----------------------------------------------------------------------------

    @rule(target=groups, actor=OPERATORS, name=GROUP_NAMES, price_list=PRICE_LISTS)
    def create_group(self, actor: Actor, name: str, price_list: str | None) -> MultipleResults[str]:
        """Make a group; names that differ only in case or accents test the order by name."""
        return self._made(
            "create_group",
            lambda kit: kit.customers.create_group(actor, name=name, price_list_id=price_list),
            self.group_ids,
        )

    @rule()
    def list_groups(self) -> None:
        """Every store lists the groups in the same order."""
        self._each("list_groups", lambda kit: kit.customers.list_groups())

    @rule(group=groups | HOSTILE_IDS)
    def get_group(self, group: str) -> None:
        """Read a group by id."""
        self._each("get_group", lambda kit: kit.customers.get_group(group))

    # --- memberships ------------------------------------------------------------------------

    @rule(
        actor=OPERATORS,
        user=users | HOSTILE_IDS,
        customer=customers | HOSTILE_IDS,
        role=st.sampled_from(Role),
    )
    def assign_user(self, actor: Actor, user: str, customer: str, role: Role) -> None:
        """Assign a user to a customer under the shop's membership rule."""
        self._each(
            "assign_user", lambda kit: kit.customers.assign_user(actor, user, customer, role)
        )

    @rule(actor=OPERATORS, user=users | HOSTILE_IDS, customer=customers | HOSTILE_IDS)
    def remove_user(self, actor: Actor, user: str, customer: str) -> None:
        """Remove a membership; the oldest other one (ties by customer id) becomes active."""
        self._each("remove_user", lambda kit: kit.customers.remove_user(actor, user, customer))

    @rule(actor=OPERATORS, user=users, customer=customers, role=st.sampled_from(Role))
    def set_role(self, actor: Actor, user: str, customer: str, role: Role) -> None:
        """Change a member's role."""
        self._each("set_role", lambda kit: kit.customers.set_role(actor, user, customer, role))

    @rule(user=users, customer=customers | HOSTILE_IDS, by_self=st.booleans())
    def switch_company(self, user: str, customer: str, by_self: bool) -> None:
        """The user (or the operator) switches the active company."""
        self._each(
            "switch_company",
            lambda kit: kit.customers.switch_company(_actor(user, by_self), user, customer),
        )

    @rule(user=users | HOSTILE_IDS)
    def read_user(self, user: str) -> None:
        """A user's memberships, storefront context and history, also for unknown ids."""
        self._each("memberships", lambda kit: kit.customers.memberships(user))
        self._each("context_for", lambda kit: kit.customers.context_for(user))
        self._each("user_history", lambda kit: kit.reports.user_history(user))

    # --- sign-in ----------------------------------------------------------------------------

    def _per_kit(self, result_of: Callable[[AccountKit], str | None]) -> dict[int, str] | None:
        """One value per kit (a token from its own outbox), or None when a kit has none."""
        values = {id(kit): result_of(kit) for kit in self.kits.kits.values()}
        if any(value is None for value in values.values()):
            assert all(value is None for value in values.values()), "only some stores sent it"
            return None
        return cast(dict[int, str], values)

    def _sent(self, kind: MessageKind) -> dict[int, str] | None:
        """The token of each kit's newest message of ``kind`` sent by the last call."""

        def newest(kit: AccountKit) -> str | None:
            outbox = cast(Outbox, kit.notifier)
            messages = outbox.messages
            outbox.clear()
            found = [m for m in messages if m.kind is kind and m.link]
            return link_token(found[-1]) if found else None

        return self._per_kit(newest)

    def _session(self, label: str, call: Callable[[AccountKit], object]) -> None:
        """Run a sign-in; keep each kit's session token when every store signed in."""
        tokens: dict[int, str] = {}

        def signing_in(kit: AccountKit) -> object:
            result = call(kit)
            token = getattr(result, "session_token", None)
            if isinstance(token, str):
                tokens[id(kit)] = token
            return result

        outcome, _ = self._each(label, signing_in)
        if outcome[0] == "ok" and len(tokens) == len(self.kits.kits):
            self.sessions.append(tokens)

    @rule(email=EMAILS, password=PASSWORDS, channel=CHANNELS, client=st.none() | NAMES)
    def login_with_password(
        self, email: str, password: str, channel: str, client: str | None
    ) -> None:
        """Password sign-in with any input; the limiter counts alike on every store."""
        self._session(
            "login_with_password",
            lambda kit: kit.auth.login_with_password(
                email, password, client=client, channel=channel
            ),
        )

    @rule(data=st.data(), logout=st.booleans())
    def use_session(self, data: st.DataObject, logout: bool) -> None:
        """authenticate (or logout) a session every store handed out."""
        if not self.sessions:
            return
        tokens = data.draw(st.sampled_from(self.sessions), label="session")
        if logout:
            self._each("logout", lambda kit: kit.auth.logout(tokens[id(kit)]))
        else:
            self._each("authenticate", lambda kit: kit.auth.authenticate(tokens[id(kit)]))

    @rule(token=st.sampled_from(["", "x" * LONG, "a.b", "\x00", "\ud800"]))
    def authenticate_hostile(self, token: str) -> None:
        """A forged session token is SessionInvalid on every store."""
        self._each("authenticate hostile", lambda kit: kit.auth.authenticate(token))

    @rule(email=EMAILS, right=st.booleans(), typed=st.sampled_from(["", "12345", "abcdef"]))
    def login_code(self, email: str, right: bool, typed: str) -> None:
        """Ask for a code and use it (the right one, or a wrong one)."""
        self._each("request_login_code", lambda kit: kit.auth.request_login_code(email))
        codes: dict[int, str] = {}
        for kit in self.kits.kits.values():
            outbox = cast(Outbox, kit.notifier)
            sent = [m.code for m in outbox.messages if m.kind is MessageKind.LOGIN_CODE]
            outbox.clear()
            codes[id(kit)] = (sent[-1] or typed) if sent and right else typed
        self._session(
            "login_with_code", lambda kit: kit.auth.login_with_code(email, codes[id(kit)])
        )

    @rule(email=EMAILS, password=PASSWORDS, tamper=st.booleans(), twice=st.booleans())
    def reset_password(self, email: str, password: str, tamper: bool, twice: bool) -> None:
        """Ask for a reset and use the link (or a tampered one), maybe twice."""
        self._each("request_password_reset", lambda kit: kit.auth.request_password_reset(email))
        tokens = self._sent(MessageKind.PASSWORD_RESET)
        if tokens is None:
            return
        if tamper:
            tokens = {k: v[:-2] + "AA" for k, v in tokens.items()}
        for _ in range(2 if twice else 1):
            self._session(
                "reset_password", lambda kit: kit.auth.reset_password(tokens[id(kit)], password)
            )

    @rule(email=EMAILS, password=PASSWORDS, born=BIRTH_DATES)
    def upgrade_guest(self, email: str, password: str, born: date) -> None:
        """A guest asks for a reset, gets the UPGRADE link and becomes FULL."""
        self._each("request upgrade", lambda kit: kit.auth.request_password_reset(email))
        tokens = self._sent(MessageKind.UPGRADE)
        if tokens is not None:
            self._session(
                "upgrade_guest",
                lambda kit: kit.registration.upgrade_guest(
                    tokens[id(kit)], password=password, birth_date=born
                ),
            )

    @rule(user=users | HOSTILE_IDS, password=PASSWORDS, inspect=st.booleans())
    def upgrade_link(self, user: str, password: str, inspect: bool) -> None:
        """The shop's own upgrade link for a guest, checked and redeemed."""
        links: dict[int, str] = {}

        def link(kit: AccountKit) -> object:
            links[id(kit)] = kit.auth.upgrade_link(user)
            return None

        outcome, _ = self._each("upgrade_link", link)
        if outcome[0] != "ok":
            return
        if inspect:
            self._each(
                "inspect_token",
                lambda kit: kit.auth.inspect_token(links[id(kit)].rsplit("=", 1)[1], "upgrade"),
            )
        self._session(
            "upgrade_guest",
            lambda kit: kit.registration.upgrade_guest(
                links[id(kit)].rsplit("=", 1)[1], password=password, birth_date=date(1990, 5, 17)
            ),
        )

    @rule(user=users | HOSTILE_IDS, card=st.booleans())
    def login_link(self, user: str, card: bool) -> None:
        """A login link (or a year-long card) for a user, used to sign in."""
        links: dict[int, str] = {}

        def link(kit: AccountKit) -> object:
            made_link = kit.auth.login_link(user, max_age=timedelta(days=365) if card else None)
            links[id(kit)] = made_link
            return None

        outcome, _ = self._each("login_link", link)
        if outcome[0] == "ok":
            self._session(
                "login_with_token",
                lambda kit: kit.auth.login_with_token(links[id(kit)].rsplit("=", 1)[1]),
            )

    @rule(email=EMAILS)
    def request_login_link(self, email: str) -> None:
        """The e-mailed login link signs in."""
        self._each("request_login_link", lambda kit: kit.auth.request_login_link(email))
        tokens = self._sent(MessageKind.LOGIN_LINK)
        if tokens is not None:
            self._session(
                "login_with_token", lambda kit: kit.auth.login_with_token(tokens[id(kit)])
            )

    @rule(user=users, current=PASSWORDS, new=PASSWORDS)
    def change_password(self, user: str, current: str, new: str) -> None:
        """Change a password (needs the current one)."""
        self._session(
            "change_password",
            lambda kit: kit.auth.change_password(user, current_password=current, new_password=new),
        )

    @rule(user=users | HOSTILE_IDS, actor=OPERATORS, by_self=st.booleans())
    def revoke_tokens(self, user: str, actor: Actor, by_self: bool) -> None:
        """Sign out everywhere."""
        self._each(
            "revoke_tokens",
            lambda kit: kit.auth.revoke_tokens(Actor.user(user) if by_self else actor, user),
        )

    @rule(user=users, email=EMAILS, password=st.none() | PASSWORDS)
    def change_email(self, user: str, email: str, password: str | None) -> None:
        """Ask for an e-mail change and confirm it with the link."""
        self._each(
            "request_email_change",
            lambda kit: kit.auth.request_email_change(user, email, current_password=password),
        )
        tokens = self._sent(MessageKind.EMAIL_CHANGE)
        if tokens is not None:
            self._session(
                "confirm_email_change",
                lambda kit: kit.auth.confirm_email_change(tokens[id(kit)]),
            )

    @rule(email=EMAILS, resend=st.booleans())
    def verify_email(self, email: str, resend: bool) -> None:
        """Ask for a verification link (again) and use it."""
        if resend:
            self._each(
                "resend_verification",
                lambda kit: kit.auth.resend_verification(email, channel="verify"),
            )
        tokens = self._sent(MessageKind.EMAIL_VERIFICATION)
        if tokens is not None:
            self._each("verify_email", lambda kit: kit.auth.verify_email(tokens[id(kit)]))

    @rule(
        actor=OPERATORS,
        email=EMAILS,
        given=OPTIONAL_NAMES,
        born=st.none() | BIRTH_DATES,
        scheme=st.sampled_from(["none", "django", "argon2", "bad"]),
    )
    def import_user(
        self, actor: Actor, email: str, given: str | None, born: date | None, scheme: str
    ) -> None:
        """Bring a user over with a legacy hash (or a bad one)."""
        hashes = {
            "none": None,
            "django": DJANGO_HASH,
            "argon2": ARGON2_HASH,
            "bad": "md5$x$y",
        }
        record = ImportedUser(
            email=email, given_name=given, birth_date=born, password_hash=hashes[scheme]
        )
        self._made("import_user", lambda kit: kit.users.import_user(actor, record), self.user_ids)

    # --- access ---------------------------------------------------------------------------

    @rule(
        target=groups,
        actor=OPERATORS,
        assortment=st.sampled_from(
            [None, frozenset(), frozenset({"garden"}), frozenset({"garden", "Gärten"}), {"\x00"}]
        ),
    )
    def create_group_with_assortment(
        self, actor: Actor, assortment: frozenset[str] | None
    ) -> MultipleResults[str]:
        """Make a group whose customers browse only some categories (a bad id is refused)."""
        return self._made(
            "create_group assortment",
            lambda kit: kit.customers.create_group(actor, name="Assorted", assortment=assortment),
            self.group_ids,
        )

    @rule(user=st.none() | users | HOSTILE_IDS, channel=CHANNELS | st.just("nowhere"))
    def access(self, user: str | None, channel: str) -> None:
        """What a visitor or a stored user may do on a channel, and the code of each refusal."""
        actions = [*Permission, *MyPage, Browse(), Browse("garden"), Browse("tools")]

        def code(kit: AccountKit, context: StorefrontContext, action: Action) -> str:
            try:
                kit.access.check(context, action)
            except AccountKitError as exc:
                return exc.code
            return "ok"

        def decide(kit: AccountKit) -> object:
            context = kit.customers.context_for(user, channel=channel)
            return (
                context,
                [kit.access.can(context, a) for a in actions],
                [code(kit, context, a) for a in actions],
                kit.access.my_pages(context),
            )

        self._each("access", decide)

    # --- registration -----------------------------------------------------------------------

    # Good values most of the time, so that requests are made and decided.
    phones = st.sampled_from(["+49 30 1234567", "0049301234567", "+4930123", None, "x", "\x00"])
    vat_ids = st.sampled_from(["DE123456789", "de 123.456.789", "DE98765432", None, "1", "\ud800"])
    company_address = Address(
        name="AP", street="1 Row", postal_code="10115", city="Berlin", country="de"
    )
    addresses = st.sampled_from(
        [
            None,
            company_address,
            company_address,
            attrs.evolve(company_address, street=""),
            attrs.evolve(company_address, country="Germany"),
        ]
    )
    requests: Bundle[str] = Bundle("requests")
    """Users made by a registration with master data (pending ones on the "trade" channel)."""

    @rule(
        targets=(users, requests),
        channel=st.sampled_from(["trade", "trade", "trade", "b2b", "web"]),
        email=st.sampled_from(["ada@example.com", "bob@shop.de", "fish@example.com"]) | EMAILS,
        phone=phones,
        vat_id=vat_ids,
        address=addresses,
    )
    def register_master_data(
        self,
        channel: str,
        email: str,
        phone: str | None,
        vat_id: str | None,
        address: Address | None,
    ) -> MultipleResults[str]:
        """Registration with phone, VAT id and company address: all bad fields at once."""
        made = self._made(
            "register master data",
            lambda kit: (
                kit.registration.register(
                    email=email,
                    password=PASSWORD,
                    birth_date=date(1990, 5, 17),
                    given_name="Ada",
                    family_name="Lovelace",
                    company_name="Engines",
                    phone=phone,
                    vat_id=vat_id,
                    company_address=address,
                    channel=channel,
                ).user
            ),
            self.user_ids,
        )
        if made.values:
            user_id = made.values[0]
            self._watch_customers_of(user_id)
        return made

    @rule(
        actor=OPERATORS,
        user=requests | requests | users | HOSTILE_IDS,
        approve=st.booleans(),
        reason=st.sampled_from([None, None, "Resellers only.", "\x00"]),
    )
    def decide_request(self, actor: Actor, user: str, approve: bool, reason: str | None) -> None:
        """Approve or reject a request (or a user who is none): the same codes everywhere."""
        if approve:
            self._each("approve", lambda kit: kit.registration.approve(actor, user))
        else:
            self._each("reject", lambda kit: kit.registration.reject(actor, user, reason))

    @rule(
        target=users,
        email=st.sampled_from(["ada@example.com", "bob@shop.de", "gus@example.com"]) | EMAILS,
        given=st.sampled_from(["Ada", "Bob"]) | OPTIONAL_NAMES,
        by=st.sampled_from([None, None, None]) | users,
        customer=st.none() | customers | customers | HOSTILE_IDS,
        role=st.sampled_from([None, None, None, Role.BUYER, "company_manager", "nobody"]),
        password=PASSWORDS,
        born=BIRTH_DATES,
    )
    def invite(
        self,
        email: str,
        given: str | None,
        by: str | None,
        customer: str | None,
        role: Role | str | None,
        password: str,
        born: date,
    ) -> MultipleResults[str]:
        """The operator (or a user, for a customer) invites; the link is accepted."""
        actor = Actor.operator("staff-1") if by is None else Actor.user(by)
        made = self._made(
            "invite",
            lambda kit: kit.registration.invite(
                actor, email=email, given_name=given, customer_id=customer, role=role
            ),
            self.user_ids,
        )
        tokens = self._sent(MessageKind.INVITATION)
        if tokens is not None:
            self._session(
                "accept_invitation",
                lambda kit: kit.registration.accept_invitation(
                    tokens[id(kit)], password=password, birth_date=born
                ),
            )
        return made

    @rule(email=EMAILS, channel=st.sampled_from(["web", "none"]))
    def register_guest_by_channel(self, email: str, channel: str) -> None:
        """Guest checkout on a GUEST_ACCOUNT or a NO_ACCOUNT channel."""
        self._made(
            "register_guest by channel",
            lambda kit: kit.registration.register_guest(
                email=email, given_name="Gus", channel=channel
            ),
            self.user_ids,
        )

    # --- storage ---------------------------------------------------------------------------
    # Removals at the store level (what rejecting a registration request does): afterwards
    # every store must agree on what is gone, and the numbering rules above then meet
    # retired numbers, which no store may give to another customer.

    @rule(customer=customers | HOSTILE_IDS)
    def store_remove_customer(self, customer: str) -> None:
        """Remove a customer through the store (refused while it has members)."""

        def remove(kit: AccountKit) -> None:
            with kit.store.transaction() as tx:
                tx.customers.remove(customer)

        outcome, _ = self._each("customers.remove", remove)
        if outcome[0] == "ok":
            self.customer_ids.pop(customer, None)

    @rule(user=users | HOSTILE_IDS)
    def store_remove_user(self, user: str) -> None:
        """Remove a user through the store, with their sessions, tokens and memberships."""

        def remove(kit: AccountKit) -> None:
            with kit.store.transaction() as tx:
                tx.users.remove(user)

        outcome, _ = self._each("users.remove", remove)
        if outcome[0] == "ok":
            self.user_ids.pop(user, None)

    # --- companies ---------------------------------------------------------------------------

    COMPANY_ADDRESSES = st.sampled_from(
        [
            UNCHANGED,
            None,
            Address(
                name="Einkauf",
                street="Hauptstraße 1",
                postal_code="10115",
                city="Berlin",
                country="de",
                company=" Zoë GmbH ",
                extra="",
            ),
            Address(
                name="Zoe\u0308", street="Gata 2", postal_code="111 22", city="Ö", country="SE"
            ),
            Address(
                name="x" * LONG,
                street="\x00",
                postal_code="1" * 17,
                city="\ud800",
                country="Deutschland",
            ),
            Address(name="zero\u200bwidth", street="", postal_code="1", city="a", country="DE"),
        ]
    )
    VAT_IDS = st.sampled_from(
        [
            UNCHANGED,
            None,
            "DE123456789",
            "de 123.456-789",
            "SE556677889901",
            "D",
            "\x00",
            "V" * LONG,
        ]
    )
    MEMBER_ROLES = st.sampled_from([*Role, "purchaser", "COMPANY_MANAGER", ""])

    @rule(target=customers, user=users, role=MEMBER_ROLES)
    def company_with_member(self, user: str, role: Role | str) -> MultipleResults[str]:
        """The operator makes a business customer and gives it a first member (a manager
        most often), so that members have a company to act for."""
        staff = Actor.operator("staff-1")
        made = self._made(
            "company",
            lambda kit: kit.customers.create(staff, name="Firma", kind=CustomerKind.BUSINESS),
            self.customer_ids,
        )
        chosen = Role.COMPANY_MANAGER if role in ("", "purchaser") else role
        for company in made.values:

            def assign(kit: AccountKit, company: str = company) -> object:
                return kit.customers.assign_user(staff, user, company, chosen)

            self._each("company member", assign)
        return made

    @rule(
        actor=OPERATORS | users.map(Actor.user),
        customer=customers | HOSTILE_IDS,
        vat_id=VAT_IDS,
        bill_to=COMPANY_ADDRESSES,
        ship_to=COMPANY_ADDRESSES,
    )
    def set_company_details(
        self,
        actor: Actor,
        customer: str,
        vat_id: str | Unchanged | None,
        bill_to: Address | Unchanged | None,
        ship_to: Address | Unchanged | None,
    ) -> None:
        """The operator, a member or a stranger sets a customer's master data."""
        self._each(
            "set_company_details",
            lambda kit: kit.customers.set_company_details(
                actor, customer, vat_id=vat_id, bill_to=bill_to, ship_to=ship_to
            ),
        )

    @rule(
        acting=users,
        action=st.sampled_from(["assign_user", "remove_user", "set_role"]),
        user=users | HOSTILE_IDS,
        customer=customers | HOSTILE_IDS,
        role=MEMBER_ROLES,
    )
    def member_acts(
        self, acting: str, action: str, user: str, customer: str, role: Role | str
    ) -> None:
        """A user (a manager, a buyer, a stranger) changes a company's members: the same
        permission errors and the same last-manager refusals on every store."""
        actor = Actor.user(acting)

        def call(kit: AccountKit) -> object:
            if action == "assign_user":
                return kit.customers.assign_user(actor, user, customer, role)
            if action == "remove_user":
                kit.customers.remove_user(actor, user, customer)
                return None
            return kit.customers.set_role(actor, user, customer, role)

        self._each(f"member {action}", call)

    # --- search -----------------------------------------------------------------------------

    @rule(
        text=st.none()
        | st.sampled_from(["a", "A", "Zo", "ß", "ss", "%", "_", "example", "ÉX"])
        | st.sampled_from(HOSTILE_TEXT),
        tier=st.none() | st.sampled_from(UserTier),
        page_size=st.integers(1, 3),
    )
    def search_users(self, text: str | None, tier: UserTier | None, page_size: int) -> None:
        """Page through a user search: every store returns the same pages and cursors."""

        def call(kit: AccountKit) -> list[object]:
            pages: list[object] = []
            cursor: str | None = None
            for _ in range(4):
                page = kit.users.search(
                    Actor.operator("staff-1"),
                    text=text,
                    tier=tier,
                    page_size=page_size,
                    cursor=cursor,
                )
                pages.append(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return pages

        self._each("users.search", call)

    @rule(
        text=st.none()
        | st.sampled_from(["e", "E", "ä", "GmbH", "1", "%", "_"])
        | st.sampled_from(HOSTILE_TEXT),
        group=st.none() | groups | HOSTILE_IDS,
        page_size=st.integers(1, 3),
    )
    def search_customers(self, text: str | None, group: str | None, page_size: int) -> None:
        """Page through a customer search: the same pages and cursors on every store."""

        def call(kit: AccountKit) -> list[object]:
            pages: list[object] = []
            cursor: str | None = None
            for _ in range(4):
                page = kit.customers.search(
                    Actor.operator("staff-1"),
                    text=text,
                    group_id=group,
                    page_size=page_size,
                    cursor=cursor,
                )
                pages.append(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return pages

        self._each("customers.search", call)

    # --- consent ----------------------------------------------------------------------------

    CONSENT_TEXT = st.sampled_from(
        ["checkout", "nl-2026-01", "ä" * 64, "s" * 65, "", *HOSTILE_TEXT]
    )

    @rule(
        user=users | HOSTILE_IDS,
        purpose=st.sampled_from([*ContactPurpose, "sms"]),
        grant=st.booleans(),
        by_self=st.booleans(),
        source=CONSENT_TEXT,
        wording=CONSENT_TEXT,
    )
    def change_consent(
        self, user: str, purpose: str, grant: bool, by_self: bool, source: str, wording: str
    ) -> None:
        """Grant or withdraw a purpose, then read may_contact and the log: alike everywhere."""

        def change(kit: AccountKit) -> object:
            # Made here: a hostile id makes Actor.user raise, which must be the outcome.
            actor = _actor(user, by_self)
            if grant:
                return kit.privacy.grant_consent(
                    actor, user, purpose, source=source, wording_version=wording
                )
            return kit.privacy.withdraw_consent(actor, user, purpose, source=source)

        self._each("consent change", change)
        self._each(
            "may_contact",
            lambda kit: [kit.privacy.may_contact(user, p) for p in [*ContactPurpose, purpose]],
        )
        self._each("consent_history", lambda kit: kit.privacy.consent_history(user))

    # --- orders (issue 14) ----------------------------------------------------------------

    orders: Bundle[str] = Bundle("orders")

    # Each argument of record_order has ordinary values and hostile ones; one call breaks
    # at most one argument (``broken``), so that most calls get far enough to record.
    ORDER_VALUES: ClassVar[dict[str, tuple[list[object], list[object]]]] = {
        "order_id": (["o-1", "o-2", "o-3", "O-1", "ö-1"], ["", "o" * 65, "o\x00", "\ud800", 7]),
        "number": (["1001", "1002", "1003", "A-1"], ["", "n" * 65, "1\n2", "\ud800"]),
        "channel": (["web", "b2b", "none", "long"], ["nowhere", "", None]),
        "minutes": ([0, 0, -1, 1, 60], [None]),
        "total": (
            [Decimal("59.90"), Decimal("0"), Decimal("-0.00"), Decimal("12.5"), Decimal("1")],
            [Decimal("9.999"), Decimal("-1"), Decimal("1" * 19), 9.9, Decimal("NaN"), "5"],
        ),
        "currency": (["EUR", "EUR", "JPY", "BHD"], ["eur", "XXX", None]),
        "status": ([*OrderStatus, "returned"], ["shipped", None]),
        "test_order": ([False, True], [1, None]),
        "address": (
            [
                None,
                Address(
                    name="Tom Lee",
                    street="Ringstraße 4",
                    postal_code="10115",
                    city="Berlin",
                    country="de",
                ),
                Address(
                    name="TOM LEE",
                    street="ringstraße  4",
                    postal_code=" 10115",
                    city="BERLIN",
                    country="DE",
                ),
                Address(
                    name="Tom",
                    street="Büroweg 2",
                    postal_code="1",
                    city="Köln",
                    country="DE",
                    company="Lee & Co",
                    extra="c/o Ada",
                ),
            ],
            [
                # Lines within their limits whose key is longer than the column (ß folds
                # to ss), lines over their limits or with control characters, a bad country.
                Address(
                    name="ß" * 200,
                    street="ß" * 200,
                    postal_code="1",
                    city="ß" * 200,
                    country="DE",
                    company="ß" * 200,
                    extra="ß" * 200,
                ),
                Address(name="n" * 201, street="s\x00", postal_code="1" * 17, city="", country="D"),
                "Ringstraße 4",
            ],
        ),
        "guest_email": (
            ["tom@example.com", "TOM@example.com", "seed@example.com", "ada@example.com"],
            ["", "not-an-address@", "a\x00@example.com", "x" * LONG + "@example.com"],
        ),
        "guest_name": (["Tom", "Zoë", "  Padded  ", ""], ["\x00", "\ud800", "x" * 201]),
    }

    @rule(
        target=orders,
        data=st.data(),
        broken=st.sampled_from([None, None, None, *ORDER_VALUES, "user", "customer", "guest"]),
        user=st.none() | users,
        customer=st.none() | st.none() | customers,
        by_self=st.booleans(),
    )
    def record_order(
        self,
        data: st.DataObject,
        broken: str | None,
        user: str | None,
        customer: str | None,
        by_self: bool,
    ) -> MultipleResults[str]:
        """Record an order, signed in or as a guest (per the channel's guest checkout), with
        ordinary values and, in one argument at a time, hostile ones."""

        def pick(name: str) -> object:
            ordinary, hostile = self.ORDER_VALUES[name]
            return data.draw(st.sampled_from(hostile if broken == name else ordinary), name)

        values = {name: pick(name) for name in self.ORDER_VALUES if name != "address"}
        billing, shipping = pick("address"), pick("address")
        if broken == "user":
            user = data.draw(HOSTILE_IDS, "user")
        if broken == "customer":
            customer = data.draw(HOSTILE_IDS, "customer")
        guest: object = None
        if user is None or broken == "guest":
            guest = GuestContact(
                email=cast(str, values["guest_email"]),
                given_name=cast(str, values["guest_name"]),
                family_name=cast(str, pick("guest_name")),
            )
            if broken == "guest":
                guest = data.draw(st.sampled_from([None, "tom@example.com", guest]), "guest")
        zone = self.clock.zone

        def call(kit: AccountKit) -> object:
            minutes = values["minutes"]
            moment = (
                None
                if minutes is None
                else self.clock.base.now() + timedelta(minutes=cast(int, minutes))
            )
            placed_at = (
                moment
                if moment is None
                else moment.replace(tzinfo=None)
                if zone is None
                else moment.astimezone(zone)
            )
            actor = _actor(user, by_self) if user is not None else Actor.system()
            return kit.orders.record_order(
                order_id=values["order_id"],  # type: ignore[arg-type]
                number=values["number"],  # type: ignore[arg-type]
                channel=values["channel"],  # type: ignore[arg-type]
                placed_at=placed_at,  # type: ignore[arg-type]
                total=values["total"],  # type: ignore[arg-type]
                currency=values["currency"],  # type: ignore[arg-type]
                user_id=user,
                customer_id=customer,
                guest=guest,  # type: ignore[arg-type]
                billing=billing,  # type: ignore[arg-type]
                shipping=shipping,  # type: ignore[arg-type]
                status=values["status"],  # type: ignore[arg-type]
                test_order=values["test_order"],  # type: ignore[arg-type]
                actor=actor,
            )

        outcome, result = self._each("record_order", call)
        buyer = getattr(result, "user_id", None)
        if outcome[0] == "ok" and isinstance(buyer, str):
            self.user_ids[buyer] = None  # a guest made at checkout joins the snapshots
            self._each("address_suggestions", lambda kit: kit.orders.address_suggestions(buyer))
        order = getattr(result, "id", None)
        return multiple(order) if outcome[0] == "ok" and isinstance(order, str) else multiple()

    @rule(
        order=orders | HOSTILE_IDS,
        status=st.sampled_from([*OrderStatus, "lost"]),
        actor=OPERATORS,
    )
    def set_order_status(self, order: str, status: str, actor: Actor) -> None:
        """Change an order's status (the same one again is a no-op), then read it back."""
        self._each(
            "orders.set_status", lambda kit: kit.orders.set_status(order, status, actor=actor)
        )
        self._each("orders.get", lambda kit: kit.orders.get(order))

    @rule(user=users | HOSTILE_IDS)
    def address_suggestions(self, user: str) -> None:
        """A user's address suggestions: newest first, one per key, alike everywhere."""
        self._each("address_suggestions", lambda kit: kit.orders.address_suggestions(user))
        self._each(
            "may_contact order_updates",
            lambda kit: kit.privacy.may_contact(user, "order_updates"),
        )

    # --- reports ----------------------------------------------------------------------------
    # Orders go in through the store (as the shop's checkout would record them), signed in
    # for a customer or not, at equal and different times; then the overview, history pages,
    # the order summary and a number's orders must read alike on every store.

    ORDER_TOTALS = st.sampled_from(
        [
            *(Decimal("0.01"), Decimal("0.05"), Decimal(7), Decimal("12.30"), Decimal(0)),
            *(Decimal("10.005"), 10**16 - 1, Decimal(-1)),
        ]
    )
    GUEST_NAMES = st.sampled_from(["Müller", "MÜLLER", "ß", "ss", "\ufb01", "Zoë", "", "a\x00b"])

    ORDER_SPECS = st.tuples(
        st.sampled_from([0, 0, -5, 30]),
        ORDER_TOTALS,
        st.sampled_from(["EUR", "EUR", "EUR", "JPY", "BHD", "XXX"]),
        st.booleans(),
        st.sampled_from(OrderStatus),
    )

    @rule(
        customer=st.none() | customers | customers | HOSTILE_IDS,
        user=users,
        family=GUEST_NAMES,
        specs=st.lists(ORDER_SPECS, min_size=1, max_size=3),
    )
    def store_add_order(
        self,
        customer: str | None,
        user: str,
        family: str,
        specs: list[tuple[int, Decimal | int, str, bool, OrderStatus]],
    ) -> None:
        """Record orders through the store, each its own unit: signed in for a customer (by
        the user), or not (a guest with this family name), at equal and other times."""
        for offset, total, currency, test_order, status in specs:
            self.order_count += 1
            n = self.order_count
            order_id = f"ord-{n:04d}" if n % 3 else f"Ö-{n}"
            placed = START + timedelta(seconds=offset + self.steps)
            signed_in = customer is not None
            order = Order(
                id=order_id,
                number=f"N-{order_id}",
                channel="web",
                placed_at=placed,
                total=Decimal(total),
                currency=currency,
                status=status,
                test_order=test_order,
                signed_in=signed_in,
                user_id=user if signed_in else None,
                customer_id=customer,
                guest=None
                if signed_in
                else GuestContact(email="gus@example.com", given_name="Gus", family_name=family),
                updated_at=placed,
            )

            def add(kit: AccountKit, order: Order = order) -> object:
                with kit.store.transaction() as tx:
                    return tx.orders.add(order)

            self._each("orders.add", add)

    @rule(
        status=st.none() | st.sampled_from([*CustomerStatus, "unknown"]),
        group=st.none() | groups | HOSTILE_IDS,
        text=st.none()
        | st.sampled_from(["G", "Gus", "ü", "ss", "Seed", "1", "%"])
        | st.sampled_from(HOSTILE_TEXT),
        page_size=st.integers(1, 3),
        actor=OPERATORS,
    )
    def overview(
        self,
        status: CustomerStatus | str | None,
        group: str | None,
        text: str | None,
        page_size: int,
        actor: Actor,
    ) -> None:
        """Page through the customer overview: the same rows and cursors on every store."""

        def call(kit: AccountKit) -> list[object]:
            pages: list[object] = []
            cursor: str | None = None
            for _ in range(5):
                page = kit.reports.overview(
                    actor,
                    status=status,
                    group_id=group,
                    text=text,
                    page_size=page_size,
                    cursor=cursor,
                )
                pages.append(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return pages

        self._each("reports.overview", call)

    @rule(customer=customers | HOSTILE_IDS, user=users | HOSTILE_IDS, page_size=st.integers(1, 3))
    def history_pages(self, customer: str, user: str, page_size: int) -> None:
        """Page through a customer's and a user's history; read the order summary and the
        orders of the customer's number."""

        def pages(read: Callable[[str | None], Page[Event]]) -> list[object]:
            found: list[object] = []
            cursor: str | None = None
            for _ in range(4):
                page = read(cursor)
                found.append(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return found

        self._each(
            "history pages",
            lambda kit: pages(
                lambda c: kit.reports.history(customer, page_size=page_size, cursor=c)
            ),
        )
        self._each(
            "user_history pages",
            lambda kit: pages(
                lambda c: kit.reports.user_history(user, page_size=page_size, cursor=c)
            ),
        )
        self._each("order_summary", lambda kit: kit.reports.order_summary(customer))

        def orders_of_number(kit: AccountKit) -> object:
            number = kit.customers.get(customer).number
            if number is None:
                return None
            first = kit.reports.orders(number, page_size=page_size)
            return [
                first,
                kit.reports.orders(number, page_size=page_size, cursor=first.next_cursor),
            ]

        self._each("orders of a number", orders_of_number)

    # --- privacy: export, erasure, retention (issue 14) -------------------------------------

    @rule(user=users | HOSTILE_IDS, by_self=st.booleans())
    def export(self, user: str, by_self: bool) -> None:
        """Every store exports the same data (as parsed JSON), or refuses alike."""
        self._each(
            "export", lambda kit: json.loads(kit.privacy.export(_actor(user, by_self), user))
        )

    @rule(user=users | HOSTILE_IDS, by_self=st.booleans())
    def erase(self, user: str, by_self: bool) -> None:
        """Erasure changes the same records on every store (or is refused alike: unknown,
        another user, erased before)."""
        self._each("erase", lambda kit: kit.privacy.erase(_actor(user, by_self), user))

    @rule(days=st.sampled_from([0, 2, 8, 31, 400]))
    def purge_expired(self, days: int) -> None:
        """Retention removes the same accounts and sign-in records on every store."""
        when = self.clock.base.now() + timedelta(days=days)
        self._each("purge_expired", lambda kit: kit.privacy.purge_expired(when))

    # --- everything at once -----------------------------------------------------------------

    @invariant()
    def stores_hold_the_same(self) -> None:
        """Every few steps, everything the public API can read agrees across the stores."""
        self.steps += 1
        if self.steps % 5:
            return
        user_ids, customer_ids = list(self.user_ids), list(self.customer_ids)

        def snapshot(kit: AccountKit) -> object:
            return (
                kit.customers.list_groups(),
                [kit.users.get(u) for u in user_ids],
                [kit.customers.context_for(u) for u in user_ids],
                [kit.reports.user_history(u) for u in user_ids],
                [kit.customers.get(c) for c in customer_ids],
                [kit.customers.members(c) for c in customer_ids],
                [kit.reports.history(c) for c in customer_ids],
                [kit.reports.order_summary(c) for c in customer_ids],
                kit.reports.overview(Actor.system(), page_size=500),
            )

        self._each("snapshot", snapshot)


def build_machine(rule_: MembershipRule) -> type[DifferentialMachine]:
    """Return the differential machine for one membership rule."""

    class Machine(DifferentialMachine):
        membership = rule_

    Machine.__name__ = Machine.__qualname__ = f"DifferentialMachine_{rule_.value}"
    Machine.TestCase.settings = MACHINE_SETTINGS
    return Machine


TestOneCustomerPerUser = build_machine(MembershipRule.ONE_CUSTOMER_PER_USER).TestCase
TestManyCompanies = build_machine(MembershipRule.MANY_COMPANIES).TestCase
