"""Guest checkout by policy: GUEST_ACCOUNT makes or reuses a guest, NO_ACCOUNT makes none,
and a checkout with a FULL user's address never attaches to that account nor reveals it."""

from __future__ import annotations

import pytest

from accountkit import AccountKit, GuestCheckout, ShopPolicy, UserTier
from accountkit.errors import ChannelNotFound, InvalidEmail
from tests.conftest import KitFactory
from tests.policies._registration import register

GUEST_ACCOUNT = [ShopPolicy.b2c_open(), ShopPolicy.tyrios(), ShopPolicy.abicart()]
NO_ACCOUNT = [ShopPolicy.site_builder()]


def _users(kit: AccountKit) -> int:
    with kit.store.transaction(readonly=True) as tx:
        return tx.users.count()


@pytest.mark.parametrize("policy", GUEST_ACCOUNT, ids=["b2c_open", "tyrios", "abicart"])
def test_guest_account_makes_and_reuses_a_guest(make_kit: KitFactory, policy: ShopPolicy) -> None:
    """GUEST_ACCOUNT: the first checkout makes a guest, the next with the address reuses it."""
    assert policy.guest_checkout is GuestCheckout.GUEST_ACCOUNT
    kit = make_kit(policy)
    first = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    again = kit.registration.register_guest(email="GUS@example.com", given_name="Gustav")
    assert first is not None
    assert first.tier is UserTier.GUEST
    assert again == first
    assert _users(kit) == 1


@pytest.mark.parametrize("policy", NO_ACCOUNT, ids=["site_builder"])
def test_no_account_makes_no_user(make_kit: KitFactory, policy: ShopPolicy) -> None:
    """NO_ACCOUNT: the checkout returns None and stores nothing; the order stands alone."""
    assert policy.guest_checkout is GuestCheckout.NO_ACCOUNT
    kit = make_kit(policy)
    assert kit.registration.register_guest(email="gus@example.com", given_name="Gus") is None
    assert _users(kit) == 0
    assert kit.users.find_by_email("gus@example.com") is None


def test_no_account_still_checks_the_input(make_kit: KitFactory) -> None:
    """Bad input is refused under NO_ACCOUNT as under GUEST_ACCOUNT."""
    kit = make_kit(ShopPolicy.site_builder())
    with pytest.raises(InvalidEmail):
        kit.registration.register_guest(email="nobody", given_name="Gus")


@pytest.mark.parametrize(
    "policy", GUEST_ACCOUNT + NO_ACCOUNT, ids=["b2c_open", "tyrios", "abicart", "site_builder"]
)
def test_a_full_users_address_never_attaches_nor_reveals(
    make_kit: KitFactory, policy: ShopPolicy
) -> None:
    """A checkout with a FULL user's address answers None, as for an address without an
    account under NO_ACCOUNT, and leaves the account as it was."""
    kit = make_kit(ShopPolicy.b2c_open(), policy)
    user = register(kit)
    answer = kit.registration.register_guest(
        email="ada@example.com", given_name="Mallory", channel="ch1"
    )
    assert answer is None
    assert kit.users.get(user.id) == user
    assert _users(kit) == 1


def test_each_channel_follows_its_own_guest_checkout(make_kit: KitFactory) -> None:
    """In one kit, a NO_ACCOUNT channel makes no guest while a GUEST_ACCOUNT one does."""
    kit = make_kit(ShopPolicy.b2c_open(), ShopPolicy.site_builder())
    assert (
        kit.registration.register_guest(email="a@example.com", given_name="A", channel="ch1")
        is None
    )
    made = kit.registration.register_guest(email="a@example.com", given_name="A", channel="web")
    assert made is not None
    assert _users(kit) == 1


def test_an_unknown_channel_is_not_found(kit: AccountKit) -> None:
    """register_guest on a channel the kit lacks raises ChannelNotFound."""
    with pytest.raises(ChannelNotFound):
        kit.registration.register_guest(email="gus@example.com", given_name="Gus", channel="nope")
    assert _users(kit) == 0
