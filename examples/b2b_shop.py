"""A B2B storefront beside a B2C one, in one kit: the shop policies at work.

Run it with ``.venv/bin/python examples/b2b_shop.py``. It keeps its data in memory and prints
what happens:

- the consumer shop (``ShopPolicy.tyrios()``): open registration that makes a personal
  customer with a number, prices for every visitor;
- the trade shop (``ShopPolicy.tradeline_pro()``): companies register with VAT id and phone
  and wait for approval, prices only after sign-in; the operator approves one request (the
  number comes then) and rejects another (its data goes); the company manager invites a
  buyer, sets the delivery address, and cannot leave the company without a manager;
- ``kit.access`` answering what each visitor and member may see and do.

Links the shop would e-mail land in the kit's ``Outbox``, standing in for the shop's mailer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qs, urlsplit

import attrs

from accountkit import (
    AccountKit,
    Actor,
    Address,
    MembershipRule,
    MessageKind,
    Outbox,
    Role,
    SalesChannel,
    ShopPolicy,
)
from accountkit.domain.permissions import Permission
from accountkit.errors import AccountKitError, AwaitingApproval
from accountkit.services.access import Browse
from accountkit.storage import MemoryStore

OPERATOR = Actor.operator("staff-anna")


def say(text: str) -> None:
    print(f"   {text}")


def heading(text: str) -> None:
    print(f"\n== {text}")


def inbox_token(outbox: Outbox, kind: MessageKind) -> str:
    """The token in the newest link of ``kind`` the shop would have e-mailed."""
    message = [m for m in outbox.messages if m.kind is kind][-1]
    assert message.link is not None
    return parse_qs(urlsplit(message.link).query)["token"][0]


def refused(call: Callable[[], object]) -> str:
    """Run a call that must be refused; return its error code."""
    try:
        call()
    except AccountKitError as exc:
        return exc.code
    raise AssertionError("the call was not refused")


def main() -> None:
    # One kit, one membership rule for both storefronts: a user may work for companies.
    many = MembershipRule.MANY_COMPANIES
    shop = SalesChannel(
        "shop",
        attrs.evolve(ShopPolicy.tyrios(), membership=many),
        base_url="https://shop.example/login",
    )
    trade = SalesChannel(
        "trade", ShopPolicy.tradeline_pro(), base_url="https://trade.shop.example/login"
    )
    outbox = Outbox()
    kit = AccountKit(
        store=MemoryStore(),
        secret_keys=["example-key-do-not-use-in-production"],
        channels=[shop, trade],
        notifier=outbox,
        shop_name="Bergsport",
        roles={"purchaser": {Permission.PLACE_ORDERS, Permission.SEE_PRICES}},
    )

    heading("Two storefronts, two views for a visitor who has not signed in")
    for channel in ("shop", "trade"):
        visitor = kit.customers.context_for(None, channel=channel)
        prices = kit.access.can(visitor, Permission.SEE_PRICES)
        say(
            f"{channel}: browse {kit.access.can(visitor, Browse())}, prices {prices}, "
            f"order {kit.access.can(visitor, Permission.PLACE_ORDERS)}"
        )

    heading("The consumer shop: registration makes a personal customer")
    nina = kit.registration.register(
        email="nina@example.com",
        password="winter passphrase for skis",
        birth_date=date(1992, 3, 4),
        given_name="Nina",
        family_name="Berg",
        channel="shop",
    )
    assert nina.user is not None
    assert nina.sign_in is not None
    context = kit.customers.context_for(nina.user.id, channel="shop")
    assert context.customer is not None
    say(
        f"Nina is signed in at once and buys as customer no. {context.customer.number} "
        f"({context.customer.kind}); she may order: "
        f"{kit.access.can(context, Permission.PLACE_ORDERS)}"
    )

    heading("The trade shop: companies ask, the operator decides")
    company_address = Address(
        name="Alpen Sport GmbH",
        street="Bergstraße 1",
        postal_code="83471",
        city="Berchtesgaden",
        country="DE",
    )
    request = kit.registration.register(
        email="tim@alpensport.example",
        password="tim's password at alpen sport",
        birth_date=date(1979, 1, 23),
        given_name="Tim",
        family_name="Huber",
        company_name="Alpen Sport GmbH",
        vat_id="DE 123 456 789",
        phone="+49 8652 1234",
        company_address=company_address,
        channel="trade",
    )
    assert request.user is not None
    tim_id = request.user.id
    say(f"Tim registers Alpen Sport GmbH: his account is {request.user.status}")
    try:
        kit.auth.login_with_password("tim@alpensport.example", "tim's password at alpen sport")
    except AwaitingApproval as exc:
        say(f"signing in says so: [{exc.code}]")
    other = kit.registration.register(
        email="eve@dubious.example",
        password="a passphrase for eve",
        birth_date=date(1990, 1, 1),
        given_name="Eve",
        family_name="Doe",
        company_name="Dubious Trading Ltd",
        vat_id="GB123456789",
        phone="+44 20 1234567",
        channel="trade",
    )
    assert other.user is not None
    eve_id = other.user.id
    kit.registration.approve(OPERATOR, tim_id)
    [membership] = kit.customers.memberships(tim_id)
    alpen = kit.customers.get(membership.customer_id)
    say(f"{OPERATOR.id} approves: Alpen Sport GmbH gets customer no. {alpen.number} only now")
    kit.registration.reject(OPERATOR, eve_id, reason="We could not verify the company.")
    late = refused(lambda: kit.registration.approve(OPERATOR, eve_id))
    say("and rejects the other request: the person and the company made for it are gone,")
    say(f"  and a late approval is refused: [{late}]")

    heading("The company manager acts for the company")
    tim = kit.auth.login_with_password("tim@alpensport.example", "tim's password at alpen sport")
    manager = Actor.user(tim.user.id)
    tim_context = kit.customers.context_for(tim.user.id, channel="trade")
    say(f"Tim signs in and sees trade prices: {kit.access.can(tim_context, Permission.SEE_PRICES)}")
    kit.registration.invite(
        manager,
        email="lena@alpensport.example",
        given_name="Lena",
        family_name="Maier",
        channel="trade",
        customer_id=alpen.id,
        role=Role.BUYER,
    )
    lena = kit.registration.accept_invitation(
        inbox_token(outbox, MessageKind.INVITATION),
        password="orders the skis early",
        birth_date=date(1995, 6, 7),
    )
    lena_context = kit.customers.context_for(lena.user.id, channel="trade")
    say(
        f"he invites Lena as buyer; she sets her password with the link: order "
        f"{kit.access.can(lena_context, Permission.PLACE_ORDERS)}, manage users "
        f"{kit.access.can(lena_context, Permission.MANAGE_USERS)}"
    )
    say(
        "Lena trying to invite someone herself: "
        + refused(
            lambda: kit.registration.invite(
                Actor.user(lena.user.id),
                email="friend@example.com",
                given_name="Friend",
                channel="trade",
                customer_id=alpen.id,
            )
        )
    )
    kit.customers.set_company_details(
        manager,
        alpen.id,
        ship_to=attrs.evolve(company_address, street="Lagerweg 7", extra="Warehouse gate 2"),
    )
    say("Tim sets the company's delivery address (company master data, not a person's)")
    say(
        "Tim leaving the company without another manager: "
        + refused(lambda: kit.customers.remove_user(manager, tim.user.id, alpen.id))
    )
    kit.customers.set_role(manager, lena.user.id, alpen.id, "purchaser")
    say("he gives Lena the shop's custom role 'purchaser' (order and see prices only)")

    heading(f"History of {alpen.name}")
    for event in kit.reports.history(alpen.id).items:
        if event.actor.kind == "user" and event.actor.id is not None:
            who = kit.users.get(event.actor.id).display_name
        else:
            who = event.actor.id or str(event.actor.kind)
        say(f"{event.kind:<26} by {who}")
    kit.close()


if __name__ == "__main__":
    main()
