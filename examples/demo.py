"""The ``make demo`` story: a shop's users and customers on an embedded SQLite file.

It writes ``accountkit-demo.db`` in the current folder, deleting any earlier copy first, so
it starts over on every run. The file stays behind for you to open with ``sqlite3``.

Two kits share the file, each with its own tables (``prefix``): a consumer shop where a user
belongs to one customer, and a B2B channel where a user may work for several companies. One
kit has one membership rule for all its channels, so the two rules need two kits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import attrs

from accountkit import (
    AccountKit,
    Actor,
    ActorKind,
    CustomerKind,
    CustomerNumbering,
    DocumentKind,
    Event,
    FrozenClock,
    GuestContact,
    MessageKind,
    Outbox,
    PurchaseConditions,
    Role,
    SalesChannel,
    ShopPolicy,
    StorefrontContext,
)
from accountkit.errors import InvalidCredentials, MembershipConflict, SessionRevoked
from accountkit.storage import SqlStore

DB_FILE = Path("accountkit-demo.db")
DB_URL = f"sqlite:///{DB_FILE}"
SECRET_KEYS = ["demo-key-do-not-use-in-production"]
SHOP_URL = "https://shop.example/login"


def start_over() -> None:
    """Delete the demo database and SQLite's side files from an earlier run."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)


def inbox_token(outbox: Outbox, kind: MessageKind) -> str:
    """The token in the newest link of ``kind`` that the shop would have e-mailed."""
    message = [m for m in outbox.messages if m.kind is kind][-1]
    assert message.link is not None
    return parse_qs(urlsplit(message.link).query)["token"][0]


def heading(text: str) -> None:
    print(f"\n== {text}")


def say(text: str) -> None:
    print(f"   {text}")


def show_context(context: StorefrontContext) -> None:
    customer, conditions = context.customer, context.conditions
    who = "A visitor" if context.user is None else context.user.display_name
    if customer is None or conditions is None:
        say(f"{who} acts for no customer")
        return
    group = context.group.name if context.group else "no group"
    price_list = conditions.price_list_id or "the standard price list"
    say(
        f"{who} acts for {customer.name} (no. {customer.number}) "
        f"as {context.role}: group {group}, {price_list}, discount {conditions.discount}%"
    )


def actor_name(kit: AccountKit, actor: Actor) -> str:
    if actor.kind is ActorKind.USER and actor.id is not None:
        return kit.users.get(actor.id).display_name or "a user"
    if actor.kind is ActorKind.OPERATOR:
        return f"operator {actor.id}"
    return "system"


def show_history(kit: AccountKit, events: Sequence[Event]) -> None:
    # History keeps ids; show the names of customer groups instead.
    names = {group.id: group.name for group in kit.customers.list_groups()}
    for event in events:
        details = [
            f"{key}={names.get(value, value) or '-'}" for key, value in sorted(event.data.items())
        ]
        if event.user_id is not None:
            details.insert(0, f"user={kit.users.get(event.user_id).display_name}")
        when, who = f"{event.at:%Y-%m-%d %H:%M}", actor_name(kit, event.actor)
        say(f"{when}  {event.kind:<24}  by {who:<21}  {', '.join(details)}")


