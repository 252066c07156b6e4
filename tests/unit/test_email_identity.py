"""E-mail identity: two addresses that a mail server delivers to different mailboxes are two
users; canonically equivalent spellings are one; special-use domains are refused unless the
kit allows them, at every call that takes an address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from accountkit import AccountKit, Actor, DocumentKind, SalesChannel, ShopPolicy, User, UserTier
from accountkit.domain.validation import (
    MAX_LOCAL_PART_LENGTH,
    email_key,
    lookup_key,
    normalise_email,
)
from accountkit.errors import InvalidEmail, SpecialUseDomain
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.helpers import made

OPERATOR = Actor.operator("staff-1")


def _register(kit: AccountKit, email: str) -> User:
    return made(
        kit.registration.register(
            email=email,
            password="correct horse",
            birth_date=date(1990, 5, 17),
            given_name="Anna",
            family_name="Berg",
        )
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("anna@straße.de", "anna@strasse.de"),
        ("straße@example.com", "strasse@example.com"),
        ("ﬁle@example.com", "file@example.com"),
        ("ﬃ@example.com", "ffi@example.com"),
        ("ÅSA@example.com", "åsa@example.com"),
        ("İpek@example.com", "i̇pek@example.com"),
    ],
    ids=[
        "sharp-s-domain",
        "sharp-s-local",
        "fi-ligature",
        "ffi-ligature",
        "non-ascii-case",
        "dot-i",
    ],
)
def test_addresses_of_different_mailboxes_are_two_users(
    kit: AccountKit, first: str, second: str
) -> None:
    """Addresses that differ beyond ASCII case register as two users and are found apart."""
    one = _register(kit, first)
    two = _register(kit, second)
    assert one.id != two.id
    assert kit.users.find_by_email(first) == one
    assert kit.users.find_by_email(second) == two


def test_checkout_with_a_similar_address_gets_its_own_guest(kit: AccountKit) -> None:
    """A checkout as anna@strasse.de never returns the guest of anna@straße.de."""
    first = kit.registration.register_guest(email="anna@straße.de", given_name="Anna")
    second = kit.registration.register_guest(email="anna@strasse.de", given_name="Anne")
    assert first is not None and second is not None
    assert first.id != second.id
    again = kit.registration.register_guest(email="Anna@STRASSE.de", given_name="Anne")
    assert again == second


@pytest.mark.parametrize(
    ("spelling", "stored"),
    [
        ("Zoe\u0308@example.com", "Zoë@example.com"),
        ("ada@BÜCHER.de", "ada@bücher.de"),
        ("ada@xn--bcher-kva.DE", "ada@bücher.de"),
        ("ada@ｅｘａｍｐｌｅ.com", "ada@example.com"),
    ],
    ids=["combining-diaeresis", "upper-idn", "a-label", "fullwidth"],
)
def test_equivalent_spellings_are_one_address_stored_in_one_form(
    kit: AccountKit, spelling: str, stored: str
) -> None:
    """Canonically equivalent spellings and every form of an IDN domain are one address,
    stored as email-validator's normal form."""
    user = _register(kit, spelling)
    assert user.email == stored
    assert kit.users.find_by_email(stored) == user
    assert lookup_key(spelling) == email_key(stored)


def test_key_of_an_idn_domain_is_its_a_label() -> None:
    """The key's domain is the IDNA A-label, lower-cased; the local part keeps non-ASCII case."""
    assert email_key(normalise_email("Ä.Ada@Bücher.DE")) == "Ä.ada@xn--bcher-kva.de"
    assert email_key(normalise_email("a@faß.de")) != email_key(normalise_email("a@fass.de"))


@pytest.mark.parametrize(
    "char",
    ["\u034f", "\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u180e", "\ufe0f", "\u3164"],
    ids=["cgj", "zwsp", "zwj", "soft-hyphen", "word-joiner", "bom", "mvs", "vs16", "filler"],
)
@pytest.mark.parametrize("where", ["local", "domain"])
def test_addresses_with_invisible_characters_are_refused(
    kit: AccountKit, char: str, where: str
) -> None:
    """An address holding an invisible character is refused everywhere, never a lookalike."""
    address = f"an{char}na@example.com" if where == "local" else f"anna@exa{char}mple.com"
    with pytest.raises(InvalidEmail) as info:
        normalise_email(address)
    assert type(info.value) is InvalidEmail
    assert "invisible" in info.value.message
    with pytest.raises(InvalidEmail):
        lookup_key(address)
    with pytest.raises(InvalidEmail):
        kit.registration.register_guest(email=address, given_name="Anna")


