"""accountkit in one page, on MemoryStore: users of each tier, a family customer, and what the
storefront shows a signed-in user.

Run it with ``python examples/quickstart.py``. It needs no database and keeps nothing.
"""

from __future__ import annotations

from datetime import date

from accountkit import (
    AccountKit,
    Actor,
    ConflictError,
    Role,
    SalesChannel,
    ShopPolicy,
    UserTier,
)
from accountkit.storage import MemoryStore


def main() -> None:
    kit = AccountKit(
        store=MemoryStore(),
        secret_keys=["replace-me-with-32-random-bytes!"],
        channels=[SalesChannel("web", ShopPolicy.b2c_open())],
    )
    operator = Actor.operator("staff-1")  # the shop's own id for the staff member who acts

    # A visitor registers: a FULL user, who has a password and a birth date.
    registration = kit.registration.register(
        email="ada@example.com",
        password="correct horse battery staple",
        birth_date=date(1990, 5, 17),
        given_name="Ada",
        family_name="Lovelace",
    )
    # An open channel without e-mail verification makes the user and signs them in at once.
    ada = registration.user
    assert ada is not None
    assert registration.sign_in is not None
    assert ada.tier is UserTier.FULL
    print(f"registered {ada.display_name} as a {ada.tier} user")

    # A checkout without sign-in makes a GUEST user...
    guest = kit.registration.register_guest(email="tom@example.com", given_name="Tom")
    assert guest is not None
    assert guest.tier is UserTier.GUEST
    print(f"first checkout by {guest.email}: new {guest.tier} user")

    # ...and the next checkout with the same address (in any case) reuses that guest.
    again = kit.registration.register_guest(email="TOM@example.com", given_name="Tom")
    assert again is not None
    assert again.id == guest.id
    print("second checkout with the same address: the same guest is reused")

    # A checkout with the address of a FULL user makes no guest and reveals nothing:
    # the shop keeps that order as a not-signed-in order.
    assert kit.registration.register_guest(email="ada@example.com", given_name="Ada") is None
    print("checkout with a registered address: no guest, the order stands alone")

    # The operator prints a membership card for a BLANK user, who knows nothing yet...
    blank = kit.registration.create_blank(operator)
    assert blank.must_complete_profile
    # ...and at the first sign-in that user completes the profile, here up to FULL.
    grace = kit.registration.complete_profile(
        blank.id,
        email="grace@example.com",
        given_name="Grace",
        family_name="Hopper",
        password="a long and secret passphrase",
        birth_date=date(1986, 12, 9),
    )
    print(f"the card's blank user completed the profile: {grace.display_name}, {grace.tier}")

    # A family is one customer with several users; the operator assigns them.
    family = kit.customers.create(operator, name="Lovelace-Hopper family")
    for user in (ada, grace, guest):
        kit.customers.assign_user(operator, user.id, family.id, Role.MEMBER)
    print(f"{family.name}: {len(kit.customers.members(family.id))} members")

    # Under the default rule a user belongs to one customer only.
    club = kit.customers.create(operator, name="Chess club")
    try:
        kit.customers.assign_user(operator, ada.id, club.id)
    except ConflictError as exc:
        print(f"assigning Ada to the chess club as well fails: {exc.code}")

    # What the storefront shows Ada after sign-in: whom she buys for, and on what terms.
    context = kit.customers.context_for(ada.id)
    assert context.user is not None
    assert context.customer is not None
    assert context.conditions is not None
    print(
        f"{context.user.display_name} buys for {context.customer.name} "
        f"as {context.role}, discount {context.conditions.discount}%"
    )

    kit.close()


if __name__ == "__main__":
    main()
