"""The sign-in lookup's fast path gives exactly the key that full validation gives."""

from __future__ import annotations

import unicodedata

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.domain.validation import _PLAIN_EMAIL, email_key, lookup_key, normalise_email
from accountkit.errors import InvalidEmail


def _slow_key(address: str) -> str | None:
    try:
        return email_key(normalise_email(address))
    except InvalidEmail:
        return None


def _fast_key(address: str) -> str | None:
    try:
        return lookup_key(address)
    except InvalidEmail:
        return None


@settings(max_examples=500)
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True))
def test_plain_addresses_get_the_validated_key(address: str) -> None:
    """For every plain ASCII address, the fast key equals email_key(normalise_email(...)),
    and the fast path refuses exactly what email-validator refuses."""
    assert _fast_key(address) == _slow_key(address)


@given(st.text(max_size=80))
def test_any_text_gets_the_validated_key(text: str) -> None:
    """For any text at all, the lookup key is the validated key or the same refusal."""
    assert _fast_key(text) == _slow_key(text)


@pytest.mark.parametrize(
    "address",
    [
        " Ada.Lovelace@Example.COM ",
        "user@bücher.de",
        '"quoted"@example.com',
        "a..b@example.com",
        "a@example.test",
        "a@xn--bcher-kva.de",
        "a@exa--mple.com",
    ],
)
def test_unusual_addresses_match_full_validation(address: str) -> None:
    """Addresses outside the fast path take the full validation, with the same result."""
    assert _fast_key(address) == _slow_key(address)


# Pieces of addresses that the fast path must hand to full validation, and that full
# validation must key exactly: non-ASCII letters, sharp s, ligatures, the Kelvin sign,
# combining marks, invisible format characters, IDN domains in any case and in A-label form.
LOCAL_PIECES = st.sampled_from(
    [
        "ada", "ADA", "Straße", "STRASSE", "strasse", "ﬁle", "FILE", "ﬃ", "\u212a", "k",
        "Zoe\u0308", "Zoë", "ZOË", "É", "\u0308", "a\u034fb", "a\u200bb", "a\u00adb",
        "a\ufeffb", "\u3164", "x+tag", "o'neil", ".", "..", "_", " ", "@", '"q q"', "postmaster",
    ]
)  # fmt: skip
DOMAIN_LABELS = st.sampled_from(
    [
        "example", "EXAMPLE", "Bücher", "BÜCHER", "bücher", "xn--bcher-kva", "XN--BCHER-KVA",
        "straße", "STRASSE", "strasse", "faß", "ＥＸＡＭＰＬＥ", "ex\u200bample", "ex\u00adample",
        "münchen", "MÜNCHEN", "a--b", "-x", "ab", "日本", "xn--wgv71a",
    ]
)  # fmt: skip
TLDS = st.sampled_from(
    ["de", "COM", "org", "Test", "test", "invalid", "LOCAL", "localhost", "onion", "ＤＥ", "x"]
)


@st.composite
def tricky_addresses(draw: st.DrawFn) -> str:
    """Addresses built from the pieces above, with a random case for each letter."""
    local = "".join(draw(st.lists(LOCAL_PIECES, min_size=1, max_size=3)))
    labels = draw(st.lists(DOMAIN_LABELS, min_size=1, max_size=3))
    text = f"{local}@{'.'.join([*labels, draw(TLDS)])}"
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if f else c for c, f in zip(text, flips, strict=True))


def _slow_key_allowing(address: str) -> str | None:
    try:
        return email_key(normalise_email(address, allow_special_use=True))
    except InvalidEmail:
        return None


def _fast_key_allowing(address: str) -> str | None:
    try:
        return lookup_key(address, allow_special_use=True)
    except InvalidEmail:
        return None


@settings(max_examples=500)
@given(tricky_addresses())
def test_unicode_addresses_get_the_validated_key(address: str) -> None:
    """For addresses with IDN domains in any case, sharp s, ligatures, combining and format
    characters, the lookup key is the validated key or the same refusal, with special-use
    domains refused or allowed alike."""
    assert _fast_key(address) == _slow_key(address)
    assert _fast_key_allowing(address) == _slow_key_allowing(address)


@settings(max_examples=300)
@given(tricky_addresses())
def test_key_is_ascii_lowered_local_part_and_a_label(address: str) -> None:
    """An accepted address's key is its NFC local part with only A-Z lower-cased, an @, and
    the domain as email-validator's IDNA A-label in lower case."""
    try:
        normalised = normalise_email(address, allow_special_use=True)
    except InvalidEmail:
        return
    local, _, domain = normalised.rpartition("@")
    assert unicodedata.is_normalized("NFC", local)
    expected_local = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in local)
    key = email_key(normalised)
    assert key.rpartition("@")[0] == expected_local
    assert key.rpartition("@")[2] == key.rpartition("@")[2].lower()
    assert key.rpartition("@")[2].isascii()
    if normalised.rpartition(".")[2] not in ("invalid", "local", "localhost", "onion"):
        # email-validator refuses these whatever the options; the others it keys itself.
        checked = email_validator.validate_email(
            normalised, check_deliverability=False, test_environment=True
        )
        assert key.rpartition("@")[2] == checked.ascii_domain.lower()
    assert email_key(normalise_email(key, allow_special_use=True)) == key
    assert domain == domain.lower()