def consumer_shop(clock: FrozenClock) -> None:
    """One customer per user (the default rule), automatic customer numbers."""
    policy = attrs.evolve(
        ShopPolicy.b2c_open(), numbering=CustomerNumbering.AUTOMATIC("K-{n:05d}", start=1)
    )
    outbox = Outbox()  # stands in for the shop's mailer: links and codes land here
    kit = AccountKit(
        store=SqlStore(DB_URL),
        secret_keys=SECRET_KEYS,
        channels=[SalesChannel("web", policy, base_url=SHOP_URL)],
        clock=clock,
        notifier=outbox,
        shop_name="Keller Sport",
    )
    operator = Actor.operator("staff-anna")
    try:
        heading("Guest checkout")
        mia = kit.registration.register_guest(
            email="mia.keller@example.com", given_name="Mia", family_name="Keller"
        )
        assert mia is not None
        say(f"order 1 without sign-in: a {mia.tier} user is made for {mia.email}")
        clock.advance(timedelta(days=3))
        again = kit.registration.register_guest(
            email="Mia.Keller@EXAMPLE.com", given_name="Mia", family_name="Keller"
        )
        assert again is not None
        assert again.id == mia.id
        say("order 2 three days later, address typed in another case: the same guest is reused")

        heading("The guest becomes a full user through an e-mailed link")
        clock.advance(timedelta(minutes=20))
        answer = kit.registration.register(
            email="mia.keller@example.com",
            password="chosen before the link",
            birth_date=date(1988, 4, 2),
            given_name="Mia",
            family_name="Keller",
        )
        assert answer.check_inbox
        assert answer.user is None
        say("Mia registers with her guest address: the answer is 'check your inbox', and")
        say("  an UPGRADE link goes to that address (nothing typed here is kept)")
        signed = kit.registration.upgrade_guest(
            inbox_token(outbox, MessageKind.UPGRADE),
            password="mia's winter password",
            birth_date=date(1988, 4, 2),
        )
        mia = signed.user
        say(f"with the link she sets a password and her birth date: now a {mia.tier} user,")
        say(f"  signed in; the session ends at the latest on {signed.expires_at:%Y-%m-%d}")
        assert kit.auth.authenticate(signed.session_token).id == mia.id
        taken = kit.registration.register_guest(email="mia.keller@example.com", given_name="Mia")
        assert taken is None
        say("a checkout without sign-in under her address now makes no guest and tells nothing;")
        say("  the shop keeps that order as a not-signed-in order")

        heading("Signing in: password, attempt limits, an e-mailed code")
        clock.advance(timedelta(hours=3))
        try:
            kit.auth.login_with_password("nobody@example.com", "mia's winter password")
        except InvalidCredentials as exc:
            say(f"an unknown address and a wrong password get the same answer: [{exc.code}]")
        session = kit.auth.login_with_password("MIA.KELLER@example.com", "mia's winter password")
        say(f"Mia signs in with her password ({session.method}), the address in any case")
        kit.auth.request_login_code("mia.keller@example.com")
        code = [m for m in outbox.messages if m.kind is MessageKind.LOGIN_CODE][-1].code
        assert code is not None
        on_phone = kit.auth.login_with_code("mia.keller@example.com", code)
        say(f"on her phone she asks for a 6-digit code instead and signs in ({on_phone.method})")
        kit.auth.revoke_tokens(Actor.user(mia.id), mia.id)
        try:
            kit.auth.authenticate(on_phone.session_token)
        except SessionRevoked as exc:
            say(f"'sign out everywhere' ends both sessions at once: [{exc.code}]")

        heading("A blank user from a printed card completes the profile")
        clock.advance(timedelta(hours=1))
        card = kit.registration.create_blank(operator)
        assert card.must_complete_profile
        say(f"{operator.id} prints a card with a QR code for a new {card.tier} user")
        clock.advance(timedelta(days=1))
        card_png = kit.auth.login_qr(card.id, max_age=timedelta(days=365), format="png")
        say(f"  the card's QR code is a {len(card_png):,}-byte PNG of a sign-in link valid a year")
        clock.advance(timedelta(days=1))
        card_link = kit.auth.login_link(card.id, max_age=timedelta(days=365))
        first = kit.auth.login_with_token(parse_qs(urlsplit(card_link).query)["token"][0])
        say(f"Jonas scans it and is signed in ({first.method}); he must complete his profile")
        jonas = kit.registration.complete_profile(
            card.id, email="jonas.keller@example.com", given_name="Jonas", family_name="Keller"
        )
        say(f"at that first sign-in Jonas gives his name and e-mail: a {jonas.tier} user")

        heading("A family customer with three users")
        clock.advance(timedelta(minutes=5))
        lea = kit.registration.register(
            email="lea.keller@example.com",
            password="lea's own password",
            birth_date=date(2001, 9, 30),
            given_name="Lea",
            family_name="Keller",
        ).user
        assert lea is not None
        say(f"Lea registers herself: a {lea.tier} user, signed in at once")
        clock.advance(timedelta(minutes=5))
        family = kit.customers.create(operator, name="Keller family")
        say(f"{operator.id} creates the customer {family.name}, number {family.number}")
        for user in (mia, jonas, lea):
            clock.advance(timedelta(minutes=1))
            kit.customers.assign_user(operator, user.id, family.id, Role.MEMBER)
        names = [kit.users.get(m.user_id).display_name for m in kit.customers.members(family.id)]
        say(f"members: {', '.join(names)}")
        clock.advance(timedelta(minutes=5))
        kit.customers.set_document_contact(
            operator, family.id, DocumentKind.INVOICE, email="mia.keller@example.com"
        )
        kit.customers.set_note(operator, family.id, "Prefers delivery on Saturdays.")
        say("invoices go to Mia; the operator notes a delivery wish")
        clock.advance(timedelta(days=2))
        kit.users.update_profile(Actor.user(lea.id), lea.id, profile={"ski_length_cm": "165"})
        say("Lea adds her ski length to her profile")

        heading("One customer per user")
        club = kit.customers.create(operator, name="Ski club Allgäu")
        try:
            kit.customers.assign_user(operator, jonas.id, club.id)
        except MembershipConflict as exc:
            held_by = kit.customers.get(exc.customer_id).name if exc.customer_id else "?"
            say(f"assigning Jonas to {club.name} as well is refused; he belongs to {held_by}:")
            say(f"  {type(exc).__name__} [{exc.code}] {exc.message}")

        heading("Orders, the customer overview and the order summary")
        for n, (total, test) in enumerate([("89.90", False), ("129.00", False), ("0.05", True)]):
            clock.advance(timedelta(days=1))
            kit.orders.record_order(
                order_id=f"web-{1001 + n}",
                number=f"A-{1001 + n}",
                channel="web",
                placed_at=clock.now(),
                total=Decimal(total),
                currency="EUR",
                user_id=mia.id,
                test_order=test,
            )
        say("Mia orders twice signed in (for the Keller family), and the shop places a test order")
        clock.advance(timedelta(hours=2))
        kit.orders.record_order(
            order_id="web-1004",
            number="A-1004",
            channel="web",
            placed_at=clock.now(),
            total=Decimal("45.00"),
            currency="EUR",
            guest=GuestContact(
                email="grace.hopper@example.com", given_name="Grace", family_name="Hopper"
            ),
        )
        say("Grace Hopper buys without signing in: a guest account is made for her order")
        for row in kit.reports.overview(operator).items:
            when = "no order yet" if row.date is None else f"{row.date:%Y-%m-%d %H:%M}"
            flag = ", has a test order" if row.has_test_order else ""
            say(f"{row.status:<15} {row.number or '-':<8} {row.name:<16} {when}{flag}")
        summary = kit.reports.order_summary(family.id)
        for line in summary.currencies:
            say(
                f"{family.name}: {line.count} orders, {line.total} {line.currency} in all, "
                f"{line.average} {line.currency} on average (half-even to the cent)"
            )
        say(f"newest orders: {', '.join(o.number for o in summary.last_orders)}")

        heading(f"History of {family.name}")
        show_history(kit, kit.reports.history(family.id).items)

        heading("A person's data: export and erasure (GDPR)")
        grace = kit.users.find_by_email("grace.hopper@example.com")
        assert grace is not None
        export = json.loads(kit.privacy.export(operator, grace.id))
        say(f"Grace asks what the shop keeps: {', '.join(sorted(export))}")
        report = kit.privacy.erase(operator, grace.id)
        say(
            f"she asks to be forgotten: {report.orders} order kept for accounting with her "
            f"name and e-mail replaced; she is now {kit.users.get(grace.id).status}"
        )
        order = kit.orders.get("web-1004")
        assert order.guest is not None
        say(f"order {order.number}: {order.total} {order.currency}, buyer {order.guest.email}")
    finally:
        kit.close()