def test_local_part_of_more_than_64_characters_is_refused(kit: AccountKit) -> None:
    """A 64-character local part registers; 65 characters are refused at registration and
    lookup alike."""
    longest = "a" * MAX_LOCAL_PART_LENGTH + "@example.com"
    assert _register(kit, longest).email == longest
    too_long = "a" * (MAX_LOCAL_PART_LENGTH + 1) + "@example.com"
    with pytest.raises(InvalidEmail):
        _register(kit, too_long)
    with pytest.raises(InvalidEmail):
        kit.users.find_by_email(too_long)
    non_ascii = "ä" * (MAX_LOCAL_PART_LENGTH + 1) + "@example.com"
    with pytest.raises(InvalidEmail):
        _register(kit, non_ascii)


# --- special-use domains -------------------------------------------------------------------

SPECIAL = ["ada@shop.test", "ada@shop.invalid", "ada@printer.local", "ada@localhost.localhost"]


@pytest.mark.parametrize("address", [*SPECIAL, "Ada@Shop.TEST", "ada@x.onion", "ada@in-addr.arpa"])
def test_special_use_domains_are_refused_by_default(address: str) -> None:
    """Special-use domains raise SpecialUseDomain, whose message names the reason and the
    option and holds no part of the address."""
    with pytest.raises(SpecialUseDomain) as info:
        normalise_email(address)
    error = info.value
    assert isinstance(error, InvalidEmail)
    assert error.code == "special_use_domain"
    assert "special-use" in error.message
    assert "allow_special_use_domains=True" in error.message
    assert "ada" not in error.message.lower()
    with pytest.raises(SpecialUseDomain):
        lookup_key(address)


@pytest.mark.parametrize("address", SPECIAL)
def test_special_use_domains_are_accepted_when_allowed(address: str) -> None:
    """With the option, special-use addresses normalise and key like any other."""
    upper = address.upper()
    assert normalise_email(upper, allow_special_use=True) == "ADA@" + address.partition("@")[2]
    assert lookup_key(upper, allow_special_use=True) == address
    assert lookup_key(address, allow_special_use=True) == email_key(address)


@pytest.mark.parametrize("address", ["ada@test", "ada@local", "ada@.test", "ada@-x.local"])
def test_malformed_special_use_addresses_stay_malformed(address: str) -> None:
    """A malformed address is InvalidEmail (not SpecialUseDomain), allowed or not."""
    for allowed in (False, True):
        with pytest.raises(InvalidEmail) as info:
            normalise_email(address, allow_special_use=allowed)
        assert type(info.value) is InvalidEmail


def _kit(allow: bool) -> AccountKit:
    return AccountKit(
        store=MemoryStore(),
        secret_keys=[SECRET],
        channels=[SalesChannel("web", ShopPolicy.b2c_open())],
        password_hasher=CheapPasswordHasher(),
        allow_special_use_domains=allow,
    )


EmailCall = Callable[[AccountKit, str], object]


def _complete(kit: AccountKit, email: str) -> object:
    blank = kit.registration.create_blank(OPERATOR)
    return kit.registration.complete_profile(blank.id, email=email, given_name="Bo")


def _update(kit: AccountKit, email: str) -> object:
    guest = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert guest is not None
    return kit.users.update_profile(OPERATOR, guest.id, email=email)


def _set_tier(kit: AccountKit, email: str) -> object:
    blank = kit.registration.create_blank(OPERATOR)
    return kit.users.set_tier(OPERATOR, blank.id, UserTier.GUEST, email=email, given_name="Bo")


def _contact(kit: AccountKit, email: str) -> object:
    customer = kit.customers.create(OPERATOR, name="Firma")
    return kit.customers.set_document_contact(
        OPERATOR, customer.id, DocumentKind.INVOICE, email=email
    )


EMAIL_CALLS: dict[str, EmailCall] = {
    "register": _register,
    "register_guest": lambda kit, email: kit.registration.register_guest(
        email=email, given_name="G"
    ),
    "complete_profile": _complete,
    "update_profile": _update,
    "set_tier": _set_tier,
    "find_by_email": lambda kit, email: kit.users.find_by_email(email),
    "document_contact": _contact,
}


@pytest.mark.parametrize("call", EMAIL_CALLS.values(), ids=EMAIL_CALLS.keys())
def test_every_call_that_takes_an_address_obeys_the_kit_option(call: EmailCall) -> None:
    """Every call that takes an e-mail refuses a special-use domain on a default kit and
    accepts it on a kit made with allow_special_use_domains=True."""
    with pytest.raises(SpecialUseDomain):
        call(_kit(False), "bo@shop.test")
    call(_kit(True), "bo@shop.test")


def test_a_test_suite_kit_registers_and_finds_special_use_addresses() -> None:
    """With the option a test suite can use .test, .invalid and .local addresses end to end."""
    kit = _kit(True)
    for address in SPECIAL:
        user = _register(kit, address.upper())
        assert kit.users.find_by_email(address) == user