def b2b_channel(clock: FrozenClock) -> None:
    """Several companies per user, switched by the user; its own tables in the same file."""
    kit = AccountKit(
        store=SqlStore(DB_URL, prefix="b2b_"),
        secret_keys=SECRET_KEYS,
        channels=[SalesChannel("b2b", ShopPolicy.b2b_approval())],
        clock=clock,
    )
    operator = Actor.operator("staff-anna")
    try:
        heading("B2B channel: companies register and wait for approval")
        clock.advance(timedelta(days=1))
        request = kit.registration.register(
            email="tim.huber@alpensport.example",
            password="tim's password at alpen sport",
            birth_date=date(1979, 1, 23),
            given_name="Tim",
            family_name="Huber",
            company_name="Alpen Sport GmbH",
        )
        tim = request.user
        assert tim is not None
        assert request.sign_in is None
        alpen = kit.customers.get(kit.customers.memberships(tim.id)[0].customer_id)
        role = kit.customers.context_for(tim.id).role
        say(f"Tim registers {alpen.name}, Tim is its {role}")
        say(f"his account waits for the operator: {tim.status}, no customer number yet")
        clock.advance(timedelta(hours=2))
        tim = kit.registration.approve(operator, tim.id)
        alpen = kit.customers.get(alpen.id)
        say(f"{operator.id} approves the account: {tim.status}, customer no. {alpen.number}")

        clock.advance(timedelta(minutes=10))
        retail = kit.customers.create_group(
            operator, name="Sports retailers", price_list_id="RT-26"
        )
        dealers = kit.customers.create_group(operator, name="Dealers", price_list_id="DL-26")
        kit.customers.set_group(operator, alpen.id, retail.id)
        kit.customers.set_conditions(
            operator, alpen.id, PurchaseConditions(price_list_id="RT-26", discount=Decimal(5))
        )
        bergwerk = kit.customers.create(
            operator,
            name="Bergwerk Outdoor AG",
            kind=CustomerKind.BUSINESS,
            group_id=dealers.id,
            conditions=PurchaseConditions(price_list_id="DL-26", discount=Decimal("12.5")),
        )
        say(f"{operator.id} creates {bergwerk.name} (no. {bergwerk.number}) in group Dealers")
        clock.advance(timedelta(minutes=1))
        kit.customers.assign_user(operator, tim.id, bergwerk.id, Role.BUYER)
        say("and assigns Tim to it as buyer: Tim now works for two companies")

        heading("Tim switches between his companies")
        show_context(kit.customers.context_for(tim.id))
        clock.advance(timedelta(minutes=30))
        kit.customers.switch_company(Actor.user(tim.id), tim.id, bergwerk.id)
        show_context(kit.customers.context_for(tim.id))
        selector = [
            ("* " if m.active else "  ") + kit.customers.get(m.customer_id).name
            for m in kit.customers.memberships(tim.id)
        ]
        say(f"his company selector: {' | '.join(selector)}")

        heading(f"History of {alpen.name}")
        show_history(kit, kit.reports.history(alpen.id).items)
    finally:
        kit.close()


def main() -> None:
    start_over()
    print(f"accountkit demo: a shop on SQLite in {DB_FILE.resolve()}")
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    consumer_shop(clock)
    b2b_channel(clock)
    print(f"\nDone. Look inside with: sqlite3 {DB_FILE} .tables")


if __name__ == "__main__":
    main()
